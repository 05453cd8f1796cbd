"""The API's request and response shapes. Requests are validated here; the rules of a case and of
advice stay in the models and services the portal uses (CaseForm's validation included)."""

import base64
import binascii

from django.conf import settings
from rest_framework import serializers

from portal.cases.forms import CaseForm
from portal.cases.models import Advice, Case, Recommendation, Status, Symptom
from portal.screening.analysis import Reading
from portal.workspace.forms import ORDERS
from portal.workspace.services import PENDING


class Base64Field(serializers.CharField):
    """An image as base64 text; its value is the decoded bytes."""

    def to_internal_value(self, data):
        try:
            return base64.b64decode(super().to_internal_value(data), validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError("This is not valid base64.") from None


class UploadField(serializers.FileField):
    """An image as a multipart file; its value is the file's bytes."""

    def to_internal_value(self, data):
        return super().to_internal_value(data).read()


class ImageJSON(serializers.Serializer):
    image = Base64Field(help_text="The X-ray file (PNG, JPEG or DICOM), base64-encoded.",
                        max_length=4 * (settings.UPLOAD_MAX_BYTES // 3 + 1))  # fmt: skip


class ImageUpload(serializers.Serializer):
    image = UploadField(help_text="The X-ray file: PNG, JPEG or DICOM.")


class PredictionOptions(serializers.Serializer):
    explain = serializers.BooleanField(default=False, help_text="Also return the heatmap (a PNG, base64).")


class PredictionJSON(ImageJSON, PredictionOptions):
    pass


class PredictionUpload(ImageUpload, PredictionOptions):
    pass


class Probabilities(serializers.Serializer):
    normal = serializers.FloatField()
    pneumonia = serializers.FloatField()
    covid = serializers.FloatField()


class Heatmap(serializers.Serializer):
    media_type = serializers.CharField(default="image/png")
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    data = serializers.CharField(help_text="8-bit grey levels (0: no attention, 255: most) as a base64 PNG "
                                           "at the model's input resolution; stretch it over the X-ray.")


def severity_score(top: int):
    return serializers.FloatField(
        allow_null=True, help_text=f"0-{top} on Cohen et al. 2020's scale; null unless label is covid_pattern."
    )


def severity_sd():
    return serializers.FloatField(allow_null=True, help_text="The score's uncertainty as one standard deviation.")


class Severity(serializers.Serializer):
    """How much of the lungs is affected, with its uncertainty: only for COVID-19-like readings, and from model
    version 2 on (null for other readings and for cases saved before)."""

    severity_extent = severity_score(8)
    severity_extent_sd = severity_sd()
    severity_opacity = severity_score(6)
    severity_opacity_sd = severity_sd()


class PredictionResult(Severity):
    probabilities = Probabilities()
    p_covid = serializers.FloatField(help_text="The probability of a COVID-19 pneumonia pattern.")
    threshold = serializers.FloatField(help_text="The model's operating threshold for p_covid.")
    label = serializers.ChoiceField(choices=Reading.choices, source="reading",
                                    help_text="The reading; not_a_chest_xray when ood_score > ood_threshold.")
    ood_score = serializers.FloatField()
    ood_threshold = serializers.FloatField()
    model_name = serializers.CharField()
    model_version = serializers.IntegerField()
    heatmap = Heatmap(allow_null=True, required=False, help_text="Only with explain=true.")


def symptom_list(**options):
    return serializers.ListField(child=serializers.ChoiceField(choices=Symptom.choices), **options)


class CaseAnswers(serializers.ModelSerializer):
    """The patient form's fields and consent; validated by CaseForm itself, so the rules are the portal's."""

    consent = serializers.BooleanField(help_text="Must be true: the patient agrees to the storage described "
                                                 "in the consent text (see the portal's save form).")
    symptoms = symptom_list(required=False)

    class Meta:
        model = Case
        fields = ["patient_name", "age", "sex", "email", "phone", "symptoms", "onset_date", "test_status", "consent"]

    def validate(self, attrs):
        """The case as the form makes it, consent text included; the form's errors by field otherwise."""
        form = CaseForm(data=self.initial_data)
        if not form.is_valid():
            errors = form.errors.get_json_data()
            raise serializers.ValidationError({field: [e["message"] for e in found] for field, found in errors.items()})
        return {"case": form.unsaved_case(), "image": attrs["image"]}


class CaseJSON(CaseAnswers, ImageJSON):
    class Meta(CaseAnswers.Meta):
        fields = [*CaseAnswers.Meta.fields, "image"]


class CaseUpload(CaseAnswers, ImageUpload):
    class Meta(CaseAnswers.Meta):
        fields = [*CaseAnswers.Meta.fields, "image"]


class SavedPrediction(Severity):
    probabilities = Probabilities()
    p_covid = serializers.FloatField()
    threshold = serializers.FloatField()
    label = serializers.ChoiceField(choices=Reading.choices, source="reading")
    ood_score = serializers.FloatField()
    ood_threshold = serializers.FloatField()
    model_name = serializers.CharField()
    model_version = serializers.IntegerField()
    made_at = serializers.DateTimeField()


class CaseDetail(serializers.ModelSerializer):
    prediction = SavedPrediction(allow_null=True, help_text="null until the model has answered.")
    symptoms = symptom_list()

    class Meta:
        model = Case
        fields = ["reference", "status", "patient_name", "age", "sex", "email", "phone", "symptoms", "onset_date",
                  "test_status", "consent_text", "consented_at", "prediction", "created_at", "updated_at",
                  "retain_until"]  # fmt: skip


class CaseSummary(serializers.ModelSerializer):
    """What a worklist row shows; the patient's name and contacts only in the case itself."""

    prediction = SavedPrediction(allow_null=True)

    class Meta:
        model = Case
        fields = ["reference", "status", "age", "sex", "test_status", "prediction", "created_at"]


class CaseFilters(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    reading = serializers.ChoiceField(choices=[*Reading.choices, (PENDING, "Prediction pending")], required=False)
    since = serializers.DateField(required=False, help_text="Saved on or after this day.")
    until = serializers.DateField(required=False, help_text="Saved on or before this day.")
    search = serializers.CharField(required=False, help_text="The start of a reference, or part of the name.")
    order = serializers.ChoiceField(choices=ORDERS, required=False,
                                    help_text="Empty: triage order. severity: most severe first.")  # fmt: skip


class AdviceDetail(serializers.ModelSerializer):
    id = serializers.CharField(source="pk", read_only=True)
    clinician = serializers.CharField(source="clinician_name", read_only=True)
    supersedes = serializers.CharField(source="supersedes_id", allow_null=True, read_only=True)
    superseded = serializers.BooleanField(read_only=True)

    class Meta:
        model = Advice
        fields = ["id", "clinician", "recommendation", "text", "signed_at", "supersedes", "superseded"]


class NewAdvice(serializers.Serializer):
    recommendation = serializers.ChoiceField(choices=Recommendation.choices)
    text = serializers.CharField(max_length=5000)


class TensorShape(serializers.Serializer):
    dtype = serializers.CharField()
    shape = serializers.ListField(child=serializers.IntegerField(), allow_null=True)


class Signature(serializers.Serializer):
    name = serializers.CharField()
    inputs = serializers.DictField(child=TensorShape())
    outputs = serializers.DictField(child=TensorShape())


class ModelVersion(serializers.Serializer):
    version = serializers.IntegerField()
    state = serializers.CharField(help_text="TF Serving's state: START, LOADING, AVAILABLE, UNLOADING or END.")


class ModelInfo(serializers.Serializer):
    name = serializers.CharField()
    versions = ModelVersion(many=True)
    signatures = Signature(many=True)


class Problem(serializers.Serializer):
    """RFC 9457 problem details, as every failure is answered."""

    type = serializers.CharField(help_text="urn:covid19-prognosis:problem:<code>")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField(help_text="For programs: e.g. not_authenticated, throttled, not_an_image.")
    instance = serializers.CharField(required=False, help_text="The request's path.")
    errors = serializers.DictField(required=False, help_text="Validation problems only: messages by field.")
