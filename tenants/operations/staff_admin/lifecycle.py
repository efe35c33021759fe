"""Creating a tenant (with its first secret shown once), suspending, reactivating and soft-deleting it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from config.crypto import encrypt
from config.forms import service_errors_to_form
from tenants.databases import TenantDatabaseError, masked
from tenants.models import Tenant

from ..own_database import connection_check
from ..provisioning import tenant_create, tenant_reactivate, tenant_soft_delete, tenant_suspend
from .base import REVEAL_SESSION_KEY, StaffPages, scrubbed
from .forms import DatabaseUrlForm, SoftDeleteForm, SuspendForm, TenantCreateForm


class LifecyclePages(StaffPages):
    @method_decorator(sensitive_post_parameters("admin_password", "admin_password2", "database_url", "url_token"))
    @sensitive_variables("created", "data", "url")
    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = TenantCreateForm(request.POST if request.method == "POST" else None)
        result, url_note = None, ""
        if form.is_bound:
            valid = form.is_valid()
            url = form.typed_url()
            url_note = self._carry_url(form, url)
            if request.POST.get("action") == "test":
                # Only the URL matters here: the other fields come back as typed, without errors
                # (and without the admin password, which is never rendered back).
                result = connection_check(url) if url else None
                form = TenantCreateForm(initial={
                    **{name: request.POST.get(name) for name in TenantCreateForm.kept_on_test},
                    "url_token": form.data.get("url_token", ""),
                })
                if result is None:
                    result = {"ok": False, "message": "Enter the database URL to test."}
            elif valid and not form.errors:
                created = self._create(request, form, url)
                if created is not None:
                    self.log_addition(request, created.tenant, [{"added": {}}])
                    return self._reveal_next(
                        request, created.tenant, secret=created.secret, what="created", label="default",
                        admin_email=created.admin_user.email,
                    )
        fieldsets = [(title, [form[name] for name in names]) for title, names in TenantCreateForm.fieldsets]
        return self._render(request, "database_form.html", None, "Create tenant", form=form, fieldsets=fieldsets,
                            result=result, url_note=url_note, submit_label="Create tenant", test_button=True,
                            back_url=reverse("admin:tenants_tenant_changelist"))

    @staticmethod
    @sensitive_variables("url")
    def _carry_url(form: DatabaseUrlForm, url: str) -> str:
        """Keep a typed URL for the form's next button (encrypted, in the page); its masked form."""
        if not url:
            return ""
        form.data = form.data.copy()
        form.data["url_token"] = encrypt(url)
        form.data["database_url"] = ""
        return masked(url)

    @sensitive_variables("data", "url")
    def _create(self, request, form: TenantCreateForm, url: str):
        """tenant_create from the form; None, with the errors on the form, when it is refused."""
        data = form.cleaned_data
        own_database = data["isolation"] == Tenant.IsolationLevel.DATABASE
        if own_database and not url:
            form.add_error("database_url", "Give the URL of the tenant's own database (or choose a schema).")
            return None
        if url and not own_database:
            form.add_error("database_url", "A tenant in a schema of the shared database takes no URL: leave it "
                                           "empty, or choose a database of its own.")
            return None
        try:
            return tenant_create(
                name=data["name"], slug=data["slug"], time_zone=data["time_zone"], tier=data["tier"],
                status=Tenant.Status.TRIAL if data["trial"] else Tenant.Status.ACTIVE,
                region=data["region"], provider=data["provider"],
                admin_email=data["admin_email"], admin_name=data["admin_name"],
                admin_password=data["admin_password"], actor=self._actor(request), database_url=url,
            )
        except ValidationError as exc:
            service_errors_to_form(form, exc, TenantCreateForm.service_fields)
        except IntegrityError:  # e.g. another request took the slug, or its sub-domain, just now
            form.add_error("slug", "This slug's sub-domain is already taken; choose another slug.")
        except TenantDatabaseError as exc:
            form.add_error("database_url", exc.message)
        except DatabaseError as exc:
            if not url:
                raise
            # Preparing the tenant's own database failed half-way (nothing was registered).
            form.add_error("database_url", f"The database could not be prepared: {scrubbed(str(exc), url)}")
        return None

    # ------------------------------------------------------------------ one-time secret
    @sensitive_variables("reveal")
    def secret_shown_view(self, request, tenant_id):
        tenant = self._tenant(request, tenant_id, change=False)
        # Taken out whatever happens: a secret meant for another tenant's page is gone, not kept.
        reveal = request.session.pop(REVEAL_SESSION_KEY, None)
        if not reveal or reveal.get("tenant") != str(tenant.pk):
            reveal = None
        page_title = "Tenant created" if reveal and reveal["what"] == "created" else "New tenant secret"
        domain = tenant.domains.filter(is_primary=True).first()
        return self._render(request, "secret_shown.html", tenant, page_title, reveal=reveal, primary_domain=domain)

    # ------------------------------------------------------------------ lifecycle
    def suspend_view(self, request, tenant_id):
        tenant = self._tenant(request, tenant_id, change=True)
        if tenant.status == Tenant.Status.SUSPENDED:
            self.message_user(request, f"{tenant} is already suspended.", level="warning")
            return self._redirect("change", tenant)
        form = SuspendForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            tenant_suspend(tenant=tenant, actor=self._actor(request), reason=form.cleaned_data["reason"],
                           request=request)
            self.log_change(request, tenant, "Suspended.")
            self.message_user(request, f"{tenant} is suspended: its devices, API clients and portal users are refused.")
            return self._redirect("change", tenant)
        return self._render(
            request, "confirm.html", tenant, "Suspend tenant", form=form, danger=True, submit_label="Suspend",
            consequences=["Every API call, device sync and portal page of this tenant is refused (403) until "
                          "it is reactivated.", "Its data is kept as it is."],
        )

    def reactivate_view(self, request, tenant_id):
        tenant = self._tenant(request, tenant_id, change=True)
        if tenant.status != Tenant.Status.SUSPENDED:
            self.message_user(request, f"{tenant} is not suspended.", level="warning")
            return self._redirect("change", tenant)
        if request.method == "POST":
            tenant_reactivate(tenant=tenant, actor=self._actor(request), request=request)
            self.log_change(request, tenant, "Reactivated.")
            self.message_user(request, f"{tenant} is active again.")
            return self._redirect("change", tenant)
        return self._render(
            request, "confirm.html", tenant, "Reactivate tenant", form=None, danger=False, submit_label="Reactivate",
            consequences=["The tenant's devices, API clients and portal users are let in again.",
                          "Its status becomes ACTIVE (a trial tenant is no longer in TRIAL)."],
        )

    def soft_delete_view(self, request, tenant_id):
        tenant = self._tenant(request, tenant_id, change=True)  # a deleted tenant is not changeable
        form = SoftDeleteForm(request.POST if request.method == "POST" else None, tenant=tenant)
        if form.is_bound and form.is_valid():
            tenant_soft_delete(tenant=tenant, actor=self._actor(request), request=request)
            self.log_change(request, tenant, "Soft-deleted.")
            self.message_user(request, f"{tenant} is deleted. Its schema and data are kept until a purge.")
            return HttpResponseRedirect(reverse("admin:tenants_tenant_changelist"))
        return self._render(
            request, "confirm.html", tenant, "Delete tenant", form=form, danger=True, submit_label="Delete tenant",
            consequences=["The tenant disappears everywhere: its tenant ID, sub-domain, secrets and users stop "
                          "working at once.", "Its schema and data are kept until a purge; this page cannot "
                          "undo the deletion."],
        )
