"""The OpenAPI schema drf-spectacular generates, its documentation pages (local assets), and a
property-based run of schemathesis against it: no 500s, and every response matches the schema."""

import json
import re

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from werkzeug.test import Client

from portal.api.models import ApiKey
from tests.api.conftest import ALL_SCOPES, as_json, headers
from tests.portal.flow import inline_code
from tests.workspace.conftest import case_with

pytestmark = pytest.mark.django_db
SCHEMA = "/api/v1/schema/?format=json"
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.response_headers_conformance,
]


def generated_schema() -> dict:
    """The schema as the code generates it (what /api/v1/schema/ serves), without a request."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema))


api_schema = schemathesis.openapi.from_dict(generated_schema())
api_schema.app = get_wsgi_application()  # requests go through Django in this process


@api_schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_requests_get_no_500_and_answers_that_match_the_schema(case, model_server):
    _, key = ApiKey.issue(f"fuzz-{ApiKey.objects.count()}", ALL_SCOPES, rate="100000/min")
    case.call_and_validate(headers={"Authorization": headers(key)["HTTP_AUTHORIZATION"]}, checks=CHECKS)


def test_real_answers_of_every_operation_match_the_schema(auth, clinician, issue, model_server):
    """The fuzzer rarely finds a valid X-ray or an existing case; these answers are the successful ones."""
    http = Client(api_schema.app)
    key, clinicians_key = (
        {"Authorization": extra["HTTP_AUTHORIZATION"]} for extra in (auth, issue(clinician=clinician)[1])
    )
    created = http.post("/api/v1/cases", json=as_json(), headers=key)
    reference = created.json["reference"]
    case_with(None)  # a case whose prediction is pending
    advice = f"/api/v1/cases/{reference}/advice"
    answers = [
        ("POST", "/api/v1/cases", created),
        ("GET", "/api/v1/cases", http.get("/api/v1/cases", headers=key)),
        ("GET", "/api/v1/cases/{reference}", http.get(f"/api/v1/cases/{reference}", headers=key)),
        ("POST", "/api/v1/cases/{reference}/advice",
         http.post(advice, json={"recommendation": "no_action", "text": "Fine."}, headers=clinicians_key)),
        ("GET", "/api/v1/cases/{reference}/advice", http.get(advice, headers=key)),
        ("GET", "/api/v1/cases/{reference}/export", http.get(f"/api/v1/cases/{reference}/export", headers=key)),
        ("GET", "/api/v1/models", http.get("/api/v1/models", headers=key)),
        ("POST", "/api/v1/predictions",
         http.post("/api/v1/predictions", json={**as_json(), "explain": True}, headers=key)),
        ("GET", "/api/v1/models", http.get("/api/v1/models")),  # a problem: 401
    ]  # fmt: skip
    for method, path, response in answers:
        assert response.status_code in (200, 201, 401), (method, path, response.data)
        api_schema[path][method].validate_response(response)
    with pytest.raises(AssertionError, match="violates schema"):  # the validation can fail
        api_schema["/api/v1/predictions"]["POST"].validate_response(answers[6][2])


def test_swagger_ui_and_redoc_are_served_with_local_assets_and_no_inline_code(client):
    for page in ("/api/v1/docs/", "/api/v1/redoc/"):
        response = client.get(page)
        assert response.status_code == 200
        html = response.content.decode()
        assets = re.findall(r'(?:href|src)="([^"]+)"', html)
        assert assets and all(asset.startswith("/") for asset in assets), assets  # the portal's own, never a CDN
        loaded = {asset: client.get(asset) for asset in assets}
        assert all(answer.status_code == 200 for answer in loaded.values()), loaded
        scripts = [answer.content.decode() for asset, answer in loaded.items() if not asset.startswith("/static/")]
        assert "/api/v1/schema/" in html + "".join(scripts)  # Swagger UI's start script is a file of its own
        assert inline_code(html) == [] and "<style" not in html  # ready for a CSP without unsafe-inline


def test_the_schema_describes_the_api_key_and_every_endpoint(client):
    schema = client.get(SCHEMA).json()
    assert schema == generated_schema()
    assert schema["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey", "in": "header", "name": "Authorization",
        "description": "The header's value is `Api-Key <key>`.",
    }  # fmt: skip
    assert set(schema["paths"]) == {
        "/api/v1/predictions", "/api/v1/cases", "/api/v1/cases/{reference}", "/api/v1/cases/{reference}/advice",
        "/api/v1/cases/{reference}/export", "/api/v1/models",
    }  # fmt: skip
    predict = schema["paths"]["/api/v1/predictions"]["post"]
    assert set(predict["requestBody"]["content"]) == {"multipart/form-data", "application/json"}
    assert "application/problem+json" in predict["responses"]["422"]["content"]
