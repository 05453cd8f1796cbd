"""Django's own apps on MongoDB (the SecantusDB stand-in): migrations, models, admin."""

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

pytestmark = pytest.mark.django_db


def test_contrib_migrations_are_applied_on_mongodb():
    applied = set(MigrationRecorder(connection).applied_migrations())
    for app in ("contenttypes", "auth", "admin", "sessions"):
        assert (app, "0001_initial") in applied
    assert connection.vendor == "mongodb"
    assert "auth_user" in connection.introspection.table_names()


def test_save_and_query_a_model():
    clinicians = Group.objects.create(name="clinician")
    user = User.objects.create_user("dr_who", "who@example.org", "a-long-passphrase-42")
    user.groups.add(clinicians)

    found = User.objects.get(groups__name="clinician")
    assert found.pk == user.pk
    assert found.check_password("a-long-passphrase-42")
    assert User.objects.filter(username__startswith="dr_").count() == 1
    assert not User.objects.filter(username="nobody").exists()


def test_login_to_the_admin(client):
    User.objects.create_superuser("admin", "admin@example.org", "admin-passphrase-2025")
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "admin", "password": "admin-passphrase-2025"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    page = client.get("/admin/")
    assert page.status_code == 200
    assert b"Site administration" in page.content


def test_admin_refuses_a_wrong_password(client):
    User.objects.create_superuser("admin", "admin@example.org", "admin-passphrase-2025")
    response = client.post("/admin/login/", {"username": "admin", "password": "wrong"})
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
