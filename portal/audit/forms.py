from django import forms

from portal.audit.models import Event


class EventFilters(forms.Form):
    event = forms.ChoiceField(choices=[("", "Any event"), *Event.choices], required=False)
    username = forms.CharField(required=False, label="User name", max_length=150)
    case = forms.CharField(required=False, label="Case reference (or its start)", max_length=64)

    def events(self, events):
        """`events` narrowed by the valid filters."""
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("event"):
            events = events.filter(event=data["event"])
        if data.get("username"):
            events = events.filter(username=data["username"])
        if data.get("case"):
            events = events.filter(case_reference__startswith=data["case"])
        return events
