"""docs/api.md's examples, run as written (curl with bash, Python with requests) against a live portal."""

import os
import re
import subprocess
import sys

import pytest

from devtools.services import REPO_ROOT
from portal.audit.models import AuditEvent
from portal.cases.models import Advice, Case
from tests.portal.flow import XRAY

GUIDE = REPO_ROOT / "docs/api.md"


def examples(language):
    return re.findall(rf"^```{language}\n(.*?)^```", GUIDE.read_text(), re.S | re.M)


@pytest.fixture
def environment(live_server, issue, clinician, model_server):
    keys = {"API_KEY": issue()[1], "CLINICIAN_KEY": issue(clinician=clinician)[1]}
    return {
        **os.environ, "PORTAL": live_server.url, "XRAY": str(XRAY),
        **{name: headers["HTTP_AUTHORIZATION"].removeprefix("Api-Key ") for name, headers in keys.items()},
    }  # fmt: skip


def run(command, environment):
    done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.django_db
def test_the_guides_examples_work_against_a_live_portal(environment):
    curl, python = examples("bash"), examples("python")
    assert len(curl) == 3 and len(python) == 2

    out = run(["bash", "-euo", "pipefail", "-c", "\n".join(curl)], environment)
    assert '"label":' in out and '"signatures":' in out and '"clinician":"Grace Hopper"' in out
    for program in python:
        out = run([sys.executable, "-c", program], environment)

    assert sorted(Case.objects.values_list("patient_name", flat=True)) == ["Ada Lovelace", "Alan Turing"]
    waiting, advised = Case.objects.get(patient_name="Ada Lovelace"), Case.objects.get(patient_name="Alan Turing")
    assert out.splitlines()[-1] == f"1 ['{waiting.reference}']"  # Alan's case is reviewed by then
    assert advised.status == "reviewed" and Advice.objects.get().case_id == advised.pk
    assert AuditEvent.objects.filter(event="case_viewed", case_reference=advised.reference).count() == 2
