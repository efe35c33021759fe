"""API routes of alerts (API.md section 15); included under /api/v1/ by wells.urls. The rule path
has no trailing slash, as the contract writes it."""

from django.urls import path

from . import apis

urlpatterns = [
    path("alert-rules/", apis.AlertRulesApi.as_view(), name="alert-rule-list"),
    path("alert-rules/<str:rule_type>", apis.AlertRuleDetailApi.as_view(), name="alert-rule-detail"),
    path("alerts/", apis.AlertsApi.as_view(), name="alert-list"),
    path("alerts/<str:alert_id>/acknowledge", apis.AlertAcknowledgeApi.as_view(), name="alert-acknowledge"),
]
