"""The clinician's rules: which cases wait and in what order, opening a case, and signing advice.

The workspace's views and the REST API both call these, so a case is ordered, opened and
advised the same way everywhere, and every view and advice reaches the audit trail.

MongoDB gives this backend no transactions, so writes are ordered: the advice document first
(it is what the patient reads), then the case's status, then the audit event naming the advice.
"""

from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils import timezone

from portal.audit.models import Event
from portal.audit.services import record
from portal.cases.models import Advice, Case, Status
from portal.cases.services import complete_prediction
from portal.screening.analysis import Reading
from portal.workspace.roles import is_clinician

PENDING = "pending"  # the reading filter's word for "no prediction yet"
BY_SEVERITY = "severity"  # the order option's word for "most severe first"


def _with_triage_score(cases):
    """Each case's `tier` (COVID-19-like 0, unscored 1, not COVID-19-like 2) and `score` (p_covid of a scored
    reading, else None): what triage orders by and the worklist shows, whichever order it is in."""
    scored = [Reading.COVID_PATTERN, Reading.NO_COVID_PATTERN]
    return cases.annotate(
        tier=models.Case(
            models.When(prediction__reading=Reading.COVID_PATTERN, then=models.Value(0)),
            models.When(prediction__reading=Reading.NO_COVID_PATTERN, then=models.Value(2)),
            default=models.Value(1),
        ),
        score=models.Case(models.When(prediction__reading__in=scored, then="prediction__p_covid"), default=None),
    )


def triage_order(cases):
    """Highest COVID-19 score first, then oldest. Cases the model could not score (prediction pending,
    or not a chest X-ray) go between the positive and the negative readings, oldest first: the model
    cannot rank them, so they come before every case it called negative but after those it flagged."""
    return _with_triage_score(cases).order_by("tier", models.F("score").desc(nulls_last=True), "created_at")


def severity_order(cases):
    """Greatest extent first, then greatest opacity, then oldest. Only COVID-19-like readings have a severity;
    every other case (and every case saved before the model gave one) comes after, oldest first."""
    return (
        _with_triage_score(cases)
        .annotate(extent=models.F("prediction__severity_extent"), opacity=models.F("prediction__severity_opacity"))
        .order_by(models.F("extent").desc(nulls_last=True), models.F("opacity").desc(nulls_last=True), "created_at")
    )


def worklist(*, status=Status.AWAITING_REVIEW, reading="", since: date | None = None, until: date | None = None,
             search="", order=""):  # fmt: skip
    """Cases matching the filters (empty means any), in triage order or, with `order="severity"`, by severity.
    `search` matches the start of a case reference or any part of the patient's name."""
    cases = Case.objects.all()
    if status:
        cases = cases.filter(status=status)
    if reading == PENDING:
        cases = cases.filter(prediction__isnull=True)
    elif reading:
        cases = cases.filter(prediction__reading=reading)
    if since:
        cases = cases.filter(created_at__gte=_start_of(since))
    if until:
        cases = cases.filter(created_at__lt=_start_of(until + timedelta(days=1)))
    if search := search.strip():
        cases = cases.filter(models.Q(reference__startswith=search) | models.Q(patient_name__icontains=search))
    return severity_order(cases) if order == BY_SEVERITY else triage_order(cases)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def review_backlog() -> int:
    return Case.objects.filter(status=Status.AWAITING_REVIEW).count()


def open_case(case: Case, clinician, request) -> None:
    """What opening a case means wherever it is opened: the view is recorded, and a prediction
    left pending is finished if the model can answer now."""
    _require_clinician(clinician)
    record(Event.CASE_VIEWED, clinician, request, case=case)
    if case.prediction is None:
        complete_prediction(case)


def give_advice(case: Case, clinician, request, *, recommendation, text) -> Advice:
    """Sign advice on a case; the first advice marks it reviewed. A second opinion is simply more advice:
    nothing earlier is changed. Raises PermissionDenied for a non-clinician, ValidationError for bad input."""
    _require_clinician(clinician)
    advice = _signed(Advice(case=case, clinician=clinician, recommendation=recommendation, text=text))
    detail = {"advice": str(advice.pk), "recommendation": advice.recommendation}
    awaiting = Case.objects.filter(pk=case.pk, status=Status.AWAITING_REVIEW)
    if awaiting.update(status=Status.REVIEWED, updated_at=timezone.now()):  # 0 when already reviewed
        detail["status"] = [Status.AWAITING_REVIEW, Status.REVIEWED]
    case.status = Status.REVIEWED
    record(Event.ADVICE_GIVEN, clinician, request, case=case, detail=detail)
    return advice


def amend_advice(advice: Advice, clinician, request, *, recommendation, text) -> Advice:
    """A new version of one's own latest advice; the earlier version stays, marked as superseded.
    Amending another clinician's advice is refused (PermissionDenied): they give a second opinion instead."""
    _require_clinician(clinician)
    require_author(advice, clinician)
    if advice.amendments.exists():
        raise ValidationError("This advice has been amended since. Amend its latest version.")
    amended = _signed(Advice(case=advice.case, clinician=clinician, recommendation=recommendation, text=text,
                             supersedes=advice))  # fmt: skip
    detail = {"advice": str(amended.pk), "supersedes": str(advice.pk), "recommendation": amended.recommendation}
    record(Event.ADVICE_AMENDED, clinician, request, case=advice.case, detail=detail)
    return amended


def require_author(advice: Advice, clinician) -> None:
    """Only the clinician who signed advice may amend it; anyone else adds a second opinion instead."""
    if advice.clinician_id != clinician.pk:
        raise PermissionDenied("Only the clinician who signed this advice may amend it.")


def _signed(advice: Advice) -> Advice:
    advice.full_clean()
    advice.save()
    return advice


def _require_clinician(user):
    if not is_clinician(user):
        raise PermissionDenied("Only clinicians review cases.")
