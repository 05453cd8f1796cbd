"""Cases and advice through the API: the portal's cases, under the portal's rules, in the audit trail."""

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.audit.models import AuditEvent
from portal.cases.models import Advice, Case
from portal.screening.analysis import SEVERITY_OUTPUTS
from tests.api.conftest import as_json
from tests.portal.flow import PDF, XRAY, answers
from tests.workspace.conftest import case_with
from tests.workspace.test_worklist import saved_before_severity

pytestmark = pytest.mark.django_db
CASES = "/api/v1/cases"


def create(client, auth, body):
    return client.post(CASES, body, content_type="application/json", **auth)


def test_a_case_created_with_json_is_saved_as_the_patient_form_saves_it(client, auth, model_server):
    response = create(client, auth, as_json())
    assert response.status_code == 201
    created = response.json()
    case = Case.objects.get(reference=created["reference"])
    assert case.patient_name == "Ada Lovelace" and case.symptoms == ["fever", "cough"]
    assert case.consent_text.endswith("so that a clinician can review my case.")
    assert case.upload.read() == XRAY.read_bytes()
    assert created["prediction"]["p_covid"] == pytest.approx(case.prediction.p_covid)
    assert created["status"] == "awaiting_review"
    assert created["prediction"]["label"] == "covid_pattern"  # the sample X-ray reads positive: it has a severity
    for name in SEVERITY_OUTPUTS:
        stored = getattr(case.prediction, name)
        assert stored > 0 and created["prediction"][name] == pytest.approx(stored)


def test_a_case_created_with_a_multipart_upload(client, auth, model_server):
    form = {**answers(), "consent": "true", "image": SimpleUploadedFile("xray.jpg", XRAY.read_bytes())}
    response = client.post(CASES, form, **auth)
    assert response.status_code == 201
    assert Case.objects.get(reference=response.json()["reference"]).symptoms == ["fever", "cough"]


@pytest.mark.parametrize(
    "changes, field",
    [({"consent": None}, "consent"), ({"email": ""}, "phone"), ({"onset_date": "2999-01-01"}, "onset_date"),
     ({"age": 130}, "age"), ({"sex": "unknown"}, "sex")],
)  # fmt: skip
def test_the_patient_forms_rules_apply(client, auth, changes, field):
    response = create(client, auth, as_json(**changes))
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Case.objects.exists()


def test_a_case_with_a_file_that_is_not_an_image_is_422(client, auth):
    response = create(client, auth, {**as_json(), "image": base64.b64encode(PDF).decode()})
    assert response.status_code == 422 and response.json()["code"] == "not_an_image"
    assert not Case.objects.exists()


def test_cases_are_listed_in_triage_order_filtered_and_paginated(client, auth):
    low, high, pending = case_with(0.1, hours_ago=3), case_with(0.9, hours_ago=2), case_with(None, hours_ago=1)
    case_with(0.95, status="reviewed")
    response = client.get(CASES, {"status": "awaiting_review", "page_size": 2}, **auth)
    assert response.status_code == 200
    page = response.json()
    assert page["count"] == 3 and page["previous"] is None
    assert [case["reference"] for case in page["results"]] == [high.reference, pending.reference]
    assert "patient_name" not in page["results"][0]  # names and contacts only in the case itself
    rest = client.get(page["next"], **auth).json()
    assert [case["reference"] for case in rest["results"]] == [low.reference]
    pending_only = client.get(CASES, {"reading": "pending"}, **auth).json()
    assert [case["reference"] for case in pending_only["results"]] == [pending.reference]
    assert client.get(CASES, {"reading": "maybe"}, **auth).json()["errors"].keys() == {"reading"}


def test_cases_are_listed_by_severity_with_their_scores_and_none_for_cases_without(client, auth):
    mild, severe = case_with(0.8, severity=(2.0, 1.5)), case_with(0.7, severity=(5.5, 4.0))
    negative, old = case_with(0.2, hours_ago=1), case_with(0.9, hours_ago=2)
    saved_before_severity(old)
    response = client.get(CASES, {"order": "severity"}, **auth)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [case["reference"] for case in results] == [
        severe.reference, mild.reference, old.reference, negative.reference
    ]  # fmt: skip
    assert {k: results[0]["prediction"][k] for k in SEVERITY_OUTPUTS} == {
        "severity_extent": 5.5, "severity_extent_sd": 1.0, "severity_opacity": 4.0, "severity_opacity_sd": 0.5
    }  # fmt: skip
    for case in results[2:]:
        assert [case["prediction"][k] for k in SEVERITY_OUTPUTS] == [None] * 4
    detail = client.get(f"{CASES}/{old.reference}", **auth).json()
    assert detail["prediction"]["severity_extent"] is None and detail["prediction"]["p_covid"] == 0.9
    assert client.get(CASES, {"order": "worst"}, **auth).json()["errors"].keys() == {"order"}


def test_reading_a_case_is_audited_under_the_keys_name(client, issue):
    _, auth = issue(name="hospital-a")
    case = case_with(0.7)
    response = client.get(f"{CASES}/{case.reference}", **auth)
    assert response.status_code == 200
    assert response.json()["patient_name"] == "Ada Lovelace"
    event = AuditEvent.objects.get(case_reference=case.reference)
    assert (event.event, event.username, event.user) == ("case_viewed", "api-key:hospital-a", None)
    assert client.get(f"{CASES}/not-a-reference", **auth).status_code == 404


def test_advice_is_signed_by_the_clinician_the_key_is_bound_to(client, issue, clinician):
    _, unbound = issue()
    _, bound = issue(clinician=clinician)
    case = case_with(0.7)
    url = f"{CASES}/{case.reference}/advice"
    advice = {"recommendation": "rt_pcr_test", "text": "Please book a PCR test."}

    refused = client.post(url, advice, content_type="application/json", **unbound)
    assert refused.status_code == 403 and "not bound" in refused.json()["detail"]
    response = client.post(url, advice, content_type="application/json", **bound)
    assert response.status_code == 201
    assert response.json()["clinician"] == "Grace Hopper"
    case.refresh_from_db()
    assert case.status == "reviewed"
    assert AuditEvent.objects.filter(event="advice_given", username="grace", case_reference=case.reference).exists()
    listed = client.get(url, **unbound).json()
    assert [(item["recommendation"], item["superseded"]) for item in listed] == [("rt_pcr_test", False)]


def test_a_key_bound_to_an_account_that_is_no_longer_a_clinician_cannot_advise(client, issue, clinician):
    _, bound = issue(clinician=clinician)
    clinician.groups.clear()
    case = case_with(0.7)
    response = client.post(f"{CASES}/{case.reference}/advice", {"recommendation": "no_action", "text": "Fine."},
                           content_type="application/json", **bound)  # fmt: skip
    assert response.status_code == 403
    assert not Advice.objects.exists()


def test_invalid_advice_is_400(client, issue, clinician):
    _, bound = issue(clinician=clinician)
    case = case_with(0.7)
    response = client.post(f"{CASES}/{case.reference}/advice", {"recommendation": "pray", "text": ""},
                           content_type="application/json", **bound)  # fmt: skip
    assert response.status_code == 400
    assert response.json()["errors"].keys() == {"recommendation", "text"}
