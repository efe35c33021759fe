"""A tenant's security audit log and its users (create, role, deactivate, reactivate)."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django_tenants.utils import schema_context

from accounts.models import Role, SecurityEvent, User
from accounts.services import user_create, user_deactivate, user_reactivate, user_set_role
from config.forms import service_errors_to_form

from .base import StaffPages, post_only
from .forms import AuditFilterForm, RoleForm, UserCreateForm

AUDIT_PAGE_SIZE = 50


class UserAndAuditPages(StaffPages):
    def audit_view(self, request, tenant_id):
        tenant = self._tenant(request, tenant_id, change=False)
        filters = AuditFilterForm(request.GET)
        criteria = {k: v for k, v in filters.cleaned_data.items() if v} if filters.is_valid() else {}
        with schema_context(tenant.schema_name):
            events = SecurityEvent.objects.filter(**criteria).order_by("-created_at", "-id")
            page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
            page.object_list = list(page.object_list)  # read here, in the tenant's schema
        rows = [(event, json.dumps(event.detail, sort_keys=True, ensure_ascii=False) if event.detail else "")
                for event in page.object_list]
        return self._render(request, "audit.html", tenant, "Security log", filters=filters, page=page, rows=rows)

    # ------------------------------------------------------------------ users
    def users_view(self, request, tenant_id):
        tenant = self._tenant(request, tenant_id, change=False)
        with schema_context(tenant.schema_name):
            users = list(User.objects.order_by("email"))
        return self._render(request, "users.html", tenant, "Users", users=users, roles=Role.choices)

    @method_decorator(sensitive_post_parameters("password", "password2"))
    @sensitive_variables("data")
    def user_create_view(self, request, tenant_id):
        tenant = self._tenant(request, tenant_id, change=True)
        form = UserCreateForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            actor = self._actor(request)
            try:
                with schema_context(tenant.schema_name):
                    user = user_create(email=data["email"], password=data["password"], role=data["role"],
                                       name=data["name"], actor=actor, request=request)
            except ValidationError as exc:
                service_errors_to_form(form, exc)
            else:
                self.message_user(request, f"User {user.email} ({user.role}) created in {tenant}.")
                return self._redirect("users", tenant)
        return self._render(request, "form_page.html", tenant, "Add user", form=form,
                            fieldsets=[(None, list(form))], submit_label="Create user", back_page="users")

    def _user_change(self, request, tenant_id, user_id, change) -> HttpResponseRedirect:
        """Run ``change(user, actor)`` on one of the tenant's users, in its schema."""
        tenant = self._tenant(request, tenant_id, change=True)
        actor = self._actor(request)
        with schema_context(tenant.schema_name):
            user = User.objects.filter(pk=user_id).first()
            if user is None:
                raise Http404("No such user in this tenant.")
            try:
                message = change(user, actor)
            except ValidationError as exc:
                message = None
                self.message_user(request, " ".join(exc.messages), level="error")
        if message:
            self.message_user(request, message)
        return self._redirect("users", tenant)

    @post_only
    def user_role_view(self, request, tenant_id, user_id):
        form = RoleForm(request.POST)

        def change(user, actor):
            if not form.is_valid():
                raise ValidationError(f"Role must be one of {', '.join(Role.values)}.")
            previous = user.role
            user_set_role(user=user, role=form.cleaned_data["role"], actor=actor, request=request)
            if previous == user.role:
                return f"{user.email} already is {user.role}."
            return f"{user.email} is now {user.role} (was {previous or 'no role'}); their tokens were revoked."

        return self._user_change(request, tenant_id, user_id, change)

    @post_only
    def user_deactivate_view(self, request, tenant_id, user_id):
        def change(user, actor):
            user_deactivate(user=user, actor=actor, request=request)
            return f"{user.email} is deactivated; their tokens were revoked."

        return self._user_change(request, tenant_id, user_id, change)

    @post_only
    def user_reactivate_view(self, request, tenant_id, user_id):
        def change(user, actor):
            user_reactivate(user=user, actor=actor, request=request)
            return f"{user.email} is active again."

        return self._user_change(request, tenant_id, user_id, change)
