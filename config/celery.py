"""The Celery app. Tasks carry their tenant (tenant-schemas-celery): a task sent while a tenant
schema is active runs in that schema on the worker."""

import os

from tenant_schemas_celery.app import CeleryApp as TenantAwareCeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.development")

app = TenantAwareCeleryApp("pumpjack")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
