"""Schema primitives of provisioning: the template schema every new tenant is copied from, and the
copy itself. Below provisioning, spare schemas and schema migrations, which all use them."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django_tenants.clone import CloneSchema
from django_tenants.utils import schema_exists


class _CloneSchema(CloneSchema):
    """django-tenants' schema cloning, without re-creating its SQL function before every clone
    (each CREATE OR REPLACE grows the server session and slows the next clones down: a process
    creating tenants one after another went from 0.4 s to 24 s per tenant). Installed once per
    process, so an upgrade of django-tenants still brings its new function."""

    installed = False

    def _create_clone_schema_function(self):
        if _CloneSchema.installed:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_proc WHERE proname = 'clone_schema' "
                               "AND pronamespace = 'public'::regnamespace")
                if cursor.fetchone() is not None:
                    return
        super()._create_clone_schema_function()
        _CloneSchema.installed = True


def schema_clone(base_schema: str, new_schema: str) -> None:
    """A new schema holding a copy of ``base_schema`` (tables, data, sequences, functions), with
    its tables' storage parameters (e.g. sync_syncevent's fillfactor, sync migration 0012)."""
    _CloneSchema().clone_schema(base_schema, new_schema, "DATA")
    _storage_parameters_copy(base_schema, new_schema)


def _storage_parameters_copy(base_schema: str, new_schema: str) -> None:
    """django-tenants copies a table with CREATE TABLE ... (LIKE ... INCLUDING ALL), which leaves
    the table's storage parameters (reloptions: fillfactor, autovacuum settings) behind."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname, c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                       "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND c.reloptions IS NOT NULL", [base_schema])
        for table, options in cursor.fetchall():
            # reloptions are "name=value" strings PostgreSQL itself validated when they were set.
            cursor.execute(f"ALTER TABLE {quote(new_schema)}.{quote(table)} SET ({', '.join(options)})")



def template_schema_ensure() -> bool:
    """Create the (empty) template schema if missing; migrate_schemas then migrates it."""
    name = settings.TENANT_BASE_SCHEMA
    if schema_exists(name):
        return False
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{name}"')
    return True
