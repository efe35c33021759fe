"""django-tenants and Pumpjack's tenant resolution."""

from .database import behind_pgbouncer
from .env import env

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
# New tenants are made by cloning this schema (kept migrated by migrate_schemas) instead of
# replaying every migration: see tenants.operations.provisioning.
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = True

BASE_DOMAIN = env.str("BASE_DOMAIN", default="localhost").lower()
RESERVED_SUBDOMAINS = ("www", "api", "admin", "app")
# Upper bound on how long a process trusts its cached copy of a tenant when Redis cannot be
# asked whether the tenant changed (normally a change is seen on the next request).
TENANT_CACHE_FALLBACK_SECONDS = env.int("TENANT_CACHE_FALLBACK_SECONDS", default=5)
# migrate / migrate_schemas: keep the template migrated, skip schemas with nothing to apply.
GET_EXECUTOR_FUNCTION = "tenants.operations.schema_migrations.get_executor"
# Issue `SET search_path` once per schema switch, not before every query, unless a PgBouncer in
# transaction pooling mode (DATABASE_POOLER=pgbouncer) may hand the next query another server
# connection, whose search_path another client set: then it travels with every query, in the
# same message (tenants.backends.postgresql), so one transaction carries both.
TENANT_LIMIT_SET_CALLS = not behind_pgbouncer()

# Tenants with a database of their own (isolation level DATABASE): see tenants/databases.py.
# Seconds a request waits for a connection to a tenant's database before answering 503.
TENANT_DATABASE_CONNECT_TIMEOUT = env.float("TENANT_DATABASE_CONNECT_TIMEOUT", default=1.5)
# After a tenant database failed, its requests are refused (503) this long before trying again.
TENANT_DATABASE_RETRY_SECONDS = env.float("TENANT_DATABASE_RETRY_SECONDS", default=2.0)
# Connections per tenant database and process (PostgreSQL pool; MySQL: one per worker thread).
TENANT_DATABASE_POOL_SIZE = env.int("TENANT_DATABASE_POOL_SIZE", default=4)
# Tenant databases one process keeps registered; the least recently used is closed beyond that.
TENANT_DATABASE_MAX_OPEN = env.int("TENANT_DATABASE_MAX_OPEN", default=50)
# Tenant databases migrated at once by migrate_schemas / migrate_tenants.
TENANT_MIGRATE_PARALLEL = env.int("TENANT_MIGRATE_PARALLEL", default=4)
# A tenant move (tenants.operations.moves) waits this long after setting MIGRATING for requests under way.
TENANT_MOVE_SETTLE_SECONDS = env.float("TENANT_MOVE_SETTLE_SECONDS", default=2.0)
# Ready copies of the tenant template kept by a beat job: provisioning renames one (tenants.operations.spare_schemas).
TENANT_SPARE_SCHEMAS = env.int("TENANT_SPARE_SCHEMAS", default=2)
