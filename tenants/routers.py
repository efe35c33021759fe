"""Where a model's rows live: the active tenant's own database, or the shared one.

Tenant apps (TENANT_APPS) go to the active tenant's alias when it is a DATABASE tenant; every
other case (public apps, schema tenants, no tenant) is left to django-tenants, which keeps them
on the shared database and its search_path. Only this router and ``tenants.databases`` know
which isolation level a tenant uses.
"""

from __future__ import annotations

from django.conf import settings

from .databases import current_alias, is_tenant_alias

_TENANT_APPS = frozenset(app.rsplit(".", 1)[-1] for app in settings.TENANT_APPS)
_SHARED_ONLY_APPS = frozenset(app.rsplit(".", 1)[-1] for app in settings.SHARED_APPS) - _TENANT_APPS


class TenantDatabaseRouter:
    def _route(self, model, hints) -> str | None:
        if model._meta.app_label not in _TENANT_APPS:
            return None
        instance = hints.get("instance")
        if instance is not None and instance._state.db is not None:
            return instance._state.db  # related objects stay with the row they were read from
        return current_alias()

    def db_for_read(self, model, **hints):
        return self._route(model, hints)

    def db_for_write(self, model, **hints):
        return self._route(model, hints)

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if is_tenant_alias(db):
            return app_label in _TENANT_APPS
        return None  # the shared database: django-tenants' TenantSyncRouter decides
