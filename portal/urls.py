"""URL map of the portal: one include per app."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("portal.health.urls")),
    path("", include("portal.observability.urls")),
    path("", include("portal.screening.urls")),
    path("cases/", include("portal.cases.urls")),
    path("workspace/", include("portal.workspace.urls")),
    path("workspace/", include("portal.audit.urls")),
    path("api/", include("portal.api.urls")),
    path("admin/", admin.site.urls),
]
