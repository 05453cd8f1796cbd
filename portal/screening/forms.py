"""The upload form: a file that preprocess accepts, or its reason for refusing it at the field."""

import logging

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from preprocess import Rejection, prepare

logger = logging.getLogger(__name__)

ACCEPTED_TYPES = ".png,.jpg,.jpeg,.dcm,image/png,image/jpeg,application/dicom"


class UploadForm(forms.Form):
    image = forms.FileField(
        label="Chest X-ray",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_TYPES}),
        error_messages={"required": "Please choose a chest X-ray file."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        image = self.fields["image"]
        limit = filesizeformat(settings.UPLOAD_MAX_BYTES)
        image.help_text = f"A frontal chest X-ray as PNG, JPEG or DICOM, up to {limit}."
        image.widget.attrs["data-max-bytes"] = settings.UPLOAD_MAX_BYTES

    prepared = None  # the accepted image, as preprocess made it (once the form is valid)

    def clean_image(self):
        """The file's bytes, once preprocess accepts them; its reason for refusing shows at the field."""
        data = self.cleaned_data["image"].read()
        try:
            self.prepared = prepare(data, max_bytes=settings.UPLOAD_MAX_BYTES)
        except Rejection as rejection:
            logger.info("upload refused: %s", rejection.code)
            raise forms.ValidationError(rejection.reason, code=rejection.code) from None
        return data


def oversized_upload_form() -> UploadForm:
    """An upload form that says the file is too large: the body was refused before it was read."""
    form = UploadForm(data={})
    form.errors.clear()  # bound without a file, it says "choose a file"; say why instead
    form.add_error("image", f"This file is too large. The limit is {filesizeformat(settings.UPLOAD_MAX_BYTES)}.")
    return form
