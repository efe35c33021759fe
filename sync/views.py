"""Portal page of the sync app: conflicts side by side, resolution, history (MANAGER, ADMIN)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

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


def _reviewer(view):
    return login_required(permission_required("sync.view_conflict", raise_exception=True)(view))


def _sides(conflict: Conflict) -> list[dict]:
    """The two sides' fields, aligned row by row, with the differences marked."""
    skip = {"id", "sourceEventId", "mergedInto"}
    names = [k for k in dict.fromkeys([*conflict.local_data, *conflict.server_data]) if k not in skip]
    return [{"name": name.replace("_", " "), "local": conflict.local_data.get(name),
             "server": conflict.server_data.get(name),
             "differs": conflict.local_data.get(name) != conflict.server_data.get(name)} for name in names]


@_reviewer
def conflicts_view(request):
    tab = request.GET.get("tab", "pending")
    conflicts = conflict_list(
        user=request.user, status=Conflict.Status.PENDING_REVIEW if tab == "pending" else "")
    if tab == "history":
        conflicts = conflicts.exclude(status=Conflict.Status.PENDING_REVIEW)
    page = Paginator(conflicts.select_related("event", "event__user", "well", "resolved_by"), PAGE_SIZE).get_page(
        request.GET.get("page"))
    rows = [{"conflict": c, "sides": _sides(c),
             "actions": [(a, (ETL_ACTION_HELP if c.source else {}).get(a, ACTION_HELP[a]))
                         for a in conflict_services.actions_for(c)]} for c in page]
    return render(request, "sync/conflicts.html", {
        "tab": tab, "page": page, "rows": rows,
        "pending_count": conflicts_pending_count(user=request.user),
        "can_resolve": request.user.has_perm("sync.change_conflict"),
    })


@require_POST
@login_required
@permission_required("sync.change_conflict", raise_exception=True)
def conflict_resolve_view(request, conflict_id):
    conflict = conflict_list(user=request.user).filter(pk=conflict_id).first()
    if conflict is None:
        raise Http404("No such conflict.")
    action = request.POST.get("action", "")
    try:
        conflict_services.conflict_resolve(conflict=conflict, action=action, note=request.POST.get("note", "")[:2000],
                                           user=request.user, request=request)
    except conflict_services.AlreadyResolved:
        messages.error(request, "This conflict was already resolved by someone else.")
    except conflict_services.ActionNotPossible as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Conflict resolved: {ACTION_HELP.get(action, action)}.")
    return HttpResponseRedirect(reverse("sync:conflicts"))
