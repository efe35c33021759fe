"""Portal page of the sync app: conflicts in plain words (MANAGER, ADMIN): event types, statuses
and fields in words, names instead of ids, times in the tenant's zone; filters by type, well and
status; routine conflicts the rules settled by themselves apart from those waiting for a
decision; a decision is applied only after a confirmation step."""

from __future__ import annotations

import re
from datetime import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from tenants.context import current_time_zone
from wells.selectors import display_names

from .models import Conflict
from .selectors import conflict_list, conflicts_pending_count
from .services import conflicts as conflict_services

PAGE_SIZE = 25
ACTION_HELP = {
    "USE_LOCAL": "Use what the field sent",
    "USE_SERVER": "Keep what the server had",
    "KEEP_BOTH": "Keep both records",
    "MERGE": "Merge (notes)",
    "IGNORE": "Ignore: change nothing",
}
# A conflict raised by an ETL pull (no event): its local side is the source's value.
ETL_ACTION_HELP = {"USE_LOCAL": "Use the ETL source's value", "USE_SERVER": "Keep what the field recorded"}
EVENT_TYPE_WORDS = {
    "WELL_READING_RECORDED": "Reading",
    "PRODUCTION_LOGGED": "Production",
    "EQUIPMENT_INSPECTED": "Inspection",
    "EQUIPMENT_REPAIRED": "Repair",
    "NOTES_ADDED": "Note",
    "PHOTO_ATTACHED": "Photo",
    "WELL_STATUS_CHANGED": "Well status change",
}
STATUS_WORDS = {
    "PENDING_REVIEW": "Waiting for a decision",
    "AUTO_RESOLVED": "Settled automatically",
    "RESOLVED": "Decided",
    "IGNORED": "Ignored",
}
STRATEGY_WORDS = {
    "NEWEST_WINS": "the newest value wins",
    "HIGHEST_VALUE": "the highest value is kept",
    "MANUAL_REVIEW": "a manager decides",
    "MERGE": "the notes are merged",
    "KEEP_BOTH": "both are kept",
}
FIELD_WORDS = {"well_id": "Well", "equipment_id": "Equipment", "recorded_by_id": "Recorded by",
               "recorded_by": "Recorded by", "downtime_hours": "Downtime (hours)", "volume_normalized": "Volume (base unit)"}
TABS = {  # tab -> (statuses, heading)
    "pending": (["PENDING_REVIEW"], "Waiting for a decision"),
    "auto": (["AUTO_RESOLVED"], "Settled automatically (routine)"),
    "history": (["RESOLVED", "IGNORED"], "Decided"),
}
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_ENUM = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")


def words(code: str) -> str:
    """'NEEDS_ATTENTION' or 'recordedAt' or 'recorded_at' -> 'Needs attention' / 'Recorded at'."""
    text = re.sub(r"(?<=[a-z0-9])([A-Z])", r" \1", str(code or "")).replace("_", " ").strip().lower()
    return text[:1].upper() + text[1:]


def event_type_words(code: str) -> str:
    return EVENT_TYPE_WORDS.get(code) or words(code)


def _reviewer(view):
    return login_required(permission_required("sync.view_conflict", raise_exception=True)(view))


def _names(conflicts) -> dict:
    """{uuid string: name} for the wells, equipment and users the conflicts' sides name."""
    ids = [value for c in conflicts for data in (c.local_data, c.server_data) for key, value in data.items()
           if isinstance(value, str) and (key.endswith("_id") or key.endswith("Id") or key.endswith("_by"))]
    return display_names(ids=ids)


def _value_words(value, names: dict, zone):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, str):
        if value in names:
            return names[value]
        if _ISO_TIME.match(value):
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return value
            if moment.tzinfo is not None:
                moment = timezone.localtime(moment, zone)
            return moment.strftime("%b %-d, %Y %H:%M")
        if _ENUM.match(value) and len(value) > 2 and value not in ("BBL", "MCF", "PSI", "KPA", "BAR", "IN", "FT"):
            return words(value)
    return value


def _sides(conflict: Conflict, names: dict, zone) -> list[dict]:
    """The two sides' fields, aligned row by row, in words, with the differences marked."""
    skip = {"id", "sourceEventId", "source_event_id", "mergedInto", "superseded_by_id", "volume_normalized",
            "value_normalized"}
    keys = [k for k in dict.fromkeys([*conflict.local_data, *conflict.server_data]) if k not in skip]
    return [{"name": FIELD_WORDS.get(key) or words(key),
             "local": _value_words(conflict.local_data.get(key), names, zone),
             "server": _value_words(conflict.server_data.get(key), names, zone),
             "differs": conflict.local_data.get(key) != conflict.server_data.get(key)} for key in keys]


class ConflictFilterForm(forms.Form):
    type = forms.ChoiceField(required=False, label="Event type")
    well = forms.ChoiceField(required=False)
    status = forms.ChoiceField(required=False, choices=[("", "Any")] + list(STATUS_WORDS.items()))

    def __init__(self, *args, conflicts, **kwargs):
        super().__init__(*args, **kwargs)
        types = conflicts.order_by("event_type").values_list("event_type", flat=True).distinct()
        self.fields["type"].choices = [("", "Any type")] + [(t, event_type_words(t)) for t in types]
        wells = conflicts.exclude(well__isnull=True).order_by("well__name").values_list("well_id", "well__name") \
            .distinct()
        self.fields["well"].choices = [("", "Any well")] + [(str(pk), name) for pk, name in wells]


@_reviewer
def conflicts_view(request):
    tab = request.GET.get("tab", "pending")
    if tab not in TABS:
        tab = "pending"
    everything = conflict_list(user=request.user)
    form = ConflictFilterForm(request.GET or None, conflicts=everything)
    form.is_valid()
    filters = getattr(form, "cleaned_data", {}) or {}
    conflicts = everything.filter(status__in=[filters["status"]] if filters.get("status") else TABS[tab][0])
    if filters.get("type"):
        conflicts = conflicts.filter(event_type=filters["type"])
    if filters.get("well"):
        conflicts = conflicts.filter(well_id=filters["well"])
    if form.errors:
        conflicts = conflicts.none()
    page = Paginator(conflicts.select_related("event", "event__user", "well", "resolved_by"), PAGE_SIZE).get_page(
        request.GET.get("page"))
    names, zone = _names(page), current_time_zone()
    rows = [{"conflict": c, "sides": _sides(c, names, zone), "type_words": event_type_words(c.event_type),
             "status_words": STATUS_WORDS.get(c.status, words(c.status)),
             "strategy_words": STRATEGY_WORDS.get(c.strategy, words(c.strategy)),
             "action_words": ACTION_HELP.get(c.resolution_action, words(c.resolution_action)),
             "actions": [(a, (ETL_ACTION_HELP if c.source else {}).get(a, ACTION_HELP[a]))
                         for a in conflict_services.actions_for(c)]} for c in page]
    query = request.GET.copy()
    query.pop("page", None)
    counts = {name: everything.filter(status__in=statuses).count() for name, (statuses, _) in TABS.items()}
    return render(request, "sync/conflicts.html", {
        "tab": tab, "tabs": [(name, heading, counts[name]) for name, (_, heading) in TABS.items()],
        "page": page, "rows": rows, "form": form, "query": query.urlencode(),
        "pending_count": conflicts_pending_count(user=request.user),
        "can_resolve": request.user.has_perm("sync.change_conflict"),
    })


@require_POST
@login_required
@permission_required("sync.change_conflict", raise_exception=True)
def conflict_resolve_view(request, conflict_id):
    conflict = conflict_list(user=request.user).filter(pk=conflict_id).select_related("well").first()
    if conflict is None:
        raise Http404("No such conflict.")
    action = request.POST.get("action", "")
    note = request.POST.get("note", "")[:2000]
    if request.POST.get("confirmed") != "1":
        # The confirmation step: what will be applied, in words; nothing changes until confirmed.
        if action not in conflict_services.actions_for(conflict):
            messages.error(request, "Choose one of the offered decisions.")
            return HttpResponseRedirect(reverse("sync:conflicts"))
        return render(request, "sync/conflict_confirm.html", {
            "conflict": conflict, "action": action, "note": note,
            "action_words": (ETL_ACTION_HELP if conflict.source else {}).get(action, ACTION_HELP.get(action, action)),
            "type_words": event_type_words(conflict.event_type),
        })
    try:
        conflict_services.conflict_resolve(conflict=conflict, action=action, note=note,
                                           user=request.user, request=request)
    except conflict_services.AlreadyResolved:
        messages.error(request, "This conflict was already resolved by someone else.")
    except conflict_services.ActionNotPossible as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Conflict resolved: {ACTION_HELP.get(action, action)}.")
    return HttpResponseRedirect(reverse("sync:conflicts"))
