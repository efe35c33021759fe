"""Portal pages of the accounts app: session login on the tenant's sub-domain, logout, and the
tenant ADMIN's pages: the team (users, roles) and the tenant's device secrets. An operator's route
page, linked from the team page, is the wells app's (``wells.route_views``).

Every change goes through a service (accounts.services, accounts.tenant_secrets) with
the ADMIN's email as actor and the request for the audit row. A service's ValidationError is
shown next to the field it names. A new secret is kept in the session only until the result page
takes it out, as on the staff admin's pages: shown once, gone on reload.
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
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

from . import services, throttle
from .account_links import portal_origin
from . import account_links
from .forms import InvitationForm, PasswordSetForm, RoleForm, SecretIssueForm, SecretRotateForm, UserCreateForm
from .models import Role, User
from .selectors import team_members
from .tenant_secrets import tenant_secret_expire, tenant_secret_issue, tenant_secret_rotate

REVEAL_SESSION_KEY = "pumpjack_portal_secret_reveal"
# Both secret forms have a "label": distinct element ids keep the page's labels unambiguous.
ISSUE_IDS, ROTATE_IDS, INVITE_IDS = "issue-%s", "rotate-%s", "invite-%s"


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


# --------------------------------------------------------------------------- links by e-mail


FORGOT_DONE = ("If that e-mail belongs to an active account here, a message with a link to choose a new "
               "password is on its way. The link works once, for 72 hours.")


def _on_tenant(view):
    """The link pages exist on a tenant's sub-domain only (a token is looked up in that tenant)."""

    def wrapper(request, *args, **kwargs):
        if request.tenant_entry is None:
            return render(request, "tenants/no_tenant.html", status=404)
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    return wrapper


def _link_invalid(request):
    return render(request, "accounts/link_invalid.html", status=404)


@require_http_methods(["GET", "POST"])
@never_cache
@_on_tenant
def password_forgot_view(request):
    email, error, status = "", None, 200
    if request.method == "POST":
        email = request.POST.get("email", "")[:254]
        try:
            account_links.password_reset_request(email=email, tenant_public_id=request.tenant_entry.public_id,
                                                 request=request)
        except throttle.Throttled:
            error, status = "Too many requests. Wait a while and try again.", 429
        else:
            messages.success(request, FORGOT_DONE)  # the same words whether or not the e-mail has an account
            return HttpResponseRedirect(reverse("accounts:password_forgot"))
    return render(request, "accounts/password_forgot.html", {"email": email, "error": error}, status=status)


LINK_SESSION_KEYS = {account_links.Purpose.INVITATION: "pumpjack_invitation",
                     account_links.Purpose.PASSWORD_RESET: "pumpjack_password_reset"}


def _set_password_page(request, *, link, form, purpose_title, status=200):
    return render(request, "accounts/password_set.html", {"link": link, "form": form, "title": purpose_title},
                  status=status)


def _follow_link(request, token: str, purpose: str) -> HttpResponseRedirect:
    """The address in the e-mail: its token is exchanged at once for the link's id in this
    visitor's session, and the browser goes on to the same page without the token, so that the
    token stays out of the history, the Referer and every log line (Django logs the path of a 4xx
    answer: this one is always a redirect)."""
    try:
        link = account_links.link_find(purpose=purpose, token=token, request=request)
    except account_links.LinkInvalid:
        request.session[LINK_SESSION_KEYS[purpose]] = ""
    else:
        request.session[LINK_SESSION_KEYS[purpose]] = str(link.pk)
    return HttpResponseRedirect(account_links.LINK_PAGES[purpose])


@require_http_methods(["GET"])
@never_cache
@_on_tenant
@sensitive_variables("token")
def invitation_link_view(request, token):
    return _follow_link(request, token, account_links.Purpose.INVITATION)


@require_http_methods(["GET"])
@never_cache
@_on_tenant
@sensitive_variables("token")
def password_reset_link_view(request, token):
    return _follow_link(request, token, account_links.Purpose.PASSWORD_RESET)


def _session_link(request, purpose: str):
    try:
        return account_links.link_get(purpose=purpose, link_id=request.session.get(LINK_SESSION_KEYS[purpose]))
    except (account_links.LinkInvalid, ValidationError):
        return None


@require_http_methods(["GET", "POST"])
@never_cache
@_on_tenant
@sensitive_post_parameters("password", "password_again")
def invitation_view(request):
    purpose = account_links.Purpose.INVITATION
    link = _session_link(request, purpose)
    if link is None:
        return _link_invalid(request)
    title = f"Join {request.tenant_entry.tenant.name}"
    if request.method != "POST":
        return _set_password_page(request, link=link, form=PasswordSetForm(with_name=True), purpose_title=title)
    form = PasswordSetForm(request.POST, with_name=True)
    if form.is_valid():
        try:
            user = account_links.invitation_accept(link_id=link.pk, password=form.cleaned_data["password"],
                                                   name=form.cleaned_data.get("name", ""), request=request)
        except account_links.LinkInvalid:
            return _link_invalid(request)
        except ValidationError as exc:
            service_errors_to_form(form, exc, {"email": None})
        else:
            request.session.pop(LINK_SESSION_KEYS[purpose], None)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            request.session["tid"] = request.tenant_entry.public_id
            messages.success(request, f"Welcome: you are logged in as {user.email} ({user.role}).")
            return HttpResponseRedirect("/")
    return _set_password_page(request, link=link, form=form, purpose_title=title, status=400)


@require_http_methods(["GET", "POST"])
@never_cache
@_on_tenant
@sensitive_post_parameters("password", "password_again")
def password_reset_view(request):
    purpose = account_links.Purpose.PASSWORD_RESET
    link = _session_link(request, purpose)
    if link is None:
        return _link_invalid(request)
    title = "Choose a new password"
    if request.method != "POST":
        return _set_password_page(request, link=link, form=PasswordSetForm(), purpose_title=title)
    form = PasswordSetForm(request.POST)
    if form.is_valid():
        try:
            user = account_links.password_reset_complete(link_id=link.pk, password=form.cleaned_data["password"],
                                                         request=request)
        except account_links.LinkInvalid:
            return _link_invalid(request)
        except ValidationError as exc:
            service_errors_to_form(form, exc)
        else:
            logout(request)  # whoever was logged in here; the new password is used to log in
            messages.success(request, f"The password of {user.email} is changed: log in with it.")
            return HttpResponseRedirect("/login/")
    return _set_password_page(request, link=link, form=form, purpose_title=title, status=400)


def _admin_page(permission: str):
    """Anonymous: to the login page. Logged in without ``permission``: 403."""

    def decorate(view):
        return login_required(permission_required(permission, raise_exception=True)(view))

    return decorate


# --------------------------------------------------------------------------- team


def _team_page(request, *, create_form=None, invite_form=None, row_errors=None, invitation_error="", status=200):
    users = team_members()  # route size and last sync in the same query
    row_errors = row_errors or {}
    with timezone.override(current_time_zone()):
        return render(request, "accounts/team.html", {
            "rows": [{"member": user, "errors": row_errors.get(user.pk, [])} for user in users],
            "roles": Role.choices,
            "create_form": create_form or UserCreateForm(),
            "invite_form": invite_form or InvitationForm(auto_id=INVITE_IDS),
            "invitations": list(account_links.invitations_pending()),
            "invitation_error": invitation_error,
            "time_zone": request.tenant_entry.tenant.time_zone,
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
def team_invite_view(request):
    form = InvitationForm(request.POST, auto_id=INVITE_IDS)
    if form.is_valid():
        data = form.cleaned_data
        try:
            link = account_links.invitation_create(email=data["email"], role=data["role"], actor=request.user.email,
                                                   request=request)
        except ValidationError as exc:
            service_errors_to_form(form, exc)
        except account_links.EmailNotSent:
            form.add_error(None, "The invitation e-mail could not be sent; nothing was kept. Try again later.")
        else:
            messages.success(request, f"Invitation sent to {link.email} as {link.role}: the link works once, "
                                      "for 72 hours.")
            return _team_redirect()
    return _team_page(request, invite_form=form, status=400)


@_admin_page("accounts.manage_team")
@require_POST
def team_invitation_revoke_view(request, invitation_id):
    try:
        link = account_links.invitation_revoke(invitation_id=invitation_id, actor=request.user.email, request=request)
    except ValidationError as exc:
        return _team_page(request, invitation_error=" ".join(exc.messages), status=400)
    messages.success(request, f"The invitation of {link.email} is revoked: its link no longer works.")
    return _team_redirect()


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
            "use_interval_minutes": max(1, round(settings.TENANT_SECRET_USE_RECORD_SECONDS / 60)),
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
    if form.is_valid() and not form.is_confirmed:
        # The confirm step, on the server: nothing changes until the same values come back confirmed.
        with timezone.override(current_time_zone()):
            return render(request, "accounts/secret_rotate_confirm.html", {
                "consequences": form.consequences(now), "form": form.confirmation_form(auto_id=ROTATE_IDS),
            })
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
    context = {"reveal": reveal}
    if reveal:
        context["field_qr_svg"] = field_app_qr_svg(field_app_secret_url(request, reveal["secret"]))
    return render(request, "accounts/secret_shown.html", context)


@sensitive_variables("secret")
def field_app_secret_url(request, secret: str) -> str:
    """What the QR code holds: the field web app on the tenant's host, with the secret in the
    fragment (the app reads it on load, keeps it and removes it; a fragment never reaches a server)."""
    return f"{portal_origin(request)}/field/#secret={quote(secret, safe='')}"


@sensitive_variables("url")
def field_app_qr_svg(url: str) -> str:
    """An inline SVG QR code of ``url`` made here (segno, pure Python): no image request, no CDN.
    Imported here, not with the module: half a megabyte in every web worker for a page staff open."""
    import segno  # noqa: PLC0415

    code = segno.make(url, error="m")
    return code.svg_inline(scale=5, border=4, dark="#000", light="#fff", title="QR code for the field app",
                           svgclass="field-qr", lineclass=None)
