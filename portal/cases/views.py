"""Saving a case for a clinician's advice, and the patient's page for it behind an unguessable link."""

import logging
from contextlib import suppress

from django.shortcuts import get_object_or_404, redirect, render

from portal.cases.export import download, export_case
from portal.cases.forms import CaseForm
from portal.cases.images import case_image_uris
from portal.cases.models import Case
from portal.cases.services import complete_prediction, save_case
from portal.screening import pending
from portal.screening.forms import UploadForm, oversized_upload_form
from portal.screening.outages import DATABASE_ERRORS, RETRY_AFTER_SECONDS, database_required
from portal.screening.privacy import no_referrer, private_page
from portal.screening.uploads import body_too_large

logger = logging.getLogger(__name__)


@private_page
def new(request, token):
    """The save form for a kept upload. Whatever fails, the person's answers stay in the form.

    When the kept upload has gone (expired, or lost with a database restart) the form asks
    for the X-ray again beside the answers.
    """
    if request.method == "POST" and body_too_large(request):
        context = {"form": CaseForm(), "upload_form": oversized_upload_form()}
        return render(request, "cases/new.html", context, status=413)
    form = CaseForm(request.POST or None)
    upload_form = None
    try:
        data = pending.load(token)
        if data is None:
            upload_form = UploadForm(request.POST or None, request.FILES or None)
        if request.method != "POST":
            return render(request, "cases/new.html", {"form": form, "upload_form": upload_form})
        if form.is_valid() and (upload_form is None or upload_form.is_valid()):
            case = save_case(form.unsaved_case(), data or upload_form.cleaned_data["image"])
            with suppress(*DATABASE_ERRORS):  # the case is saved; an undeleted upload expires by itself
                pending.discard(token)
            return redirect(case)
    except DATABASE_ERRORS as error:
        logger.warning("case not saved, MongoDB unavailable: %s", type(error).__name__)
        response = render(request, "cases/new.html", {"form": form, "database_down": True}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return render(request, "cases/new.html", {"form": form, "upload_form": upload_form}, status=400)


@private_page
@no_referrer
@database_required
def detail(request, reference):
    """The patient's view of their case and the clinicians' advice on it; finishes a prediction left
    pending when the model can answer now."""
    case = get_object_or_404(Case, reference=reference)
    if case.prediction is None:
        complete_prediction(case)
    context = {"case": case, "advice": case.current_advice(), **case_image_uris(case)}
    return render(request, "cases/detail.html", context)


@private_page
@no_referrer
@database_required
def export(request, reference):
    """The patient's own copy of their case: the case link is the key, so it opens this case and no other."""
    case = get_object_or_404(Case, reference=reference)
    return download(case, export_case(case, None, request, via="case_link", username="case-link"))
