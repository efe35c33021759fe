"""Reads of alerts, scoped like everything else by wells_for_user: an OPERATOR sees the alerts of
their route's wells and of the tanks on those wells' leases."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from ..domain import InspectionStatus
from ..models import EquipmentInspection
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


def equipment_needing_attention(*, well) -> set:
    """Ids of the well's equipment whose latest current inspection is FAIL: it needs attention
    until a later inspection does not fail (the INSPECTION_FAILED rule reads the same)."""
    latest: dict = {}
    for equipment_id, status in EquipmentInspection.objects.filter(well=well, superseded_by__isnull=True) \
            .order_by("equipment_id", "-inspected_at").values_list("equipment_id", "status"):
        latest.setdefault(equipment_id, status)
    return {pk for pk, status in latest.items() if status == InspectionStatus.FAIL}
