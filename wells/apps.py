from django.apps import AppConfig


class WellsConfig(AppConfig):
    name = "wells"
    verbose_name = "Wells"
