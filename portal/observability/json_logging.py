"""Structured logs: one JSON object per line, holding only fields known to carry no patient data.

A record's `extra` fields are dropped unless whitelisted, so a stray `extra={"request": ...}`
(Django's own loggers add one) never prints a body, a name or an image. Exceptions are logged
as their type and stack frames without the message: driver errors can quote stored values
(a duplicate-key error names the key, which may be an e-mail address). RoutesNotPaths keeps
the secrets in URLs (case references, upload tokens) out of Django's "Not Found: <path>" lines.
"""

import json
import logging
import traceback
from datetime import UTC, datetime

from django.utils.encoding import escape_uri_path

# Operational facts only: where, how long, which model, what outcome.
DEFAULT_FIELDS = (
    "view",
    "method",
    "status_code",
    "duration_ms",
    "signature",
    "grpc_status",
    "model_version",
    "reading",
    "code",
)


class JsonFormatter(logging.Formatter):
    def __init__(self, fields=DEFAULT_FIELDS):
        super().__init__()
        self.fields = tuple(fields)

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({name: getattr(record, name) for name in self.fields if hasattr(record, name)})
        if record.exc_info and record.exc_info[0] is not None:
            kind, _, tb = record.exc_info
            entry["exception"] = f"{kind.__module__}.{kind.__qualname__}"
            entry["stack"] = "".join(traceback.format_tb(tb))
        return json.dumps(entry, default=str)


class RoutesNotPaths(logging.Filter):
    """Django logs every failed request as "<reason>: <path>" (django.request, django.security), and a path
    can be a patient's key: the route's pattern (`/cases/<str:reference>`) takes its place, as in the metrics."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is not None and isinstance(record.args, tuple):
            match = getattr(request, "resolver_match", None)
            route = f"/{match.route}" if match is not None else "(a path no route matches)"
            paths = {request.path, escape_uri_path(request.path)}
            record.args = tuple(route if isinstance(arg, str) and arg in paths else arg for arg in record.args)
        return True
