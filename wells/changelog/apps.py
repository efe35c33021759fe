from django.apps import AppConfig


class ChangelogConfig(AppConfig):
    name = "wells.changelog"
    label = "changelog"  # the last part of the name: tenants.routers maps TENANT_APPS to labels that way
    verbose_name = "Change log"
