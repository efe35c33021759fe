"""Sync's figures on the dashboard (``wells.views.dashboard_view``, registered from
``SyncConfig.ready``): the conflicts waiting for review on the wells the user sees, and for
MANAGERs and ADMINs the last sync of every pumper."""

from __future__ import annotations

from accounts.models import Role
from wells.views import dashboard_figures

from .selectors import conflicts_pending_count, last_sync_per_operator


@dashboard_figures
def sync_figures(*, user) -> dict:
    return {"pending_conflicts": conflicts_pending_count(user=user),
            "pumpers": last_sync_per_operator() if user.role != Role.OPERATOR else []}
