"""Portal pages of the accounts app: session login on the tenant's sub-domain, logout, home."""

from __future__ import annotations

from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from . import services


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


@login_required
def dashboard_view(request):
    return render(request, "accounts/dashboard.html")
