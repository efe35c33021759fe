"""Alerts API (API.md section 15), in the manner of wells.apis.

- ``GET /api/v1/alert-rules/`` (MANAGER+), ``PUT /api/v1/alert-rules/{type}`` (ADMIN): 404 for an
  unknown type, 400 for unknown or out-of-range params.
- ``GET /api/v1/alerts/?status=&type=&wellId=`` (MANAGER+ all; OPERATOR their route), paginated.
- ``POST /api/v1/alerts/{id}/acknowledge`` ``{"note"}`` (MANAGER+): 409 when the alert is not OPEN.
"""

from __future__ import annotations

import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import permissions_required
from config.api_errors import ERROR, ApiError
from config.pagination import PAGE_PARAMETERS, page_problems, paginate, paginated

from ..apis import BAD_PAGE, NO_PAGE, errors, query_values
from ..serializers import parse
from . import selectors
from .evaluation import AlertNotOpen, alert_acknowledge
from .models import AlertStatus, AlertType
from .rules import DEFINITIONS, params_problems, rule_save, rule_settings
from .serializers import AcknowledgeInput, AlertListQuery, AlertOutput, AlertRuleInput, AlertRuleOutput

NOT_OPEN = OpenApiResponse(ERROR, description="conflict: the alert is already acknowledged or closed")


def _rule_data(setting) -> dict:
    return {"type": setting.type, "enabled": setting.enabled, "params": setting.params}


class AlertRulesApi(APIView):
    permission_classes = [permissions_required(GET="wells.view_alertrule")]

    @extend_schema(operation_id="alert_rules_list", tags=["alerts"],
                   summary="The tenant's alert rules, each with its params (MANAGER, ADMIN)",
                   responses={200: inline_serializer("AlertRuleList", {"results": AlertRuleOutput(many=True)}),
                              **errors(forbidden="an OPERATOR")})
    def get(self, request):
        return Response({"results": [_rule_data(s) for s in rule_settings().values()]})


class AlertRuleDetailApi(APIView):
    permission_classes = [permissions_required(PUT="wells.change_alertrule")]

    @extend_schema(operation_id="alert_rules_update", tags=["alerts"], summary="Turn a rule on or off and set its "
                   "params (ADMIN); params not sent take their defaults",
                   parameters=[OpenApiParameter("rule_type", OpenApiTypes.STR, OpenApiParameter.PATH, enum=AlertType.values,
                                               description="The rule (API.md section 15); an unknown one is 404.")],
                   request=AlertRuleInput,
                   responses={200: AlertRuleOutput, **errors(bad="enabled missing, unknown or out-of-range params",
                                                               forbidden="a MANAGER or OPERATOR",
                                                               missing="an unknown rule type", body=True)})
    def put(self, request, rule_type):
        if rule_type not in DEFINITIONS:
            raise ApiError(404, "not_found", "No such alert rule.")
        data = parse(AlertRuleInput, request.data,
                     domain=lambda valid: params_problems(rule_type, valid["params"]) if "params" in valid else {})
        setting = rule_save(type_=rule_type, enabled=data["enabled"], params=data.get("params") or {},
                            user=request.user)
        return Response(_rule_data(setting))


class AlertsApi(APIView):
    permission_classes = [permissions_required(GET="wells.view_alert")]

    @extend_schema(operation_id="alerts_list", tags=["alerts"],
                   summary="Alerts you may see (an OPERATOR: those of their route), newest first",
                   parameters=[
                       OpenApiParameter("status", OpenApiTypes.STR, enum=AlertStatus.values),
                       OpenApiParameter("type", OpenApiTypes.STR, enum=AlertType.values),
                       OpenApiParameter("wellId", OpenApiTypes.UUID),
                       *PAGE_PARAMETERS],
                   responses={200: paginated(AlertOutput),
                              **errors(bad=f"unknown status or type, a malformed wellId, {BAD_PAGE}",
                                       forbidden="never (every role reads its own)", missing=NO_PAGE)})
    def get(self, request):
        filters = parse(AlertListQuery, query_values(request), domain=lambda _: page_problems(request))
        alerts = selectors.alert_list(user=request.user, status=filters.get("status", ""),
                                      type_=filters.get("type", ""), well_id=filters.get("wellId"))
        return paginate(request, alerts, AlertOutput)


class AlertAcknowledgeApi(APIView):
    permission_classes = [permissions_required(POST="wells.change_alert")]

    @extend_schema(operation_id="alerts_acknowledge", tags=["alerts"],
                   summary="Acknowledge an open alert with a note (MANAGER, ADMIN)",
                   parameters=[OpenApiParameter("alert_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
                   request=AcknowledgeInput,
                   responses={200: AlertOutput, 409: NOT_OPEN,
                              **errors(bad="a note over 2,000 characters or an unknown field",
                                       forbidden="an OPERATOR", missing="no such alert, or not one you may see",
                                       body=True)})
    def post(self, request, alert_id):
        try:
            pk = uuid.UUID(alert_id)
        except ValueError:
            pk = None
        alert = selectors.alerts_for_user(user=request.user).filter(pk=pk).first() if pk else None
        if alert is None:
            raise ApiError(404, "not_found", "No such alert.")
        data = parse(AcknowledgeInput, request.data)
        try:
            alert = alert_acknowledge(alert=alert, user=request.user, note=data.get("note", ""))
        except AlertNotOpen as exc:
            raise ApiError(409, "conflict", f"The alert is {str(exc).lower()}, not open.") from None
        return Response(AlertOutput(alert).data)


