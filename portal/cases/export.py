"""One case's data as a single ZIP file: the patient's right of access and to take their data elsewhere.

`case.json` holds everything stored about the case (answers, the consent as agreed, the image's
facts, the prediction, every version of the advice and the case's audit trail) and the files
beside it are the case's GridFS files as stored: the upload exactly as sent, its PNG display copy
and the heatmap (8-bit grey levels at the model's resolution). Every export is audited, by case
reference and by who asked, wherever it is asked for (workspace, case link, API, command).
"""

import io
import json
import posixpath
import zipfile

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.utils import timezone

from portal.audit.models import Event
from portal.audit.services import case_history, record
from portal.cases.forms import CaseForm
from portal.cases.models import Case, Prediction

FORMAT = "covid19-prognosis/case-export"
VERSION = 1
ANSWERS = CaseForm.Meta.fields  # what the patient answered
# Every stored field of the prediction; the heatmap is a file beside case.json.
PREDICTION = [field.name for field in Prediction._meta.concrete_fields if field.name != "heatmap"]


def export_case(case: Case, user, request, *, via: str, username="") -> bytes:
    """The case's ZIP, recorded in the audit trail as exported by `user` (or `username`: an API key, a
    command, the case link) through `via` (workspace, case_link, api, command)."""
    archive = case_archive(case)
    record(Event.CASE_EXPORTED, user, request, case=case, username=username, detail={"via": via})
    return archive


def download(case: Case, archive: bytes) -> HttpResponse:
    """The ZIP as a download, named by the reference's start: it tells cases apart without being the key."""
    return HttpResponse(archive, content_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="case-{case.reference[:8]}.zip"'
    })  # fmt: skip


def case_archive(case: Case) -> bytes:
    files, missing = {}, []
    for field, archived in _files(case):
        try:
            files[archived] = field.storage.open(field.name).read()
        except FileNotFoundError:
            missing.append(archived)
    document = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now(),
        "case": {"reference": case.reference, "status": case.status, "created_at": case.created_at,
                 "updated_at": case.updated_at, "retain_until": case.retain_until},  # fmt: skip
        "consent": {"text": case.consent_text, "given_at": case.consented_at},
        "answers": {name: getattr(case, name) for name in ANSWERS},
        "image": {"facts": case.image_facts, "upload": _upload_name(case), "display": "display.png"},
        "prediction": _prediction(case),
        "advice": [_advice(item) for item in case.advice_versions()],
        "audit_trail": [
            {"at": event.at, "event": event.event, "what": event.get_event_display(), "who": event.username,
             "detail": event.detail}
            for event in case_history(case)
        ],  # fmt: skip
        "files_missing": missing,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("case.json", json.dumps(document, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False))
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _files(case):
    """(stored file, its name in the archive) for each of the case's files."""
    yield case.upload, _upload_name(case)
    yield case.display, "display.png"
    if case.prediction is not None:
        yield case.prediction.heatmap, "heatmap.png"


def _upload_name(case):
    return "upload" + posixpath.splitext(case.upload.name)[1]


def _prediction(case):
    if case.prediction is None:
        return None
    return {**{name: getattr(case.prediction, name) for name in PREDICTION}, "heatmap": "heatmap.png"}


def _advice(item):
    return {
        "id": str(item.pk),
        "clinician": item.clinician_name(),
        "recommendation": item.recommendation,
        "text": item.text,
        "signed_at": item.signed_at,
        "supersedes": str(item.supersedes_id) if item.supersedes_id else None,
        "superseded": item.superseded,
    }
