"""Every page of ours, the admin's and the API's documentation pages work in Chromium under the
Content-Security-Policy without 'unsafe-inline' (ReDoc's page alone allows the inline styles and the blob:
worker its library makes): the browser reports no violation on any of them."""

import base64
import os
import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from devtools.services import REPO_ROOT
from portal.security.middleware import CONTENT_SECURITY_POLICY, REDOC_POLICY
from tests.browser.conftest import DATABASE
from tests.browser.test_patient_flow import DROP_FILE
from tests.browser.test_workspace import PASSWORD, save_a_case
from tests.portal.flow import XRAY

NEW_SUPERUSER = f"""
from django.contrib.auth.models import User
User.objects.filter(username="csp-admin").exists() or User.objects.create_superuser("csp-admin",
    password="{PASSWORD}", first_name="Ida", last_name="Admin")
"""
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
# Registered before any script of the page runs (through DevTools, so the policy does not stop it).
LISTEN = """window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => window.__violations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${event.sourceFile}:${event.lineNumber}`,
));"""


@pytest.fixture
def watched(browser):
    """A page whose CSP violations are collected: `violations()` reads the events and console reports so far."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(LISTEN)
    page = context.new_page()
    console = []
    page.on("console", lambda message: console.append(message.text) if "Content Security Policy" in message.text
            else None)  # fmt: skip

    def violations():
        return page.evaluate("() => window.__violations") + console

    yield page, violations
    context.close()


def visit(page, violations, url, ready, policy=CONTENT_SECURITY_POLICY):
    """Open `url`, wait for `ready` (a locator function) to show, and return what the policy blocked."""
    response = page.goto(url)
    assert response.headers["content-security-policy"] == policy
    expect(ready(page)).to_be_visible()
    page.wait_for_load_state("networkidle")
    return violations()


def test_no_page_breaks_the_content_security_policy(portal, watched, screenshot):
    page, violations = watched
    subprocess.run([sys.executable, "manage.py", "shell", "-v", "0", "-c", NEW_SUPERUSER], cwd=REPO_ROOT,
                   env={**os.environ, "MONGO_DB": DATABASE}, check=True)  # fmt: skip

    # The patient's pages, with the scripts they run: the preview (a blob: URL), the heatmap's controls.
    assert visit(page, violations, portal, lambda p: p.get_by_role("heading", name="What it does not do")) == []
    page.goto(f"{portal}/upload")
    dropped = page.evaluate_handle(DROP_FILE, [base64.b64encode(XRAY.read_bytes()).decode(), XRAY.name, "image/jpeg"])
    page.dispatch_event("[data-drop-zone]", "drop", {"dataTransfer": dropped})
    expect(page.get_by_alt_text("Preview of the chosen file")).to_be_visible()
    case_link = save_a_case(page, portal, "Katherine Johnson")  # upload, result, save form, case page
    page.get_by_label("Show the heatmap").uncheck()
    assert violations() == []

    # The workspace, signed in through its page, and the admin.
    page.goto(f"{portal}/workspace/login")
    page.get_by_label("Username").fill("csp-admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Worklist")).to_be_visible()
    reference = case_link.rpartition("/")[2]
    assert visit(page, violations, f"{portal}/workspace/cases/{reference}",
                 lambda p: p.get_by_label(re.compile("^Zoom"))) == []  # fmt: skip
    page.get_by_label(re.compile("^Zoom")).fill("200")
    pages = [("/workspace/dashboard", "Dashboard"), ("/workspace/audit", "Audit trail"),
             ("/admin/", "Site administration"), ("/admin/auth/user/", "Select user to change"),
             ("/admin/auth/user/add/", "Add user"), ("/admin/cases/case/", "Select case to view")]  # fmt: skip
    for url, heading in pages:
        assert visit(page, violations, f"{portal}{url}", lambda p, h=heading: p.get_by_role("heading", name=h)) == []
    screenshot(page, "csp-admin")

    # The API's documentation: Swagger UI and ReDoc render the schema.
    assert visit(page, violations, f"{portal}/api/v1/docs/", lambda p: p.get_by_text("/api/v1/predictions")) == []
    screenshot(page, "csp-swagger-ui")
    rendered = lambda p: p.get_by_role("heading", name=re.compile("cases in triage or severity order"))  # noqa: E731
    blocked = visit(page, violations, f"{portal}/api/v1/redoc/", rendered, policy=REDOC_POLICY)
    # ReDoc's sidebar always asks its vendor's CDN for a logo and hides it when it fails: the policy keeps that
    # request from leaving, which is its job. Nothing else is blocked.
    assert blocked and all(REDOC_LOGO in violation for violation in blocked), blocked
    screenshot(page, "csp-redoc")


def test_the_listener_sees_what_the_policy_blocks(portal, watched):
    """The check can fail: an inline script that a page would run is reported."""
    page, violations = watched
    page.goto(portal)
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = '1'; document.body.append(s); }")
    page.wait_for_function("() => window.__violations.length > 0")
    assert any("script-src" in violation for violation in violations())
