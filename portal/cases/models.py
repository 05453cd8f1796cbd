"""A saved case: the patient's answers, their X-ray (files in GridFS) and the model's prediction.

One document per case. Pixel data never goes into the document (MongoDB documents stop at
16 MB): the upload, its display copy and the heatmap are GridFS files named by the case's
reference. Advice from clinicians refers to the case (it is never written into it), so
second opinions and amendments add documents and nothing is overwritten.
"""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django_mongodb_backend.fields import ArrayField, EmbeddedModelField
from django_mongodb_backend.models import EmbeddedModel

from portal.screening.analysis import Reading


def case_files():
    return storages["cases"]


def case_file_prefix(reference: str) -> str:
    """Every GridFS file of a case is named under this."""
    return f"cases/{reference}/"


def new_reference():
    """192 random bits, URL-safe: the case link is the patient's only key to the case."""
    return secrets.token_urlsafe(24)


class Status(models.TextChoices):
    AWAITING_REVIEW = "awaiting_review", "Awaiting review"
    REVIEWED = "reviewed", "Reviewed"


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    INTERSEX = "intersex", "Intersex"
    UNSAID = "unsaid", "I prefer not to say"


class Symptom(models.TextChoices):
    FEVER = "fever", "Fever"
    COUGH = "cough", "A new, continuous cough"
    BREATHLESSNESS = "breathlessness", "Shortness of breath"
    TIREDNESS = "tiredness", "Tiredness"
    TASTE_SMELL = "taste_smell", "Loss of taste or smell"
    SORE_THROAT = "sore_throat", "Sore throat"
    HEADACHE = "headache", "Headache"
    ACHES = "aches", "Aching muscles"


class TestStatus(models.TextChoices):
    NOT_TESTED = "not_tested", "I have not had a COVID-19 test"
    WAITING = "waiting", "I am waiting for a test result"
    POSITIVE = "positive", "I tested positive"
    NEGATIVE = "negative", "I tested negative"


NO_CONTACT = "Give an email address or a phone number (or both), so that a clinician can reach you."

phone_number = RegexValidator(
    r"^\+?[0-9][0-9 ()-]{5,24}$", "Enter a phone number with digits, spaces or dashes, and an optional + at the start."
)


class Prediction(EmbeddedModel):
    """What the model said about the X-ray, with the model and version that said it."""

    probabilities = models.JSONField()  # by class name: normal, pneumonia, covid
    p_covid = models.FloatField()
    threshold = models.FloatField()
    reading = models.CharField(max_length=20, choices=Reading.choices)
    ood_score = models.FloatField()
    ood_threshold = models.FloatField()
    # 8-bit grey levels at the model's resolution (128 x 128 PNG, a few kB in GridFS); coloured when shown.
    heatmap = models.FileField(storage=case_files, max_length=200)
    model_name = models.CharField(max_length=100)
    model_version = models.PositiveIntegerField()
    made_at = models.DateTimeField()
    # Severity (Cohen et al. 2020) with its SD, only for COVID-19-like readings; None before model version 2.
    severity_extent = models.FloatField(null=True, blank=True, help_text="Geographic extent, 0-8.")
    severity_extent_sd = models.FloatField(null=True, blank=True)
    severity_opacity = models.FloatField(null=True, blank=True, help_text="Degree of opacity, 0-6.")
    severity_opacity_sd = models.FloatField(null=True, blank=True)


class Case(models.Model):
    reference = models.CharField(max_length=64, unique=True, default=new_reference, editable=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.AWAITING_REVIEW)

    patient_name = models.CharField("Full name", max_length=200)
    age = models.PositiveSmallIntegerField(validators=[MaxValueValidator(120)])
    sex = models.CharField(max_length=10, choices=Sex.choices)
    email = models.EmailField("Email address", blank=True)
    phone = models.CharField("Phone number", max_length=30, blank=True, validators=[phone_number])
    symptoms = ArrayField(models.CharField(max_length=20, choices=Symptom.choices), blank=True, default=list)
    onset_date = models.DateField("When did your symptoms start?", null=True, blank=True)
    test_status = models.CharField("COVID-19 test", max_length=20, choices=TestStatus.choices)
    consent_text = models.TextField(help_text="Exactly what the patient agreed to.")
    consented_at = models.DateTimeField()

    upload = models.FileField(storage=case_files, max_length=200, help_text="The file as uploaded.")
    display = models.FileField(storage=case_files, max_length=200, help_text="The decoded image as PNG.")
    image_facts = models.JSONField(help_text="What decoding learned: format, size, DICOM modality.")
    prediction = EmbeddedModelField(Prediction, null=True, blank=True, help_text="None until the model has answered.")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    retain_until = models.DateTimeField(help_text="Promised in the consent text; the case is deleted after it.")

    def __str__(self):
        return f"Case {self.reference[:8]}…"

    def clean(self):
        """Rules across answers, here so that every way of creating a case (form, API) applies them."""
        errors = {}
        if not self.email and not self.phone:
            errors["email"] = errors["phone"] = NO_CONTACT
        if self.onset_date and self.onset_date > timezone.localdate():
            errors["onset_date"] = "This date is in the future. When did your symptoms start?"
        elif self.symptoms and not self.onset_date:
            errors["onset_date"] = "Please tell us when your symptoms started."
        if errors:
            raise ValidationError(errors)

    def symptom_labels(self):
        return [Symptom(symptom).label for symptom in self.symptoms]

    def get_absolute_url(self):
        return reverse("cases:detail", args=[self.reference])

    def advice_versions(self):
        """All advice on the case, oldest first, each marked `superseded` when an amendment replaced it."""
        advice = list(self.advice.order_by("signed_at"))
        replaced = {item.supersedes_id for item in advice}
        for item in advice:
            item.superseded = item.pk in replaced
        return advice

    def current_advice(self):
        """Each clinician's latest word: what the patient reads."""
        return [item for item in self.advice_versions() if not item.superseded]


class Recommendation(models.TextChoices):
    RT_PCR_TEST = "rt_pcr_test", "Get an RT-PCR test"
    SELF_ISOLATE = "self_isolate", "Self-isolate"
    URGENT_CARE = "urgent_care", "Seek urgent care"
    NO_ACTION = "no_action", "No action needed"


class Advice(models.Model):
    """A clinician's signed advice on a case. Never changed once written: an amendment is a new
    document that supersedes it, and a second opinion is another clinician's document."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="advice")
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="advice_given")
    recommendation = models.CharField(max_length=20, choices=Recommendation.choices)
    text = models.TextField("Advice to the patient", max_length=5000)
    signed_at = models.DateTimeField(default=timezone.now)
    supersedes = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="amendments",
        help_text="The earlier version this amendment replaces.",
    )  # fmt: skip

    class Meta:
        verbose_name_plural = "advice"

    def __str__(self):
        return f"Advice by {self.clinician_name()} on {self.case}"

    def clinician_name(self):
        return self.clinician.get_full_name() or self.clinician.get_username()
