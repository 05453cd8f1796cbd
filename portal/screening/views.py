"""The patient flow's first half: the landing page, the upload, and the model's reading of the X-ray."""

import logging
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from portal.screening import pending
from portal.screening.analysis import Reading, analyse
from portal.screening.forms import UploadForm, oversized_upload_form
from portal.screening.images import data_uri, heatmap_png, xray_preview_uri
from portal.screening.outages import database_required, unavailable
from portal.screening.privacy import no_referrer, private_page
from portal.screening.uploads import body_too_large
from preprocess import PreparedImage, prepare
from serving.client import ModelServerError

logger = logging.getLogger(__name__)

# An upload's model call runs on one of these while the request's own thread keeps the upload and makes the
# X-ray's preview: on 2 cores, work done after the model answers adds to the wait (docs/benchmarks.md).
_model_calls = ThreadPoolExecutor(max_workers=4, thread_name_prefix="model-call")


def landing(request):
    return render(request, "screening/landing.html")


@database_required
def upload(request):
    """A plain form post, answered with the result page at once. The page's address then becomes the result's
    own (Content-Location, and static/screening/result_address.js in the browser), so that a reload shows the
    result again (the upload is kept meanwhile) instead of posting it a second time."""
    if request.method != "POST":
        return render(request, "screening/upload.html", {"form": UploadForm()})
    if body_too_large(request):
        return render(request, "screening/upload.html", {"form": oversized_upload_form()}, status=413)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "screening/upload.html", {"form": form}, status=400)
    token = pending.new_token()
    reading = _model_calls.submit(read, form.prepared)
    pending.keep(form.cleaned_data["image"], token)
    return _result_page(request, token, form.prepared, reading.result)


@private_page
@no_referrer
@database_required
def result(request, token):
    """The model's reading of a kept upload; reloading it is the retry when the model server was down."""
    data = pending.load(token)
    if data is None:
        raise Http404("This upload has expired.")
    image = prepare(data, max_bytes=settings.UPLOAD_MAX_BYTES)
    return _result_page(request, token, image, lambda: read(image))


@private_page
@no_referrer
def _result_page(request, token, image: PreparedImage, reading):
    """The page for `image` and `reading()` (read()'s context) at the result's address, or a 503 that says the
    upload is kept and links to that address to try again."""
    address = reverse("screening:result", args=[token])
    xray_uri = xray_preview_uri(image.display)
    try:
        context = reading()
    except ModelServerError as error:
        logger.warning("model server call failed: %s", error.code.name)
        return unavailable(request, error.user_message, retry_url=address, save_url=reverse("cases:new", args=[token]))
    response = render(request, "screening/result.html", {"token": token, "address": address, "xray_uri": xray_uri,
                                                         **context})  # fmt: skip
    response["Content-Location"] = address
    return response


def read(image: PreparedImage) -> dict:
    """The model's reading of `image`, and its heatmap as a picture (none over a non-X-ray)."""
    analysis = analyse(image)
    context = {"analysis": analysis}
    if analysis.reading != Reading.NOT_A_CHEST_XRAY:  # a heatmap over something else means nothing
        context["heatmap_uri"] = data_uri(heatmap_png(analysis.heatmap))
    return context
