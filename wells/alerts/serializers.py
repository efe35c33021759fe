"""Wire shapes of alerts and rules (API.md section 15)."""

from __future__ import annotations

from rest_framework import serializers

from ..serializers import StrictInput
from .models import AlertStatus, AlertType


class AlertOutput(serializers.Serializer):
    id = serializers.UUIDField()
    type = serializers.ChoiceField(choices=AlertType.values)
    status = serializers.ChoiceField(choices=AlertStatus.values)
    wellId = serializers.UUIDField(source="well_id", allow_null=True)
    tankId = serializers.UUIDField(source="tank_id", allow_null=True)
    openedAt = serializers.DateTimeField(source="opened_at")
    message = serializers.CharField()
    details = serializers.DictField()
    acknowledgedBy = serializers.UUIDField(source="acknowledged_by_id", allow_null=True)
    acknowledgedAt = serializers.DateTimeField(source="acknowledged_at", allow_null=True)
    acknowledgementNote = serializers.CharField(source="acknowledgement_note")
    closedAt = serializers.DateTimeField(source="closed_at", allow_null=True)


class AlertRuleOutput(serializers.Serializer):
    type = serializers.ChoiceField(choices=AlertType.values)
    enabled = serializers.BooleanField()
    params = serializers.DictField(help_text="The rule's parameters (API.md section 15), defaults filled in.")


class AlertRuleInput(StrictInput):
    enabled = serializers.BooleanField()
    params = serializers.DictField(required=False, default=dict,
                                   help_text="Whole numbers: WELL_DOWN days 1-30, PRODUCTION_DROP percent 1-100, "
                                   "TANK_HIGH percent 1-100, MISSED_VISIT days 1-60; INSPECTION_FAILED none.")


class AcknowledgeInput(StrictInput):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class AlertListQuery(serializers.Serializer):
    status = serializers.ChoiceField(required=False, choices=AlertStatus.values)
    type = serializers.ChoiceField(required=False, choices=AlertType.values)
    wellId = serializers.UUIDField(required=False)
