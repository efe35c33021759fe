"""Tenant resolution (API.md section 2): X-Tenant-ID header or sub-domain, then activate the schema."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import set_urlconf

from accounts.audit import Kind, Outcome, audit_record
from config.api_errors import error_response, is_api_request

from .directory import TenantEntry, directory
from .models import PUBLIC_ID_REGEX, Tenant

_PUBLIC_ID = re.compile(PUBLIC_ID_REGEX, re.IGNORECASE)
_PUBLIC_API = re.compile(r"^/api/v1/(schema|docs)/")
_HOST_LABEL = re.compile(r"^[a-z0-9-]{1,63}$")


def _hostname(request) -> str:
    # The raw Host header: ALLOWED_HOSTS is enforced later by CommonMiddleware / get_host().
    host = (request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME") or "").lower()
    if host.startswith("["):  # IPv6 literal
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


def _subdomain_slug(host: str) -> str | None:
    """The tenant label of <slug>.<BASE_DOMAIN>, or None for the base domain, reserved names, others."""
    suffix = "." + settings.BASE_DOMAIN
    if not host.endswith(suffix):
        return None
    label = host[: -len(suffix)]
    if not _HOST_LABEL.fullmatch(label) or label in settings.RESERVED_SUBDOMAINS:
        return None
    return label


def _activate(entry: TenantEntry | None) -> None:
    """Point the connection at the tenant's schema (or public). A switch costs a `SET search_path`
    on the next query, so a connection already on the right schema is left as it is. The registry
    tables the resolution reads live only in public, which every tenant's search_path includes."""
    wanted = entry.tenant.schema_name if entry is not None else settings.PUBLIC_SCHEMA_NAME
    if connection.schema_name == wanted and (entry is None or connection.tenant is entry.tenant):
        return
    if entry is None:
        connection.set_schema_to_public()
    else:
        connection.set_tenant(entry.tenant)


def _refuse_unknown_tenant(request, detail: dict) -> HttpResponse:
    """Layer 1 failed: no tenant to log to, so the public schema's log keeps the attempt (the
    connection may still point at the schema of this thread's previous request: switch first)."""
    _activate(None)
    audit_record(kind=Kind.TENANT_ID_REJECTED, outcome=Outcome.FAILURE, request=request, layer="1", detail=detail)
    return error_response(401, "invalid_credentials")


class TenantResolutionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant_entry = None
        request.tenant = None
        directory.refresh()

        response = self._resolve(request)
        if response is not None:
            _activate(None)
            set_urlconf(settings.PUBLIC_SCHEMA_URLCONF)
            return response
        entry = request.tenant_entry
        _activate(entry)
        # request.tenant is what django-tenants (and its admin templates) read: the public
        # schema's stand-in on the base domain. Pumpjack code reads request.tenant_entry.
        request.tenant = connection.tenant
        request.urlconf = settings.PUBLIC_SCHEMA_URLCONF if entry is None else settings.ROOT_URLCONF
        set_urlconf(request.urlconf)
        return self.get_response(request)

    def _resolve(self, request) -> HttpResponse | None:
        api = is_api_request(request)
        raw_header = request.META.get("HTTP_X_TENANT_ID")
        by_header: TenantEntry | None = None
        if raw_header is not None:
            value = raw_header.strip()
            if _PUBLIC_ID.fullmatch(value):
                by_header = directory.by_public_id(value)
            if by_header is None:
                return _refuse_unknown_tenant(request, {"tenantId": value[:40]})

        host = _hostname(request)
        by_host: TenantEntry | None = None
        slug = _subdomain_slug(host)
        if slug is not None:
            by_host = directory.by_host(host)
            if by_host is None:
                return self._not_found(request, api)

        if by_header is not None and by_host is not None and by_header.tenant.pk != by_host.tenant.pk:
            return error_response(
                400, "tenant_mismatch", "The X-Tenant-ID header and the sub-domain name different tenants."
            )
        entry = by_header or by_host
        if entry is None:
            if api and not _PUBLIC_API.match(request.path_info):
                # Every /api/v1/ call needs a tenant.
                return _refuse_unknown_tenant(request, {"reason": "missing", "path": request.path_info[:200]})
            return None
        status = entry.tenant.status
        if status == Tenant.Status.SUSPENDED:
            message = "This tenant is suspended. Contact your Pumpjack administrator."
            if api:
                return error_response(403, "tenant_suspended", message)
            return render(request, "tenants/suspended.html", {"tenant_name": entry.tenant.name}, status=403)
        if status == Tenant.Status.MIGRATING and request.method not in ("GET", "HEAD", "OPTIONS"):
            return error_response(
                503, "unavailable", "This tenant's data is being moved; try again shortly.",
                headers={"Retry-After": "30"},
            )
        request.tenant_entry = entry
        return None

    @staticmethod
    def _not_found(request, api: bool) -> HttpResponse:
        if api:
            return error_response(404, "not_found", "No tenant at this address.")
        return render(request, "tenants/no_tenant.html", status=404)
