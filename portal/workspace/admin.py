"""Accounts in the admin: administrators add clinicians, give them a role (group) and deactivate them.
Every change is audited. An account with a history (advice, audit events) cannot be deleted, only deactivated."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from portal.audit.admin import AuditedAdmin

admin.site.site_header = "COVID-19 Prognosis administration"
admin.site.site_title = "COVID-19 Prognosis administration"

User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class AccountAdmin(AuditedAdmin, UserAdmin):
    list_display = ("username", "first_name", "last_name", "email", "roles", "is_active", "is_staff", "last_login")
    list_filter = ("groups", "is_active", "is_staff", "is_superuser")
    # What an account may do comes from its roles (groups) only, so per-account permissions are left out.
    fieldsets = [
        (name, {**options, "fields": [field for field in options["fields"] if field != "user_permissions"]})
        for name, options in UserAdmin.fieldsets
    ]

    @admin.display(description="roles")
    def roles(self, user):
        return ", ".join(group.name for group in user.groups.all()) or "—"
