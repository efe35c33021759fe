from django.apps import AppConfig


class TenantOperationsConfig(AppConfig):
    name = "tenants.operations"
    label = "tenant_operations"
    verbose_name = "Tenant operations"

    def ready(self):
        # The team page (accounts, domain layer) shows each user's last sync, which the sync
        # layer records: the wiring of the two sits here, above both.
        from django.db.models import OuterRef, Subquery

        from accounts.selectors import last_sync_expression
        from sync.models import SyncBatch

        last_sync_expression(lambda: Subquery(
            SyncBatch.objects.filter(user=OuterRef("pk")).order_by("-received_at").values("received_at")[:1]
        ))
