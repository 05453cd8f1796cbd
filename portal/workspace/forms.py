"""The workspace's forms: sign-in, the worklist's filters, and advice with its sign-off."""

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth.forms import AuthenticationForm

from portal.cases.models import Advice, Recommendation, Status
from portal.screening.analysis import Reading
from portal.workspace.services import BY_SEVERITY, PENDING


class SignInForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


ORDERS = [("", "Triage (COVID-19 score)"), (BY_SEVERITY, "Severity, most severe first")]


class WorklistFilters(forms.Form):
    """The worklist's query string. Without one it shows what waits for review."""

    search = forms.CharField(required=False, label="Search", max_length=200,
                             help_text="The start of a case reference, or part of the patient's name.")  # fmt: skip
    status = forms.ChoiceField(choices=[*Status.choices, ("", "Any status")], required=False)
    reading = forms.ChoiceField(
        choices=[("", "Any reading"), *Reading.choices, (PENDING, "Prediction pending")], required=False
    )
    since = forms.DateField(required=False, label="Saved from", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="Saved until", widget=forms.DateInput(attrs={"type": "date"}))
    order = forms.ChoiceField(choices=ORDERS, required=False, label="Order")

    def __init__(self, query):
        super().__init__({"status": Status.AWAITING_REVIEW, **query.dict()})

    def clean(self):
        since, until = self.cleaned_data.get("since"), self.cleaned_data.get("until")
        if since and until and since > until:
            self.add_error("until", "This date is before the first one.")
        return self.cleaned_data


class AdviceForm(forms.ModelForm):
    """Advice, signed off by the clinician who writes it (their name is in the sign-off's label)."""

    sign_off = forms.BooleanField(
        error_messages={"required": "Tick the box to sign off this advice; it is sent to the patient."}
    )

    class Meta:
        model = Advice
        fields = ["recommendation", "text"]
        widgets = {"recommendation": forms.RadioSelect, "text": forms.Textarea(attrs={"rows": 5})}
        labels = {"recommendation": "Recommendation"}
        help_texts = {"text": "The patient reads this on their case page. Write it for them."}

    def __init__(self, *args, clinician, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recommendation"].choices = Recommendation.choices  # no blank "---------" radio
        name = clinician.get_full_name() or clinician.get_username()
        self.fields["sign_off"].label = f"I have reviewed this case and sign this advice as {name}."
        self.helper = FormHelper()
        self.helper.form_tag = False

    def advice(self):
        """What give_advice and amend_advice take."""
        return {"recommendation": self.cleaned_data["recommendation"], "text": self.cleaned_data["text"]}
