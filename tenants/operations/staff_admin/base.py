"""What every staff page about a tenant shares: URL names, the tenant lookup with its permission
check, rendering, redirects, the one-time reveal of a secret, POST-only views, scrubbed driver messages."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from config.database_urls import scrub_urls
from tenants.models import Tenant

TEMPLATES = "admin/tenants/tenant/"
REVEAL_SESSION_KEY = "pumpjack_admin_secret_reveal"


def scrubbed(text: str, url: str) -> str:
    """A driver's message about ``url``, on one line, without its password."""
    return " ".join(scrub_urls(text, url).split())[:500]


def post_only(view):
    def wrapper(self, request, *args, **kwargs):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return view(self, request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    return wrapper



class StaffPages:
    """The helpers of the pages below, mixed into the Tenant ModelAdmin with them."""

    def _url_name(self, page: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{page}"

    def _url(self, page: str, tenant: Tenant, *args) -> str:
        return reverse(f"admin:{self._url_name(page)}", args=[tenant.pk, *args])

    def _tenant(self, request, tenant_id, *, change: bool) -> Tenant:
        tenant = get_object_or_404(Tenant, pk=tenant_id)
        allowed = self.has_change_permission(request, tenant) if change else self.has_view_permission(request, tenant)
        if not allowed:
            raise PermissionDenied
        return tenant

    @staticmethod
    def _actor(request) -> str:
        return request.user.get_username()

    def _render(self, request, template: str, tenant: Tenant | None, page_title: str, **context):
        """Render a page; call it outside schema_context (the admin's context reads the public schema)."""
        title = f"{page_title}: {tenant.name} ({tenant.public_id})" if tenant is not None else page_title
        if "back_page" in context:
            context["back_url"] = self._url(context.pop("back_page"), tenant)
        return TemplateResponse(request, TEMPLATES + template, {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "page_title": page_title,
            "tenant": tenant,
            "can_change": tenant is not None and self.has_change_permission(request, tenant),
            **context,
        })

    def _redirect(self, page: str, tenant: Tenant) -> HttpResponseRedirect:
        return HttpResponseRedirect(self._url(page, tenant))

    def _reveal_next(self, request, tenant: Tenant, **reveal) -> HttpResponseRedirect:
        request.session[REVEAL_SESSION_KEY] = {"tenant": str(tenant.pk), **reveal}
        return self._redirect("secret_shown", tenant)
