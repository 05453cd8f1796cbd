"""Failed and successful sign-ins feed the lockout, through the auth signals that every way in sends
(the workspace's sign-in page and the admin's alike)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from portal.audit.models import Event
from portal.audit.services import record, typed_username
from portal.workspace import lockout

User = get_user_model()


@receiver(user_login_failed)
def count_failure(sender, credentials, request=None, **kwargs):
    """Attempts refused while a lock holds are not counted again; the failure that starts one is audited."""
    if request is None:  # authenticate() outside a request, e.g. from a shell
        return
    typed, address = credentials.get(User.USERNAME_FIELD, ""), lockout.client_address(request)
    if lockout.locked_until(typed, address) is not None:
        return
    until = lockout.count_failure(typed, address)
    if until is not None:
        record(Event.LOGIN_LOCKED, None, request, username=typed_username(typed),
               detail={"until": until.isoformat(timespec="seconds")})  # fmt: skip


@receiver(user_logged_in)
def forget_failures(sender, request, user, **kwargs):
    lockout.forget(user.get_username())
