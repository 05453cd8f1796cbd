"""The upload-to-result path through the real model server, and what happens when it fails."""

import io
import re

import numpy as np
import pytest
from PIL import Image

from devtools.services import REPO_ROOT, free_port
from portal.screening import pending
from portal.screening.analysis import SEVERITY_OUTPUTS
from portal.screening.models import PendingUploadPart
from preprocess import prepare
from serving.client import UNAVAILABLE_MESSAGE, ModelClient
from serving.testing import start_model_server
from tests.portal.flow import NEGATIVE_XRAY, PDF, XRAY, inline_code, upload

pytestmark = pytest.mark.django_db


def test_the_landing_page_says_what_the_tool_does_and_does_not_do(client):
    page = client.get("/").content.decode()
    assert "estimates how much it resembles" in page
    assert "What it does not do" in page and "not a diagnosis" in page
    assert 'href="/upload"' in page


def test_upload_form_is_a_plain_multipart_form_with_vendored_assets(client):
    response = client.get("/upload")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'type="file"' in page and 'enctype="multipart/form-data"' in page and 'method="post"' in page
    assets = re.findall(r'(?:href|src)="([^"]+\.(?:css|js))"', page)
    assert any("bootstrap" in asset for asset in assets)
    assert all(asset.startswith("/static/") for asset in assets)  # served by the portal, never a CDN
    assert inline_code(page) == []
    for asset in assets:
        assert client.get(asset).status_code == 200


def test_an_upload_is_kept_and_its_result_shown_at_once_with_its_own_address(client, model_server):
    data = XRAY.read_bytes()
    response = upload(client, data)
    assert response.status_code == 200
    result_url = response["Content-Location"]
    assert result_url.startswith("/result/")
    page = response.content.decode()
    assert f'data-result-address="{result_url}"' in page  # result_address.js makes it the page's address

    expected = ModelClient(model_server.target).predict(prepare(data).array[np.newaxis], signature="explain")
    shown = float(re.search(r'data-p-covid="([0-9.e-]+)"', page).group(1))
    assert shown == pytest.approx(float(expected.outputs["p_covid"][0]), abs=1e-6)
    assert f"COVID-19 pattern score {shown * 100:.1f}% (bar)" in page
    assert f"Model densenet, version {expected.model_version}." in page
    assert page.count("data:image/jpeg;base64,") == 1 and page.count("data:image/png;base64,") == 1  # X-ray, heatmap
    assert 'class="score-scale"' in page
    assert "This is not a diagnosis" in page
    assert "Nothing about you has been stored" in page
    assert response["X-Robots-Tag"] == "noindex, nofollow" and response["Referrer-Policy"] == "no-referrer"
    assert '<meta name="robots" content="noindex, nofollow">' in page
    token = result_url.removeprefix("/result/")
    assert f'href="/cases/new/{token}"' in page
    assert inline_code(page) == []
    assert pending.load(token) == data

    reloaded = client.get(result_url)  # a reload asks the model again, about the kept upload
    assert reloaded.status_code == 200 and reloaded["Content-Location"] == result_url
    again = float(re.search(r'data-p-covid="([0-9.e-]+)"', reloaded.content.decode()).group(1))
    assert again == pytest.approx(shown, abs=1e-6)


def test_a_covid_like_result_shows_its_severity_with_the_uncertainty_and_a_negative_one_not(client, model_server):
    expected = ModelClient(model_server.target).predict(prepare(XRAY.read_bytes()).array[np.newaxis], "severity")
    page = upload(client, XRAY.read_bytes()).content.decode()
    assert 'data-reading="covid_pattern"' in page
    extent, extent_sd, opacity, opacity_sd = (float(expected.outputs[name][0]) for name in SEVERITY_OUTPUTS)
    assert f"Extent: <strong>{extent:.1f} of 8</strong> (±{extent_sd:.1f})" in page
    assert f"Opacity: <strong>{opacity:.1f} of 6</strong> (±{opacity_sd:.1f})" in page
    assert "0-4 per lung" in page  # what the scale means
    assert float(re.search(r'data-severity-extent="([0-9.e-]+)"', page).group(1)) == pytest.approx(extent, abs=1e-6)

    negative = upload(client, NEGATIVE_XRAY.read_bytes()).content.decode()
    assert 'data-reading="no_covid_pattern"' in negative
    assert "data-severity" not in negative and "of 8" not in negative


def test_an_image_that_is_not_a_chest_xray_gets_no_score(client, model_server):
    gradient = io.BytesIO()
    Image.fromarray(np.tile(np.arange(256, dtype=np.uint8), (256, 1)), "L").save(gradient, "PNG")
    response = upload(client, gradient.getvalue(), name="gradient.png")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-reading="not_a_chest_xray"' in page
    assert "This does not look like a frontal chest X-ray, so the model gives no score." in page
    assert "data-p-covid" not in page and not re.search(r"\d%", page)  # no probability anywhere
    assert "data-severity" not in page
    assert page.count("data:image/jpeg;base64,") == 1 and "data:image/png" not in page  # the image, no heatmap
    assert "Model densenet, version" in page and "/cases/new/" not in page


def test_a_file_that_is_not_an_image_is_refused_with_the_reason_at_the_field(client):
    response = upload(client, PDF, name="report.pdf")
    assert response.status_code == 400
    field_error = re.search(r'id="id_image_error"[^>]*>(.*?)</div>', response.content.decode(), re.S).group(1)
    assert "not an image we can read" in field_error


def test_an_oversized_upload_is_refused_before_reading_it(client, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    response = upload(client, XRAY.read_bytes())
    assert response.status_code == 413
    assert re.search(r'id="id_image_error"[^>]*>.*too large', response.content.decode(), re.S)


def test_model_server_down_keeps_the_upload_and_recovers(client, settings):
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
        page = response.content.decode()
        assert UNAVAILABLE_MESSAGE in page
        token = re.search(r'href="/result/([^"]+)"', page).group(1)
        assert pending.load(token) == XRAY.read_bytes()
        assert f'href="/result/{token}"' in page and f'href="/cases/new/{token}"' in page  # retry, or save now
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
    response = client.get("/result/not-a-real-token")
    assert response.status_code == 404
    assert b"expired" in response.content
    settings.PENDING_UPLOAD_TTL = -1
    token = pending.keep(XRAY.read_bytes())
    assert client.get(f"/result/{token}").status_code == 404


def test_an_upload_larger_than_a_mongodb_document_is_kept_whole(settings):
    """A DICOM near the size limit is kept in 8 MiB pieces (MongoDB documents stop at 16 MB)."""
    data = np.random.default_rng(7).bytes(settings.UPLOAD_MAX_BYTES)
    token = pending.keep(data)
    assert PendingUploadPart.objects.filter(token=token).count() == 3
    assert pending.load(token) == data
    pending.discard(token)
    assert pending.load(token) is None and not PendingUploadPart.objects.filter(token=token).exists()
