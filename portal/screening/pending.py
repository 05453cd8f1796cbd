"""Uploads kept for a short while between the upload and the result (or a retry).

An upload lives in GridFS under an unguessable token, so a model server that is down
costs the person nothing: the result page can be reloaded until the model answers.
Nothing identifying is stored with it, and it is purged after PENDING_UPLOAD_TTL.
"""

import secrets
import time
from contextlib import suppress
from datetime import UTC, datetime, timedelta

import gridfs
from django.conf import settings
from django.db import connection

BUCKET = "pending_uploads"
PURGE_EVERY_SECONDS = 60  # expired uploads are looked for now and then, not on every upload

_last_purge = float("-inf")


def _bucket():
    return gridfs.GridFSBucket(connection.database, bucket_name=BUCKET)


def new_token() -> str:
    """192 random bits: the upload's only name, and the key to its result page."""
    return secrets.token_urlsafe(24)


def keep(data: bytes, token: str | None = None) -> str:
    """Store the upload's bytes under `token` (a new one when not given); returns the token."""
    _purge_now_and_then()
    token = token or new_token()
    expires = datetime.now(UTC) + timedelta(seconds=settings.PENDING_UPLOAD_TTL)
    _bucket().upload_from_stream_with_id(token, token, data, metadata={"expires": expires})
    return token


def load(token: str) -> bytes | None:
    """The upload's bytes, or None when the token is unknown or expired."""
    try:
        stream = _bucket().open_download_stream(token)
    except gridfs.errors.NoFile:
        return None
    if stream.metadata["expires"].replace(tzinfo=UTC) < datetime.now(UTC):
        return None
    return stream.read()


def discard(token: str):
    """Delete the upload once it is saved with a case (or no longer wanted)."""
    try:
        _bucket().delete(token)
    except gridfs.errors.NoFile:
        pass


def _purge_now_and_then():
    global _last_purge
    if time.monotonic() - _last_purge >= PURGE_EVERY_SECONDS:
        _last_purge = time.monotonic()
        purge_expired()


def purge_expired(dry_run=False) -> int:
    """Delete the uploads past their expiry (new uploads do now and then; so does the retention
    command, for the quiet hours); returns how many there were."""
    files = connection.database[f"{BUCKET}.files"]
    expired = [entry["_id"] for entry in files.find({"metadata.expires": {"$lt": datetime.now(UTC)}}, {"_id": 1})]
    if not dry_run:
        bucket = _bucket()
        for file_id in expired:
            with suppress(gridfs.errors.NoFile):  # another request purged it first
                bucket.delete(file_id)
    return len(expired)
