"""Alert rules and alerts, in each tenant's schema (models of the wells app)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class AlertType(models.TextChoices):
    WELL_DOWN = "WELL_DOWN", "Well down"
    PRODUCTION_DROP = "PRODUCTION_DROP", "Production drop"
    TANK_HIGH = "TANK_HIGH", "Tank high"
    MISSED_VISIT = "MISSED_VISIT", "Missed visit"
    INSPECTION_FAILED = "INSPECTION_FAILED", "Inspection failed"


class AlertStatus(models.TextChoices):
    OPEN = "OPEN", "Open"
    ACKNOWLEDGED = "ACKNOWLEDGED", "Acknowledged"
    CLOSED = "CLOSED", "Closed"


class AlertRule(models.Model):
    """A tenant's setting of one rule. A rule without a row is on with its default params
    (wells.alerts.rules); ADMIN edits make the row."""

    type = models.CharField(max_length=20, choices=AlertType.choices, primary_key=True)
    enabled = models.BooleanField(default=True)
    params = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        app_label = "wells"
        constraints = [models.CheckConstraint(condition=Q(type__in=AlertType.values), name="alert_rule_type_valid")]


class Alert(models.Model):
    """One alert of a rule about one subject (a well or a tank). ``open_key`` is
    ``<type>:<subject id>`` while the alert is OPEN or ACKNOWLEDGED and null once CLOSED: its
    unique index is the "one open alert per rule and subject" rule, on every database."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=20, choices=AlertType.choices)
    status = models.CharField(max_length=14, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    well = models.ForeignKey("wells.Well", null=True, blank=True, on_delete=models.CASCADE, related_name="alerts")
    tank = models.ForeignKey("wells.Tank", null=True, blank=True, on_delete=models.CASCADE, related_name="alerts")
    open_key = models.CharField(max_length=60, null=True, blank=True, unique=True)
    opened_at = models.DateTimeField()
    message = models.CharField(max_length=500)
    details = models.JSONField(default=dict, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement_note = models.TextField(blank=True, default="", max_length=2_000)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        app_label = "wells"
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["status", "type"]), models.Index(fields=["well", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(type__in=AlertType.values), name="alert_type_valid"),
            models.CheckConstraint(condition=Q(status__in=AlertStatus.values), name="alert_status_valid"),
            models.CheckConstraint(condition=Q(well__isnull=False) | Q(tank__isnull=False), name="alert_has_subject"),
            models.CheckConstraint(condition=Q(status="CLOSED", open_key__isnull=True)
                                   | (~Q(status="CLOSED") & Q(open_key__isnull=False)), name="alert_open_key_iff_open"),
        ]

    @property
    def subject_id(self):
        return self.well_id or self.tank_id
