"""Liveness and readiness probes."""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from portal.health.checks import readiness


@never_cache
def healthz(request):
    """The process is alive; touches no dependency."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    """200 when every dependency answers, else 503 with the reasons."""
    ready, checks = readiness()
    return JsonResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )
