from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "portal.api"
    label = "api"
    verbose_name = "REST API"

    def ready(self):
        from portal.api import schema  # noqa: F401 (registers the schema extension)
