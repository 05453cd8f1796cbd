"""Sign-in lockout: too many failed sign-ins for one account, or from one address, within the window
refuse further attempts until enough of them are older than the window.

Failures are documents in MongoDB (FailedSignIn), so every portal process counts the same ones (the
default cache is per process). An account is counted under an HMAC of the name typed, never the name
itself: what is typed into the user name field is sometimes a password.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac

from portal.workspace.models import FailedSignIn


def account_key(username: str) -> str:
    return salted_hmac("portal.workspace.lockout", username).hexdigest()


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or the entry that the nearest of SIGN_IN_TRUSTED_PROXIES
    proxies appended to X-Forwarded-For (the entries before it are the client's word, so not trusted)."""
    proxies = settings.SIGN_IN_TRUSTED_PROXIES
    forwarded = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies][:64]
    return request.META.get("REMOTE_ADDR") or ""


def _window_start():
    return timezone.now() - timedelta(minutes=settings.SIGN_IN_LOCKOUT_MINUTES)


def _lifted_at(failures, limit):
    """When a lock on these failures (newest first) lifts: as the limit-th newest leaves the window."""
    times = list(failures.order_by("-at").values_list("at", flat=True)[:limit])
    if len(times) < limit:
        return None
    return times[-1] + timedelta(minutes=settings.SIGN_IN_LOCKOUT_MINUTES)


def locked_until(username: str, address: str):
    """The time the sign-ins for `username` from `address` are refused until, or None when they are not."""
    recent = FailedSignIn.objects.filter(at__gte=_window_start())
    ends = [
        _lifted_at(recent.filter(account=account_key(username)), settings.SIGN_IN_LOCKOUT_FAILURES),
        _lifted_at(recent.filter(address=address), settings.SIGN_IN_LOCKOUT_ADDRESS_FAILURES),
    ]
    ends = [end for end in ends if end is not None and end > timezone.now()]
    return max(ends, default=None)


def count_failure(username: str, address: str):
    """Count one failed sign-in; the lock's end if this failure starts one (else None)."""
    FailedSignIn.objects.filter(at__lt=_window_start()).delete()  # the window is all that is ever read
    FailedSignIn.objects.create(account=account_key(username), address=address)
    return locked_until(username, address)


def forget(username: str):
    """A successful sign-in clears the account's failures (those from its address still count)."""
    FailedSignIn.objects.filter(account=account_key(username)).delete()
