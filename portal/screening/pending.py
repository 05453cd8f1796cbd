"""Uploads kept for a short while between the upload and the result (or a retry).

An upload is kept under an unguessable token, so a model server that is down costs the person
nothing: the result page can be reloaded until the model answers. Nothing identifying is stored
with it, and it is purged after PENDING_UPLOAD_TTL. Keeping it is one insert (GridFS took four
round trips, 5-10 ms on the upload's critical path; docs/benchmarks.md).
"""

import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from portal.screening.models import PendingUploadPart

PART_BYTES = 8 * 1024 * 1024  # half of MongoDB's document limit
PURGE_EVERY_SECONDS = 60  # expired uploads are looked for now and then, not on every upload

_last_purge = float("-inf")


def new_token() -> str:
    """192 random bits: the upload's only name, and the key to its result page."""
    return secrets.token_urlsafe(24)


def keep(data: bytes, token: str | None = None) -> str:
    """Store the upload's bytes under `token` (a new one when not given); returns the token."""
    _purge_now_and_then()
    token = token or new_token()
    expires = timezone.now() + timedelta(seconds=settings.PENDING_UPLOAD_TTL)
    parts = [
        {"token": token, "part": number, "data": data[start : start + PART_BYTES], "expires": expires}
        for number, start in enumerate(range(0, max(len(data), 1), PART_BYTES))
    ]
    # The documents PendingUploadPart.objects.bulk_create() would write, without its 0.4 ms of ORM work
    # on the upload's critical path.
    connection.database[PendingUploadPart._meta.db_table].insert_many(parts)
    return token


def load(token: str) -> bytes | None:
    """The upload's bytes, or None when the token is unknown or expired."""
    parts = PendingUploadPart.objects.filter(token=token, expires__gt=timezone.now()).order_by("part")
    pieces = [bytes(data) for data in parts.values_list("data", flat=True)]
    return b"".join(pieces) if pieces else None


def discard(token: str):
    """Delete the upload once it is saved with a case (or no longer wanted)."""
    PendingUploadPart.objects.filter(token=token).delete()


def _purge_now_and_then():
    global _last_purge
    if time.monotonic() - _last_purge >= PURGE_EVERY_SECONDS:
        _last_purge = time.monotonic()
        purge_expired()


def purge_expired(dry_run=False) -> int:
    """Delete the uploads past their expiry (new uploads do now and then; so does the retention
    command, for the quiet hours); returns how many there were."""
    expired = PendingUploadPart.objects.filter(expires__lte=timezone.now())
    count = len(set(expired.values_list("token", flat=True)))
    if not dry_run:
        expired.delete()
    return count
