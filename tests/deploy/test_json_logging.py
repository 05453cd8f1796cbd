"""Structured logs: one JSON object per line, only whitelisted fields, no exception messages."""

import io
import json
import logging
import logging.config
from datetime import datetime

import pytest
from django.conf import settings

from portal.observability.json_logging import JsonFormatter

EMAIL = "jane@example.org"


@pytest.fixture
def log():
    """A logger writing into a string through the JSON formatter the settings' LOGGING declares, built the way
    dictConfig builds it (without reconfiguring the test run's own logging)."""
    formatter_config = dict(settings.LOGGING["formatters"]["json"])
    formatter = logging.config.DictConfigurator(settings.LOGGING).configure_formatter(formatter_config)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("portal.test")
    logger.addHandler(handler)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)
    logger.propagate = True


def lines(stream):
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_one_json_object_per_line_with_the_basic_fields(log):
    logger, stream = log
    logger.warning("model server call failed:\n%s", "UNAVAILABLE")
    [entry] = lines(stream)
    assert entry["level"] == "WARNING" and entry["logger"] == "portal.test"
    assert entry["message"] == "model server call failed:\nUNAVAILABLE"
    assert datetime.fromisoformat(entry["time"]).utcoffset().total_seconds() == 0


def test_only_whitelisted_extra_fields_are_kept(log):
    logger, stream = log
    logger.info("saved", extra={"view": "screening:upload", "status_code": 201, "patient_name": "Jane Roe",
                                "request": object(), "email": EMAIL})  # fmt: skip
    [entry] = lines(stream)
    assert entry["view"] == "screening:upload" and entry["status_code"] == 201
    assert "Jane Roe" not in stream.getvalue() and EMAIL not in stream.getvalue()
    assert not {"patient_name", "request", "email"} & set(entry)


def test_exceptions_keep_type_and_frames_but_not_the_message(log):
    logger, stream = log

    def save_case():
        raise ValueError(f"duplicate key: {EMAIL}")

    try:
        save_case()
    except ValueError:
        logger.exception("saving failed")
    [entry] = lines(stream)
    assert entry["exception"] == "builtins.ValueError"
    assert "save_case" in entry["stack"]
    assert EMAIL not in stream.getvalue()


def test_the_whitelist_can_be_configured():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    record.case_id = "abc"
    record.view = "v"
    entry = json.loads(JsonFormatter(fields=["case_id"]).format(record))
    assert entry["case_id"] == "abc" and "view" not in entry
