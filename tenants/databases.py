"""Tenants with a database of their own (isolation level DATABASE).

A DATABASE tenant's registry row holds its connection URL, encrypted (``Tenant.database_url``).
Each process turns it into a complete Django settings dictionary and registers it as a connection
alias the first time the tenant is used (``alias_for_schema``), so nothing is configured ahead and
a new tenant needs no restart. ``tenants.routers.TenantDatabaseRouter`` then sends the tenant
apps' queries to that alias while the tenant is active (``connection.set_tenant`` /
``schema_context``, exactly as for a schema tenant): code above the data layer does not know which
level a tenant uses.

Connections are opened lazily on first query and pooled:
- PostgreSQL: psycopg's pool (Django's ``OPTIONS["pool"]``), at most TENANT_DATABASE_POOL_SIZE
  connections per tenant and process, idle ones closed after 5 minutes;
- MySQL/MariaDB (PyMySQL) and SQL Server (mssql-django): one persistent connection per worker
  thread (CONN_MAX_AGE, health-checked before reuse).
At most TENANT_DATABASE_MAX_OPEN tenant databases are registered per process; the least recently
used one is closed and forgotten beyond that. A tenant whose URL or status changes, or that is
suspended or deleted, has its alias closed and forgotten (``reconcile``, run at the next request
after every registry change).

A database that is down answers fast: connecting gives up after TENANT_DATABASE_CONNECT_TIMEOUT
seconds, and for TENANT_DATABASE_RETRY_SECONDS after a failure the tenant's requests are refused
(503) without trying again, so a dead server never ties up workers that other tenants need.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections

from config.crypto import DecryptionFailed, decrypt

log = logging.getLogger(__name__)

ALIAS_PREFIX = "tenantdb-"
ENGINES = {
    "postgresql": "django.db.backends.postgresql",
    "mysql": "tenants.backends.mysql",  # Django's, on PyMySQL (see that module)
    "mssql": "mssql",
}


class TenantDatabaseError(Exception):
    """A tenant database URL or server problem, with a message fit for a person (no password)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


class TenantDatabaseUnavailable(Exception):
    """The tenant's own database cannot be reached right now (answered 503 unavailable)."""

    def __init__(self, alias: str, retry_after: float):
        super().__init__(f"the database of this tenant is unavailable ({alias})")
        self.alias = alias
        self.retry_after = retry_after


# --------------------------------------------------------------------------- URLs and settings


def parse_url(url: str):
    """A tenant database URL, parsed (``config.database_urls``, the one URL parser). Servers only."""
    from config.database_urls import SCHEMES, InvalidSourceUrl, parse_source_url

    scheme, sep, _ = (url or "").strip().partition("://")
    if sep and scheme.lower() not in SCHEMES:
        raise TenantDatabaseError(
            "invalid_url", f"Unknown database type {scheme[:30]!r}: a tenant database is a postgresql://, "
                           "mysql:// (MariaDB too) or mssql:// URL.")
    try:
        parsed = parse_source_url(url)
    except InvalidSourceUrl as exc:
        raise TenantDatabaseError("invalid_url", str(exc)) from None
    if parsed.engine not in ENGINES:
        raise TenantDatabaseError(
            "invalid_url", "A tenant database is a server: use a postgresql://, mysql:// (MariaDB too) or "
                           "mssql:// URL.")
    return parsed


def masked(url: str) -> str:
    """The URL with its password replaced by •••, for the admin, logs and errors."""
    try:
        return parse_url(url).masked()
    except TenantDatabaseError:
        return "(invalid URL)"


def database_url_masked(tenant) -> str:
    """A DATABASE tenant's stored URL, decrypted and with its password hidden (empty for a schema
    tenant), for the staff pages and commands."""
    if not tenant.database_url:
        return ""
    try:
        return masked(decrypt(tenant.database_url))
    except DecryptionFailed:
        return "(cannot be decrypted with PUMPJACK_ENCRYPTION_KEY)"


def settings_for_url(url: str) -> dict:
    """A complete Django DATABASES entry for a tenant database URL."""
    parsed = parse_url(url)
    timeout = settings.TENANT_DATABASE_CONNECT_TIMEOUT
    entry: dict = {
        "ENGINE": ENGINES[parsed.engine],
        "NAME": parsed.database,
        "USER": parsed.username,
        "PASSWORD": parsed.password,
        "HOST": parsed.host,
        "PORT": str(parsed.port or ""),
        "CONN_HEALTH_CHECKS": True,
        "TIME_ZONE": None,
        "TEST": {"MIRROR": None, "NAME": None, "CHARSET": None, "COLLATION": None, "MIGRATE": True},
    }
    if parsed.engine == "postgresql":
        entry["CONN_MAX_AGE"] = 0  # the pool keeps the connections
        entry["OPTIONS"] = {
            # libpq waits at least 2 s; the pool's own timeout bounds the wait of a request.
            "connect_timeout": max(2, int(timeout + 0.999)),
            "application_name": "pumpjack",
            **parsed.options,
            "pool": {
                "min_size": 0,
                "max_size": settings.TENANT_DATABASE_POOL_SIZE,
                "timeout": timeout,
                "max_idle": 300,
                "max_lifetime": 3600,
                "reconnect_timeout": 0,
            },
        }
    elif parsed.engine == "mysql":
        options = {"charset": "utf8mb4", "connect_timeout": timeout, "init_command": "SET time_zone = '+00:00'"}
        if parsed.options.get("ssl_ca"):
            options["ssl"] = {"ca": parsed.options["ssl_ca"]}
        entry["CONN_MAX_AGE"] = 60
        entry["OPTIONS"] = options
    else:  # mssql-django
        entry["CONN_MAX_AGE"] = 60
        entry["OPTIONS"] = {"driver": parsed.options.get("driver", "ODBC Driver 18 for SQL Server"),
                            "extra_params": parsed.options.get("extra_params", ""),
                            "connection_timeout": int(timeout + 0.999)}
    return entry


def _configured(alias: str, entry: dict) -> dict:
    """``entry`` with every default Django fills in for a DATABASES entry."""
    return connections.configure_settings({DEFAULT_DB_ALIAS: {}, alias: entry})[alias]


@contextlib.contextmanager
def registered_alias(alias: str, entry: dict):
    """A connection alias for a one-off job (a probe, a move), closed and removed again on exit."""
    connections.settings[alias] = _configured(alias, entry)
    try:
        yield alias
    finally:
        wrapper = getattr(connections._connections, alias, None)
        if wrapper is not None:
            with contextlib.suppress(Exception):
                wrapper.close()
            with contextlib.suppress(AttributeError):
                delattr(connections._connections, alias)
        connections.settings.pop(alias, None)


# --------------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class Registered:
    alias: str
    tenant_id: object
    fingerprint: str


def _fingerprint(tenant) -> str:
    return hashlib.sha256(f"{tenant.pk}|{tenant.database_url}".encode()).hexdigest()[:12]


def alias_name(tenant) -> str:
    """The connection alias of a DATABASE tenant: changes when its URL changes, so a connection
    opened for an old URL is never reused for the new one."""
    return f"{ALIAS_PREFIX}{tenant.schema_name}-{_fingerprint(tenant)}"


class TenantDatabases:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._by_alias: OrderedDict[str, Registered] = OrderedDict()
        # schema name -> alias (DATABASE tenants) or None (schema tenants); the router's lookup.
        self._by_schema: dict[str, str | None] = {}
        self._down_until: dict[str, float] = {}
        self._stale = False

    # ---------------------------------------------------------------- lookups
    def alias_for_schema(self, schema_name: str) -> str | None:
        """The alias of the tenant with this schema name, or None when it lives in a schema."""
        try:
            return self._by_schema[schema_name]
        except KeyError:
            pass
        from .models import Tenant

        tenant = (Tenant.objects.using(DEFAULT_DB_ALIAS).filter(schema_name=schema_name)
                  .only("id", "schema_name", "isolation", "database_url").first())
        alias = self.ensure(tenant) if tenant is not None else None
        self._by_schema[schema_name] = alias
        return alias

    def ensure(self, tenant) -> str | None:
        """Register the tenant's database (if it has one) and return its alias."""
        if tenant.isolation != tenant.IsolationLevel.DATABASE:
            self._by_schema[tenant.schema_name] = None
            return None
        alias = alias_name(tenant)
        registered = self._by_alias.get(alias)
        if registered is None:
            with self._lock:
                if alias not in self._by_alias:
                    self._register(tenant, alias)
        else:
            self._by_alias.move_to_end(alias)
        self._by_schema[tenant.schema_name] = alias
        return alias

    def _register(self, tenant, alias: str) -> None:
        for old in [r for r in self._by_alias.values() if r.tenant_id == tenant.pk]:
            self._forget(old.alias)  # the tenant's previous URL
        try:
            url = decrypt(tenant.database_url)
        except DecryptionFailed:
            raise TenantDatabaseError(
                "decryption_failed", f"The database URL of tenant {tenant.schema_name} cannot be decrypted with "
                                     "PUMPJACK_ENCRYPTION_KEY.") from None
        entry = _configured(alias, settings_for_url(url))
        connections.settings[alias] = entry
        self._by_alias[alias] = Registered(alias=alias, tenant_id=tenant.pk, fingerprint=_fingerprint(tenant))
        while len(self._by_alias) > settings.TENANT_DATABASE_MAX_OPEN:
            oldest = next(iter(self._by_alias))
            self._forget(oldest)

    # ---------------------------------------------------------------- forgetting
    def forget_tenant(self, tenant) -> None:
        """Close and forget every connection of this tenant (its URL or status changed)."""
        with self._lock:
            for registered in [r for r in self._by_alias.values() if r.tenant_id == tenant.pk]:
                self._forget(registered.alias)
            self._by_schema.pop(tenant.schema_name, None)

    def _forget(self, alias: str) -> None:
        self._by_alias.pop(alias, None)
        self._down_until.pop(alias, None)
        self._by_schema = {k: v for k, v in self._by_schema.items() if v != alias}
        wrapper = getattr(connections._connections, alias, None)
        if wrapper is not None and wrapper.in_atomic_block:
            # This thread is inside a transaction there (the change was made in it): that
            # connection is left to finish; the alias is simply no longer handed out.
            return
        if wrapper is not None:
            try:
                wrapper.close()
            except Exception:
                pass
            try:
                delattr(connections._connections, alias)
            except AttributeError:
                pass
        pools = _postgres_pools()
        pool = pools.pop(alias, None) if pools is not None else None
        if pool is not None:
            try:
                pool.close(timeout=1)
            except Exception:
                pass
        connections.settings.pop(alias, None)

    def mark_stale(self) -> None:
        """The registry changed somewhere: re-check the registered tenants at the next request."""
        self._by_schema = {}
        self._stale = True

    def reconcile(self) -> None:
        """Close and forget the databases of tenants that changed, were suspended or deleted."""
        if not self._stale:
            return
        self._stale = False
        if not self._by_alias:
            return
        from .models import Tenant

        registered = list(self._by_alias.values())
        current = {
            t.pk: t for t in Tenant.objects.using(DEFAULT_DB_ALIAS).filter(pk__in=[r.tenant_id for r in registered])
            .only("id", "schema_name", "isolation", "database_url", "status", "deleted_at")
        }
        with self._lock:
            for r in registered:
                tenant = current.get(r.tenant_id)
                if (tenant is None or tenant.deleted_at is not None or tenant.status == Tenant.Status.SUSPENDED
                        or tenant.isolation != Tenant.IsolationLevel.DATABASE
                        or _fingerprint(tenant) != r.fingerprint):
                    self._forget(r.alias)

    def clear(self) -> None:
        """Forget every tenant database (tests; a process shutting down)."""
        with self._lock:
            for alias in list(self._by_alias):
                self._forget(alias)
            self._by_schema = {}

    # ---------------------------------------------------------------- failures
    def check_available(self, alias: str) -> None:
        until = self._down_until.get(alias)
        if until is not None:
            left = until - time.monotonic()
            if left > 0:
                raise TenantDatabaseUnavailable(alias, left)
            self._down_until.pop(alias, None)

    def mark_down(self, alias: str) -> None:
        self._down_until[alias] = time.monotonic() + settings.TENANT_DATABASE_RETRY_SECONDS
        log.warning("tenant database %s is unavailable; its requests answer 503 for %ss before the next try",
                    alias, settings.TENANT_DATABASE_RETRY_SECONDS)
        wrapper = getattr(connections._connections, alias, None)
        if wrapper is not None and not wrapper.in_atomic_block:
            try:
                wrapper.close()
            except Exception:
                pass


def _postgres_pools() -> dict | None:
    try:
        from django.db.backends.postgresql.base import DatabaseWrapper
    except Exception:
        return None
    return DatabaseWrapper._connection_pools


tenant_databases = TenantDatabases()


def is_tenant_alias(alias: str) -> bool:
    return alias.startswith(ALIAS_PREFIX)


def current_alias() -> str | None:
    """The alias of the active tenant's own database, or None (public, or a schema tenant)."""
    schema_name = connection.schema_name
    if schema_name is None or schema_name == settings.PUBLIC_SCHEMA_NAME:
        return None
    return tenant_databases.alias_for_schema(schema_name)


def current_db() -> str:
    """Where the active tenant's rows live: its own alias, or the shared database."""
    return current_alias() or DEFAULT_DB_ALIAS


def atomic(**kwargs):
    """``transaction.atomic`` on the active tenant's database (its own, or the shared one)."""
    from django.db import transaction

    return transaction.atomic(using=current_db(), **kwargs)


def on_commit(func) -> None:
    """``transaction.on_commit`` for the active tenant's database."""
    from django.db import transaction

    transaction.on_commit(func, using=current_db())


def lock_of(*names: str) -> tuple[str, ...]:
    """``select_for_update(of=lock_of("self"))``: lock only those tables where the engine can
    (PostgreSQL); MariaDB locks the rows read, which includes them."""
    return names if connections[current_db()].features.has_select_for_update_of else ()


def connection_lost(alias: str) -> bool:
    """Whether this thread's connection to ``alias`` failed to open or was lost (not merely an
    error in a query, after which the connection is still good)."""
    wrapper = getattr(connections._connections, alias, None)
    if wrapper is None:
        return True
    raw = wrapper.connection
    if raw is None:
        return True
    if getattr(raw, "broken", False) or getattr(raw, "closed", False) is True:  # psycopg
        return True
    opened = getattr(raw, "open", None)  # PyMySQL
    return opened is False
