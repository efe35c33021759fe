"""A tenant's device secrets: the list, rotation, a new secret beside the others, expiry."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts.tenant_secrets import tenant_secret_expire, tenant_secret_issue, tenant_secret_rotate
from config.forms import service_errors_to_form
from tenants.models import TenantSecret

from .base import StaffPages, post_only
from .forms import SecretIssueForm, SecretRotateForm


class SecretPages(StaffPages):
    def secrets_view(self, request, tenant_id):
        tenant = self._tenant(request, tenant_id, change=False)
        now = timezone.now()
        secrets = TenantSecret.objects.filter(tenant=tenant).defer("secret_hash").order_by("-created_at")
        rows = [{"secret": s, "active": s.is_active_at(now)} for s in secrets]
        return self._render(request, "secrets.html", tenant, "Device secrets", rows=rows)

    @sensitive_variables("secret")
    def secret_rotate_view(self, request, tenant_id):
        tenant = self._tenant(request, tenant_id, change=True)
        active = [s for s in TenantSecret.objects.filter(tenant=tenant).defer("secret_hash")
                  if s.is_active_at(timezone.now())]
        form = SecretRotateForm(request.POST if request.method == "POST" else None, active_secrets=active)
        if form.is_bound and form.is_valid() and not form.is_confirmed:
            # The confirm step, on the server: what will happen, and the same values to post again.
            with timezone.override(tenant.time_zone):
                consequences = form.consequences()
            return self._render(request, "confirm.html", tenant, "Rotate the device secrets of",
                                form=form.confirmation_form(), consequences=consequences, danger=True,
                                submit_label="Yes, rotate")
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            grace_hours = data["grace_hours"] or 0
            try:
                secret = tenant_secret_rotate(
                    tenant=tenant, actor=self._actor(request), grace_hours=grace_hours, label=data["label"],
                    secret_id=data["secret"] or None, request=request,
                )
            except ValidationError as exc:
                service_errors_to_form(form, exc)
            else:
                replaced = "the replaced secret" if data["secret"] else "every secret that was active"
                when = f"in {grace_hours:g} hour{'' if grace_hours == 1 else 's'}" if grace_hours else "now"
                return self._reveal_next(request, tenant, secret=secret, what="rotated", label=data["label"],
                                         note=f"{replaced.capitalize()} stops working {when}.")
        return self._render(request, "form_page.html", tenant, "Rotate secret", form=form,
                            fieldsets=[(None, form.visible_fields())], submit_label="Rotate", back_page="secrets")

    @sensitive_variables("secret")
    def secret_issue_view(self, request, tenant_id):
        tenant = self._tenant(request, tenant_id, change=True)
        form = SecretIssueForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            try:
                secret = tenant_secret_issue(tenant=tenant, label=data["label"], actor=self._actor(request),
                                             expires_at=data["expires_at"], request=request)
            except ValidationError as exc:
                service_errors_to_form(form, exc)
            else:
                return self._reveal_next(request, tenant, secret=secret, what="issued", label=data["label"].strip(),
                                         note="The tenant's other secrets keep working.")
        return self._render(request, "form_page.html", tenant, "Add secret", form=form,
                            fieldsets=[(None, list(form))], submit_label="Add secret", back_page="secrets")

    @post_only
    def secret_expire_view(self, request, tenant_id, secret_id):
        tenant = self._tenant(request, tenant_id, change=True)
        try:
            secret = tenant_secret_expire(tenant=tenant, secret_id=secret_id, actor=self._actor(request),
                                          request=request)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), level="error")
        else:
            self.message_user(request, f"Secret {secret.label!r} has expired: devices using it are refused.")
        return self._redirect("secrets", tenant)
