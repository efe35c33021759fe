"""Reads of alerts, scoped like everything else by wells_for_user: an OPERATOR sees the alerts of
their route's wells and of the tanks on those wells' leases."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from ..selectors import wells_for_user
from .models import Alert, AlertStatus


def alerts_for_user(*, user) -> QuerySet[Alert]:
    wells = wells_for_user(user=user)
    visible = Q(well__in=wells.values("pk")) | Q(tank__lease_id__in=wells.exclude(lease_ref__isnull=True)
                                               .values("lease_ref_id"), tank__deleted_at__isnull=True)
    return Alert.objects.filter(visible)


def alert_list(*, user, status: str = "", type_: str = "", well_id=None) -> QuerySet[Alert]:
    alerts = alerts_for_user(user=user)
    if status:
        alerts = alerts.filter(status=status)
    if type_:
        alerts = alerts.filter(type=type_)
    if well_id:
        alerts = alerts.filter(well_id=well_id)
    return alerts.select_related("well", "tank", "tank__lease", "acknowledged_by").order_by("-opened_at", "id")


def alerts_open_for_user(*, user) -> QuerySet[Alert]:
    return alert_list(user=user).exclude(status=AlertStatus.CLOSED)
