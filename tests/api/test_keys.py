"""API keys: 401 without a valid live key, 403 without the scope, 429 past the key's rate; how keys are made."""

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command

from portal.api.models import ApiKey

pytestmark = pytest.mark.django_db
MODELS = "/api/v1/models"


def assert_problem(response, status, code):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert (problem["status"], problem["code"], problem["instance"]) == (status, code, response.request["PATH_INFO"])
    assert problem["title"] and problem["detail"]


@pytest.mark.parametrize("authorization", [None, "Api-Key", "Bearer abc", "Api-Key a b"])
def test_a_missing_or_malformed_key_is_401_with_the_scheme_to_use(client, authorization):
    extra = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = client.get(MODELS, **extra)
    ignored = authorization in (None, "Bearer abc")  # another scheme is no key at all
    assert_problem(response, 401, "not_authenticated" if ignored else "authentication_failed")
    assert response["WWW-Authenticate"] == "Api-Key"


def test_an_unknown_or_revoked_key_is_401(client, issue):
    api_key, auth = issue()
    assert_problem(client.get(MODELS, HTTP_AUTHORIZATION="Api-Key cxr_not-a-key"), 401, "authentication_failed")
    api_key.revoke()
    assert_problem(client.get(MODELS, **auth), 401, "authentication_failed")


def test_a_key_without_the_scope_is_403(client, issue):
    _, auth = issue(scopes=["cases:read"])
    response = client.post("/api/v1/predictions", {}, **auth)
    assert_problem(response, 403, "permission_denied")
    assert "'predict'" in response.json()["detail"]
    _, predict_only = issue(scopes=["predict"])
    assert_problem(client.get("/api/v1/cases", **predict_only), 403, "permission_denied")
    assert_problem(client.post("/api/v1/cases", {}, **auth), 403, "permission_denied")  # cases:write


def test_past_its_rate_a_key_is_429_with_retry_after_and_other_keys_are_not(client, issue, model_server):
    _, slow = issue(rate="2/min")
    _, other = issue(rate="2/min")
    assert [client.get(MODELS, **slow).status_code for _ in range(2)] == [200, 200]
    response = client.get(MODELS, **slow)
    assert_problem(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60
    assert client.get(MODELS, **other).status_code == 200


def test_anonymous_use_of_the_schema_is_throttled_per_address(client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "2/hour"}}
    assert [client.get("/api/v1/schema/").status_code for _ in range(2)] == [200, 200]
    response = client.get("/api/v1/schema/", REMOTE_ADDR="127.0.0.1")
    assert_problem(response, 429, "throttled")
    assert client.get("/api/v1/schema/", REMOTE_ADDR="10.0.0.9").status_code == 200


def test_an_unknown_address_under_the_api_is_a_problem_404(client):
    assert_problem(client.get("/api/v1/nothing-here"), 404, "not_found")


def test_the_command_prints_the_key_once_and_stores_only_its_hash(client, model_server):
    out, err = StringIO(), StringIO()
    call_command("create_api_key", "hospital-a", "--scopes", "predict,cases:read", stdout=out, stderr=err)
    key = out.getvalue().strip()
    stored = ApiKey.objects.get(name="hospital-a")
    assert stored.scopes == ["predict", "cases:read"]
    assert stored.hashed_key == hashlib.sha256(key.encode()).hexdigest() and key.startswith(stored.prefix)
    assert key not in str(ApiKey.objects.filter(name="hospital-a").values().first())
    assert len(key) >= 43 and "cannot be shown again" in err.getvalue()
    assert client.get(MODELS, HTTP_AUTHORIZATION=f"Api-Key {key}").status_code == 200


@pytest.mark.parametrize("options, field", [(["--scopes", "predict,everything"], "scopes"),
                                            (["--scopes", "predict", "--rate", "lots"], "rate")])  # fmt: skip
def test_the_command_refuses_unknown_scopes_and_malformed_rates(db, options, field):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=field):
        call_command("create_api_key", "hospital-b", *options, stdout=StringIO())
    assert not ApiKey.objects.filter(name="hospital-b").exists()


def test_administrators_create_a_key_seen_once_and_revoke_it(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/admin/api/apikey/add/", {"name": "lab", "scopes": ["predict"], "rate": "60/min"},
                           follow=True)  # fmt: skip
    assert response.status_code == 200
    stored = ApiKey.objects.get(name="lab")
    shown = [str(message) for message in response.context["messages"]]
    key = next(word for message in shown for word in message.split() if word.startswith(stored.prefix))
    assert hashlib.sha256(key.encode()).hexdigest() == stored.hashed_key
    assert key not in client.get(f"/admin/api/apikey/{stored.pk}/change/").content.decode()

    client.post("/admin/api/apikey/", {"action": "revoke", "_selected_action": [str(stored.pk)]})
    stored.refresh_from_db()
    assert stored.revoked_at is not None
    assert ApiKey.find(key) is None
