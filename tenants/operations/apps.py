from django.apps import AppConfig


class TenantOperationsConfig(AppConfig):
    name = "tenants.operations"
    label = "tenant_operations"
    verbose_name = "Tenant operations"
