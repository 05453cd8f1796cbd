"""Writing the audit trail: one plain function every way of acting on a case calls."""

from django.contrib.auth import get_user_model

from portal.audit.models import AuditEvent, Event


def record(event: Event, user, request, case=None, detail=None, username="") -> AuditEvent:
    """Store one event. `user` may be anonymous or None (a failed sign-in, an API key, a management
    command), `username` then names who acted; `request` is None outside a request (no address then);
    `detail` holds ids and fixed words only (never patient data or free text)."""
    signed_in = user is not None and user.is_authenticated
    meta = request.META if request is not None else {}
    return AuditEvent.objects.create(
        event=event,
        user=user if signed_in else None,
        username=user.get_username() if signed_in else username,
        case_reference=case.reference if case is not None else "",
        address=meta.get("REMOTE_ADDR") or None,
        forwarded_for=meta.get("HTTP_X_FORWARDED_FOR", "")[:200],
        detail=detail or {},
    )


def typed_username(typed: str) -> str:
    """What a failed sign-in's event may name: the account only when it exists, since what is typed into
    the user name field may be a password."""
    User = get_user_model()
    return typed if User.objects.filter(**{User.USERNAME_FIELD: typed}).exists() else ""


def case_history(case):
    """The events about one case, oldest first."""
    return AuditEvent.objects.filter(case_reference=case.reference).order_by("at")
