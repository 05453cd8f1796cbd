"""Cases and advice in the admin, read-only: cases change only through the patient flow and advice
(portal.workspace.services), so the rules and the audit trail always apply. Opening a case is audited."""

from django.contrib import admin

from portal.audit.admin import ReadOnly
from portal.audit.models import Event
from portal.audit.services import record
from portal.cases.models import Advice, Case
from portal.screening.analysis import Reading
from portal.screening.templatetags.scores import percent


class ReadingFilter(admin.SimpleListFilter):
    title = "reading"
    parameter_name = "reading"

    def lookups(self, request, model_admin):
        return [*Reading.choices, ("pending", "Prediction pending")]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(prediction__isnull=True)
        if self.value():
            return queryset.filter(prediction__reading=self.value())
        return queryset


class AdviceInline(ReadOnly, admin.TabularInline):
    model = Advice
    fk_name = "case"
    fields = ("signed_at", "clinician", "recommendation", "text", "supersedes")


@admin.register(Case)
class CaseAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("short_reference", "patient_name", "created_at", "status", "reading", "score", "model_version")
    list_filter = ("status", ReadingFilter, "created_at")
    search_fields = ("^reference", "patient_name")
    ordering = ("-created_at",)
    # The file fields are left out: their files are in GridFS, which has no URLs to link to.
    fields = ("reference", "status", "patient_name", "age", "sex", "email", "phone", "symptoms", "onset_date",
              "test_status", "consent_text", "consented_at", "reading", "score", "model_version", "created_at",
              "updated_at", "retain_until")  # fmt: skip
    readonly_fields = ("reading", "score", "model_version")
    inlines = [AdviceInline]

    @admin.display(description="case")
    def short_reference(self, case):
        return f"{case.reference[:8]}…"

    @admin.display(description="reading")
    def reading(self, case):
        return case.prediction.get_reading_display() if case.prediction else "Prediction pending"

    @admin.display(description="COVID-19 score")
    def score(self, case):
        return f"{percent(case.prediction.p_covid)}%" if case.prediction else "—"

    @admin.display(description="model version")
    def model_version(self, case):
        return case.prediction.model_version if case.prediction else "—"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            record(Event.CASE_VIEWED, request.user, request, case=self.get_object(request, object_id))
        return response


@admin.register(Advice)
class AdviceAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("signed_at", "case", "clinician", "recommendation", "supersedes")
    list_select_related = ()  # not select_related(): SecantusDB answers its joins wrongly (see workspace/backends.py)
    list_filter = ("recommendation", "signed_at", "clinician")
    search_fields = ("clinician__username", "case__reference")
    fields = ("case", "clinician", "recommendation", "text", "signed_at", "supersedes")
