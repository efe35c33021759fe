"""Portal pages of alerts: the alerts list with filters and acknowledgement (MANAGER+ acknowledge;
an OPERATOR sees their route's), and the rules page (ADMIN edits)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ..selectors import wells_for_user
from . import selectors
from .evaluation import AlertNotOpen, alert_acknowledge
from .models import AlertStatus, AlertType
from .rules import DEFINITIONS, rule_save, rule_settings

PAGE_SIZE = 25


class AlertFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", "Open or acknowledged"), ("ALL", "Any status")]
                               + AlertStatus.choices)
    type = forms.ChoiceField(required=False, choices=[("", "Any rule")] + AlertType.choices, label="Rule")
    well = forms.ChoiceField(required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["well"].choices = [("", "Any well")] + [
            (str(pk), name) for pk, name in wells_for_user(user=user).values_list("pk", "name")]


@login_required
@permission_required("wells.view_alert", raise_exception=True)
def alerts_view(request):
    form = AlertFilterForm(request.GET or None, user=request.user)
    form.is_valid()
    filters = getattr(form, "cleaned_data", {}) or {}
    status = filters.get("status", "")
    alerts = selectors.alert_list(user=request.user, status="" if status in ("", "ALL") else status,
                                  type_=filters.get("type", ""), well_id=filters.get("well") or None)
    if not status:
        alerts = alerts.exclude(status=AlertStatus.CLOSED)
    if form.errors:
        alerts = alerts.none()
    page = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "wells/alerts.html", {
        "form": form, "page": page, "query": query.urlencode(),
        "can_acknowledge": request.user.has_perm("wells.change_alert"),
        "can_edit_rules": request.user.has_perm("wells.change_alertrule"),
    })


@require_POST
@login_required
@permission_required("wells.change_alert", raise_exception=True)
def alert_acknowledge_view(request, alert_id):
    alert = selectors.alerts_for_user(user=request.user).filter(pk=alert_id).first()
    if alert is None:
        raise Http404("No such alert.")
    try:
        alert_acknowledge(alert=alert, user=request.user, note=request.POST.get("note", "")[:2000])
    except AlertNotOpen:
        messages.error(request, "This alert was already acknowledged or has closed.")
    else:
        messages.success(request, "Alert acknowledged.")
    back = request.POST.get("next", "")
    return HttpResponseRedirect(back if back.startswith("/") and not back.startswith("//") else reverse("wells:alerts"))


class RuleForm(forms.Form):
    enabled = forms.BooleanField(required=False, label="On")

    def __init__(self, *args, definition, **kwargs):
        super().__init__(*args, **kwargs)
        for param in definition.params:
            self.fields[param.name] = forms.IntegerField(min_value=param.minimum, max_value=param.maximum,
                                                         label=f"{param.name.title()} ({param.label})")


@login_required
@permission_required("wells.view_alertrule", raise_exception=True)
def alert_rules_view(request):
    can_edit = request.user.has_perm("wells.change_alertrule")
    current = rule_settings()
    forms_by_type = {}
    for type_, definition in DEFINITIONS.items():
        setting = current[type_]
        bound = request.method == "POST" and request.POST.get("rule") == type_
        if bound and not can_edit:
            raise PermissionDenied
        forms_by_type[type_] = RuleForm(request.POST if bound else None, prefix=type_, definition=definition,
                                        initial={"enabled": setting.enabled, **setting.params})
        if bound and forms_by_type[type_].is_valid():
            data = forms_by_type[type_].cleaned_data
            rule_save(type_=type_, enabled=data["enabled"], params={p.name: data[p.name] for p in definition.params},
                      user=request.user)
            messages.success(request, f"Rule “{AlertType(type_).label}” saved.")
            return HttpResponseRedirect(reverse("wells:alert-rules"))
    rows = [{"type": t, "label": AlertType(t).label, "description": DEFINITIONS[t].description.replace("`", ""),
             "form": f, "setting": current[t]} for t, f in forms_by_type.items()]
    return render(request, "wells/alert_rules.html", {"rows": rows, "can_edit": can_edit})
