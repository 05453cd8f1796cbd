"""API keys for the API tests, throttle counts reset between tests (they live in the process's cache), and
a case as an integrator sends it."""

import base64

import pytest
from django.core.cache import cache

from portal.api.models import ApiKey
from tests.portal.flow import XRAY, answers
from tests.workspace.conftest import clinician, roles  # noqa: F401 (fixtures)

ALL_SCOPES = ["predict", "cases:read", "cases:write"]


@pytest.fixture(autouse=True)
def fresh_throttles():
    cache.clear()


def headers(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


@pytest.fixture
def issue(db):
    """issue(scopes=..., **fields) -> (ApiKey, the request headers carrying its key)."""

    def make(scopes=ALL_SCOPES, name=None, **fields):
        api_key, key = ApiKey.issue(name or f"integrator-{ApiKey.objects.count()}", scopes, **fields)
        return api_key, headers(key)

    return make


@pytest.fixture
def auth(issue):
    """Headers for a key with every scope."""
    return issue()[1]


def as_json(**changes):
    """The patient form's answers as an integrator sends them: JSON types, the sample X-ray in base64."""
    body = answers(**changes)
    body["consent"] = body.get("consent") == "on"
    body["age"] = int(body["age"])
    return {**body, "image": base64.b64encode(XRAY.read_bytes()).decode()}
