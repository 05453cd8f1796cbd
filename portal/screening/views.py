"""The patient flow's first half: the landing page, the upload, and the model's reading of the X-ray."""

import logging

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from portal.screening import pending
from portal.screening.analysis import Reading, analyse
from portal.screening.forms import UploadForm, oversized_upload_form
from portal.screening.images import coloured_heatmap_png, data_uri, heatmap_levels, xray_png
from portal.screening.outages import database_required, unavailable
from portal.screening.privacy import no_referrer, private_page
from portal.screening.uploads import body_too_large
from preprocess import prepare
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
    return redirect("screening:result", pending.keep(form.cleaned_data["image"]))


@private_page
@no_referrer
@database_required
def result(request, token):
    """The model's reading of a kept upload; reloading it is the retry when the model server was down."""
    data = pending.load(token)
    if data is None:
        raise Http404("This upload has expired.")
    image = prepare(data, max_bytes=settings.UPLOAD_MAX_BYTES)
    try:
        analysis = analyse(image)
    except ModelServerError as error:
        logger.warning("model server call failed: %s", error.code.name)
        return unavailable(
            request, error.user_message, retry_url=request.path, save_url=reverse("cases:new", args=[token])
        )
    context = {"token": token, "analysis": analysis, "xray_uri": data_uri(xray_png(image.display))}
    if analysis.reading != Reading.NOT_A_CHEST_XRAY:  # a heatmap over something else means nothing
        context["heatmap_uri"] = data_uri(coloured_heatmap_png(heatmap_levels(analysis.heatmap)))
    return render(request, "screening/result.html", context)
