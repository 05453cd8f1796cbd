"""The audit trail in the admin, read-only, and the two admin policies the other apps' admins share."""

from django.contrib import admin

from portal.audit.models import AuditEvent, Event
from portal.audit.services import record


class ReadOnly:
    """For a ModelAdmin or an inline: records are looked at here, never added, edited or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedAdmin(admin.ModelAdmin):
    """Changes made in the admin reach the audit trail, besides Django's own admin log. Only the model,
    the object's id and the names of the changed fields are kept, never the values."""

    def log_addition(self, request, obj, message):
        record(Event.ADDED, request.user, request, detail=_what(obj, message))
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        record(Event.CHANGED, request.user, request, detail=_what(obj, message))
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            record(Event.DELETED, request.user, request, detail=_what(obj))
        return super().log_deletions(request, queryset)


def _what(obj, message=None):
    """`message` is the admin's change message: a string or field names by action, no values."""
    return {"model": obj._meta.label_lower, "object": str(obj.pk), **({"change": message} if message else {})}


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("at", "event", "username", "case_reference", "address", "forwarded_for")
    list_filter = ("event", "at")
    search_fields = ("username", "^case_reference", "address")
    fields = ("at", "event", "user", "username", "case_reference", "address", "forwarded_for", "detail")
