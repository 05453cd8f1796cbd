"""The form a patient fills in to save their case for a clinician's advice."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Fieldset, Layout
from django import forms
from django.conf import settings
from django.utils.html import format_html, format_html_join

from portal.cases.models import Case, Sex, Symptom, TestStatus


def consent_statements():
    """What is stored, where, for how long and who sees it; shown above the box and stored with the case."""
    days = settings.CASE_RETENTION_DAYS
    hours = max(1, round(settings.PENDING_UPLOAD_TTL / 3600))
    return [
        "Your answers on this page: your name, age, sex, contact details, symptoms, when they started, "
        "and whether you have had a COVID-19 test.",
        "The X-ray file exactly as you uploaded it (a DICOM file can carry details such as your name in its "
        "header), a copy of the image for viewing, and the model's result with its heatmap.",
        f"They are kept in this service's database for {days} days from today, then deleted. Until then you "
        "can download a copy of all of it from your case's page.",
        "The clinicians who review cases see them, and so does anyone who has your case link. "
        "They are not shared with anyone else and not used to train the model.",
        f"If you do not save, nothing about you is stored: your X-ray is held for up to {hours} "
        f"hour{'s' if hours > 1 else ''} so that you can come back to the result, then deleted.",
    ]


def consent_label():
    return (
        f"I agree that my answers, my X-ray and its result are stored as described above for "
        f"{settings.CASE_RETENTION_DAYS} days, so that a clinician can review my case."
    )


class CaseForm(forms.ModelForm):
    symptoms = forms.MultipleChoiceField(
        choices=Symptom.choices, widget=forms.CheckboxSelectMultiple, required=False,
        label="Which symptoms do you have?", help_text="Leave all unticked if you have none.",
    )  # fmt: skip
    consent = forms.BooleanField(
        error_messages={"required": "Please tick the box to agree. Without it your case cannot be saved."},
    )

    class Meta:
        model = Case
        fields = ["patient_name", "age", "sex", "email", "phone", "symptoms", "onset_date", "test_status"]
        widgets = {
            "sex": forms.RadioSelect,
            "test_status": forms.RadioSelect,
            "onset_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "patient_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sex"].choices = Sex.choices  # radio buttons need no blank "---------" choice
        self.fields["test_status"].choices = TestStatus.choices
        self.fields["consent"].label = consent_label()
        self.helper = FormHelper()
        self.helper.form_tag = False
        statements = format_html_join("", "<li>{}</li>", ((statement,) for statement in consent_statements()))
        self.helper.layout = Layout(
            Fieldset("About you", "patient_name", "age", "sex"),
            Fieldset("How a clinician can reach you", "email", "phone"),
            Fieldset("How you feel", "symptoms", "onset_date", "test_status"),
            Fieldset(
                "What is stored and for how long",
                HTML(format_html('<ul class="consent-text" id="consent-text">{}</ul>', statements)),
                "consent",
            ),
        )

    def unsaved_case(self):
        """The case with the answers and the consent as shown; services.save_case stores it."""
        case = self.save(commit=False)
        case.consent_text = "\n".join([*consent_statements(), consent_label()])
        return case
