"""The retention command, against the real SecantusDB: what the consent text promises is deleted, nothing else."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.cases.models import Advice, Case, case_files
from portal.cases.services import save_case
from portal.screening import pending
from portal.screening.models import PendingUploadPart
from tests.portal.flow import XRAY
from tests.workspace.conftest import CLINICIAN, account, roles  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_gridfs")]


def saved(name, *, expired):
    case = save_case(Case(patient_name=name, age=50, sex="male", email="x@example.org", test_status="waiting",
                          consent_text="I agree."), XRAY.read_bytes())  # fmt: skip
    if expired:
        Case.objects.filter(pk=case.pk).update(retain_until=timezone.now() - timedelta(minutes=1))
    return case


def advised(case, clinician, supersedes=None):
    return Advice.objects.create(case=case, clinician=clinician, recommendation="no_action", text="Rest.",
                                 supersedes=supersedes)  # fmt: skip


def files_of(case):
    """The case's GridFS entries and their chunks, read from the collections themselves."""
    database = connection.database
    entries = list(database["case_files.files"].find({"filename": {"$regex": f"^cases/{case.reference}/"}}))
    chunks = database["case_files.chunks"].count_documents({"files_id": {"$in": [e["_id"] for e in entries]}})
    return len(entries), chunks


def purge(*options):
    out = io.StringIO()
    call_command("purge_expired_cases", *options, stdout=out)
    return out.getvalue()


def test_an_expired_case_its_files_and_advice_are_deleted_and_an_unexpired_one_is_kept(model_server):
    clinician = account("grace", CLINICIAN)
    expired, kept = saved("Expired Patient", expired=True), saved("Kept Patient", expired=False)
    amended = advised(expired, clinician, supersedes=advised(expired, clinician))
    advised(kept, clinician)
    assert files_of(expired)[0] == 3 and files_of(expired)[1] >= 3  # upload, display copy, heatmap
    kept_files = files_of(kept)

    output = purge()
    assert output == "deleted: 1 cases, 2 advice, 3 case files, 0 orphaned case files, 0 expired uploads.\n"
    assert "Patient" not in output and expired.reference not in output

    assert list(Case.objects.values_list("reference", flat=True)) == [kept.reference]
    assert connection.database["cases_case"].count_documents({"reference": expired.reference}) == 0
    assert files_of(expired) == (0, 0)
    assert not Advice.objects.filter(pk=amended.pk).exists() and Advice.objects.get().case_id == kept.pk
    assert connection.database["cases_advice"].count_documents({"case_id": expired.pk}) == 0

    assert files_of(kept) == kept_files
    with case_files().open(kept.upload.name) as upload:
        assert upload.read() == XRAY.read_bytes()

    [event] = AuditEvent.objects.filter(event="case_deleted")
    assert (event.case_reference, event.user, event.address) == (expired.reference, None, None)
    assert event.username == "command:purge_expired_cases" and event.detail == {"case": str(expired.pk)}

    assert purge() == "deleted: 0 cases, 0 advice, 0 case files, 0 orphaned case files, 0 expired uploads.\n"
    assert AuditEvent.objects.filter(event="case_deleted").count() == 1


def test_a_dry_run_counts_and_deletes_nothing(model_server):
    expired = saved("Expired Patient", expired=True)
    advised(expired, account("grace", CLINICIAN))
    before = files_of(expired)

    assert purge("--dry-run") == (
        "would delete: 1 cases, 1 advice, 3 case files, 0 orphaned case files, 0 expired uploads.\n"
    )
    assert Case.objects.filter(pk=expired.pk).exists() and Advice.objects.filter(case_id=expired.pk).exists()
    assert files_of(expired) == before
    assert not AuditEvent.objects.filter(event="case_deleted").exists()


def test_a_case_on_its_last_day_is_kept(model_server):
    case = saved("Last Day", expired=False)
    Case.objects.filter(pk=case.pk).update(retain_until=timezone.now() + timedelta(seconds=30))
    assert purge().startswith("deleted: 0 cases")
    assert files_of(case)[0] == 3


def test_orphaned_files_are_swept_once_no_save_can_still_claim_them():
    """A save writes its files before the case document; only files a day old without a case are orphans."""
    storage = case_files()
    old = storage.save("cases/lost-in-a-failed-save/upload.jpg", ContentFile(b"jpeg"))
    fresh = storage.save("cases/being-saved-right-now/upload.jpg", ContentFile(b"jpeg"))
    unrelated = storage.save("other/upload.jpg", ContentFile(b"jpeg"))
    day_ago = datetime.now(UTC) - timedelta(days=1, minutes=1)
    connection.database["case_files.files"].update_many({"filename": {"$in": [old, unrelated]}},
                                                        {"$set": {"uploadDate": day_ago}})  # fmt: skip

    assert "1 orphaned case files" in purge("--dry-run") and storage.exists(old)
    assert "1 orphaned case files" in purge()
    assert not storage.exists(old) and storage.exists(fresh) and storage.exists(unrelated)


def test_expired_uploads_are_purged_without_waiting_for_the_next_upload(settings):
    settings.PENDING_UPLOAD_TTL = -1
    token = pending.keep(b"an upload nobody saved")
    assert PendingUploadPart.objects.filter(token=token).count() == 1
    assert purge().endswith("1 expired uploads.\n")
    assert not PendingUploadPart.objects.exists()
