"""Tenant provisioning and lifecycle, and tenant secrets. Used by the commands, the staff admin
and the tenant ADMIN's portal page alike."""

from __future__ import annotations

import re
import secrets as random_source
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.clone import CloneSchema
from django_tenants.utils import schema_context, schema_exists

from accounts.audit import Kind, Outcome, audit_record

from sync.etl.crypto import encrypt

from .databases import tenant_databases
from .dedicated import connection_check, database_holds_tenant, database_migrate
from .spares import spare_schema_claim
from .directory import bump_generation
from .models import SLUG_REGEX, Domain, Tenant, TenantSecret, validate_time_zone
from .secrets import secret_generate, secret_hash

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
        secret = _secret_issue(tenant=tenant, label="default", created_by=actor or "provisioning")
    bump_generation()
    return TenantCreated(tenant=tenant, secret=secret, admin_user=admin, seconds=time.perf_counter() - started)


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
    """A new schema holding a copy of ``base_schema`` (tables, data, sequences, functions)."""
    _CloneSchema().clone_schema(base_schema, new_schema, "DATA")


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


def _audit_in_tenant(tenant: Tenant, **kwargs) -> None:
    with schema_context(tenant.schema_name):
        audit_record(tenant_public_id=tenant.public_id, **kwargs)


def tenant_suspend(*, tenant: Tenant, actor: str = "", reason: str = "", request=None) -> Tenant:
    tenant.status = Tenant.Status.SUSPENDED
    tenant.save(update_fields=["status", "updated_at"])
    _audit_in_tenant(tenant, kind=Kind.TENANT_SUSPENDED, outcome=Outcome.SUCCESS, actor=actor, request=request,
                     detail={"reason": reason} if reason else {})
    bump_generation()
    tenant_databases.forget_tenant(tenant)  # other processes: at their next request (reconcile)
    return tenant


def tenant_reactivate(*, tenant: Tenant, actor: str = "", request=None) -> Tenant:
    tenant.status = Tenant.Status.ACTIVE
    tenant.save(update_fields=["status", "updated_at"])
    _audit_in_tenant(tenant, kind=Kind.TENANT_REACTIVATED, outcome=Outcome.SUCCESS, actor=actor, request=request)
    bump_generation()
    return tenant


def tenant_soft_delete(*, tenant: Tenant, actor: str = "", request=None) -> Tenant:
    """Hide the tenant everywhere; its schema and data are kept until a purge."""
    tenant.deleted_at = timezone.now()
    tenant.save(update_fields=["deleted_at", "updated_at"])
    _audit_in_tenant(tenant, kind=Kind.TENANT_DELETED, outcome=Outcome.SUCCESS, actor=actor, request=request)
    bump_generation()
    tenant_databases.forget_tenant(tenant)
    return tenant


# --------------------------------------------------------------------------- secrets


def _secret_issue(*, tenant: Tenant, label: str, created_by: str, expires_at: datetime | None = None) -> str:
    secret = secret_generate()
    TenantSecret.objects.create(
        tenant=tenant, label=label, secret_hash=secret_hash(secret), created_by=created_by, expires_at=expires_at
    )
    return secret


def tenant_secret_issue(
    *, tenant: Tenant, label: str, actor: str = "", expires_at: datetime | None = None, request=None
) -> str:
    """Add a secret beside the existing ones. The secret is returned once and never stored."""
    label = (label or "").strip()
    if not label:
        raise ValidationError({"label": ["A label is required (e.g. the device fleet it is for)."]})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": ["The expiry must be in the future."]})
    with transaction.atomic():
        secret = _secret_issue(tenant=tenant, label=label, created_by=actor, expires_at=expires_at)
    _audit_in_tenant(tenant, kind=Kind.SECRET_ISSUED, outcome=Outcome.SUCCESS, actor=actor, request=request,
                     detail={"label": label})
    bump_generation()
    return secret


def tenant_secret_rotate(
    *,
    tenant: Tenant,
    actor: str = "",
    grace_hours: float = 0,
    label: str = "",
    secret_id=None,
    request=None,
) -> str:
    """Issue a new secret and expire the old one(s): at once, or after ``grace_hours``.

    With ``secret_id`` only that secret is replaced; without it every active secret is.
    """
    if grace_hours < 0 or grace_hours > 24 * 30:
        raise ValidationError({"grace_hours": ["The grace period is 0 to 720 hours."]})
    now = timezone.now()
    expire_at = now + timedelta(hours=grace_hours)
    with transaction.atomic():
        active = TenantSecret.objects.select_for_update().filter(tenant=tenant).exclude(expires_at__lte=now)
        if secret_id is not None:
            active = active.filter(pk=secret_id)
            if not active.exists():
                raise ValidationError({"secret": ["No active secret with this id."]})
        old = list(active)
        new_label = label.strip() or (old[0].label if len(old) == 1 else "rotated")
        secret = secret_generate()
        new = TenantSecret.objects.create(
            tenant=tenant, label=new_label, secret_hash=secret_hash(secret), created_by=actor
        )
        for previous in old:
            # Never lengthen an expiry that was already sooner than the grace period.
            if previous.expires_at is None or previous.expires_at > expire_at:
                previous.expires_at = expire_at
            previous.replaced_by = new
            previous.save(update_fields=["expires_at", "replaced_by"])
    _audit_in_tenant(
        tenant, kind=Kind.SECRET_ROTATED, outcome=Outcome.SUCCESS, actor=actor, request=request,
        detail={"label": new_label, "replaced": len(old), "grace_hours": grace_hours},
    )
    bump_generation()
    return secret


def tenant_secret_expire(*, tenant: Tenant, secret_id, actor: str = "", request=None) -> TenantSecret:
    secret = TenantSecret.objects.filter(tenant=tenant, pk=secret_id).first()
    if secret is None:
        raise ValidationError({"secret": ["No such secret."]})
    now = timezone.now()
    if secret.expires_at is None or secret.expires_at > now:
        secret.expires_at = now
        secret.save(update_fields=["expires_at"])
    _audit_in_tenant(tenant, kind=Kind.SECRET_EXPIRED, outcome=Outcome.SUCCESS, actor=actor, request=request,
                     detail={"label": secret.label})
    bump_generation()
    return secret


def template_schema_ensure() -> bool:
    """Create the (empty) template schema if missing; migrate_schemas then migrates it."""
    name = settings.TENANT_BASE_SCHEMA
    if schema_exists(name):
        return False
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{name}"')
    return True
