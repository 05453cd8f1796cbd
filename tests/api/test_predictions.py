"""POST /api/v1/predictions and GET /api/v1/models against the real model server."""

import base64
import io
import re

import pytest
from PIL import Image

from devtools.services import REPO_ROOT, free_port
from portal.screening.analysis import SEVERITY_OUTPUTS
from preprocess.rejection import REASONS
from serving.client import UNAVAILABLE_MESSAGE
from serving.testing import start_model_server
from tests.portal.flow import NEGATIVE_XRAY, PDF, XRAY, upload

pytestmark = pytest.mark.django_db
URL = "/api/v1/predictions"


def predict(client, auth, data, **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(URL, {"image": SimpleUploadedFile("xray.jpg", data)}, **auth, **extra)


def test_the_api_gives_the_probability_the_portal_shows_for_the_same_file(client, auth, model_server):
    page = upload(client, XRAY.read_bytes()).content.decode()
    shown = float(re.search(r'data-p-covid="([0-9.e-]+)"', page).group(1))

    response = predict(client, auth, XRAY.read_bytes())
    assert response.status_code == 200
    result = response.json()
    assert result["p_covid"] == pytest.approx(shown, abs=1e-9)
    assert result["probabilities"]["covid"] == pytest.approx(shown, abs=1e-6)
    assert sum(result["probabilities"].values()) == pytest.approx(1, abs=1e-5)
    assert result["label"] == ("covid_pattern" if shown >= result["threshold"] else "no_covid_pattern")
    assert result["model_name"] == "densenet" and result["model_version"] >= 1
    assert result["heatmap"] is None


def test_a_covid_like_reading_comes_with_its_severity_and_others_with_none(client, auth, model_server):
    positive = predict(client, auth, XRAY.read_bytes()).json()
    assert positive["label"] == "covid_pattern"
    assert 0 <= positive["severity_extent"] <= 8 and 0 <= positive["severity_opacity"] <= 6
    assert positive["severity_extent_sd"] > 0 and positive["severity_opacity_sd"] > 0
    negative = predict(client, auth, NEGATIVE_XRAY.read_bytes()).json()
    assert negative["label"] == "no_covid_pattern"
    assert [negative[name] for name in SEVERITY_OUTPUTS] == [None] * 4


def test_json_with_base64_and_explain_returns_the_heatmap_as_a_png(client, auth, model_server):
    body = {"image": base64.b64encode(XRAY.read_bytes()).decode(), "explain": True}
    response = client.post(URL, body, content_type="application/json", **auth)
    assert response.status_code == 200
    heatmap = response.json()["heatmap"]
    png = Image.open(io.BytesIO(base64.b64decode(heatmap["data"])))
    assert png.format == "PNG" and png.mode == "L"
    assert png.size == (heatmap["width"], heatmap["height"]) == (128, 128)


def test_a_file_that_is_not_an_image_is_422_with_the_preprocessing_reason(client, auth):
    response = predict(client, auth, PDF)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "not_an_image" and problem["detail"] == REASONS["not_an_image"]
    assert problem["type"] == "urn:covid19-prognosis:problem:not_an_image" and problem["status"] == 422


def test_bad_base64_or_a_missing_image_is_400_with_the_field(client, auth):
    response = client.post(URL, {"image": "not base64!"}, content_type="application/json", **auth)
    assert response.status_code == 400
    assert response.json()["errors"] == {"image": ["This is not valid base64."]}
    assert predict(client, auth, b"").status_code == 400  # an empty upload: DRF's "The submitted file is empty."


def test_an_oversized_body_is_413_judged_on_its_length_before_it_is_read(client, auth, settings):
    """The declared length alone decides: this body is small but says it is not."""
    settings.UPLOAD_MAX_BYTES = 1000
    response = predict(client, auth, XRAY.read_bytes()[:100], CONTENT_LENGTH="1001")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert "1000 bytes" in response.json()["detail"]


def test_an_image_over_the_limit_inside_an_allowed_body_is_413(client, auth, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    body = {"image": base64.b64encode(b"\x89PNG" + bytes(1200)).decode()}  # fits the JSON allowance, the file not
    response = client.post(URL, body, content_type="application/json", **auth)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large_file"


def test_the_models_endpoint_reads_status_and_signatures_from_the_model_server(client, auth, model_server):
    response = client.get("/api/v1/models", **auth)
    assert response.status_code == 200
    model = response.json()
    assert model["name"] == "densenet"
    assert {"version": 2, "state": "AVAILABLE"} in model["versions"]
    signatures = {signature["name"]: signature for signature in model["signatures"]}
    assert {"serving_default", "explain", "severity"} <= set(signatures)
    assert "heatmap" in signatures["explain"]["outputs"] and "heatmap" not in signatures["serving_default"]["outputs"]


def test_the_model_server_down_is_503_with_retry_after(client, auth, settings):
    grpc_port, rest_port = free_port(), free_port()
    server = start_model_server(REPO_ROOT / "serving/models.config", grpc_port, rest_port)
    settings.MODEL_SERVER = server.target
    settings.MODEL_TIMEOUT = 2
    try:
        assert predict(client, auth, XRAY.read_bytes()).status_code == 200
        server.kill()
        for response in (predict(client, auth, XRAY.read_bytes()), client.get("/api/v1/models", **auth)):
            assert response.status_code == 503
            assert int(response["Retry-After"]) > 0
            assert response.json()["code"] == "model_unavailable"
            assert response.json()["detail"] == UNAVAILABLE_MESSAGE
    finally:
        server.stop()


def test_a_malformed_content_length_is_no_server_error(client, auth):
    response = predict(client, auth, PDF, CONTENT_LENGTH="lots")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
