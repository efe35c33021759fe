"""Tenant provisioning and lifecycle: used by the commands and the staff admin. Tenant secrets
(issue, rotate, expire) are accounts.tenant_secrets, which the tenant ADMIN's portal page uses too."""

from __future__ import annotations

import re
import secrets as random_source
import time
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from accounts.audit import Kind, Outcome, audit_in_tenant
from accounts.tenant_secrets import secret_issue
from config.crypto import encrypt
from tenants.databases import tenant_databases
from tenants.directory import bump_generation
from tenants.models import SLUG_REGEX, Domain, Tenant, validate_time_zone

from .own_database import connection_check, database_holds_tenant, database_migrate
from .schemas import schema_clone
from .spare_schemas import spare_schema_claim

_SUFFIX_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no I, L, O, U, 0, 1: easy to read aloud
RESERVED_SLUGS = frozenset({"www", "api", "admin", "app", "public", "static", "media", "mail", "tenant-template"})


class TenantNotFound(Exception):
    pass


def public_id_generate(name: str) -> str:
    """COMPANY-XXXXXX: the company name's leading words (at most 8 letters) and 6 random characters.

    "Acme Oil & Gas" -> ACMEOIL-9K2P4H ("GAS" would pass 8 letters, so it is left off).
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = [w for w in re.split(r"[^A-Za-z]+", ascii_name.upper()) if w]
    prefix = ""
    for word in words:
        if len(prefix) + len(word) > 8:
            break
        prefix += word
    if not prefix:
        prefix = (words[0][:8] if words else "TENANT")
    while True:
        candidate = prefix + "-" + "".join(random_source.choice(_SUFFIX_ALPHABET) for _ in range(6))
        if not Tenant.objects.filter(public_id=candidate).exists():
            return candidate


def schema_name_for(slug: str) -> str:
    return "t_" + slug.replace("-", "_")


def tenant_get(*, identifier: str, include_deleted: bool = False) -> Tenant:
    """Find a tenant by its public ID (any case) or slug."""
    queryset = Tenant.objects.all() if include_deleted else Tenant.objects.filter(deleted_at__isnull=True)
    tenant = queryset.filter(public_id=identifier.upper()).first() or queryset.filter(slug=identifier.lower()).first()
    if tenant is None:
        raise TenantNotFound(f"No tenant with ID or slug {identifier!r}.")
    return tenant


def _validate_new_tenant(*, name: str, slug: str, time_zone: str, tier: str, status: str) -> None:
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = ["A company name is required."]
    if not re.fullmatch(SLUG_REGEX, slug):
        errors["slug"] = ["Use 3-32 lowercase letters, digits and hyphens, starting with a letter."]
    elif slug in RESERVED_SLUGS:
        errors["slug"] = [f"{slug!r} is reserved."]
    elif Tenant.objects.filter(slug=slug).exists():
        errors["slug"] = [f"A tenant with slug {slug!r} already exists."]
    try:
        validate_time_zone(time_zone)
    except ValidationError as exc:
        errors["time_zone"] = list(exc.messages)
    if tier not in Tenant.Tier.values:
        errors["tier"] = [f"Tier must be one of {', '.join(Tenant.Tier.values)}."]
    if status not in (Tenant.Status.ACTIVE, Tenant.Status.TRIAL):
        errors["status"] = ["A new tenant is ACTIVE or TRIAL."]
    if errors:
        raise ValidationError(errors)


@dataclass(frozen=True)
class TenantCreated:
    tenant: Tenant
    secret: str
    admin_user: object
    seconds: float


def tenant_create(
    *,
    name: str,
    slug: str,
    admin_email: str,
    admin_password: str,
    admin_name: str = "",
    time_zone: str = "America/Chicago",
    tier: str = Tenant.Tier.STARTER,
    status: str = Tenant.Status.ACTIVE,
    region: str = "",
    provider: str = "",
    actor: str = "",
    check_password_strength: bool = True,
    database_url: str = "",
) -> TenantCreated:
    """Register a tenant, give it a ready place for its data, its sub-domain, a first device
    secret (returned once) and its first ADMIN user. All or nothing.

    Without ``database_url`` the tenant gets a schema in the shared database (cloned from the
    template). With it (isolation level DATABASE) its data lives in that database, which must be
    reachable, writable and hold no other tenant's data; it is migrated here."""
    from accounts.models import Role
    from accounts.services import user_create

    started = time.perf_counter()
    name, slug = name.strip(), slug.strip().lower()
    _validate_new_tenant(name=name, slug=slug, time_zone=time_zone, tier=tier, status=status)
    database_url = (database_url or "").strip()
    if database_url:
        database_url_check(database_url)
    elif not schema_exists(settings.TENANT_BASE_SCHEMA):
        raise RuntimeError("The tenant template schema is missing: run `python manage.py migrate_schemas`.")
    with transaction.atomic():
        tenant = Tenant.objects.create(
            public_id=public_id_generate(name),
            slug=slug,
            name=name,
            schema_name=schema_name_for(slug),
            time_zone=time_zone,
            tier=tier,
            status=status,
            region=region,
            provider=provider,
            isolation=Tenant.IsolationLevel.DATABASE if database_url else Tenant.IsolationLevel.SCHEMA,
            database_url=encrypt(database_url) if database_url else "",
        )
        Domain.objects.create(tenant=tenant, domain=f"{slug}.{settings.BASE_DOMAIN}", is_primary=True)
        if database_url:
            try:
                database_migrate(tenant)
            except Exception:
                tenant_databases.forget_tenant(tenant)
                raise
        elif spare_schema_claim(tenant.schema_name):  # a ready schema, made ahead by a beat job
            from accounts.roles import roles_sync

            with schema_context(tenant.schema_name):
                roles_sync()  # as the template's groups are now, whenever the spare was made
        else:
            schema_clone(settings.TENANT_BASE_SCHEMA, tenant.schema_name)
        with schema_context(tenant.schema_name):
            admin = user_create(
                email=admin_email,
                password=admin_password,
                role=Role.ADMIN,
                name=admin_name,
                actor=actor or "provisioning",
                check_password_strength=check_password_strength,
            )
        secret = secret_issue(tenant=tenant, label="default", created_by=actor or "provisioning")
    bump_generation()
    return TenantCreated(tenant=tenant, secret=secret, admin_user=admin, seconds=time.perf_counter() - started)


def database_url_check(url: str) -> None:
    """Refuse a tenant database URL that is invalid, unreachable, read-only for its user, or that
    already holds a tenant's data (ValidationError on ``database_url``, password never quoted)."""
    report = connection_check(url)
    if not report.ok:
        raise ValidationError({"database_url": [report.message]})
    if database_holds_tenant(url):
        raise ValidationError({"database_url": [
            "That database already holds a Pumpjack tenant's data; give each tenant an empty database."]})


# --------------------------------------------------------------------------- lifecycle


def tenant_suspend(*, tenant: Tenant, actor: str = "", reason: str = "", request=None) -> Tenant:
    tenant.status = Tenant.Status.SUSPENDED
    tenant.save(update_fields=["status", "updated_at"])
    audit_in_tenant(tenant, kind=Kind.TENANT_SUSPENDED, outcome=Outcome.SUCCESS, actor=actor, request=request,
                     detail={"reason": reason} if reason else {})
    bump_generation()
    tenant_databases.forget_tenant(tenant)  # other processes: at their next request (reconcile)
    return tenant


def tenant_reactivate(*, tenant: Tenant, actor: str = "", request=None) -> Tenant:
    tenant.status = Tenant.Status.ACTIVE
    tenant.save(update_fields=["status", "updated_at"])
    audit_in_tenant(tenant, kind=Kind.TENANT_REACTIVATED, outcome=Outcome.SUCCESS, actor=actor, request=request)
    bump_generation()
    return tenant


def tenant_soft_delete(*, tenant: Tenant, actor: str = "", request=None) -> Tenant:
    """Hide the tenant everywhere; its schema and data are kept until a purge."""
    tenant.deleted_at = timezone.now()
    tenant.save(update_fields=["deleted_at", "updated_at"])
    audit_in_tenant(tenant, kind=Kind.TENANT_DELETED, outcome=Outcome.SUCCESS, actor=actor, request=request)
    bump_generation()
    tenant_databases.forget_tenant(tenant)
    return tenant
