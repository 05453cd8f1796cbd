"""Clinicians, administrators and cases for the workspace tests, on the real SecantusDB.

`case_with` writes a case document directly, with the prediction a test needs and no files: the
worklist and the dashboard read only documents. `saved_case` goes through the patient flow's
save_case with the real model server, files in GridFS and all.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.cases.models import Case, Prediction
from portal.cases.services import save_case
from portal.workspace.roles import ADMINISTRATOR, CLINICIAN, create_roles
from tests.portal.flow import XRAY

PASSWORD = "a long enough pass phrase 7"


@pytest.fixture(autouse=True)
def roles(db):
    """The flush between tests empties every collection; the roles' migration ran only once, before the first."""
    create_roles()


def account(username, *roles, **fields):
    user = User.objects.create_user(username, password=PASSWORD, **fields)
    user.groups.set(Group.objects.filter(name__in=roles))
    return user


@pytest.fixture
def clinician():
    return account("grace", CLINICIAN, first_name="Grace", last_name="Hopper")


@pytest.fixture
def second_clinician():
    return account("alan", CLINICIAN, first_name="Alan", last_name="Turing")


@pytest.fixture
def administrator():
    return account("root", ADMINISTRATOR, is_staff=True)


@pytest.fixture
def as_clinician(client, clinician):
    client.force_login(clinician)
    return client


def case_with(p_covid=None, reading=None, hours_ago=0, name="Ada Lovelace", version=1, saved_at=None, severity=None,
              **fields):  # fmt: skip
    """A case document whose prediction is (p_covid, reading), or pending when p_covid is None, saved
    `hours_ago` (or at `saved_at`); `severity` is (extent, opacity), with SDs 1.0 and 0.5."""
    now = timezone.now()
    prediction = None
    if p_covid is not None:
        extent, opacity = severity or (None, None)
        prediction = Prediction(
            probabilities={"normal": 1 - p_covid, "pneumonia": 0.0, "covid": p_covid}, p_covid=p_covid,
            threshold=0.5, reading=reading or ("covid_pattern" if p_covid >= 0.5 else "no_covid_pattern"),
            ood_score=1.0, ood_threshold=2.0, heatmap="none.png", model_name="densenet", model_version=version,
            made_at=now, severity_extent=extent, severity_extent_sd=severity and 1.0,
            severity_opacity=opacity, severity_opacity_sd=severity and 0.5,
        )  # fmt: skip
    case = Case.objects.create(
        patient_name=name, age=40, sex="female", email="patient@example.org", test_status="waiting",
        consent_text="I agree.", consented_at=now, upload="none.jpg", display="none.png", image_facts={},
        prediction=prediction, retain_until=now + timedelta(days=90), **fields,
    )  # fmt: skip
    Case.objects.filter(pk=case.pk).update(created_at=saved_at or now - timedelta(hours=hours_ago))
    case.refresh_from_db()
    return case


@pytest.fixture
def saved_case(model_server):
    """A case saved as a patient saves it: answers, the X-ray in GridFS, the model's prediction."""
    case = Case(patient_name="Ada Lovelace", age=36, sex="female", email="ada@example.org", test_status="waiting",
                consent_text="I agree.")  # fmt: skip
    return save_case(case, XRAY.read_bytes())


def events(**filters):
    return list(AuditEvent.objects.filter(**filters).values_list("event", "username", "case_reference"))
