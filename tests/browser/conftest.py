"""Headless Chromium (Debian's package, driven by Playwright) against a portal process on loopback.

The portal runs as `make run` starts it (devtools.services.start_portal), on the test run's
MongoDB stand-in with a database of its own, and the committed model behind the model server.
Screenshots go to var/test-artifacts/browser/.
"""

import os
import subprocess
import sys
from pathlib import Path

import pymongo
import pytest
from playwright.sync_api import sync_playwright

from devtools.services import REPO_ROOT, free_port, start_portal

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip
ARTIFACTS = REPO_ROOT / "var/test-artifacts/browser"
AXE = Path(__file__).resolve().parent / "vendor/axe-core/axe.min.js"
DATABASE = "browser_tests"

if not CHROMIUM.exists():
    pytest.skip(
        "Debian's chromium is not installed (apt-get install -y chromium; `make test` does it).",
        allow_module_level=True,
    )


@pytest.fixture(scope="package")
def portal(mongo_server, model_server, tmp_path_factory):
    """The base URL of a portal process on its own, freshly migrated database."""
    env = {**os.environ, "MONGO_DB": DATABASE}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=REPO_ROOT, env=env, check=True)
    port = free_port()
    service = start_portal(port, env, log_path=tmp_path_factory.mktemp("portal") / "portal.log")
    yield f"http://localhost:{port}"
    service.stop()


@pytest.fixture(scope="package")
def database(portal):
    """The portal's database, read directly: what it stored, not what it shows."""
    client = pymongo.MongoClient(os.environ["MONGO_URI"])
    yield client[DATABASE]
    client.close()


@pytest.fixture(scope="package")
def browser():
    # Package scope: Playwright's sync API keeps an event loop running, which Django's ORM in later
    # test packages would take for an async context.
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture
def screenshot():
    """screenshot(page, name) writes var/test-artifacts/browser/<name>.png (the whole page)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)

    return take


@pytest.fixture(scope="session")
def axe_source():
    return AXE.read_text()


@pytest.fixture
def serious_accessibility_violations(axe_source):
    """Run axe-core (WCAG 2.1 A/AA and best practice) in the page; its serious and critical violations."""

    def check(page):
        if not page.evaluate("() => typeof axe !== 'undefined'"):
            page.evaluate(axe_source)  # evaluated through DevTools, so a page's CSP does not stop it
        violations = page.evaluate(
            """async () => (await axe.run(document, {
                runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
            })).violations"""
        )
        return [
            f"{v['id']} ({v['impact']}): {v['help']} at {[node['target'] for node in v['nodes']]}"
            for v in violations
            if v["impact"] in ("serious", "critical")
        ]

    return check
