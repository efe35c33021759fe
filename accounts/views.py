"""Portal pages of the accounts app: session login on the tenant's sub-domain, logout, and the
tenant ADMIN's pages: the team (users, roles) and the tenant's device secrets. An operator's route
page, linked from the team page, is the wells app's (``wells.route_views``).

Every change goes through a service (accounts.services, accounts.tenant_secrets) with
the ADMIN's email as actor and the request for the audit row. A service's ValidationError is
shown next to the field it names. A new secret is kept in the session only until the result page
takes it out, as on the staff admin's pages: shown once, gone on reload.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST

from config.forms import service_errors_to_form
from tenants.context import current_time_zone
from tenants.models import TenantSecret

from . import services
from .forms import RoleForm, SecretIssueForm, SecretRotateForm, UserCreateForm
from .models import Role, User
from .tenant_secrets import tenant_secret_expire, tenant_secret_issue, tenant_secret_rotate

REVEAL_SESSION_KEY = "pumpjack_portal_secret_reveal"
# Both secret forms have a "label": distinct element ids keep the page's labels unambiguous.
ISSUE_IDS, ROTATE_IDS = "issue-%s", "rotate-%s"


@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.tenant_entry is None:  # only reachable on a tenant sub-domain (tenant urlconf)
        return render(request, "tenants/no_tenant.html", status=404)
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    error = None
    email = ""
    status = 200
    if request.method == "POST":
        email = request.POST.get("email", "")[:254]
        try:
            user = services.password_login(
                email=email, password=request.POST.get("password", "")[:1024],
                tenant_public_id=request.tenant_entry.public_id, request=request, channel="portal",
            )
        except services.LoginThrottled:
            error, status = "Too many failed attempts. Wait a few minutes and try again.", 429
        except services.LoginFailed:
            error, status = "That email and password do not match an active account here.", 401
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            request.session["tid"] = request.tenant_entry.public_id
            return HttpResponseRedirect(next_url)
    return render(request, "accounts/login.html", {"error": error, "email": email, "next": next_url}, status=status)


@require_POST
def logout_view(request):
    logout(request)
    return HttpResponseRedirect("/login/")


def _admin_page(permission: str):
    """Anonymous: to the login page. Logged in without ``permission``: 403."""

    def decorate(view):
        return login_required(permission_required(permission, raise_exception=True)(view))

    return decorate


# --------------------------------------------------------------------------- team


def _team_page(request, *, create_form=None, row_errors=None, status=200):
    users = User.objects.annotate(route_size=Count("well_assignments")).order_by("email")
    row_errors = row_errors or {}
    return render(request, "accounts/team.html", {
        "rows": [{"member": user, "errors": row_errors.get(user.pk, [])} for user in users],
        "roles": Role.choices,
        "create_form": create_form or UserCreateForm(),
    }, status=status)


def _team_user(user_id) -> User:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise Http404("No such user in this tenant.")
    return user


def _team_redirect() -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("accounts:team"))


@_admin_page("accounts.manage_team")
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def team_view(request):
    if request.method != "POST":
        return _team_page(request)
    form = UserCreateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(email=data["email"], password=data["password"], role=data["role"],
                                        name=data["name"], actor=request.user.email, request=request)
        except ValidationError as exc:
            service_errors_to_form(form, exc)
        else:
            messages.success(request, f"{user.email} can now log in as {user.role}.")
            return _team_redirect()
    return _team_page(request, create_form=form, status=400)


@_admin_page("accounts.manage_team")
@require_POST
def team_role_view(request, user_id):
    user = _team_user(user_id)
    form = RoleForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"role": [f"Role must be one of {', '.join(Role.values)}."]})
        previous = user.role
        services.user_set_role(user=user, role=form.cleaned_data["role"], actor=request.user.email, request=request)
    except ValidationError as exc:
        return _team_page(request, row_errors={user.pk: exc.messages}, status=400)
    if previous != user.role:
        messages.success(request, f"{user.email} is now {user.role} (was {previous}); they log in again.")
    if user.pk == request.user.pk and not user.has_perm("accounts.manage_team"):
        return HttpResponseRedirect(reverse("portal:dashboard"))  # this page is no longer theirs
    return _team_redirect()


@_admin_page("accounts.manage_team")
@require_POST
def team_deactivate_view(request, user_id):
    user = _team_user(user_id)
    try:
        services.user_deactivate(user=user, actor=request.user.email, request=request)
    except ValidationError as exc:
        return _team_page(request, row_errors={user.pk: exc.messages}, status=400)
    messages.success(request, f"{user.email} is deactivated: their sessions and tokens stop working.")
    return _team_redirect()


@_admin_page("accounts.manage_team")
@require_POST
def team_reactivate_view(request, user_id):
    user = _team_user(user_id)
    services.user_reactivate(user=user, actor=request.user.email, request=request)
    messages.success(request, f"{user.email} is active again.")
    return _team_redirect()


# --------------------------------------------------------------------------- tenant secrets


def _tenant_secrets(request) -> list[TenantSecret]:
    return list(TenantSecret.objects.filter(tenant=request.tenant_entry.tenant).defer("secret_hash")
                .order_by("-created_at"))


def _secrets_page(request, *, issue_form=None, rotate_form=None, status=200):
    now = timezone.now()
    secrets = _tenant_secrets(request)
    active = [s for s in secrets if s.is_active_at(now)]
    with timezone.override(current_time_zone()):
        return render(request, "accounts/secrets.html", {
            "rows": [{"secret": s, "active": s.is_active_at(now)} for s in secrets],
            "issue_form": issue_form or SecretIssueForm(auto_id=ISSUE_IDS),
            "rotate_form": rotate_form or SecretRotateForm(active_secrets=active, auto_id=ROTATE_IDS),
            "time_zone": request.tenant_entry.tenant.time_zone,
        }, status=status)


def _reveal_next(request, **reveal) -> HttpResponseRedirect:
    request.session[REVEAL_SESSION_KEY] = {"tenant": request.tenant_entry.public_id, **reveal}
    return HttpResponseRedirect(reverse("accounts:secret_shown"))


@_admin_page("accounts.manage_secrets")
@require_http_methods(["GET"])
def secrets_view(request):
    return _secrets_page(request)


@_admin_page("accounts.manage_secrets")
@require_POST
@sensitive_variables("secret")
def secret_issue_view(request):
    form = SecretIssueForm(request.POST, auto_id=ISSUE_IDS)
    with timezone.override(current_time_zone()):  # the expiry is typed in the tenant's time zone
        valid = form.is_valid()
    if valid:
        data = form.cleaned_data
        try:
            secret = tenant_secret_issue(tenant=request.tenant_entry.tenant, label=data["label"],
                                         actor=request.user.email, expires_at=data["expires_at"], request=request)
        except ValidationError as exc:
            service_errors_to_form(form, exc)
        else:
            return _reveal_next(request, secret=secret, what="issued", label=data["label"].strip(),
                                note="The tenant's other secrets keep working.")
    return _secrets_page(request, issue_form=form, status=400)


@_admin_page("accounts.manage_secrets")
@require_POST
@sensitive_variables("secret")
def secret_rotate_view(request):
    now = timezone.now()
    active = [s for s in _tenant_secrets(request) if s.is_active_at(now)]
    form = SecretRotateForm(request.POST, active_secrets=active, auto_id=ROTATE_IDS)
    if form.is_valid():
        data = form.cleaned_data
        grace_hours = data["grace_hours"] or 0
        try:
            secret = tenant_secret_rotate(
                tenant=request.tenant_entry.tenant, actor=request.user.email, grace_hours=grace_hours,
                label=data["label"], secret_id=data["secret"] or None, request=request,
            )
        except ValidationError as exc:
            service_errors_to_form(form, exc)
        else:
            replaced = "The replaced secret" if data["secret"] else "Every secret that was active"
            when = f"in {grace_hours:g} hour{'' if grace_hours == 1 else 's'}" if grace_hours else "now"
            return _reveal_next(request, secret=secret, what="rotated", label=data["label"].strip(),
                                note=f"{replaced} stops working {when}.")
    return _secrets_page(request, rotate_form=form, status=400)


@_admin_page("accounts.manage_secrets")
@require_POST
def secret_expire_view(request, secret_id):
    try:
        secret = tenant_secret_expire(tenant=request.tenant_entry.tenant, secret_id=secret_id,
                                      actor=request.user.email, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Secret {secret.label!r} has expired: devices using it are refused.")
    return HttpResponseRedirect(reverse("accounts:secrets"))


@_admin_page("accounts.manage_secrets")
@require_http_methods(["GET"])
@never_cache
@sensitive_variables("reveal")
def secret_shown_view(request):
    # Taken out whatever happens: shown on this response only, never again.
    reveal = request.session.pop(REVEAL_SESSION_KEY, None)
    if not reveal or reveal.get("tenant") != request.tenant_entry.public_id:
        reveal = None
    return render(request, "accounts/secret_shown.html", {"reveal": reveal})
