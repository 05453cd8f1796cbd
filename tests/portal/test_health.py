"""/healthz and /readyz, in-process and against a portal process whose MongoDB stops."""

import json
import os
import time
import urllib.error
import urllib.request

import pytest

from devtools.services import free_port, mongo_uri, start_mongo, start_portal


def test_healthz_touches_no_dependency(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


READY = {"status": "ready", "checks": {"mongodb": "ok", "model_server": "ok"}}


@pytest.mark.django_db
def test_readyz_reports_mongodb_and_the_model_server(client, model_server):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == READY


def test_landing_page_says_it_is_not_a_diagnosis(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"not a diagnosis" in response.content


def get_json(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def wait_for_status(url, status, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        code, body = get_json(url)
        if code == status or time.monotonic() > deadline:
            return code, body
        time.sleep(0.5)


def test_readyz_turns_503_while_mongodb_is_down_and_recovers(tmp_path, model_server):
    mongo_port, portal_port = free_port(), free_port()
    mongo = start_mongo(mongo_port)
    portal = start_portal(
        portal_port,
        env={**os.environ, "MONGO_URI": mongo_uri(mongo_port)},
        log_path=tmp_path / "portal.log",
    )
    readyz = f"http://127.0.0.1:{portal_port}/readyz"
    try:
        assert get_json(readyz) == (200, READY)

        mongo.stop()
        code, body = get_json(readyz)
        assert code == 503
        assert body["status"] == "unavailable"
        assert body["checks"]["mongodb"].startswith("MongoDB is not reachable")
        assert body["checks"]["model_server"] == "ok"
        assert "Traceback" not in (tmp_path / "portal.log").read_text()

        mongo = start_mongo(mongo_port)
        code, body = wait_for_status(readyz, 200)
        assert code == 200, body
    finally:
        portal.stop()
        mongo.stop()
