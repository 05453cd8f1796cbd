"""Readiness checks: each returns None when the dependency answers, else a short reason.

Reasons are shown on /readyz, so they name the dependency and never carry credentials.
"""

from functools import cache

from django.conf import settings
from django.db import connection
from pymongo.errors import PyMongoError

from serving.client import ModelClient, ModelServerError

PROBE_TIMEOUT_S = 2.0


def check_mongodb():
    try:
        connection.ensure_connection()
        connection.connection.admin.command("ping")
    except PyMongoError as error:
        return f"MongoDB is not reachable ({type(error).__name__})."
    return None


@cache
def _status_client(target, model_name):
    return ModelClient(target, model_name=model_name, timeout=PROBE_TIMEOUT_S)


def check_model_server():
    try:
        versions = _status_client(settings.MODEL_SERVER, settings.MODEL_NAME).status()
    except ModelServerError as error:
        return f"The model server is not ready ({error.code.name})."
    if not any(state == "AVAILABLE" for _, state in versions):
        return "The model server has no available version of the model."
    return None


READINESS_CHECKS = {"mongodb": check_mongodb, "model_server": check_model_server}


def readiness():
    """Run every check; returns (ready, {name: "ok" | reason})."""
    results = {}
    for name, check in READINESS_CHECKS.items():
        results[name] = check() or "ok"
    return all(result == "ok" for result in results.values()), results
