"""Exporting one case's data on request: the ZIP holds what MongoDB holds, and only the right people get it."""

import io
import json
import os
import stat
import zipfile

import gridfs
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from portal.audit.models import AuditEvent
from portal.cases.models import Case
from portal.screening import pending
from portal.screening.analysis import SEVERITY_OUTPUTS
from portal.workspace.services import amend_advice, give_advice
from tests.api.conftest import fresh_throttles, headers, issue  # noqa: F401 (fixtures)
from tests.portal.flow import XRAY
from tests.workspace.conftest import (  # noqa: F401 (fixtures)
    account,
    administrator,
    clinician,
    roles,
    saved_case,
    second_clinician,
)

pytestmark = pytest.mark.django_db


def stored(name):
    return gridfs.GridFSBucket(connection.database, bucket_name="case_files").open_download_stream_by_name(name).read()


def unzip(response_or_bytes):
    data = getattr(response_or_bytes, "content", response_or_bytes)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture
def reviewed_case(saved_case, clinician, second_clinician, rf):  # noqa: F811 (fixtures)
    """The saved case with advice, an amendment of it and a second opinion, and a view in its history."""
    request = rf.get("/")
    first = give_advice(saved_case, clinician, request, recommendation="rt_pcr_test", text="Book a test.")
    amend_advice(first, clinician, request, recommendation="self_isolate", text="Stay home until the result.")
    give_advice(saved_case, second_clinician, request, recommendation="no_action", text="I agree.")
    return saved_case


def test_the_zip_holds_what_mongodb_holds(client, clinician, reviewed_case):  # noqa: F811
    client.force_login(clinician)
    client.get(f"/workspace/cases/{reviewed_case.reference}")  # a view, for the audit trail
    response = client.get(f"/workspace/cases/{reviewed_case.reference}/export")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="case-{reviewed_case.reference[:8]}.zip"'
    assert "no-store" in response["Cache-Control"] and response["X-Robots-Tag"] == "noindex, nofollow"

    files = unzip(response)
    assert set(files) == {"case.json", "upload.jpg", "display.png", "heatmap.png"}
    document = connection.database["cases_case"].find_one({"reference": reviewed_case.reference})
    exported = json.loads(files["case.json"])
    assert exported["format"] == "covid19-prognosis/case-export" and exported["version"] == 1
    assert exported["case"]["reference"] == document["reference"] and exported["case"]["status"] == "reviewed"
    answers = exported["answers"]
    for field in ("patient_name", "age", "sex", "email", "phone", "symptoms", "test_status"):
        assert answers[field] == document[field], field
    assert exported["consent"]["text"] == document["consent_text"]
    assert exported["image"]["facts"] == document["image_facts"]

    prediction, stored_prediction = exported["prediction"], document["prediction"]
    for field in ("probabilities", "p_covid", "threshold", "reading", "ood_score", "ood_threshold", "model_name",
                  "model_version", *SEVERITY_OUTPUTS):  # fmt: skip
        assert prediction[field] == stored_prediction.get(field), field
    assert prediction["severity_extent"] is not None  # the sample X-ray reads COVID-19-like: severity is stored
    assert files["upload.jpg"] == stored(document["upload"]) == XRAY.read_bytes()
    assert files["display.png"] == stored(document["display"])
    assert files["heatmap.png"] == stored(stored_prediction["heatmap"])
    assert exported["files_missing"] == []

    advice = exported["advice"]
    stored_advice = list(connection.database["cases_advice"].find({"case_id": document["_id"]}).sort("signed_at"))
    assert [item["id"] for item in advice] == [str(item["_id"]) for item in stored_advice]
    assert [(item["recommendation"], item["text"], item["superseded"]) for item in advice] == [
        ("rt_pcr_test", "Book a test.", True),
        ("self_isolate", "Stay home until the result.", False),
        ("no_action", "I agree.", False),
    ]
    assert advice[1]["supersedes"] == advice[0]["id"] and advice[0]["clinician"] == "Grace Hopper"

    trail = [(entry["event"], entry["who"]) for entry in exported["audit_trail"]]
    assert trail == [("advice_given", "grace"), ("advice_amended", "grace"), ("advice_given", "alan"),
                     ("case_viewed", "grace")]  # fmt: skip
    assert all("address" not in entry for entry in exported["audit_trail"])  # the clinicians' addresses stay here

    [event] = AuditEvent.objects.filter(event="case_exported")
    assert (event.user, event.username, event.case_reference) == (clinician, "grace", reviewed_case.reference)
    assert event.detail == {"via": "workspace"} and event.address == "127.0.0.1"


def test_the_case_page_links_to_the_export(client, clinician, saved_case):  # noqa: F811
    client.force_login(clinician)
    page = client.get(f"/workspace/cases/{saved_case.reference}").content.decode()
    assert f'href="/workspace/cases/{saved_case.reference}/export" data-export' in page
    patient_page = client.get(saved_case.get_absolute_url()).content.decode()
    assert f'href="/cases/{saved_case.reference}/export" data-export' in patient_page


def test_only_signed_in_clinicians_export_from_the_workspace(client, administrator, saved_case):  # noqa: F811
    url = f"/workspace/cases/{saved_case.reference}/export"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous.url.startswith("/workspace/login")
    client.force_login(administrator)
    assert client.get(url).status_code == 403
    client.force_login(account("nobody"))  # signed in, no role
    assert client.get(url).status_code == 403
    client.force_login(account("grace2", "clinician"))
    assert client.get(f"/workspace/cases/{saved_case.reference[:-1]}x/export").status_code == 404
    assert not AuditEvent.objects.filter(event="case_exported").exists()


def test_a_patients_link_exports_their_case_and_no_other(client, saved_case):  # noqa: F811
    other = Case.objects.create(
        patient_name="Someone Else", age=70, sex="male", email="else@example.org", test_status="waiting",
        consent_text="I agree.", consented_at=saved_case.consented_at, upload="none.jpg", display="none.png",
        image_facts={}, retain_until=saved_case.retain_until,
    )  # fmt: skip
    response = client.get(f"/cases/{saved_case.reference}/export")
    assert response.status_code == 200 and response["Referrer-Policy"] == "no-referrer"
    files = unzip(response)
    exported = json.loads(files["case.json"])
    assert exported["case"]["reference"] == saved_case.reference and files["upload.jpg"] == XRAY.read_bytes()
    assert other.reference.encode() not in b"".join(files.values()) and b"Someone Else" not in files["case.json"]

    # The patient's key opens their own case's export only: not the workspace's, the API's, or with a prefix.
    assert client.get(f"/workspace/cases/{other.reference}/export").status_code == 302
    assert client.get(f"/api/v1/cases/{other.reference}/export", **headers(saved_case.reference)).status_code == 401
    assert client.get(f"/cases/{saved_case.reference[:12]}/export").status_code == 404
    upload_token = pending.keep(XRAY.read_bytes())  # the other token a patient holds
    assert client.get(f"/cases/{upload_token}/export").status_code == 404

    [event] = AuditEvent.objects.filter(event="case_exported")
    assert (event.user, event.username, event.detail) == (None, "case-link", {"via": "case_link"})
    assert event.case_reference == saved_case.reference


def test_the_api_exports_with_the_cases_read_scope(client, issue, saved_case):  # noqa: F811
    url = f"/api/v1/cases/{saved_case.reference}/export"
    api_key, auth = issue(scopes=["cases:read"], name="hospital-records")
    response = client.get(url, HTTP_ACCEPT="application/zip", **auth)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert unzip(response)["upload.jpg"] == XRAY.read_bytes()
    event = AuditEvent.objects.get(event="case_exported")
    assert (event.username, event.detail) == ("api-key:hospital-records", {"via": "api"})

    assert client.get(url).status_code == 401
    assert client.get(url, **issue(scopes=["predict", "cases:write"])[1]).status_code == 403
    missing = client.get(f"/api/v1/cases/{saved_case.reference[:-1]}x/export", **auth)
    assert missing.status_code == 404 and missing["Content-Type"] == "application/problem+json"
    assert AuditEvent.objects.filter(event="case_exported").count() == 1


def test_the_command_writes_a_file_only_its_owner_reads(tmp_path, saved_case):  # noqa: F811
    out = tmp_path / "case.zip"
    stdout = io.StringIO()
    call_command("export_case", saved_case.reference, "--out", str(out), stdout=stdout)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    files = unzip(out.read_bytes())
    assert json.loads(files["case.json"])["answers"]["patient_name"] == "Ada Lovelace"
    assert "Ada" not in stdout.getvalue()
    event = AuditEvent.objects.get(event="case_exported")
    assert (event.username, event.address, event.detail) == ("command:export_case", None, {"via": "command"})

    with pytest.raises(CommandError, match="exists already"):
        call_command("export_case", saved_case.reference, "--out", str(out))
    with pytest.raises(CommandError, match="No case"):
        call_command("export_case", "not-a-reference", "--out", str(tmp_path / "other.zip"))
    assert not (tmp_path / "other.zip").exists()


def test_a_case_whose_files_are_missing_is_still_exported(client, clinician, saved_case):  # noqa: F811
    saved_case.display.storage.delete(saved_case.display.name)
    client.force_login(clinician)
    files = unzip(client.get(f"/workspace/cases/{saved_case.reference}/export"))
    assert "display.png" not in files and "upload.jpg" in files
    assert json.loads(files["case.json"])["files_missing"] == ["display.png"]
