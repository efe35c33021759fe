"""django-tenants and Pumpjack's tenant resolution."""

from .env import env

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
# New tenants are made by cloning this schema (kept migrated by migrate_schemas) instead of
# replaying every migration: see tenants.services.provisioning.
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = True

BASE_DOMAIN = env.str("BASE_DOMAIN", default="localhost").lower()
RESERVED_SUBDOMAINS = ("www", "api", "admin", "app")
# Upper bound on how long a process trusts its cached copy of a tenant when Redis cannot be
# asked whether the tenant changed (normally a change is seen on the next request).
TENANT_CACHE_FALLBACK_SECONDS = env.int("TENANT_CACHE_FALLBACK_SECONDS", default=5)
# migrate / migrate_schemas: keep the template migrated, skip schemas with nothing to apply.
GET_EXECUTOR_FUNCTION = "tenants.migration.get_executor"
# Issue `SET search_path` once per schema switch, not before every query.
TENANT_LIMIT_SET_CALLS = True
