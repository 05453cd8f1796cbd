"""The clinician workspace in a real browser: a case saved by a patient is reviewed, and the advice reaches
the patient's case link."""

import os
import re
import subprocess
import sys
from datetime import date, timedelta

from playwright.sync_api import expect

from devtools.services import REPO_ROOT
from tests.browser.conftest import DATABASE
from tests.portal.flow import XRAY

PASSWORD = "a long enough pass phrase 7"
NEW_CLINICIAN = f"""
from django.contrib.auth.models import Group, User
user = User.objects.create_user("grace", password="{PASSWORD}", first_name="Grace", last_name="Hopper")
user.groups.add(Group.objects.get(name="clinician"))
"""


def save_a_case(page, portal, name):
    """The patient flow, briefly (test_patient_flow.py checks each step): upload, result, save. The case link."""
    page.goto(f"{portal}/upload")
    page.get_by_label("Chest X-ray").set_input_files(XRAY)
    page.get_by_role("button", name="Analyse the X-ray").click()
    page.get_by_role("link", name="Save for a clinician's advice").click()
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Age").fill("52")
    page.get_by_label("Female").check()
    page.get_by_label("Phone number").fill("+44 20 7946 0000")
    page.get_by_label("Shortness of breath").check()
    page.get_by_label("When did your symptoms start?").fill((date.today() - timedelta(days=2)).isoformat())
    page.get_by_label("I have not had a COVID-19 test").check()
    page.get_by_label(re.compile("I agree that my answers")).check()
    page.get_by_role("button", name="Save my case").click()
    page.wait_for_url(re.compile(r"/cases/[A-Za-z0-9_-]{32,}$"))
    return page.url


def test_a_clinician_reviews_a_saved_case_and_the_patient_reads_the_advice(
    portal, database, browser, page, screenshot, serious_accessibility_violations
):
    new_clinician = [sys.executable, "manage.py", "shell", "-v", "0", "-c", NEW_CLINICIAN]
    subprocess.run(new_clinician, cwd=REPO_ROOT, env={**os.environ, "MONGO_DB": DATABASE}, check=True)
    database["cases_case"].delete_many({})  # an empty worklist, whatever the other browser tests saved
    case_link = save_a_case(page, portal, "Hedy Lamarr")
    reference = case_link.rpartition("/")[2]

    clinician = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    try:
        # Signing in: the workspace sends an anonymous visitor to the sign-in page first.
        clinician.goto(f"{portal}/workspace/cases")
        expect(clinician.get_by_role("heading", name="Clinician sign-in")).to_be_visible()
        clinician.get_by_label("Username").fill("grace")
        clinician.get_by_label("Password").fill(PASSWORD)
        screenshot(clinician, "workspace-01-sign-in")
        clinician.get_by_role("button", name="Sign in").click()

        # The worklist: the patient's case on top.
        expect(clinician.get_by_role("heading", name="Worklist")).to_be_visible()
        first_row = clinician.locator("tbody tr").first
        expect(first_row).to_contain_text("Hedy Lamarr")
        expect(first_row).to_have_attribute("data-case", reference)
        expect(clinician.locator("[data-counts]")).to_contain_text("1 case awaiting review")
        assert serious_accessibility_violations(clinician) == []
        screenshot(clinician, "workspace-02-worklist")
        first_row.get_by_role("link").click()

        # The case: the X-ray viewer, the model's output, the answers.
        expect(clinician.get_by_role("heading", level=1)).to_contain_text(f"Case {reference[:8]}")
        expect(clinician.get_by_text(re.compile(r"densenet, version \d+"))).to_be_visible()
        expect(clinician.get_by_text("Shortness of breath")).to_be_visible()
        clinician.get_by_label(re.compile("^Zoom")).fill("200")
        expect(clinician.locator(".case-viewer .xray")).to_have_css("width", re.compile(r"^\d+(\.\d+)?px$"))
        assert clinician.evaluate("() => document.querySelector('.case-viewer .xray').style.width") == "200%"
        clinician.get_by_label(re.compile("^Contrast")).fill("150")
        expect(clinician.locator(".case-viewer .xray-image")).to_have_css("filter", "brightness(1) contrast(1.5)")
        clinician.get_by_label("Show the heatmap").uncheck()
        expect(clinician.get_by_alt_text("Heatmap of where the model looked")).to_be_hidden()
        assert serious_accessibility_violations(clinician) == []
        screenshot(clinician, "workspace-03-case")

        # Advice and sign-off.
        clinician.get_by_label("Self-isolate").check()
        clinician.get_by_label("Advice to the patient").fill("Stay at home for five days and book an RT-PCR test.")
        clinician.get_by_label(re.compile("I have reviewed this case and sign this advice as Grace Hopper")).check()
        clinician.get_by_role("button", name="Sign off and send to the patient").click()
        expect(clinician.locator(".alert-success")).to_contain_text("Your advice is signed")
        expect(clinician.locator("h1 [data-status]")).to_have_text("Reviewed")
        expect(clinician.locator(".case-history")).to_contain_text("Signed off advice")
        assert serious_accessibility_violations(clinician) == []
        screenshot(clinician, "workspace-04-advice-signed")

        clinician.get_by_role("link", name="Dashboard").click()
        expect(clinician.locator("[data-backlog]")).to_have_text("0")
        expect(clinician.locator("svg.chart-svg")).to_have_count(4)
        assert serious_accessibility_violations(clinician) == []
        screenshot(clinician, "workspace-05-dashboard")
    finally:
        clinician.context.close()

    # The patient's case link shows the advice.
    page.goto(case_link)
    expect(page.locator("[data-status]")).to_have_text("Reviewed")
    advice = page.locator("[data-advice]")
    expect(advice).to_contain_text("Self-isolate")
    expect(advice).to_contain_text("Stay at home for five days and book an RT-PCR test.")
    expect(advice).to_contain_text("Signed by Grace Hopper")
    assert serious_accessibility_violations(page) == []
    screenshot(page, "workspace-06-patient-reads-the-advice")
    assert database["cases_case"].find_one({"reference": reference})["status"] == "reviewed"
