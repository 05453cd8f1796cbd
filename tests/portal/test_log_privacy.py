"""No patient data in the logs: every log line of a whole flow, at DEBUG, searched for what must not be there.

The flow runs in this process through Django's test client, so the portal's own logs, Django's
(django.request, django.security, django.db.backends) and the MongoDB driver's all pass through the
settings' LOGGING, reconfigured with the root logger at DEBUG (as the dev overlay's LOG_LEVEL) and
its console handler writing into a buffer. Patient, clinician and integrator each also make the
mistakes people make (an invalid form, a mistyped link, a password in the user name field, a key
without the scope), because failed requests are what Django logs with their path.
"""

import base64
import copy
import io
import logging
import logging.config

import pytest
from django.conf import settings

from portal.api.models import ApiKey
from portal.cases.models import Advice, Case
from tests.api.conftest import as_json, fresh_throttles, headers  # noqa: F401 (fixture)
from tests.portal.flow import XRAY, answers, upload
from tests.workspace.conftest import PASSWORD, clinician, roles  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

NAME = "Zebulon Quixote-Marchbanks"
EMAIL = "zq.marchbanks@example.org"
PHONE = "+44 7700 938271"
ADVICE = "Drink plenty of xylophonic fluids and rest."
AMENDED = "Amended: rest in the marmalade room for a week."


@pytest.fixture
def captured_logs():
    """Everything the settings' LOGGING writes, at DEBUG, into a string; the settings' own config afterwards."""
    config = copy.deepcopy(settings.LOGGING)
    config["root"]["level"] = "DEBUG"
    logging.config.dictConfig(config)
    [handler] = logging.getLogger().handlers
    buffer = io.StringIO()
    handler.setStream(buffer)
    yield buffer
    logging.config.dictConfig(settings.LOGGING)


def patient_saves_a_case(client):
    result_url = upload(client, XRAY.read_bytes())["Content-Location"]
    token = result_url.removeprefix("/result/")
    assert client.get(result_url).status_code == 200
    details = {"patient_name": NAME, "email": EMAIL, "phone": PHONE}
    assert client.post(f"/cases/new/{token}", answers(**details, consent=None)).status_code == 400  # forgot consent
    saved = client.post(f"/cases/new/{token}", answers(**details))
    assert saved.status_code == 302
    reference = saved.url.removeprefix("/cases/")
    assert client.get(saved.url).status_code == 200
    assert client.get(f"/cases/{reference[:-2]}").status_code == 404  # a link copied short
    assert client.get(f"/cases/{reference}/%20").status_code == 404  # and one copied long: no route matches it
    return token, Case.objects.get(reference=reference)


def clinician_reviews_it(client, case):
    assert client.post("/workspace/login", {"username": PASSWORD, "password": "grace"}).status_code == 200
    assert client.post("/workspace/login", {"username": "grace", "password": PASSWORD}).status_code == 302
    assert client.get("/workspace/cases", {"search": NAME.split()[1]}).status_code == 200
    page = f"/workspace/cases/{case.reference}"
    assert client.get(page).status_code == 200
    assert client.post(page, {"recommendation": "rest", "text": ADVICE, "sign_off": "on"}).status_code == 400
    assert client.post(page, {"recommendation": "self_isolate", "text": ADVICE, "sign_off": "on"}).status_code == 302
    advice = Advice.objects.get(case=case)
    amend = {"recommendation": "self_isolate", "text": AMENDED, "sign_off": "on"}
    assert client.post(f"/workspace/advice/{advice.pk}/amend", amend).status_code == 302
    assert client.get(f"{page}/export").status_code == 200
    assert client.get(f"/cases/{case.reference}/export").status_code == 200  # the patient's own copy
    client.post("/workspace/logout")


def integrator_calls_the_api(client, case):
    _, key = ApiKey.issue("hospital-a", ["predict", "cases:read", "cases:write"])
    _, read_only = ApiKey.issue("records", ["cases:read"])
    auth = headers(key)
    image = base64.b64encode(XRAY.read_bytes()).decode()
    assert client.post("/api/v1/predictions", {"image": image, "explain": True}, "application/json",
                       **auth).status_code == 200  # fmt: skip
    assert client.post("/api/v1/cases", as_json(patient_name=NAME, email=EMAIL, phone=PHONE), "application/json",
                       **auth).status_code == 201  # fmt: skip
    assert client.get("/api/v1/cases", {"search": NAME}, **auth).status_code == 200
    assert client.get(f"/api/v1/cases/{case.reference}", **auth).status_code == 200
    assert client.get(f"/api/v1/cases/{case.reference}/export", **auth).status_code == 200
    advice = {"recommendation": "no_action", "text": ADVICE}
    assert client.post(f"/api/v1/cases/{case.reference}/advice", advice, "application/json",
                       **headers(read_only)).status_code == 403  # fmt: skip
    assert client.get(f"/api/v1/cases/{case.reference}", **headers(key[:-1])).status_code == 401
    return key, read_only


def test_a_whole_flow_logs_no_patient_data_secrets_or_images(client, clinician, model_server, captured_logs, capfd):  # noqa: F811
    token, case = patient_saves_a_case(client)
    clinician_reviews_it(client, case)
    keys = integrator_calls_the_api(client, case)
    logs = captured_logs.getvalue()
    printed = "".join(capfd.readouterr())  # anything written to stdout or stderr without logging

    # The capture works and holds the failures, each named by its route instead of its path.
    assert '"message": "case saved (prediction made)"' in logs
    assert "Bad Request: /cases/new/<str:token>" in logs and "Not Found: /cases/<str:reference>" in logs
    assert "Forbidden: /api/v1/cases/<str:reference>/advice" in logs
    assert "Unauthorized: /api/v1/cases/<str:reference>" in logs
    assert "Not Found: (a path no route matches)" in logs

    jpeg = XRAY.read_bytes()
    forbidden = {
        "name": [NAME, "Zebulon", "Marchbanks", "marchbanks"], "email": [EMAIL, "zq.marchbanks"],
        "phone": [PHONE, "938271", "7700 938"], "advice": [ADVICE, "xylophonic", AMENDED, "marmalade"],
        "case reference": [case.reference, case.reference[:20]], "upload token": [token, token[:20]],
        "API keys": [*keys, *(key[:20] for key in keys)], "password": [PASSWORD],
        "image": [base64.b64encode(jpeg[:60]).decode(), base64.b64encode(jpeg[3000:3060]).decode()[4:],
                  "/9j/", "iVBORw0KGgo", "ÿØÿ", "\\xff\\xd8\\xff", "\\\\xff\\\\xd8"],
    }  # fmt: skip
    found = {what: [text for text in texts if text in logs + printed] for what, texts in forbidden.items()}
    assert {what: texts for what, texts in found.items() if texts} == {}
