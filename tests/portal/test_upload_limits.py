"""Oversized and length-less bodies are refused with 413 before they are read, through the whole WSGI
stack with the CSRF check enforced (it parses a form before any view runs), and nothing is stored."""

import sys

import pytest
from django.core.wsgi import get_wsgi_application

from portal.api.models import ApiKey
from portal.cases.models import Case
from portal.screening import pending
from portal.screening.models import PendingUploadPart
from tests.portal.flow import XRAY

pytestmark = pytest.mark.django_db
MiB = 1024 * 1024
BOUNDARY = "fuzzboundary"
CSRF_SECRET = "a" * 32


class StreamedBody:
    """A body of `size` bytes made as it is read: `head` (the form's first parts), then filler.
    `read_bytes` counts what the portal took from it."""

    def __init__(self, head: bytes, size: int):
        self.head, self.size, self.read_bytes = head, size, 0

    def read(self, size=-1):
        left = self.size - self.read_bytes
        size = left if size is None or size < 0 else min(size, left)
        start, self.read_bytes = self.read_bytes, self.read_bytes + size
        chunk = self.head[start : start + size]
        return chunk + b"\0" * (size - len(chunk))

    def readline(self, size=-1):
        return self.read(size)


def multipart_head(csrf_token=None) -> bytes:
    """A form post's first bytes: the CSRF token field (a browser sends it before the file), then the file."""
    parts = []
    if csrf_token:
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
                     f"{csrf_token}\r\n")  # fmt: skip
    parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="xray.png"\r\n'
                 "Content-Type: image/png\r\n\r\n")  # fmt: skip
    return "".join(parts).encode() + XRAY.read_bytes()


def post(path, body, *, length=True, **headers):
    """POST `body` to the portal's WSGI application as a server would hand it over; (status, headers, text)."""
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}", "HTTP_COOKIE": f"csrftoken={CSRF_SECRET}",
        "wsgi.input": body, "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr, "wsgi.version": (1, 0),
        "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False, **headers,
    }  # fmt: skip
    if length:
        environ["CONTENT_LENGTH"] = str(body.size)
    else:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    answer = {}
    response = get_wsgi_application()(environ, lambda status, headers: answer.update(status=status, headers=headers))
    text = b"".join(response).decode()
    response.close()
    return int(answer["status"][:3]), dict(answer["headers"]), text


def stored():
    """Everything an upload could leave behind: kept uploads and cases (compared before and after)."""
    return PendingUploadPart.objects.count(), Case.objects.count()


@pytest.fixture
def before():
    return stored()


@pytest.mark.parametrize("path", ["/upload", "/cases/new/an-expired-token"])
def test_a_25_mib_form_post_is_413_after_reading_only_its_first_chunk(path, before):
    body = StreamedBody(multipart_head(CSRF_SECRET), 25 * MiB)
    status, _, page = post(path, body)
    assert status == 413
    assert "This file is too large. The limit is 20.0\xa0MB." in page
    assert body.read_bytes < MiB  # the CSRF check read the token, and no more than a chunk of the file
    assert stored() == before


def test_a_form_post_without_a_length_is_413_and_never_read(before):
    body = StreamedBody(multipart_head(), 25 * MiB)
    status, _, page = post("/upload", body, length=False, HTTP_X_CSRFTOKEN=CSRF_SECRET)
    assert status == 413 and "This file is too large." in page
    assert body.read_bytes == 0
    assert stored() == before


@pytest.mark.parametrize("length", [True, False])
def test_an_oversized_or_length_less_api_upload_is_a_413_problem_and_never_read(length, before):
    _, key = ApiKey.issue("big-uploads", ["predict", "cases:write"])
    for path in ("/api/v1/predictions", "/api/v1/cases"):
        body = StreamedBody(multipart_head(), 25 * MiB)
        status, headers, problem = post(path, body, length=length, HTTP_AUTHORIZATION=f"Api-Key {key}")
        assert status == 413 and headers["Content-Type"] == "application/problem+json", problem
        assert '"code":"too_large"' in problem and "an image of at most 20971520 bytes" in problem
        assert body.read_bytes == 0
    assert stored() == before


def test_a_form_post_under_the_limit_is_read_whole_and_kept(model_server):
    """The handler stops only oversized bodies: the same post, at its real size, reaches the result."""
    head = multipart_head(CSRF_SECRET) + f"\r\n--{BOUNDARY}--\r\n".encode()
    body = StreamedBody(head, len(head))
    status, headers, _ = post("/upload", body)
    assert status == 200 and headers["Content-Location"].startswith("/result/")
    assert body.read_bytes == len(head)
    assert pending.load(headers["Content-Location"].removeprefix("/result/")) == XRAY.read_bytes()
