"""The two roles, as Django groups (made by migration 0001_roles): what each may do is its permissions.

A clinician reviews cases and signs advice; an administrator manages accounts and reads the audit
trail (entering the admin also takes the account's "staff status"). One account may hold both roles.
"""

from django.apps import apps as global_apps
from django.contrib.auth.decorators import login_required, permission_required

CLINICIAN = "clinician"
ADMINISTRATOR = "administrator"
REVIEW_PERMISSION = "cases.add_advice"  # the clinician's (the administrator's is audit.view_auditevent)
DASHBOARD_PERMISSION = "cases.view_case"  # both roles'

ROLE_PERMISSIONS = {
    CLINICIAN: ["cases.view_case", "cases.view_advice", "cases.add_advice"],
    ADMINISTRATOR: [
        "auth.view_user", "auth.add_user", "auth.change_user", "auth.delete_user", "auth.view_group",
        "cases.view_case", "cases.view_advice", "audit.view_auditevent",
    ],
}  # fmt: skip


def create_roles(apps=global_apps):
    """Give each role's group exactly the permissions above; safe to run again. Migration 0001_roles
    runs it (a later change to the roles comes with a migration that runs it again)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    for role, names in ROLE_PERMISSIONS.items():
        permissions = []
        for name in names:
            app_label, codename = name.split(".")
            content_types = ContentType.objects.filter(app_label=app_label)
            permissions.append(Permission.objects.get(content_type__in=content_types, codename=codename))
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(permissions)


def is_clinician(user):
    return user.has_perm(REVIEW_PERMISSION)


def requires(permission):
    """Anonymous users go to the sign-in page; signed-in users without `permission` get a 403."""

    def decorate(view):
        return login_required(permission_required(permission, raise_exception=True)(view))

    return decorate


clinician_required = requires(REVIEW_PERMISSION)
