"""The upload-to-result path through the real model server, and what happens when it fails."""

import re

import numpy as np
import pytest

from devtools.services import REPO_ROOT, free_port
from portal.screening import pending
from preprocess import prepare
from serving.client import UNAVAILABLE_MESSAGE, ModelClient
from serving.testing import start_model_server

XRAY = REPO_ROOT / "tests/fixtures/cxr/hannover_006f3a8a.jpg"

pytestmark = pytest.mark.django_db


def upload(client, data, name="xray.jpg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/upload", {"image": SimpleUploadedFile(name, data)})


def test_upload_form_is_served(client):
    response = client.get("/upload")
    assert response.status_code == 200
    assert b'type="file"' in response.content and b"multipart/form-data" in response.content


def test_result_shows_the_models_reading_heatmap_and_version(client, model_server):
    data = XRAY.read_bytes()
    response = upload(client, data)
    assert response.status_code == 200
    page = response.content.decode()

    expected = ModelClient(model_server.target).predict(prepare(data).array[np.newaxis], signature="explain")
    shown = float(re.search(r'data-p-covid="([0-9.e-]+)"', page).group(1))
    assert shown == pytest.approx(float(expected.outputs["p_covid"][0]), abs=1e-6)
    assert f"Model densenet, version {expected.model_version}." in page
    assert page.count("data:image/png;base64,") == 2  # the X-ray and its heatmap
    assert "This is not a diagnosis" in page


def test_a_file_that_is_not_an_image_is_refused_with_the_reason(client):
    response = upload(client, b"%PDF-1.4 not an x-ray", name="report.pdf")
    assert response.status_code == 400
    assert b"not an image we can read" in response.content


def test_an_oversized_upload_is_refused_before_reading_it(client, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    response = upload(client, XRAY.read_bytes())
    assert response.status_code == 413
    assert b"too large" in response.content


def test_model_server_down_keeps_the_upload_and_recovers(client, settings, tmp_path):
    """Kill the model server mid-run: a clear temporary error, the upload kept, then a result."""
    grpc_port, rest_port = free_port(), free_port()
    server = start_model_server(REPO_ROOT / "serving/models.config", grpc_port, rest_port)
    settings.MODEL_SERVER = server.target
    settings.MODEL_TIMEOUT = 2
    try:
        assert upload(client, XRAY.read_bytes()).status_code == 200
        assert client.get("/readyz").status_code == 200

        server.kill()
        response = upload(client, XRAY.read_bytes())
        assert response.status_code == 503
        assert response["Retry-After"]
        assert UNAVAILABLE_MESSAGE in response.content.decode()
        token = response.context["token"]
        assert pending.load(token) == XRAY.read_bytes()
        readyz = client.get("/readyz")
        assert readyz.status_code == 503
        assert "model server is not ready" in readyz.json()["checks"]["model_server"]

        server = start_model_server(REPO_ROOT / "serving/models.config", grpc_port, rest_port)
        retried = client.get(f"/result/{token}")
        assert retried.status_code == 200
        assert b"Model densenet" in retried.content
        assert client.get("/readyz").status_code == 200
    finally:
        server.stop()


def test_an_unknown_or_expired_upload_is_not_found(client, settings):
    assert client.get("/result/not-a-real-token").status_code == 404
    settings.PENDING_UPLOAD_TTL = -1
    token = pending.keep(XRAY.read_bytes())
    assert client.get(f"/result/{token}").status_code == 404
