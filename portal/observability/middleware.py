"""Request latency by view: the route's name, never its URL (URLs carry upload tokens)."""

import time

from portal.observability.metrics import REQUEST_LATENCY

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestMetricsMiddleware:
    """Put first in MIDDLEWARE so the time covers every other middleware too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        start = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        view = match.view_name if match else "unresolved"
        method = request.method if request.method in KNOWN_METHODS else "other"
        REQUEST_LATENCY.labels(view, method, str(response.status_code)).observe(time.perf_counter() - start)
        return response
