"""Prometheus' scrape target."""

from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST

from portal.observability.metrics import exposition


@never_cache
def metrics(request):
    """Served to in-cluster scrapers only: the ingress (Traefik) adds X-Forwarded-For to every
    request it forwards, so a request that carries it came from outside and gets a 404."""
    if "HTTP_X_FORWARDED_FOR" in request.META:
        raise Http404
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
