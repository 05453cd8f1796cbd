"""Saving a case for a clinician's advice, against the real SecantusDB and the real model server."""

import io
import os
import re
import time
from contextlib import contextmanager
from datetime import date, timedelta

import bson
import gridfs
import numpy as np
import pytest
import requests
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from PIL import Image

from devtools.services import free_port, mongo_uri, start_mongo, start_portal
from portal.cases.models import Case
from portal.cases.services import complete_prediction, save_case
from portal.screening import pending
from preprocess import prepare
from serving.client import ModelClient
from tests.portal.flow import PDF, XRAY, answers, inline_code, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_gridfs")]


def case_files():
    return gridfs.GridFSBucket(connection.database, bucket_name="case_files")


def stored(name):
    return case_files().open_download_stream_by_name(name).read()


def case_file_names():
    return sorted(entry["filename"] for entry in connection.database["case_files.files"].find())


@contextmanager
def model_server_down(settings):
    """Point the portal at an address where nothing listens: every model call fails as UNAVAILABLE, quickly."""
    live = settings.MODEL_SERVER, settings.MODEL_TIMEOUT
    settings.MODEL_SERVER, settings.MODEL_TIMEOUT = f"127.0.0.1:{free_port()}", 1
    yield
    settings.MODEL_SERVER, settings.MODEL_TIMEOUT = live


def complete_predictions():
    out = io.StringIO()
    call_command("complete_predictions", stdout=out)
    return out.getvalue()


def test_saving_a_case_stores_answers_image_and_prediction_in_mongodb(client, model_server):
    data = XRAY.read_bytes()
    token = upload(client, data)["Content-Location"].removeprefix("/result/")
    form_page = client.get(f"/cases/new/{token}")
    assert form_page.status_code == 200
    assert "for 90 days from today, then deleted" in form_page.content.decode()
    assert inline_code(form_page.content.decode()) == []

    response = client.post(f"/cases/new/{token}", answers())
    assert response.status_code == 302
    reference = response.url.removeprefix("/cases/")
    assert len(reference) >= 32  # at least 192 random bits, URL-safe base64

    document = connection.database["cases_case"].find_one({"reference": reference})
    assert document["status"] == "awaiting_review"
    assert document["patient_name"] == "Ada Lovelace" and document["email"] == "ada@example.org"
    assert document["symptoms"] == ["fever", "cough"] and document["test_status"] == "waiting"
    assert "90 days" in document["consent_text"]
    assert document["created_at"] and document["updated_at"]
    assert document["retain_until"] - document["consented_at"] == timedelta(days=90)
    assert len(bson.encode(document)) < 8000  # no pixels in the document: they are in GridFS

    assert stored(document["upload"]) == data
    display = np.asarray(Image.open(io.BytesIO(stored(document["display"]))))
    np.testing.assert_array_equal(display, prepare(data).display)

    expected = ModelClient(model_server.target).predict(prepare(data).array[np.newaxis], signature="explain")
    prediction = document["prediction"]
    assert prediction["model_name"] == "densenet"
    assert prediction["model_version"] == expected.model_version
    assert prediction["p_covid"] == pytest.approx(float(expected.outputs["p_covid"][0]), abs=1e-6)
    assert prediction["threshold"] == pytest.approx(float(expected.outputs["threshold"][0]))
    assert set(prediction["probabilities"]) == {"normal", "pneumonia", "covid"}
    assert prediction["reading"] in {"covid_pattern", "no_covid_pattern"}
    heatmap = np.asarray(Image.open(io.BytesIO(stored(prediction["heatmap"]))))
    assert heatmap.shape == (128, 128) and heatmap.dtype == np.uint8
    np.testing.assert_allclose(heatmap / 255, expected.outputs["heatmap"][0], atol=1 / 255)

    assert pending.load(token) is None  # the retry buffer is gone once the case is saved


def test_the_case_page_shows_the_status_privately(client, model_server):
    token = pending.keep(XRAY.read_bytes())
    case_url = client.post(f"/cases/new/{token}", answers()).url
    response = client.get(case_url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Awaiting review" in page
    assert "Keep this link private" in page and f"http://testserver{case_url}" in page
    assert "Model densenet, version" in page and page.count("data:image/png;base64,") == 2
    case = Case.objects.get(reference=case_url.rpartition("/")[2])
    assert f"Extent: <strong>{case.prediction.severity_extent:.1f} of 8</strong>" in page  # the X-ray reads positive
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert inline_code(page) == []


def test_an_unknown_case_reference_is_not_found(client):
    assert client.get("/cases/" + "x" * 32).status_code == 404


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"email": "", "phone": ""}, "email", "Give an email address or a phone number"),
        ({"email": "", "phone": ""}, "phone", "Give an email address or a phone number"),
        ({"consent": None}, "consent", "Please tick the box to agree"),
        ({"onset_date": ""}, "onset_date", "when your symptoms started"),
        ({"onset_date": (date.today() + timedelta(days=2)).isoformat()}, "onset_date", "in the future"),
        ({"phone": "call me"}, "phone", "Enter a phone number"),
        ({"age": "130"}, "age", "less than or equal to 120"),
    ],
)
def test_answers_are_checked_at_their_field_and_nothing_is_stored(client, changes, field, reason):
    token = pending.keep(XRAY.read_bytes())
    response = client.post(f"/cases/new/{token}", answers(**changes))
    assert response.status_code == 400
    field_error = re.search(rf'id="id_{field}_error"[^>]*>(.*?)</div>', response.content.decode(), re.S)
    assert reason in field_error.group(1)
    assert 'value="Ada Lovelace"' in response.content.decode()  # what was typed stays
    assert Case.objects.count() == 0 and case_file_names() == []
    assert pending.load(token) is not None


def test_the_service_applies_the_same_rules_to_any_caller():
    """What an API would hand to save_case: the rules hold without the form, and nothing is stored."""
    case = Case(patient_name="Ada Lovelace", age=36, sex="female", test_status="waiting", symptoms=["fever"],
                consent_text="I agree.")  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        save_case(case, XRAY.read_bytes())
    assert set(refused.value.message_dict) == {"email", "phone", "onset_date"}
    assert Case.objects.count() == 0 and case_file_names() == []


def test_a_case_whose_image_is_missing_still_opens(client, model_server):
    case_url = client.post(f"/cases/new/{pending.keep(XRAY.read_bytes())}", answers()).url
    Case.objects.get().display.delete(save=False)  # gone from GridFS, still named by the case
    response = client.get(case_url)
    assert response.status_code == 200
    assert "not available at the moment" in response.content.decode() and "Awaiting review" in response.content.decode()


def test_a_case_saved_while_the_model_server_is_down_is_completed_later(client, settings, model_server):
    tokens = [pending.keep(XRAY.read_bytes()) for _ in range(2)]
    with model_server_down(settings):
        first, second = (client.post(f"/cases/new/{token}", answers()).url for token in tokens)
        cases = Case.objects.order_by("created_at")
        assert [(case.status, case.prediction) for case in cases] == [("awaiting_review", None)] * 2
        page = client.get(first).content.decode()
        assert 'data-prediction="pending"' in page and "Awaiting review" in page
        with pytest.raises(CommandError, match="not answering; 0 completed, 2 pending"):
            call_command("complete_predictions")

    page = client.get(second).content.decode()  # the next view fills it in
    assert "Model densenet, version" in page and 'data-prediction="pending"' not in page
    assert complete_predictions() == "1 completed, none pending.\n"  # and the command does the rest
    version = ModelClient(model_server.target).status()[-1][0]
    for case in Case.objects.all():
        assert case.prediction.model_version == version
        assert case.prediction.reading in {"covid_pattern", "no_covid_pattern"}
        assert len(stored(case.prediction.heatmap.name)) > 0
    assert complete_predictions() == "0 completed, none pending.\n"


def test_completing_a_prediction_twice_keeps_the_first(client, settings, model_server):
    token = pending.keep(XRAY.read_bytes())
    with model_server_down(settings):
        client.post(f"/cases/new/{token}", answers())
    first, stale = Case.objects.get(), Case.objects.get()
    assert complete_prediction(first) and complete_prediction(stale)
    assert stale.prediction.heatmap.name == first.prediction.heatmap.name
    assert [name for name in case_file_names() if "heatmap" in name] == [first.prediction.heatmap.name]


def test_an_upload_that_has_gone_is_asked_for_again_beside_the_answers(client, model_server):
    gone = "an-upload-that-expired-or-was-lost"
    page = client.get(f"/cases/new/{gone}").content.decode()
    assert 'type="file"' in page and "no longer held here" in page

    response = client.post(f"/cases/new/{gone}", answers())
    assert response.status_code == 400
    assert "Please choose a chest X-ray file." in response.content.decode()
    assert 'value="Ada Lovelace"' in response.content.decode()

    pdf = client.post(f"/cases/new/{gone}", {**answers(), "image": SimpleUploadedFile("scan.pdf", PDF)})
    assert pdf.status_code == 400 and "not an image we can read" in pdf.content.decode()

    attached = client.post(f"/cases/new/{gone}", {**answers(), "image": SimpleUploadedFile("x.jpg", XRAY.read_bytes())})
    assert attached.status_code == 302
    assert stored(Case.objects.get().upload.name) == XRAY.read_bytes()


def wait_until_ready(url, timeout=30.0):
    deadline = time.monotonic() + timeout
    while requests.get(url, timeout=10).status_code != 200:
        assert time.monotonic() < deadline, f"{url} did not turn ready"
        time.sleep(0.5)


def test_mongodb_down_while_saving_keeps_what_was_typed(tmp_path, model_server):
    """A portal process whose MongoDB stops between the result and the save, then comes back empty."""
    mongo_port, portal_port = free_port(), free_port()
    mongo = start_mongo(mongo_port)
    portal = start_portal(portal_port, env={**os.environ, "MONGO_URI": mongo_uri(mongo_port)},
                          log_path=tmp_path / "portal.log")  # fmt: skip
    base = f"http://127.0.0.1:{portal_port}"
    browser = requests.Session()
    try:
        csrf = browser.get(f"{base}/upload").cookies["csrftoken"]
        browser.cookies.set("csrftoken", csrf)  # a Secure cookie (debug is off) that plain HTTP would not send back
        sent = {"files": {"image": XRAY.read_bytes()}, "data": {"csrfmiddlewaretoken": csrf}}
        result = browser.post(f"{base}/upload", **sent)
        assert result.status_code == 200
        save_url = base + re.search(r'href="(/cases/new/[^"]+)"', result.text).group(1)
        typed = {**answers(patient_name="Grace Hopper"), "csrfmiddlewaretoken": csrf}

        mongo.stop()
        no_upload = browser.post(f"{base}/upload", **sent)
        assert no_upload.status_code == 503 and "database is not reachable" in no_upload.text
        refused = browser.post(save_url, data=typed)
        assert refused.status_code == 503 and refused.headers["Retry-After"]
        assert "Your case could not be saved" in refused.text
        assert 'value="Grace Hopper"' in refused.text
        assert re.search(r'<input[^>]*value="fever"[^>]*checked', refused.text)

        mongo = start_mongo(mongo_port)  # back, but empty: the kept upload is gone
        wait_until_ready(f"{base}/readyz")
        asked = browser.post(save_url, data=typed)
        assert asked.status_code == 400
        assert "no longer held here" in asked.text and 'value="Grace Hopper"' in asked.text

        saved = browser.post(save_url, data=typed, files={"image": ("xray.jpg", XRAY.read_bytes())})
        assert saved.status_code == 200 and "/cases/" in saved.url
        assert "Awaiting review" in saved.text
        assert "Traceback" not in (tmp_path / "portal.log").read_text()
    finally:
        portal.stop()
        mongo.stop()
