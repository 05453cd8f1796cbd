"""Rates per API key (each key has its own, set by administrators) and per address for anonymous use.

DRF keeps the counts in Django's default cache, a LocMemCache: each process counts on its own, so
with N gunicorn workers a client may get up to N times the rate. A shared cache (Redis, Memcached)
in CACHES makes the limit exact.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from portal.api.models import ApiKey


class ApiKeyRateThrottle(SimpleRateThrottle):
    scope = "api_key"

    def allow_request(self, request, view):
        if not isinstance(request.auth, ApiKey):
            return True
        self.rate = request.auth.rate
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_rate(self):
        return None  # set per key in allow_request

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class AnonymousRateThrottle(SimpleRateThrottle):
    """Requests without a key: the schema and its documentation pages."""

    scope = "anon"

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]  # read per request, so settings can change

    def get_cache_key(self, request, view):
        if request.auth is not None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
