"""A case under review: the page, the audit of each view and advice, second opinions and amendments."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portal.audit.models import AuditEvent, Event
from portal.cases.models import Advice, Case
from portal.workspace.services import amend_advice, give_advice
from tests.portal.flow import inline_code
from tests.workspace.conftest import case_with, events

ADVICE = {"recommendation": "rt_pcr_test", "text": "Please book an RT-PCR test today.", "sign_off": "on"}


def advise(client, case, **changes):
    return client.post(f"/workspace/cases/{case.reference}", {**ADVICE, **changes})


def test_the_case_page_shows_the_xray_viewer_the_model_output_and_the_answers(as_clinician, saved_case):
    response = as_clinician.get(f"/workspace/cases/{saved_case.reference}")
    assert response.status_code == 200
    page = response.content.decode()
    prediction = saved_case.prediction
    assert page.count("data:image/png;base64,") == 2  # the X-ray and the heatmap
    assert "data-viewer-controls" in page and 'data-control="contrast"' in page and "data-heatmap-toggle" in page
    assert f'data-model-version="{prediction.model_version}"' in page
    assert f"densenet, version {prediction.model_version}" in page
    assert f'data-threshold="{prediction.threshold}"' in page and f'data-p-covid="{prediction.p_covid}"' in page
    assert "Ada Lovelace" in page and "ada@example.org" in page
    assert re.search(r'data-event="case_viewed">.*?grace.*?Viewed the case', page, re.S)  # the history
    assert response["X-Robots-Tag"] == "noindex, nofollow" and "no-store" in response["Cache-Control"]
    assert inline_code(page) == []


def test_the_case_page_shows_the_severity_of_a_covid_like_reading_only(as_clinician):
    severe = as_clinician.get(f"/workspace/cases/{case_with(0.9, severity=(5.5, 4.0)).reference}").content.decode()
    assert "Extent: <strong>5.5 of 8</strong> (±1.0)" in severe
    assert "Opacity: <strong>4.0 of 6</strong> (±0.5)" in severe
    negative = case_with(0.2, severity=(3.0, 2.0))  # a stored severity beside a negative reading is never shown
    saved_before = case_with(0.9)
    for case in (negative, saved_before):
        page = as_clinician.get(f"/workspace/cases/{case.reference}")
        assert page.status_code == 200 and "data-severity" not in page.content.decode()


def test_a_view_leaves_exactly_one_event_naming_the_clinician(client, clinician, second_clinician, saved_case):
    client.force_login(clinician)
    client.get(f"/workspace/cases/{saved_case.reference}")
    client.force_login(second_clinician)
    client.get(f"/workspace/cases/{saved_case.reference}")
    viewed = AuditEvent.objects.filter(case_reference=saved_case.reference).order_by("at")
    assert [(event.event, event.user, event.username) for event in viewed] == [
        ("case_viewed", clinician, "grace"),
        ("case_viewed", second_clinician, "alan"),
    ]
    assert viewed[0].address == "127.0.0.1"


def test_signed_advice_reviews_the_case_is_audited_once_and_reaches_the_patient(as_clinician, clinician, saved_case):
    response = advise(as_clinician, saved_case)
    assert response.status_code == 302 and response.url == f"/workspace/cases/{saved_case.reference}"
    advice = Advice.objects.get()
    assert (advice.case, advice.clinician, advice.recommendation) == (saved_case, clinician, "rt_pcr_test")
    assert Case.objects.get().status == "reviewed"
    given = AuditEvent.objects.get(event=Event.ADVICE_GIVEN)
    assert (given.user, given.case_reference) == (clinician, saved_case.reference)
    assert given.detail == {"advice": str(advice.pk), "recommendation": "rt_pcr_test",
                            "status": ["awaiting_review", "reviewed"]}  # fmt: skip
    assert events() == [("advice_given", "grace", saved_case.reference), ("login", "grace", "")]  # no view

    patient_page = as_clinician.get(saved_case.get_absolute_url()).content.decode()
    assert 'data-status="reviewed"' in patient_page and "Reviewed" in patient_page
    assert "Please book an RT-PCR test today." in patient_page and "Get an RT-PCR test" in patient_page
    assert "Signed by Grace Hopper" in patient_page
    assert inline_code(patient_page) == []


def test_advice_needs_a_recommendation_text_and_the_sign_off(as_clinician, saved_case):
    for missing in ("recommendation", "text", "sign_off"):
        response = advise(as_clinician, saved_case, **{missing: ""})
        assert response.status_code == 400, missing
        assert re.search(rf'id="error_1_id_{missing}"', response.content.decode()), missing
    assert "Tick the box to sign off" in advise(as_clinician, saved_case, sign_off="").content.decode()
    assert Advice.objects.count() == 0 and Case.objects.get().status == "awaiting_review"
    assert not AuditEvent.objects.filter(event=Event.ADVICE_GIVEN).exists()


def test_a_second_opinion_keeps_the_earlier_advice(client, clinician, second_clinician, saved_case):
    client.force_login(clinician)
    advise(client, saved_case, recommendation="self_isolate", text="Stay at home for five days.")
    client.force_login(second_clinician)
    advise(client, saved_case, recommendation="urgent_care", text="Your X-ray needs a look in person today.")

    first, second = Advice.objects.order_by("signed_at")
    assert (first.clinician, first.text) == (clinician, "Stay at home for five days.")
    assert (second.clinician, second.supersedes) == (second_clinician, None)
    assert events(event=Event.ADVICE_GIVEN) == [
        ("advice_given", "alan", saved_case.reference), ("advice_given", "grace", saved_case.reference),
    ]  # newest first  # fmt: skip
    assert "status" not in AuditEvent.objects.filter(event=Event.ADVICE_GIVEN).latest("at").detail  # reviewed before
    patient_page = client.get(saved_case.get_absolute_url()).content.decode()
    assert "Stay at home for five days." in patient_page and "Your X-ray needs a look in person today." in patient_page
    assert "Your clinicians&#x27; advice" in patient_page


def test_editing_another_clinicians_advice_is_refused(client, clinician, second_clinician, rf):
    advice = give_advice(case_with(0.9), clinician, rf.get("/"), recommendation="self_isolate", text="Stay home.")
    client.force_login(second_clinician)
    amend_url = f"/workspace/advice/{advice.pk}/amend"
    assert client.get(amend_url).status_code == 403
    assert client.post(amend_url, {**ADVICE, "text": "Overruled."}).status_code == 403
    with pytest.raises(PermissionDenied):
        amend_advice(advice, second_clinician, rf.get("/"), recommendation="no_action", text="Overruled.")
    assert list(Advice.objects.values_list("text", flat=True)) == ["Stay home."]
    assert "Amend your advice" not in client.get(f"/workspace/cases/{advice.case.reference}").content.decode()


def test_a_clinician_amends_their_own_advice_and_the_earlier_version_is_kept(client, clinician, rf):
    advice = give_advice(case_with(0.9), clinician, rf.get("/"), recommendation="self_isolate", text="Stay home.")
    client.force_login(clinician)
    amend_url = f"/workspace/advice/{advice.pk}/amend"
    form = client.get(amend_url)
    assert form.status_code == 200 and "Stay home." in form.content.decode()
    response = client.post(amend_url, {**ADVICE, "text": "Stay home and book a test."})
    assert response.status_code == 302

    earlier, amended = Advice.objects.order_by("signed_at")
    assert (earlier.text, amended.text, amended.supersedes) == ("Stay home.", "Stay home and book a test.", earlier)
    assert events(event=Event.ADVICE_AMENDED) == [("advice_amended", "grace", advice.case.reference)]
    patient_page = client.get(advice.case.get_absolute_url()).content.decode()
    assert "Stay home and book a test." in patient_page and "Stay home.</p>" not in patient_page
    clinician_page = client.get(f"/workspace/cases/{advice.case.reference}").content.decode()
    assert "Replaced by an amendment" in clinician_page and "Stay home.</p>" in clinician_page

    again = client.post(amend_url, {**ADVICE, "text": "A fork."})  # the replaced version, amended again
    assert again.status_code == 400 and "has been amended since" in again.content.decode()
    with pytest.raises(ValidationError):
        amend_advice(earlier, clinician, rf.get("/"), recommendation="no_action", text="A fork.")
    assert Advice.objects.count() == 2


def test_a_case_whose_image_is_missing_in_gridfs_still_opens_with_a_note(as_clinician, saved_case):
    saved_case.display.delete(save=False)
    response = as_clinician.get(f"/workspace/cases/{saved_case.reference}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "data-image-missing" in page and "missing from the file store" in page
    assert "data:image/png;base64," not in page and "Ada Lovelace" in page
    assert advise(as_clinician, saved_case).status_code == 302  # and it can still be reviewed


def test_an_unknown_case_or_advice_is_not_found(as_clinician):
    assert as_clinician.get("/workspace/cases/" + "x" * 32).status_code == 404
    assert as_clinician.get("/workspace/advice/" + "0" * 24 + "/amend").status_code == 404
    assert as_clinician.get("/workspace/advice/not-an-id/amend").status_code == 404
