"""The patient flow: upload an X-ray, see the model's reading and where it looked."""

import logging

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat

from portal.screening import pending
from portal.screening.analysis import analyse
from portal.screening.forms import UploadForm
from portal.screening.images import heatmap_uri, xray_uri
from preprocess import Rejection, prepare
from serving.client import ModelServerError

logger = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30


def upload(request):
    if request.method != "POST":
        return render(request, "screening/upload.html", {"form": UploadForm()})
    if int(request.META.get("CONTENT_LENGTH") or 0) > settings.UPLOAD_MAX_BYTES:
        # Refused before the body is read, so an oversized upload costs no memory.
        refusal = f"This file is too large. The limit is {filesizeformat(settings.UPLOAD_MAX_BYTES)}."
        return render(request, "screening/upload.html", {"form": UploadForm(), "refusal": refusal}, status=413)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data["image"].read()
        try:
            image = prepare(data, max_bytes=settings.UPLOAD_MAX_BYTES)
        except Rejection as rejection:
            logger.info("upload refused: %s", rejection.code)
            form.add_error("image", rejection.reason)
        else:
            return show_result(request, pending.keep(data), image)
    return render(request, "screening/upload.html", {"form": form}, status=400)


def result(request, token):
    """Analyse a kept upload again: the retry after the model server was unavailable."""
    data = pending.load(token)
    if data is None:
        raise Http404("This upload has expired. Please upload the X-ray again.")
    return show_result(request, token, prepare(data, max_bytes=settings.UPLOAD_MAX_BYTES))


def show_result(request, token, image):
    try:
        analysis = analyse(image)
    except ModelServerError as error:
        logger.warning("model server call failed: %s", error.code.name)
        response = render(
            request, "screening/unavailable.html", {"message": error.user_message, "token": token}, status=503
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    context = {
        "token": token,
        "analysis": analysis,
        "xray_uri": xray_uri(image.display),
        "heatmap_uri": heatmap_uri(analysis.heatmap),
        "p_covid_percent": round(analysis.p_covid * 100),
        "threshold_percent": round(analysis.threshold * 100),
    }
    return render(request, "screening/result.html", context)
