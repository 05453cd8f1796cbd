from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "portal.screening"
    label = "screening"
