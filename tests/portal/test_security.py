"""Security headers on every kind of page, and `manage.py check --deploy` clean under production settings."""

import os
import secrets
import subprocess
import sys

import pytest

from devtools.services import REPO_ROOT
from portal.screening import pending
from portal.security.middleware import CONTENT_SECURITY_POLICY
from tests.portal.flow import XRAY
from tests.workspace.conftest import PASSWORD, account

pytestmark = pytest.mark.django_db


def test_every_kind_of_page_sends_the_security_headers(client):
    pages = ["/", "/upload", "/workspace/login", "/admin/login/", "/api/v1/docs/", "/api/v1/models", "/healthz",
             "/cases/unknown", f"/result/{pending.keep(XRAY.read_bytes())}"]  # fmt: skip
    for url in pages:
        response = client.get(url)
        assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, url
        assert response["X-Frame-Options"] == "DENY", url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", url
        assert response["Referrer-Policy"] in ("same-origin", "no-referrer"), url
        assert "Strict-Transport-Security" not in response, url  # plain HTTP: HSTS means nothing there
    policy = dict(directive.split(" ", 1) for directive in CONTENT_SECURITY_POLICY.split("; "))
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY and "unsafe-eval" not in CONTENT_SECURITY_POLICY
    assert policy["frame-ancestors"] == "'none'" and policy["default-src"] == "'self'"


def test_patient_result_pages_keep_their_stricter_referrer_policy(client):
    assert client.get(f"/result/{pending.keep(XRAY.read_bytes())}")["Referrer-Policy"] == "no-referrer"


def test_over_https_in_production_hsts_covers_subdomains_and_cookies_are_secure_and_http_only(client):
    account("grace")
    response = client.get("/workspace/login", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    signed_in = client.post("/workspace/login", {"username": "grace", "password": PASSWORD},
                            secure=True)  # fmt: skip
    assert signed_in.status_code == 302
    session, csrf = client.cookies["sessionid"], client.cookies["csrftoken"]
    for cookie in (session, csrf):
        assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert session["max-age"] == 8 * 3600  # SESSION_HOURS


@pytest.mark.parametrize("redirect", ["1", "0"])  # "0": the manifests' setting, HTTPS-only at the ingress
def test_check_deploy_is_clean_under_production_settings(redirect):
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "SIGN_IN_"))
    } | {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "prognosis.example.org",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://prognosis.example.org",
        "DJANGO_SECURE_SSL_REDIRECT": redirect,
    }  # fmt: skip
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_would_warn_in_debug():
    """The check is not vacuous: debug and a short secret are caught."""
    env = {**os.environ, "DJANGO_DEBUG": "1", "DJANGO_SECRET_KEY": "short"}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert "security.W018" in result.stderr and "security.W009" in result.stderr
