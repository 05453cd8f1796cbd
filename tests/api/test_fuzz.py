"""Generated files and bodies against the API's upload endpoints (test_schema.py's schemathesis run covers
every operation with schema-shaped requests): never a 500, only documented problems."""

import base64
import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from portal.api.models import ApiKey
from tests.api.conftest import ALL_SCOPES, as_json, headers
from tests.portal.test_upload_fuzz import DAMAGED_DICOM, FUZZ, files

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore::UserWarning")]
PROBLEMS = {400, 413, 415, 422}


@pytest.fixture
def key(db):
    return headers(ApiKey.issue(f"fuzz-{ApiKey.objects.count()}", ALL_SCOPES, rate="100000/min")[1])


def assert_documented(response, successes):
    assert response.status_code in successes | PROBLEMS, (response.status_code, response.content[:300])
    if response.status_code in PROBLEMS:
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == response.status_code


@FUZZ
@given(data=files(), explain=st.sampled_from(["true", "false", "", "maybe"]), as_base64=st.booleans())
@example(data=DAMAGED_DICOM, explain="false", as_base64=True)
@example(data=DAMAGED_DICOM, explain="true", as_base64=False)
def test_generated_images_for_a_prediction(client, key, model_server, data, explain, as_base64):
    from django.core.files.uploadedfile import SimpleUploadedFile

    if as_base64:
        body = {"image": base64.b64encode(data).decode(), "explain": explain == "true"}
        response = client.post("/api/v1/predictions", body, content_type="application/json", **key)
    else:
        upload = {"image": SimpleUploadedFile("xray", data), "explain": explain}
        response = client.post("/api/v1/predictions", upload, **key)
    assert_documented(response, {200})


scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)
CASE_FIELDS = ["patient_name", "age", "sex", "email", "phone", "symptoms", "onset_date", "test_status", "consent"]


@FUZZ
@given(path=st.sampled_from(["/api/v1/predictions", "/api/v1/cases"]),
       body=st.binary(max_size=2048) | json_values.map(lambda value: json.dumps(value).encode()),
       content_type=st.sampled_from(["application/json", "multipart/form-data; boundary=x", "multipart/form-data",
                                     "text/plain", "application/x-www-form-urlencoded", ""]))  # fmt: skip
@example(path="/api/v1/predictions", body=b'{"image": "AAAA", "explain": "yes"}', content_type="application/json")
@example(path="/api/v1/predictions", body=b'{"image": ["AAAA"]}', content_type="application/json")
@example(path="/api/v1/cases", body=b'{"image": "", "age": 1e400}', content_type="application/json")
def test_generated_bodies_for_the_upload_endpoints(client, key, path, body, content_type):
    response = client.generic("POST", path, body, content_type=content_type, **key)
    assert_documented(response, set())


@FUZZ
@given(changes=st.dictionaries(st.sampled_from(CASE_FIELDS), json_values, max_size=4))
def test_generated_case_answers(client, key, model_server, changes):
    response = client.post("/api/v1/cases", {**as_json(), **changes}, content_type="application/json", **key)
    assert_documented(response, {201})
