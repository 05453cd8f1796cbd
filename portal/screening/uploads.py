"""Upload size limits, enforced before a body is read.

A view judges a body on its declared length (`body_too_large`). That alone is not enough for a form: the
CSRF check parses a multipart body before the view runs, so the first upload handler stops the parse at
the file's first chunk when the declared length is over the limit; the fields before the file (the CSRF
token) are still read, so the view answers with its 413. A body without a Content-Length (chunked) is
never read at all: under WSGI Django reads no more than Content-Length, so it would arrive empty; it is
refused as too large, with the same message, instead of being taken for a form without a file.
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

# Room for the fields that travel with the image in JSON (the case's answers) besides its base64.
JSON_FIELDS_ALLOWANCE = 64 * 1024


def body_limit(request) -> int:
    """The largest body an upload may send: a multipart body is the file and a few hundred bytes of fields,
    held to UPLOAD_MAX_BYTES; JSON carries the file as base64, 4/3 of it, beside the other fields."""
    if request.META.get("CONTENT_TYPE", "").startswith("multipart/"):
        return settings.UPLOAD_MAX_BYTES
    return 4 * (settings.UPLOAD_MAX_BYTES // 3 + 1) + JSON_FIELDS_ALLOWANCE


def declared_length(request) -> int:
    """Content-Length as sent; a malformed one counts as 0, as Django's parsers read it."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def unbounded(request) -> bool:
    """A body sent without a length (Transfer-Encoding: chunked), which Django never reads."""
    encoding = request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    return not request.META.get("CONTENT_LENGTH") and "chunked" in encoding


def body_too_large(request) -> bool:
    return unbounded(request) or declared_length(request) > body_limit(request)


class OversizedBodyHandler(FileUploadHandler):
    """Ends the parse of an oversized multipart body at its first file chunk, without reading the rest."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.oversized = body_too_large(self.request)

    def receive_data_chunk(self, raw_data, start):
        if self.oversized:
            raise StopUpload(connection_reset=True)
        return raw_data  # on to the next handler

    def file_complete(self, file_size):
        return None
