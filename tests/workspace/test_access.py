"""Who may open what: every workspace page needs a signed-in account with the right role."""

import re

import pytest
from django.contrib.auth.models import User

from portal.audit.models import AuditEvent, Event
from portal.cases.models import Advice
from portal.workspace.services import give_advice
from tests.workspace.conftest import PASSWORD, account, case_with, events

ADMIN_PAGES = ["/admin/", "/admin/auth/user/", "/admin/audit/auditevent/", "/admin/cases/case/"]


@pytest.fixture
def advice(clinician, rf):
    return give_advice(case_with(0.9), clinician, rf.get("/"), recommendation="self_isolate", text="Stay home.")


@pytest.fixture
def workspace_pages(advice):
    return ["/workspace/", "/workspace/cases", f"/workspace/cases/{advice.case.reference}",
            f"/workspace/advice/{advice.pk}/amend", "/workspace/dashboard", "/workspace/audit"]  # fmt: skip


def test_anonymous_requests_for_every_workspace_page_go_to_the_sign_in_page(client, workspace_pages):
    for url in workspace_pages:
        for response in (client.get(url), client.post(url, {"text": "x", "recommendation": "no_action"})):
            assert response.status_code == 302, url
            assert response.url == f"/workspace/login?next={url}", url
    assert Advice.objects.count() == 1  # the fixture's, nothing posted anonymously


def test_an_account_without_a_role_is_refused_every_workspace_page(client, workspace_pages):
    client.force_login(account("visitor"))
    for url in workspace_pages:
        assert client.get(url).status_code == 403, url


def test_a_clinician_cannot_reach_administrator_pages(as_clinician):
    for url in ADMIN_PAGES:
        response = as_clinician.get(url)
        assert response.status_code == 302 and response.url.startswith("/admin/login/"), url
    assert as_clinician.get("/workspace/audit").status_code == 403
    assert "Audit trail" not in as_clinician.get("/workspace/cases").content.decode()


def test_an_administrator_reaches_the_admin_and_the_audit_trail_but_not_the_cases(client, administrator):
    client.force_login(administrator)
    for url in [*ADMIN_PAGES, "/workspace/audit", "/workspace/dashboard"]:
        assert client.get(url).status_code == 200, url
    assert client.get("/workspace/").url == "/workspace/audit"
    assert client.get("/workspace/cases").status_code == 403  # reviewing is the clinician's role


def test_signing_in_lands_a_clinician_on_the_worklist_and_is_audited(client, clinician):
    page = client.get("/workspace/login")
    assert page.status_code == 200 and "Clinician sign-in" in page.content.decode()
    response = client.post("/workspace/login", {"username": "grace", "password": PASSWORD}, REMOTE_ADDR="10.1.2.3",
                           HTTP_X_FORWARDED_FOR="203.0.113.9")  # fmt: skip
    assert response.status_code == 302 and response.url == "/workspace/"
    assert client.get(response.url).url == "/workspace/cases"
    event = AuditEvent.objects.get()
    assert (event.event, event.user, event.username) == (Event.LOGIN, clinician, "grace")
    assert (event.address, event.forwarded_for) == ("10.1.2.3", "203.0.113.9")

    assert client.post("/workspace/logout").url == "/workspace/login"
    assert events(event=Event.LOGOUT) == [("logout", "grace", "")]
    assert client.get("/workspace/cases").status_code == 302


def test_failed_sign_ins_are_audited_naming_only_accounts_that_exist(client, clinician):
    wrong = client.post("/workspace/login", {"username": "grace", "password": "not the password at all"})
    assert wrong.status_code == 200 and "enter a correct username and password" in wrong.content.decode()
    client.post("/workspace/login", {"username": "my secret password", "password": "oops"})
    failures = AuditEvent.objects.filter(event=Event.LOGIN_FAILED).order_by("at")
    assert [(event.username, event.user, event.address) for event in failures] == [
        ("grace", None, "127.0.0.1"),
        ("", None, "127.0.0.1"),  # what was typed is not kept: it may have been a password
    ]
    assert not AuditEvent.objects.filter(event=Event.LOGIN).exists()


def test_the_audit_trail_is_read_only_in_the_admin_even_for_a_superuser(client, clinician):
    client.force_login(clinician)  # an event to look at
    event = AuditEvent.objects.create(event=Event.LOGIN, user=clinician, username="grace")
    client.force_login(User.objects.create_superuser("super", password=PASSWORD))
    change_url = f"/admin/audit/auditevent/{event.pk}/change/"
    page = client.get(change_url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(change_url, {"event": "logout", "username": "someone"}).status_code == 403
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert (event.event, event.username) == ("login", "grace")


def test_cases_and_advice_are_read_only_in_the_admin_and_opening_a_case_there_is_audited(client, administrator, advice):
    client.force_login(administrator)
    case_url = f"/admin/cases/case/{advice.case.pk}/change/"
    page = client.get(case_url)
    assert page.status_code == 200 and advice.case.patient_name in page.content.decode()
    assert events(event=Event.CASE_VIEWED) == [("case_viewed", "root", advice.case.reference)]
    assert client.post(case_url, {"status": "awaiting_review"}).status_code == 403
    assert client.post(f"/admin/cases/advice/{advice.pk}/change/", {"text": "Changed."}).status_code == 403
    assert client.get("/admin/cases/case/add/").status_code == 403
    advice.refresh_from_db()
    assert advice.text == "Stay home."


def test_administrators_add_accounts_with_strong_passwords_and_it_is_audited_without_values(client, administrator):
    client.force_login(administrator)
    weak = {"username": "ada", "password1": "short1", "password2": "short1", "usable_password": "true"}
    assert "This password is too short" in client.post("/admin/auth/user/add/", weak).content.decode()
    strong = {**weak, "password1": PASSWORD, "password2": PASSWORD}
    assert client.post("/admin/auth/user/add/", strong).status_code == 302
    ada = User.objects.get(username="ada")
    assert ada.check_password(PASSWORD)

    password_url = f"/admin/auth/user/{ada.pk}/password/"
    new_password = "another long pass phrase 8"
    changing = {"password1": new_password, "password2": new_password, "usable_password": "true"}
    assert client.post(password_url, changing).status_code == 302
    added, changed = AuditEvent.objects.filter(event__in=[Event.ADDED, Event.CHANGED]).order_by("at")
    assert (added.event, added.username, added.detail["model"], added.detail["object"]) == (
        "added", "root", "auth.user", str(ada.pk)
    )
    assert (changed.event, changed.detail["change"]) == ("changed", [{"changed": {"fields": ["password"]}}])
    assert PASSWORD not in str(added.detail) and new_password not in str(changed.detail)


def test_the_admin_lists_cases_advice_events_and_accounts_with_filters_and_search(client, administrator, advice):
    case_with(0.2, name="Grace Hopper")
    client.force_login(administrator)
    cases = client.get("/admin/cases/case/", {"q": "ada", "status__exact": "reviewed", "reading": "covid_pattern"})
    assert cases.status_code == 200
    assert "Ada Lovelace" in cases.content.decode() and "Grace Hopper" not in cases.content.decode()
    assert "90.0%" in cases.content.decode()  # the score column
    listed = client.get("/admin/cases/advice/", {"recommendation__exact": "self_isolate"})
    assert listed.status_code == 200 and "grace" in listed.content.decode()
    logins = client.get("/admin/audit/auditevent/", {"event__exact": "login", "q": "root"})
    assert logins.status_code == 200 and "1 audit event" in logins.content.decode()
    accounts = client.get("/admin/auth/user/", {"q": "grace"})
    assert accounts.status_code == 200 and "clinician" in accounts.content.decode()  # the roles column
    assert client.get("/admin/").status_code == 200


def test_the_audit_trail_page_shows_who_what_when_and_from_where(client, administrator, advice):
    client.force_login(administrator)
    page = client.get("/workspace/audit", {"event": "advice_given"})
    assert page.status_code == 200
    rows = re.findall(r'<tr data-event="([a-z_]+)">(.*?)</tr>', page.content.decode(), re.S)
    assert [event for event, _ in rows] == ["advice_given"]
    assert "grace" in rows[0][1] and advice.case.reference[:8] in rows[0][1] and "127.0.0.1" in rows[0][1]
    assert "Stay home." not in page.content.decode()  # the advice's text is not in the trail
    everything = client.get("/workspace/audit").content.decode()
    assert re.findall(r'<tr data-event="([a-z_]+)">', everything) == ["login", "advice_given"]
