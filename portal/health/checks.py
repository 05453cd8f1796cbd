"""Readiness checks: each returns None when the dependency answers, else a short reason.

Reasons are shown on /readyz, so they name the dependency and never carry credentials.
"""

from django.db import connection
from pymongo.errors import PyMongoError


def check_mongodb():
    try:
        connection.ensure_connection()
        connection.connection.admin.command("ping")
    except PyMongoError as error:
        return f"MongoDB is not reachable ({type(error).__name__})."
    return None


READINESS_CHECKS = {"mongodb": check_mongodb}


def readiness():
    """Run every check; returns (ready, {name: "ok" | reason})."""
    results = {}
    for name, check in READINESS_CHECKS.items():
        results[name] = check() or "ok"
    return all(result == "ok" for result in results.values()), results
