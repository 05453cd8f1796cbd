"""API keys in the admin: create one (its key is shown once, in the confirmation message) or revoke it."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from portal.api.models import ApiKey, Scope


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiKey
        fields = ["name", "scopes", "clinician", "rate"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ("name", "prefix", "scopes", "clinician", "rate", "created_at", "revoked_at")
    readonly_fields = ("prefix", "created_at", "revoked_at")
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        fields = {name: form.cleaned_data[name] for name in ("clinician", "rate")}
        issued, key = ApiKey.issue(form.cleaned_data["name"], form.cleaned_data["scopes"], **fields)
        obj.pk = issued.pk
        messages.warning(request, f"The key for {issued.name} is {key} — copy it now: it is not stored and "
                                  "will not be shown again.")  # fmt: skip

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, never deleted: the audit trail names keys

    @admin.action(description="Revoke the selected API keys")
    def revoke(self, request, queryset):
        revoked = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        messages.success(request, f"Revoked {revoked} API key(s).")
