"""The patient flow's first half: the landing page, the upload, and the model's reading of the X-ray."""

import logging

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from portal.screening import inflight, pending
from portal.screening.analysis import Reading, analyse
from portal.screening.forms import UploadForm, oversized_upload_form
from portal.screening.images import data_uri, heatmap_levels, heatmap_levels_png, xray_preview_uri
from portal.screening.outages import database_required, unavailable
from portal.screening.privacy import no_referrer, private_page
from portal.screening.uploads import body_too_large
from preprocess import PreparedImage, prepare
from serving.client import ModelServerError

logger = logging.getLogger(__name__)


def landing(request):
    return render(request, "screening/landing.html")


@database_required
def upload(request):
    """A plain form post: the upload is checked, kept for a while, and its result shown at its own address."""
    if request.method != "POST":
        return render(request, "screening/upload.html", {"form": UploadForm()})
    if body_too_large(request):
        return render(request, "screening/upload.html", {"form": oversized_upload_form()}, status=413)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "screening/upload.html", {"form": form}, status=400)
    token = pending.new_token()
    inflight.start(token, present, form.prepared)  # the model works while the upload is kept
    pending.keep(form.cleaned_data["image"], token)
    return redirect("screening:result", token)


@private_page
@no_referrer
@database_required
def result(request, token):
    """The model's reading of a kept upload; reloading it is the retry when the model server was down."""
    job = inflight.claim(token)
    if job is None:
        data = pending.load(token)
        if data is None:
            raise Http404("This upload has expired.")
    try:
        context = job.result() if job else present(prepare(data, max_bytes=settings.UPLOAD_MAX_BYTES))
    except ModelServerError as error:
        logger.warning("model server call failed: %s", error.code.name)
        return unavailable(
            request, error.user_message, retry_url=request.path, save_url=reverse("cases:new", args=[token])
        )
    return render(request, "screening/result.html", {"token": token, **context})


def present(image: PreparedImage) -> dict:
    """The model's reading of `image` and the page's pictures of it (no heatmap over a non-X-ray)."""
    analysis = analyse(image)
    context = {"analysis": analysis, "xray_uri": xray_preview_uri(image.display)}
    if analysis.reading != Reading.NOT_A_CHEST_XRAY:  # a heatmap over something else means nothing
        context["heatmap_uri"] = data_uri(heatmap_levels_png(heatmap_levels(analysis.heatmap)))
    return context
