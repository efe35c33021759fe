"""The shared database: DATABASE_URL, or the embedded PostgreSQL server when it is unset."""

from urllib.parse import unquote

from .env import env

# django-tenants' backend, sending a tenant switch's SET search_path with the next query.
TENANT_DB_ENGINE = "tenants.backends.postgresql"


def database_settings(*, allow_embedded: bool) -> dict:
    if env.str("DATABASE_URL", default=""):
        config = env.db_url("DATABASE_URL")
        if config["ENGINE"] not in ("django.db.backends.postgresql", "django_tenants.postgresql_backend",
                                    TENANT_DB_ENGINE):
            raise ValueError("DATABASE_URL must be a PostgreSQL URL (postgres://...)")
        config["ENGINE"] = TENANT_DB_ENGINE
        # A Unix socket directory may be given percent-encoded: postgres://user@%2Fvar%2Frun%2Fpg/db
        config["HOST"] = unquote(config.get("HOST") or "")
    elif allow_embedded:
        from config import embedded

        config = {"ENGINE": TENANT_DB_ENGINE, **embedded.ensure_postgres().database_settings()}
    else:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("DATABASE_URL must be set with production settings.")
    # Long-lived connections: a session keeps the catalog caches of the tenant schemas it has
    # served; a new one pays a slow first query per schema again (see bench/tenancy_scale.py).
    config.setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=600))
    config["CONN_HEALTH_CHECKS"] = True
    if behind_pgbouncer():
        # Transaction pooling: consecutive transactions of one connection may run on different
        # server connections, so nothing may rely on session state. No server-side prepared
        # statements (psycopg prepares a query run 5 times, on a server connection the next
        # transaction may not get) and no server-side cursors (they live past a transaction);
        # the search_path travels with every query instead (tenancy.py, TENANT_LIMIT_SET_CALLS).
        config.setdefault("OPTIONS", {})["prepare_threshold"] = None
        config["DISABLE_SERVER_SIDE_CURSORS"] = True
    return config


def behind_pgbouncer() -> bool:
    """DATABASE_POOLER=pgbouncer: DATABASE_URL names a PgBouncer in transaction pooling mode."""
    pooler = env.str("DATABASE_POOLER", default="").strip().lower()
    if pooler not in ("", "pgbouncer"):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"DATABASE_POOLER must be empty or pgbouncer, not {pooler!r}")
    return pooler == "pgbouncer"


# The tenant router first: it sends a DATABASE tenant's tables to that tenant's own database
# (tenants.databases) and leaves everything else to django-tenants' router.
DATABASE_ROUTERS = ("tenants.routers.TenantDatabaseRouter", "django_tenants.routers.TenantSyncRouter")
