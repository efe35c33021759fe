"""The security audit log: one row per login, failed credential layer, rotation or role change.

Rows go to the schema active at the time: the tenant's own log when a tenant was resolved, the
public schema's log otherwise (an unknown tenant ID has no tenant to write to). Never pass a
secret, token or password here.
"""

from __future__ import annotations

import re

from django.http import HttpRequest

from .models import SecurityEvent

Kind = SecurityEvent.Kind
Outcome = SecurityEvent.Outcome


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(value):
    """Client-supplied text goes into the log as data: no NUL (PostgreSQL refuses it), no controls."""
    if isinstance(value, str):
        return _CONTROL.sub("?", value)
    if isinstance(value, dict):
        return {str(_clean(k)): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def client_address(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR") or None
    return address


def user_agent(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return _clean((request.META.get("HTTP_USER_AGENT") or "")[:300])


def _current_tenant_public_id(request) -> str:
    """The tenant whose log this row goes to: the request's, else the active schema's (staff
    admin pages and commands act on a tenant through schema_context, without a request tenant)."""
    entry = getattr(request, "tenant_entry", None) if request is not None else None
    if entry is not None:
        return entry.public_id
    from tenants.context import current_tenant

    tenant = current_tenant()
    return tenant.public_id if tenant is not None else ""


def audit_record(
    *,
    kind: str,
    outcome: str,
    request: HttpRequest | None = None,
    layer: str = "",
    actor: str = "",
    user=None,
    tenant_public_id: str = "",
    detail: dict | None = None,
) -> SecurityEvent:
    if not tenant_public_id:
        tenant_public_id = _current_tenant_public_id(request)
    return SecurityEvent.objects.create(
        kind=kind,
        outcome=outcome,
        layer=layer,
        actor=_clean((actor or (user.email if user is not None else ""))[:254]),
        user_id=user.pk if user is not None else None,
        tenant_public_id=tenant_public_id,
        client_address=client_address(request),
        user_agent=user_agent(request),
        detail=_clean(detail or {}),
    )


def audit_in_tenant(tenant, **kwargs) -> SecurityEvent:
    """A row in the given tenant's own log, whatever schema is active (staff pages and commands)."""
    from django_tenants.utils import schema_context

    with schema_context(tenant.schema_name):
        return audit_record(tenant_public_id=tenant.public_id, **kwargs)
