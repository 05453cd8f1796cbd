"""URL map for the observability tests: the project's URLs (its error pages link to them), the
metrics endpoint, and a named view whose URL holds a token."""

from django.http import HttpResponse
from django.urls import include, path


def case(request, token):
    return HttpResponse("ok")


urlpatterns = [
    path("cases/<str:token>", case, name="case"),
    path("", include("portal.observability.urls")),
    path("", include("portal.urls")),
]
