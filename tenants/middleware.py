"""Tenant resolution (API.md section 2): X-Tenant-ID header or sub-domain, then activate the schema."""

from __future__ import annotations

import logging
import re
import sys

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError, connection
from django.dispatch import receiver
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import set_urlconf

from config.api_errors import error_response, exception_responder, is_api_request

from .databases import TenantDatabaseError, TenantDatabaseUnavailable, connection_lost, tenant_databases
from .directory import TenantEntry, directory
from .models import PUBLIC_ID_REGEX, Tenant

log = logging.getLogger(__name__)
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


def tenant_database_failed(request, exc: BaseException | None = None) -> bool:
    """Whether this request of a DATABASE tenant failed because its database did (connection
    refused or lost, timeout): Django flags a connection whose driver raised such an error."""
    alias = getattr(request, "tenant_database_alias", None)
    if alias is None:
        return False
    if getattr(request, "_tenant_database_failed", False):
        return True
    if exc is None or not isinstance(exc, (OperationalError, InterfaceError)):
        return False
    if connection_lost(alias):
        request._tenant_database_failed = True
        return True
    return False


def _expected(response: HttpResponse) -> HttpResponse:
    """A 503 that is part of normal operation (a tenant being moved, its database down: logged
    once where it is detected), not a server error for django.request to log on every request."""
    response._has_been_logged = True
    return response


def tenant_unavailable_response(request, retry_after: float) -> HttpResponse:
    headers = {"Retry-After": str(max(1, round(retry_after)))}
    message = "This tenant's database cannot be reached right now; try again shortly. Nothing was lost."
    if is_api_request(request):
        return _expected(error_response(503, "unavailable", message, headers=headers))
    # Rendered without the request: the portal's context processors would read the session and
    # the user, which live in the database that is down.
    body = render_to_string("tenants/unavailable.html", {"message": message})
    return _expected(HttpResponse(body, status=503, headers=headers))


@exception_responder
def tenant_database_down_response(exc, request) -> HttpResponse | None:
    """For the API's exception handler: a DATABASE tenant's request that failed because its
    database did answers 503 (API.md section 1), not 500."""
    if request is not None and tenant_database_failed(request, exc):
        return tenant_unavailable_response(request, settings.TENANT_DATABASE_RETRY_SECONDS)
    return None


@receiver(got_request_exception)
def _flag_tenant_database_failure(sender, request=None, **kwargs) -> None:
    if request is not None:
        tenant_database_failed(request, sys.exc_info()[1])


def _refuse_unknown_tenant(request, detail: dict) -> HttpResponse:
    """Layer 1 failed. The request is marked with what was refused; the security log is the
    accounts app's, a layer above, whose TenantRejectionAuditMiddleware (just outside this one)
    writes the row in the public schema's log, there being no tenant to write to."""
    request.tenant_rejected = detail
    return error_response(401, "invalid_credentials")


class TenantResolutionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant_entry = None
        request.tenant = None
        directory.refresh()
        tenant_databases.reconcile()  # close the databases of tenants that changed meanwhile

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
        if entry is not None and entry.tenant.has_own_database:
            return self._with_own_database(request, entry)
        return self.get_response(request)

    def _with_own_database(self, request, entry: TenantEntry) -> HttpResponse:
        """A DATABASE tenant: its connection is registered on first use; while its server is down
        its requests answer 503 at once (devices keep their events), other tenants carry on."""
        try:
            alias = tenant_databases.ensure(entry.tenant)
            tenant_databases.check_available(alias)
        except TenantDatabaseUnavailable as exc:
            return tenant_unavailable_response(request, exc.retry_after)
        except TenantDatabaseError as exc:
            log.error("tenant %s: %s", entry.public_id, exc.message)
            return tenant_unavailable_response(request, settings.TENANT_DATABASE_RETRY_SECONDS)
        request.tenant_database_alias = alias
        response = self.get_response(request)
        if tenant_database_failed(request):
            tenant_databases.mark_down(alias)
            return tenant_unavailable_response(request, settings.TENANT_DATABASE_RETRY_SECONDS)
        return response

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
            return _expected(error_response(
                503, "unavailable", "This tenant's data is being moved; try again shortly.",
                headers={"Retry-After": "30"},
            ))
        request.tenant_entry = entry
        return None

    @staticmethod
    def _not_found(request, api: bool) -> HttpResponse:
        if api:
            return error_response(404, "not_found", "No tenant at this address.")
        return render(request, "tenants/no_tenant.html", status=404)
