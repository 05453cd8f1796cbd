"""Sign-in lockout: failures per account and per address within the window, counted in MongoDB, refused with
a 429 that says when to retry, audited without the password, and lifted when the window has passed."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from portal.audit.models import AuditEvent, Event
from portal.workspace.lockout import account_key
from portal.workspace.models import FailedSignIn
from tests.workspace.conftest import PASSWORD

WRONG = "not the password at all 1"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.SIGN_IN_LOCKOUT_FAILURES = 3
    settings.SIGN_IN_LOCKOUT_ADDRESS_FAILURES = 5
    settings.SIGN_IN_LOCKOUT_MINUTES = 15


def sign_in(client, username, password, address="10.0.0.1"):
    return client.post("/workspace/login", {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(response):
    return response.status_code == 302 and response.url == "/workspace/"


def test_after_too_many_failures_the_account_is_locked_with_a_429_that_says_when(client, clinician):
    assert [sign_in(client, "grace", WRONG).status_code for _ in range(3)] == [200, 200, 200]
    locked = sign_in(client, "grace", PASSWORD)  # even the right password
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "too many failed sign-ins" in page and "UTC" in page and "Clinician sign-in" not in page
    assert 14 * 60 < int(locked["Retry-After"]) <= 15 * 60
    assert "_auth_user_id" not in client.session
    # The lock is the account's, from any address, and the admin's sign-in refuses it as well.
    assert sign_in(Client(), "grace", PASSWORD, address="10.9.9.9").status_code == 429
    admin = Client().post("/admin/login/", {"username": "grace", "password": PASSWORD, "next": "/admin/"})
    assert admin.status_code == 200 and "_auth_user_id" not in admin.client.session


def test_the_lockout_is_audited_once_and_never_holds_the_password(client, clinician):
    for _ in range(5):
        sign_in(client, "grace", WRONG)
    (lock,) = AuditEvent.objects.filter(event=Event.LOGIN_LOCKED)
    assert (lock.username, lock.user, lock.address) == ("grace", None, "10.0.0.1")
    assert timezone.now() + timedelta(minutes=14) < timezone.datetime.fromisoformat(lock.detail["until"])
    assert AuditEvent.objects.filter(event=Event.LOGIN_FAILED).count() == 3  # refused attempts are not tried
    stored = str(list(AuditEvent.objects.values())) + str(list(FailedSignIn.objects.values()))
    assert WRONG not in stored and "grace" not in str(list(FailedSignIn.objects.values()))


def test_other_accounts_are_not_affected(client, clinician, second_clinician):
    for _ in range(3):
        sign_in(client, "grace", WRONG)
    assert sign_in(client, "grace", PASSWORD).status_code == 429
    assert signed_in(sign_in(Client(), "alan", PASSWORD))


def test_many_failures_from_one_address_lock_that_address_only(clinician, second_clinician):
    attacker = Client()
    for name in ["a", "b", "c", "d", "e"]:  # one failure each: no account reaches its limit
        assert sign_in(attacker, name, WRONG, address="192.0.2.7").status_code == 200
    assert sign_in(attacker, "alan", PASSWORD, address="192.0.2.7").status_code == 429
    assert signed_in(sign_in(Client(), "alan", PASSWORD, address="10.0.0.2"))


def test_behind_the_ingress_the_address_is_the_one_it_appended(client, clinician, settings):
    settings.SIGN_IN_TRUSTED_PROXIES = 1
    for spoofed in ["1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"]:
        client.post("/workspace/login", {"username": f"x{spoofed}", "password": WRONG}, REMOTE_ADDR="10.42.0.9",
                    HTTP_X_FORWARDED_FOR=f"{spoofed}, 198.51.100.4")  # fmt: skip
    assert set(FailedSignIn.objects.values_list("address", flat=True)) == {"198.51.100.4"}
    response = client.post("/workspace/login", {"username": "grace", "password": PASSWORD}, REMOTE_ADDR="10.42.0.9",
                           HTTP_X_FORWARDED_FOR="198.51.100.4")  # fmt: skip
    assert response.status_code == 429


def test_after_the_window_the_right_password_signs_in_and_clears_the_count(client, clinician):
    for _ in range(3):
        sign_in(client, "grace", WRONG)
    assert sign_in(client, "grace", PASSWORD).status_code == 429
    FailedSignIn.objects.update(at=timezone.now() - timedelta(minutes=15, seconds=1))  # the window has passed
    assert signed_in(sign_in(client, "grace", PASSWORD))
    assert not FailedSignIn.objects.filter(account=account_key("grace")).exists()
    assert AuditEvent.objects.filter(event=Event.LOGIN, username="grace").exists()


def test_failures_spread_beyond_the_window_never_lock(client, clinician):
    for minutes_ago in (40, 30, 20):
        sign_in(client, "grace", WRONG)
        FailedSignIn.objects.filter(at__gt=timezone.now() - timedelta(seconds=5)).update(
            at=timezone.now() - timedelta(minutes=minutes_ago)
        )
    assert signed_in(sign_in(client, "grace", PASSWORD))
