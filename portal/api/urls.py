"""/api/v1/: the versioned REST API, its OpenAPI schema and the schema's documentation pages."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from portal.api import docs, views
from portal.security.middleware import redoc_policy

app_name = "api"

urlpatterns = [
    path("v1/predictions", views.Predictions.as_view(), name="predictions"),
    path("v1/cases", views.Cases.as_view(), name="cases"),
    path("v1/cases/<str:reference>", views.CaseView.as_view(), name="case"),
    path("v1/cases/<str:reference>/advice", views.CaseAdvice.as_view(), name="advice"),
    path("v1/cases/<str:reference>/export", views.CaseExport.as_view(), name="export"),
    path("v1/models", views.Models.as_view(), name="models"),
    path("v1/schema/", SpectacularAPIView.as_view(**docs.PUBLIC), name="schema"),
    path("v1/docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/swagger_ui.html",
                                                          **docs.PUBLIC), name="docs"),  # fmt: skip
    path("v1/redoc/", redoc_policy(SpectacularRedocView.as_view(
        url_name="api:schema", template_name="api/redoc.html", **docs.PUBLIC)), name="redoc"),  # fmt: skip
    re_path(r"^", docs.not_found),
]
