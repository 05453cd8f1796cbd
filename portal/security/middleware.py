"""The Content-Security-Policy, which Django 5.2 does not send itself.

Django's SecurityMiddleware sends the rest (nosniff, Referrer-Policy, Cross-Origin-Opener-Policy, HSTS in
production) and XFrameOptionsMiddleware frame denial, all from settings. Every page of ours, the admin's and
Swagger UI keep to this policy (tests/browser/test_content_security_policy.py loads each in Chromium). The one
exception is ReDoc, which inserts <style> elements as it renders (styled-components) and runs its search in a
worker made from a blob: URL: its page alone allows inline styles and blob: workers, never inline scripts; it
shows only the public API schema.
"""

from functools import wraps

# Images are data: URIs (the X-ray and its heatmap) and a blob: URL (the upload's preview).
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "img-src 'self' data: blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])  # fmt: skip
REDOC_POLICY = f"{CONTENT_SECURITY_POLICY}; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:"


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


def redoc_policy(view):
    """The policy with ReDoc's exceptions, for its page only."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = REDOC_POLICY
        return response

    return wrapper
