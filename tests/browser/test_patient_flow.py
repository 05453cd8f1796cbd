"""The patient flow in a real browser: upload, result with heatmap, save, case link; and a refused PDF."""

import base64
import io
import re
from datetime import date, timedelta

import gridfs
import numpy as np
from PIL import Image
from playwright.sync_api import expect

from tests.portal.flow import NEGATIVE_XRAY, PDF, XRAY

DROP_FILE = """([data, name, type]) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], name, {type}));
    return transfer;
}"""


def test_upload_see_the_result_save_and_follow_the_case(
    portal, database, page, screenshot, serious_accessibility_violations
):
    page.goto(portal)
    expect(page.get_by_role("heading", name="What it does not do")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    screenshot(page, "01-landing")
    page.get_by_role("main").get_by_role("link", name="Check an X-ray").click()

    # Upload page: drag and drop the X-ray, see the preview.
    expect(page.get_by_role("heading", name="Upload a chest X-ray")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    dropped = page.evaluate_handle(DROP_FILE, [base64.b64encode(XRAY.read_bytes()).decode(), XRAY.name, "image/jpeg"])
    page.dispatch_event("[data-drop-zone]", "drop", {"dataTransfer": dropped})
    expect(page.get_by_alt_text("Preview of the chosen file")).to_be_visible()
    expect(page.locator("[data-preview-note]")).to_contain_text(XRAY.name)
    screenshot(page, "02-upload-preview")

    # Sending: the page shows progress. A listener after busy.js's stops this first submission so the state can be
    # looked at; form.submit() then sends the form (it fires no submit event).
    page.evaluate("() => window.addEventListener('submit', (event) => event.preventDefault(), {once: true})")
    page.get_by_role("button", name="Analyse the X-ray").click()
    expect(page.get_by_role("status")).to_contain_text("Uploading and analysing your X-ray")
    expect(page.get_by_role("button", name="Analyse the X-ray")).to_be_disabled()
    screenshot(page, "03-uploading")
    page.evaluate("() => document.querySelector('form[data-upload]').submit()")

    # Result page: the X-ray with its heatmap, the score against the threshold, the model's version.
    page.wait_for_url(re.compile(r"/result/"))
    heatmap = page.get_by_alt_text("Heatmap of where the model looked")
    expect(heatmap).to_be_visible()
    expect(page.locator(".score-scale")).to_be_visible()
    expect(page.get_by_text(re.compile(r"COVID-19 pattern score [0-9.]+%"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"Model densenet, version \d+\."))).to_be_visible()
    expect(page.get_by_text("This is not a diagnosis.")).to_be_visible()
    figure = page.locator(".xray")
    assert colourful_share(figure.screenshot()) > 0.5  # the grey levels are coloured by the page's SVG filter
    page.get_by_label("Show the heatmap").uncheck()
    expect(heatmap).to_be_hidden()
    assert colourful_share(figure.screenshot()) < 0.01  # the X-ray alone is grey
    page.get_by_label("Show the heatmap").check()
    page.get_by_label(re.compile("Heatmap opacity")).fill("40")
    expect(heatmap).to_have_css("opacity", "0.4")
    assert serious_accessibility_violations(page) == []
    screenshot(page, "04-result")

    # Save the case for a clinician's advice.
    page.get_by_role("link", name="Save for a clinician's advice").click()
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Age").fill("36")
    page.get_by_label("Female").check()
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("Fever").check()
    page.get_by_label("Tiredness").check()
    page.get_by_label("When did your symptoms start?").fill((date.today() - timedelta(days=3)).isoformat())
    page.get_by_label("I am waiting for a test result").check()
    expect(page.locator("#consent-text")).to_contain_text("90 days")
    page.get_by_label(re.compile("I agree that my answers")).check()
    assert serious_accessibility_violations(page) == []
    screenshot(page, "05-save-form")
    page.get_by_role("button", name="Save my case").click()

    # The case page, behind its private link.
    page.wait_for_url(re.compile(r"/cases/[A-Za-z0-9_-]{32,}$"))
    expect(page.get_by_text("Awaiting review")).to_be_visible()
    expect(page.get_by_role("heading", name="Keep this link private")).to_be_visible()
    expect(page.get_by_label("Your case link")).to_have_value(page.url)
    expect(page.locator('meta[name="robots"]')).to_have_attribute("content", "noindex, nofollow")
    assert serious_accessibility_violations(page) == []
    screenshot(page, "06-case")

    reference = page.url.rpartition("/")[2]
    case = database["cases_case"].find_one({"reference": reference})
    assert case["status"] == "awaiting_review" and case["symptoms"] == ["fever", "tiredness"]
    assert case["prediction"]["model_name"] == "densenet" and case["prediction"]["model_version"] >= 1
    files = gridfs.GridFSBucket(database, bucket_name="case_files")
    assert files.open_download_stream_by_name(case["upload"]).read() == XRAY.read_bytes()
    headers = page.reload().headers
    assert headers["x-robots-tag"] == "noindex, nofollow" and headers["referrer-policy"] == "no-referrer"


def test_a_positive_result_shows_the_severity_with_its_uncertainty_and_a_negative_one_does_not(
    portal, page, screenshot, serious_accessibility_violations
):
    for xray, positive in ((XRAY, True), (NEGATIVE_XRAY, False)):
        page.goto(f"{portal}/upload")
        page.get_by_label("Chest X-ray").set_input_files(str(xray))
        page.get_by_role("button", name="Analyse the X-ray").click()
        page.wait_for_url(re.compile(r"/result/"))
        severity = page.get_by_role("region", name="How much of the lungs looks affected")
        if positive:
            expect(page.get_by_text(re.compile("The X-ray resembles"))).to_be_visible()
            expect(severity).to_be_visible()
            expect(severity).to_contain_text(re.compile(r"Extent: \d\.\d of 8 \(±\d\.\d\)"))
            expect(severity).to_contain_text(re.compile(r"Opacity: \d\.\d of 6 \(±\d\.\d\)"))
            expect(severity).to_contain_text("0-4 per lung")
            assert serious_accessibility_violations(page) == []
            screenshot(page, "04b-result-severity")
        else:
            expect(page.get_by_text(re.compile("The X-ray does not resemble"))).to_be_visible()
            expect(severity).to_have_count(0)
            expect(page.get_by_text(re.compile(r"of 8 \(±"))).to_have_count(0)


def test_a_pdf_is_refused_with_the_reason_next_to_the_field(
    portal, page, screenshot, serious_accessibility_violations
):
    page.goto(f"{portal}/upload")
    file_input = page.get_by_label("Chest X-ray")

    file_input.set_input_files(files=[{"name": "scan.dcm", "mimeType": "application/dicom", "buffer": b"DICM"}])
    expect(page.locator("[data-preview-note]")).to_contain_text("cannot be previewed in the browser")
    expect(page.get_by_alt_text("Preview of the chosen file")).to_be_hidden()

    file_input.set_input_files(files=[{"name": "report.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.get_by_role("button", name="Analyse the X-ray").click()
    page.wait_for_load_state()
    field_error = page.locator("#div_id_image .invalid-feedback")
    expect(field_error).to_contain_text("This file is not an image we can read")
    expect(file_input).to_have_attribute("aria-invalid", "true")
    assert serious_accessibility_violations(page) == []
    screenshot(page, "07-pdf-refused")


def test_without_javascript_the_upload_is_a_plain_form_post(portal, browser, screenshot):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{portal}/upload")
        page.get_by_label("Chest X-ray").set_input_files(XRAY)
        page.get_by_role("button", name="Analyse the X-ray").click()
        expect(page.get_by_alt_text("Heatmap of where the model looked")).to_be_visible()
        expect(page.get_by_text(re.compile(r"Model densenet, version \d+\."))).to_be_visible()
        expect(page.get_by_label("Show the heatmap")).to_be_hidden()  # the controls need JavaScript
        assert page.url.endswith("/upload")  # the result's own address needs JavaScript too
        screenshot(page, "08-result-without-javascript")
    finally:
        context.close()


def colourful_share(png_bytes):
    """The share of pixels whose channels differ by more than a grey image's JPEG noise."""
    rgb = np.asarray(Image.open(io.BytesIO(png_bytes)).convert("RGB")).astype(int)
    return float(((rgb.max(axis=2) - rgb.min(axis=2)) > 24).mean())
