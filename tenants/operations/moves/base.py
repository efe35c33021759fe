"""What a move's parts share: its levels and limits, its failure and report, the tenant's
tables (which, in what order) and dropping or emptying them."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django_tenants.utils import get_public_schema_name

from accounts.audit import Kind
from tenants.models import Tenant

log = logging.getLogger(__name__)

SCHEMA = Tenant.IsolationLevel.SCHEMA
DATABASE = Tenant.IsolationLevel.DATABASE
CHUNK_ROWS = 1000
WAIT_POLL_SECONDS = 0.5
AUDIT_KIND = Kind.TENANT_MOVED
SCHEMA_NAME_PATTERN = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class TenantMoveFailed(Exception):
    """The move stopped before the switch: the tenant is where and as it was."""

    def __init__(self, message: str, *, table: str = ""):
        super().__init__(message)
        self.message = message
        self.table = table


@dataclass
class MoveReport:
    tenant: Tenant
    from_level: str
    to_level: str
    tables: dict[str, int] = field(default_factory=dict)  # table -> rows copied (and verified)
    seconds: float = 0.0
    source_kept_at: str = ""  # the renamed schema, or the masked URL of the database; "" if dropped
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"tenantId": self.tenant.public_id, "from": self.from_level, "to": self.to_level,
                "tables": dict(self.tables), "seconds": round(self.seconds, 3), "sourceKeptAt": self.source_kept_at}


def tenant_models() -> list:
    """Every model whose rows belong to a tenant (TENANT_APPS, many-to-many tables included)."""
    labels = {app.rsplit(".", 1)[-1] for app in settings.TENANT_APPS}
    return [m for m in apps.get_models(include_auto_created=True)
            if m._meta.app_label in labels and m._meta.managed and not m._meta.proxy and not m._meta.swapped]


def copy_order(models: list) -> list:
    """Referenced tables before those that reference them. Self-references and cycles cannot be
    ordered away: the copy does not need them to be (foreign keys are checked at its end)."""
    members = set(models)
    needs = {m: {f.related_model for f in m._meta.concrete_fields
                 if f.is_relation and f.related_model is not m and f.related_model in members} for m in models}
    ordered: list = []
    remaining = list(models)
    while remaining:
        ready = [m for m in remaining if needs[m] <= set(ordered)] or remaining[:1]
        for model in ready:
            ordered.append(model)
            remaining.remove(model)
    return ordered


def schema_drop(schema_name: str) -> None:
    if not SCHEMA_NAME_PATTERN.fullmatch(schema_name) or schema_name in (get_public_schema_name(),
                                                                   settings.TENANT_BASE_SCHEMA):
        raise ValueError(f"refusing to drop schema {schema_name!r}")
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema_name}" CASCADE')


def drop_tables(alias: str, tables) -> None:
    wrapper = connections[alias]
    names = ", ".join(wrapper.ops.quote_name(t) for t in sorted(tables))
    if not names:
        return
    with wrapper.cursor() as cursor:
        if wrapper.vendor == "postgresql":
            cursor.execute(f"DROP TABLE IF EXISTS {names} CASCADE")
        else:
            with wrapper.constraint_checks_disabled():
                cursor.execute(f"DROP TABLE IF EXISTS {names}")


def empty_tables(alias: str) -> None:
    wrapper = connections[alias]
    with transaction.atomic(using=alias), wrapper.constraint_checks_disabled(), wrapper.cursor() as cursor:
        for model in reversed(copy_order(tenant_models())):
            cursor.execute(f"DELETE FROM {wrapper.ops.quote_name(model._meta.db_table)}")


def failure_message(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, TenantMoveFailed):
        return exc.message
    detail = " ".join(str(exc.__cause__ or exc).split())[:400]
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
