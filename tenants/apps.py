from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants"

    def ready(self):
        from . import middleware  # noqa: F401  (registers the API's 503 for a tenant database that failed)
