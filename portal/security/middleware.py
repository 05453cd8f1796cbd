"""The Content-Security-Policy, which Django 5.2 does not send itself.

Django's SecurityMiddleware sends the rest (nosniff, Referrer-Policy, Cross-Origin-Opener-Policy, HSTS in
production) and XFrameOptionsMiddleware frame denial, all from settings. Every page of ours, the admin's and
the API's documentation pages (assets from drf-spectacular-sidecar, no inline code) keep to this policy,
so there is no 'unsafe-inline' anywhere: tests/browser/test_security_headers.py loads each in Chromium.
"""

# Images are data: URIs (the X-ray and its heatmap) and a blob: URL (the upload's preview).
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "img-src 'self' data: blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])  # fmt: skip


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response
