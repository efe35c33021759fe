"""Month-close API (API.md section 14, MANAGER and ADMIN): manual dispositions, a lease's monthly
balance and the Form PR report (JSON or CSV). Thin views over wells.balance_selectors and
wells.disposition_services.

Errors as everywhere (API.md section 1): 400 ``invalid_request`` naming the field (a month not
written YYYY-MM, or one that has not begun in the tenant's time zone; a leaseId not a UUID; a code
the product does not have); 404 ``not_found`` for a lease that does not exist (or was deleted);
403 ``permission_denied`` for an OPERATOR.
"""

from __future__ import annotations

import csv
import io
import zoneinfo

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import object_permissions_required, permissions_required
from config.api_errors import ApiError
from config.pagination import PAGE_PARAMETERS, page_problems, paginate, paginated

from . import balance_selectors as selectors
from .apis import BAD_PAGE, NO_PAGE, errors, query_values
from .disposition_services import disposition_record, disposition_withdraw
from .lease_selectors import lease_get_for_user, leases_for_user
from .report_serializers import (
    DispositionInput,
    DispositionOutput,
    DispositionQuery,
    FormPrOutput,
    FormPrQuery,
    LeaseBalanceOutput,
    MONTH_PATTERN,
    LeaseBalanceQuery,
    form_pr_csv_rows,
)
from .selectors import tenant_today
from .serializers import INVALID, parse, service_error_details

MANAGERS_ONLY = "an OPERATOR (the month close is for MANAGER and ADMIN)"
NO_LEASE = "no such lease (or a deleted one)"
MONTH_PARAMETER = OpenApiParameter("month", OpenApiTypes.STR, required=True, pattern=f"^{MONTH_PATTERN}$",
                                   description="The month, YYYY-MM (tenant time zone); not after the current month.")
LEASE_PARAMETER = OpenApiParameter("leaseId", OpenApiTypes.UUID, required=True, description="The lease.")


def _zone(request) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(request.tenant_entry.tenant.time_zone)


def _month_not_future(request):
    """A ``domain`` check for parse(): the month has begun in the tenant's time zone."""
    today = tenant_today(request.tenant_entry.tenant.time_zone)

    def check(valid: dict) -> dict[str, list[str]]:
        month = valid.get("month")
        if month is not None and month > today.replace(day=1):
            return {"month": [f"{month:%Y-%m} has not begun yet (this month is {today:%Y-%m})."]}
        return {}

    return check


def _lease(request, lease_id):
    lease = lease_get_for_user(user=request.user, lease_id=lease_id)
    if lease is None:
        raise ApiError(404, "not_found", "No such lease.")
    return lease


def _problem(problem) -> dict:
    return {"code": problem.code, "product": problem.product, "message": problem.message, "figures": problem.figures}


class _AlwaysJson(DefaultContentNegotiation):
    """JSON whatever the Accept header or ``?format=`` say: ``format`` is Form PR's own parameter
    (json or csv; the CSV is built by its view), not DRF's renderer override, and errors stay JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class DispositionsApi(APIView):
    permission_classes = [permissions_required(GET="wells.view_disposition", POST="wells.add_disposition")]
    content_negotiation_class = _AlwaysJson

    @extend_schema(
        operation_id="dispositions_list", tags=["month close"],
        summary="Manual dispositions (MANAGER, ADMIN), newest month first",
        description="Dispositions that no run ticket carries (lease use, gas flared or vented, ...).",
        parameters=[OpenApiParameter("leaseId", OpenApiTypes.UUID, description="Only this lease's."),
                    OpenApiParameter("month", OpenApiTypes.STR, pattern=f"^{MONTH_PATTERN}$",
                                     description="Only this month's (YYYY-MM)."), *PAGE_PARAMETERS],
        responses={200: paginated(DispositionOutput), **errors(
            bad=f"leaseId not a UUID, month not YYYY-MM, {BAD_PAGE}", forbidden=MANAGERS_ONLY, missing=NO_PAGE)},
    )
    def get(self, request):
        filters = parse(DispositionQuery, query_values(request), domain=lambda _: page_problems(request))
        entries = selectors.dispositions_list(leases=leases_for_user(user=request.user), **filters)
        return paginate(request, entries, DispositionOutput)

    @extend_schema(
        operation_id="dispositions_create", tags=["month close"],
        summary="Record a manual disposition of a lease's month (MANAGER, ADMIN)",
        description="`product`: OIL or GAS on an OIL lease, CONDENSATE or GAS on a GAS lease; `code`: a Texas RRC "
                    "disposition code of that product (gas 10 flared, 11 vented; 4 is retired); `volume` in barrels "
                    "or MCF. It counts in the month's lease balance and Form PR.",
        request=DispositionInput,
        responses={201: DispositionOutput, **errors(
            bad="a field missing or invalid (a code the product does not have, a month not begun, a product the "
                "lease's kind does not report), or an unknown field", forbidden=MANAGERS_ONLY, missing=NO_LEASE,
            body=True)},
    )
    def post(self, request):
        data = parse(DispositionInput, request.data, domain=_month_not_future(request))
        lease = _lease(request, data["lease_id"])
        try:
            entry = disposition_record(lease=lease, month=data["month"], product=data["product"], code=data["code"],
                                       volume=data["volume"], note=data.get("note") or "", actor=request.user)
        except DjangoValidationError as exc:
            raise ApiError(400, "invalid_request", INVALID, details=service_error_details(exc)) from None
        location = reverse("wells-api:disposition-detail", kwargs={"disposition_id": entry.pk})
        return Response(DispositionOutput(entry).data, status=201, headers={"Location": location})


DISPOSITION_ID = OpenApiParameter("disposition_id", OpenApiTypes.UUID, OpenApiParameter.PATH,
                                  description="The disposition's id. A malformed id is 404, like an unknown one.")
NO_DISPOSITION = "no such disposition (or a withdrawn one)"


class DispositionDetailApi(APIView):
    permission_classes = [object_permissions_required(GET="wells.view_disposition",
                                                      DELETE="wells.delete_disposition")]
    content_negotiation_class = _AlwaysJson

    def _entry(self, request, disposition_id):
        entry = selectors.disposition_get(leases=leases_for_user(user=request.user), disposition_id=disposition_id)
        if entry is None:
            raise ApiError(404, "not_found", "No such disposition.")
        return entry

    @extend_schema(operation_id="dispositions_retrieve", tags=["month close"], parameters=[DISPOSITION_ID],
                   summary="One manual disposition (MANAGER, ADMIN)",
                   responses={200: DispositionOutput, **errors(forbidden=MANAGERS_ONLY, missing=NO_DISPOSITION)})
    def get(self, request, disposition_id):
        return Response(DispositionOutput(self._entry(request, disposition_id)).data)

    @extend_schema(operation_id="dispositions_destroy", tags=["month close"], parameters=[DISPOSITION_ID],
                   summary="Withdraw a mistaken manual disposition (MANAGER, ADMIN): it leaves the balance, Form PR "
                           "and the lists; the row is kept with who withdrew it and when",
                   responses={204: None, **errors(forbidden=MANAGERS_ONLY, missing=NO_DISPOSITION)})
    def delete(self, request, disposition_id):
        entry = self._entry(request, disposition_id)
        self.check_object_permissions(request, entry)
        disposition_withdraw(disposition=entry, actor=request.user)
        return Response(status=204)


class LeaseBalanceApi(APIView):
    permission_classes = [permissions_required(GET="wells.view_disposition")]
    content_negotiation_class = _AlwaysJson

    @extend_schema(
        operation_id="reports_lease_balance", tags=["month close"],
        summary="A lease's balance for a month (MANAGER, ADMIN), whole barrels and MCF",
        description="Oil: beginning stock (gauged at the end of the previous month) + production (the month's daily "
                    "production from gauges and runs) − dispositions (run tickets by code plus manual entries) = "
                    "ending stock, which must match the gauged stock at the end of the month within 1 bbl "
                    "(`stock_mismatch`). Gas: production from the PRODUCTION_LOGGED GAS records of the lease's "
                    "wells, dispositions from manual entries. `dispositions_exceed_available` when more left than "
                    "the lease had. See docs/form-pr.md.",
        parameters=[LEASE_PARAMETER, MONTH_PARAMETER],
        responses={200: LeaseBalanceOutput, **errors(
            bad="leaseId or month missing or malformed, or a month that has not begun", forbidden=MANAGERS_ONLY,
            missing=NO_LEASE)},
    )
    def get(self, request):
        query = parse(LeaseBalanceQuery, query_values(request), domain=_month_not_future(request))
        lease = _lease(request, query["lease_id"])
        zone = _zone(request)
        balance = selectors.lease_balance(lease=lease, month=query["month"], time_zone=zone,
                                          today=tenant_today(str(zone)))
        return Response(LeaseBalanceOutput(_balance_data(balance)).data)


def _balance_data(balance) -> dict:
    return {"lease": balance.lease, "month": balance.month, "through": balance.through, "oil": balance.oil,
            "gas": balance.gas, "problems": [_problem(p) for p in balance.problems]}


class FormPrApi(APIView):
    permission_classes = [permissions_required(GET="wells.view_disposition")]
    content_negotiation_class = _AlwaysJson

    @extend_schema(
        operation_id="reports_form_pr", tags=["month close"],
        summary="The Texas RRC Form PR for a month (MANAGER, ADMIN): one row per lease",
        description="District, lease number and name, oil/condensate beginning stock, production, dispositions by "
                    "code, ending stock; casinghead gas (OIL lease) or gas-well gas (GAS lease) production and "
                    "dispositions by code; whole numbers. A lease whose dispositions exceed what it had is listed "
                    "under `problems` (`dispositions_exceed_available`), not in `rows`. `format=csv`: the rows as a "
                    "CSV file (`form-pr-YYYY-MM.csv`, a column per RRC code, zeros written), the count of leases "
                    "left out in the `X-Form-PR-Problem-Leases` header. See docs/form-pr.md.",
        parameters=[MONTH_PARAMETER, OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"],
                                                      description="json (default) or csv.")],
        responses={(200, "application/json"): FormPrOutput,
                   (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The rows as CSV."),
                   **errors(bad="month missing or malformed, a month that has not begun, or format not json or csv",
                            forbidden=MANAGERS_ONLY)},
    )
    def get(self, request):
        query = parse(FormPrQuery, query_values(request), domain=_month_not_future(request))
        zone = _zone(request)
        form = selectors.form_pr(leases=leases_for_user(user=request.user), month=query["month"], time_zone=zone,
                                 today=tenant_today(str(zone)))
        if query.get("format") == "csv":
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\r\n").writerows(form_pr_csv_rows(form))
            response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="form-pr-{form.month:%Y-%m}.csv"'
            response["X-Form-PR-Problem-Leases"] = str(len(form.refused))
            response["Cache-Control"] = "no-store"
            return response
        return Response(FormPrOutput(form_pr_data(form)).data)


def form_pr_data(form) -> dict:
    problems = [{**_problem(problem), "leaseId": balance.lease.pk, "leaseName": balance.lease.name,
                 "district": balance.lease.rrc_district, "leaseNumber": balance.lease.rrc_lease_number}
                for balance, problem in form.problems]
    return {"month": form.month, "rows": form.rows, "problems": problems}
