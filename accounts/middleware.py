from django.conf import settings
from django.contrib.auth import logout

from .audit import Kind, Outcome, audit_record


class TenantRejectionAuditMiddleware:
    """The security log's row for a tenant ID that resolution refused (layer 1). Sits just outside
    tenants.middleware.TenantResolutionMiddleware, which marks the request (``tenant_rejected``)
    and has already pointed the connection at the public schema: there is no tenant to log to,
    so the public schema's log keeps the attempt."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        detail = getattr(request, "tenant_rejected", None)
        if detail is not None:
            audit_record(kind=Kind.TENANT_ID_REJECTED, outcome=Outcome.FAILURE, request=request, layer="1",
                         detail=detail)
        return response




class SessionTenantBindingMiddleware:
    """A session belongs to the tenant it was opened on. Sessions already live in the tenant's
    own schema and cookies are host-only; this also refuses a session whose recorded tenant
    differs from the request's (e.g. a cookie copied to another sub-domain)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return self.get_response(request)  # no session (API clients): nothing to check
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            entry = getattr(request, "tenant_entry", None)
            expected = entry.public_id if entry is not None else ""
            if request.session.get("tid", "") != expected:
                logout(request)
        return self.get_response(request)
