from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "sync"
    verbose_name = "Sync"

    def ready(self):
        from . import dashboard  # noqa: F401  (registers the sync figures with the dashboard)
        from . import metrics  # noqa: F401  (registers the sync figures with /metrics)
