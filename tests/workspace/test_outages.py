"""A signed-in clinician while MongoDB is down: a clear 503 on every workspace page, then recovery by itself.

Found by `make resilience`: the session lookup in front of the workspace's pages raised past their
database_required handling, so clinicians got a 500 page while MongoDB restarted.
"""

import os
import subprocess
import sys

import requests

from devtools.services import REPO_ROOT, free_port, mongo_uri, start_mongo, start_portal
from tests.workspace.conftest import PASSWORD

CREATE_CLINICIAN = f"""
from django.contrib.auth.models import Group, User
User.objects.create_user("grace", password={PASSWORD!r}).groups.add(Group.objects.get(name="clinician"))
"""
PAGES = ("/workspace/", "/workspace/cases", "/workspace/dashboard")


def manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=REPO_ROOT, env=env, check=True, capture_output=True)


def send_secure_cookies(browser):
    """Debug is off, so the portal's cookies are Secure: send them over loopback HTTP anyway, as browsers do."""
    for cookie in browser.cookies:
        cookie.secure = False


def test_workspace_pages_and_sign_in_answer_503_while_mongodb_is_down_and_recover(tmp_path):
    mongo_port, portal_port = free_port(), free_port()
    mongo = start_mongo(mongo_port, tmp_path / "mongo")
    env = {**os.environ, "MONGO_URI": mongo_uri(mongo_port)}
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "shell", "-c", CREATE_CLINICIAN)
    portal = start_portal(portal_port, env, log_path=tmp_path / "portal.log")
    base = f"http://127.0.0.1:{portal_port}"
    browser = requests.Session()
    try:
        browser.get(f"{base}/workspace/login")
        send_secure_cookies(browser)
        sign_in = {"username": "grace", "password": PASSWORD, "csrfmiddlewaretoken": browser.cookies["csrftoken"]}
        assert browser.post(f"{base}/workspace/login", data=sign_in, allow_redirects=False).status_code == 302
        send_secure_cookies(browser)
        assert browser.get(f"{base}/workspace/cases").status_code == 200

        mongo.stop()
        for path in PAGES:
            page = browser.get(base + path, allow_redirects=False)
            assert page.status_code == 503, path
            assert page.headers["Retry-After"] and "database is not reachable" in page.text
        csrf = {"csrftoken": sign_in["csrfmiddlewaretoken"]}
        refused = requests.post(f"{base}/workspace/login", data=sign_in, cookies=csrf)
        assert refused.status_code == 503 and "database is not reachable" in refused.text

        mongo = start_mongo(mongo_port, tmp_path / "mongo")  # the same data: the session is still there
        assert browser.get(f"{base}/workspace/cases").status_code == 200
        assert "Traceback" not in (tmp_path / "portal.log").read_text()
    finally:
        portal.stop()
        mongo.stop()
