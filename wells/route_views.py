"""The tenant ADMIN's page of an operator's route (``/team/<user>/route/``, linked from the team
page; URL names ``accounts:route`` and ``accounts:route_remove``, mounted by
``accounts/urls_portal.py`` beside the team's pages): the wells on it, adding wells by API number
or by lease, taking ticked wells off. Changes go through ``wells.services`` (``wells_assign``,
``wells_unassign``), which log them for the pull feed."""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Role, User
from config.forms import service_errors_to_form

from .domain import api_number_normalise
from .models import Well
from .services import wells_assign, wells_unassign

MANAGE_TEAM = "accounts.manage_team"


def _team_admin_page(view):
    """Anonymous: to the login page. Logged in without the team permission: 403."""
    return login_required(permission_required(MANAGE_TEAM, raise_exception=True)(view))


def _member(user_id) -> User:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise Http404("No such user in this tenant.")
    return user


class RouteAddForm(forms.Form):
    """Wells to put on a route: API numbers as people write them, or every well of a lease."""

    api_numbers = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4, "placeholder": "42-317-40101-00-00\n42317401020000"}),
        label="API numbers", help_text="One or more, separated by lines, spaces or commas; dashes are fine.",
    )
    lease = forms.ChoiceField(required=False, label="Every well of a lease")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        leases = Well.objects.filter(deleted_at__isnull=True).exclude(lease="").order_by("lease")
        self.fields["lease"].choices = [("", "—")] + [
            (lease, lease) for lease in leases.values_list("lease", flat=True).distinct()
        ]

    def clean(self):
        cleaned = super().clean()
        raw = cleaned.get("api_numbers") or ""
        numbers = [api_number_normalise(part) for part in re.split(r"[\s,;]+", raw) if part.strip()]
        found = dict(
            Well.objects.filter(api_number__in=numbers, deleted_at__isnull=True).values_list("api_number", "pk")
        )
        unknown = [n or "(no digits)" for n in numbers if n not in found]
        if unknown:
            self.add_error("api_numbers", "No well with API number " + ", ".join(unknown[:10])
                           + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "") + ".")
        well_ids = set(found.values())
        if cleaned.get("lease"):
            well_ids |= set(Well.objects.filter(lease=cleaned["lease"], deleted_at__isnull=True)
                            .values_list("pk", flat=True))
        if not numbers and not cleaned.get("lease"):
            raise ValidationError("Give API numbers or choose a lease.")
        cleaned["well_ids"] = sorted(well_ids, key=str)
        return cleaned


def _route_page(request, member: User, *, add_form=None, remove_error="", status=200):
    # What is assigned, even while the member is deactivated (wells_for_user would show nothing).
    route = Well.objects.filter(assignments__user=member, deleted_at__isnull=True)
    return render(request, "wells/route.html", {
        "member": member,
        "is_operator": member.role == Role.OPERATOR,
        "route": route.order_by("lease", "name"),
        "add_form": add_form or RouteAddForm(),
        "remove_error": remove_error,
    }, status=status)


@_team_admin_page
@require_http_methods(["GET", "POST"])
def team_route_view(request, user_id):
    member = _member(user_id)
    if request.method != "POST":
        return _route_page(request, member)
    form = RouteAddForm(request.POST)
    if form.is_valid():
        try:
            size = wells_assign(user=member, well_ids=form.cleaned_data["well_ids"])
        except ValidationError as exc:
            service_errors_to_form(form, exc, {"wells": "api_numbers", "user": None})
        else:
            messages.success(request, f"{member.email}'s route now holds {size} well{'s' if size != 1 else ''}.")
            return HttpResponseRedirect(reverse("accounts:route", args=[member.pk]))
    return _route_page(request, member, add_form=form, status=400)


@_team_admin_page
@require_POST
def team_route_remove_view(request, user_id):
    member = _member(user_id)
    well_ids = []
    for raw in request.POST.getlist("well"):
        try:
            well_ids.append(forms.UUIDField().clean(raw))
        except ValidationError:
            continue
    if not well_ids:
        return _route_page(request, member, remove_error="Tick the wells to take off the route.", status=400)
    size = wells_unassign(user=member, well_ids=well_ids)
    messages.success(request, f"{member.email}'s route now holds {size} well{'s' if size != 1 else ''}.")
    return HttpResponseRedirect(reverse("accounts:route", args=[member.pk]))
