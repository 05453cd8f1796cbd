"""Sign-ins and sign-outs reach the trail through Django's auth signals: they are the only hook
that catches every way in (the workspace's sign-in page and the admin's alike)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from portal.audit.models import Event
from portal.audit.services import record, typed_username

User = get_user_model()


@receiver(user_logged_in)
def signed_in(sender, request, user, **kwargs):
    record(Event.LOGIN, user, request)


@receiver(user_logged_out)
def signed_out(sender, request, user, **kwargs):
    if user is not None:  # None when the session had no user
        record(Event.LOGOUT, user, request)


@receiver(user_login_failed)
def sign_in_failed(sender, credentials, request=None, **kwargs):
    """Names the account only when it exists: what is typed into the user name field may be a password."""
    if request is None:  # authenticate() called outside a request, e.g. from a shell
        return
    record(Event.LOGIN_FAILED, None, request, username=typed_username(credentials.get(User.USERNAME_FIELD, "")))
