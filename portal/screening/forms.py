from django import forms

ACCEPTED_TYPES = ".png,.jpg,.jpeg,.dcm,image/png,image/jpeg,application/dicom"


class UploadForm(forms.Form):
    image = forms.FileField(
        label="Chest X-ray",
        help_text="A frontal chest X-ray as PNG, JPEG or DICOM.",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_TYPES}),
    )
