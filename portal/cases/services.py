"""Saving a case and finishing its prediction: the rules every way of creating a case shares.

MongoDB gives this backend no transactions, so the order does the work: the files go to
GridFS first and the case document last. A case is visible only once its document exists,
and by then its files do; when anything fails before that, the files written are deleted.
"""

import logging
import secrets
from contextlib import suppress
from dataclasses import asdict
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone
from pymongo.errors import PyMongoError

from portal.cases.models import Case, Prediction, case_file_prefix, case_files
from portal.observability.metrics import record_case_saved
from portal.screening.analysis import SEVERITY_OUTPUTS, Analysis, analyse
from portal.screening.images import heatmap_png, xray_png
from preprocess import prepare
from serving.client import ModelServerError

logger = logging.getLogger(__name__)

EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "DICOM": "dcm"}


def save_case(case: Case, data: bytes) -> Case:
    """Store `case` (answers and consent filled in) with the X-ray `data` and, if the model answers, its prediction.

    Raises ValidationError for answers that break Case's rules, preprocess.Rejection for an image that
    cannot be used, and django.db.DatabaseError or pymongo's PyMongoError when MongoDB fails. A model
    server that cannot answer is no reason to refuse: the case is saved with its prediction pending
    (see complete_prediction).
    """
    image = prepare(data, max_bytes=settings.UPLOAD_MAX_BYTES)
    now = timezone.now()
    case.consented_at = now
    case.retain_until = now + timedelta(days=settings.CASE_RETENTION_DAYS)
    case.image_facts = asdict(image.facts)
    case.full_clean(exclude=["upload", "display"], validate_unique=False)  # the files come below
    analysis = _try_analyse(image)
    files = CaseFiles(case)
    try:
        case.upload = files.store(f"upload.{EXTENSIONS[image.facts.format]}", data)
        case.display = files.store("display.png", xray_png(image.display))
        if analysis is not None:
            case.prediction = _prediction(files, analysis)
        case.save()
    except Exception:
        files.delete()
        raise
    record_case_saved()
    logger.info("case saved (prediction %s)", "pending" if analysis is None else "made")
    return case


def complete_prediction(case: Case) -> bool:
    """Run the model on a case saved while it could not answer; False if it still cannot."""
    image = prepare(case.upload.read(), max_bytes=settings.UPLOAD_MAX_BYTES)
    analysis = _try_analyse(image)
    if analysis is None:
        return False
    files = CaseFiles(case)
    prediction = _prediction(files, analysis)
    try:
        completed = Case.objects.filter(pk=case.pk, prediction__isnull=True).update(
            prediction=prediction, updated_at=timezone.now()
        )
    except Exception:
        files.delete()
        raise
    if completed:
        case.prediction = prediction
    else:  # completed meanwhile by another request or the management command: keep theirs
        files.delete()
        case.refresh_from_db()
    return True


def _try_analyse(image) -> Analysis | None:
    try:
        return analyse(image)
    except ModelServerError as error:
        logger.warning("prediction left pending: model server answered %s", error.code.name)
        return None


def _prediction(files, analysis: Analysis) -> Prediction:
    """The heatmap gets a name of its own: requests completing the same case at once would otherwise both
    write `heatmap.png` (the storage's free-name check races), and the one that loses would delete, by that
    name, the file the winner's prediction refers to."""
    heatmap = heatmap_png(analysis.heatmap)
    return Prediction(
        probabilities=analysis.probabilities,
        p_covid=analysis.p_covid,
        threshold=analysis.threshold,
        reading=analysis.reading,
        ood_score=analysis.ood_score,
        ood_threshold=analysis.ood_threshold,
        heatmap=files.store(f"heatmap-{secrets.token_hex(4)}.png", heatmap),
        model_name=analysis.model_name,
        model_version=analysis.model_version,
        made_at=timezone.now(),
        **{name: getattr(analysis, name) for name in SEVERITY_OUTPUTS},
    )


class CaseFiles:
    """The GridFS files written for one case, so that a failure can take them back."""

    def __init__(self, case: Case):
        self.prefix = case_file_prefix(case.reference)
        self.names = []

    def store(self, filename: str, data: bytes) -> str:
        name = case_files().save(self.prefix + filename, ContentFile(data))
        self.names.append(name)
        return name

    def delete(self):
        """Best effort: when MongoDB itself is down, the files stay behind as unreferenced orphans."""
        with suppress(PyMongoError):
            for name in self.names:
                case_files().delete(name)
