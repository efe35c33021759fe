"""Tenant secrets, the first credential layer: issue, rotate and expire, each audited in the
tenant's own log. Used by the staff admin, the commands and the tenant ADMIN's portal page alike.
The secret itself (generation, hashing, the fast verify) is the tenancy core's (tenants.secrets)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tenants.directory import bump_generation
from tenants.models import Tenant, TenantSecret
from tenants.secrets import secret_generate, secret_hash

from .audit import Kind, Outcome, audit_in_tenant


def secret_issue(*, tenant: Tenant, label: str, created_by: str, expires_at: datetime | None = None) -> str:
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
        secret = secret_issue(tenant=tenant, label=label, created_by=actor, expires_at=expires_at)
    audit_in_tenant(tenant, kind=Kind.SECRET_ISSUED, outcome=Outcome.SUCCESS, actor=actor, request=request,
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
    audit_in_tenant(
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
    audit_in_tenant(tenant, kind=Kind.SECRET_EXPIRED, outcome=Outcome.SUCCESS, actor=actor, request=request,
                     detail={"label": secret.label})
    bump_generation()
    return secret
