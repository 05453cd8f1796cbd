"""The clinician and administrator groups with their permissions (see portal/workspace/roles.py)."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

from portal.workspace.roles import ROLE_PERMISSIONS, create_roles


def roles(apps, schema_editor):
    # Django creates permissions after the last migration; the groups need them now.
    for label in ("auth", "cases", "audit"):
        create_permissions(global_apps.get_app_config(label), apps=apps, using=schema_editor.connection.alias,
                           verbosity=0)  # fmt: skip
    create_roles(apps)


def no_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0001_initial"),
        ("contenttypes", "0001_initial"),
        ("cases", "0002_alter_case_status_advice"),
        ("audit", "0001_initial"),
    ]

    operations = [migrations.RunPython(roles, no_roles)]
