"""Leases, tanks, strapping tables and gauges API (API.md section 13), in the manner of wells.apis:
thin views over wells.lease_selectors (reads, scoped by leases_for_user) and wells.lease_services.

Status codes as for wells: 404 ``not_found`` for anything the user may not see (an OPERATOR sees
the leases with a well on their route and those leases' tanks), whatever the method; 403
``permission_denied`` for a write the role may not make (OPERATOR); 400 ``invalid_request`` with
``details`` by camelCase field; 409 ``conflict`` for an RRC lease number its district already has.
"""

from __future__ import annotations

import zoneinfo
from contextlib import contextmanager
from datetime import timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiRequest, OpenApiResponse, extend_schema
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import object_permissions_required, permissions_required
from config.api_errors import ERROR, ApiError
from config.pagination import PAGE_PARAMETERS, page_problems, paginate, paginated
from config.parsers import SafeJSONParser
from config.text import BAD_TEXT_MESSAGE, find_bad_text

from . import lease_selectors as selectors
from . import lease_services as services
from .apis import BAD_PAGE, DATE_FILTER_PATTERN, NO_PAGE, READ_ONLY, errors, query_values
from .lease_serializers import (
    STRAPPING_SCHEMA,
    DailyQuery,
    GaugeQuery,
    LeaseDailyOutput,
    LeaseInput,
    LeaseOutput,
    RunTicketOutput,
    RunTicketQuery,
    StrappingField,
    TankGaugeOutput,
    TankInput,
    TankListQuery,
    TankOutput,
)
from .selectors import tenant_today
from .serializers import INVALID, NoQuery, StrictInput, parse, service_error_details
from .strapping import StrappingInvalid, strapping_from_csv


def _path_id(name: str, what: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.UUID, OpenApiParameter.PATH,
                            description=f"The {what}'s id. A malformed id is 404, like an unknown one.")


LEASE_ID = _path_id("lease_id", "lease")
TANK_ID = _path_id("tank_id", "tank")
NO_LEASE = "no such lease, or not one you may see (an OPERATOR sees the leases with a well on their route)"
NO_TANK = "no such tank, or its lease is not one you may see"
LEASE_CONFLICT = OpenApiResponse(ERROR, description="conflict: another lease in this RRC district has this lease "
                                 "number (and nothing else is wrong)")
TANK_CONFLICT = OpenApiResponse(ERROR, description="conflict: another tank on this lease has this name (and nothing "
                                "else is wrong)")
WRITE = "an OPERATOR (MANAGER and ADMIN write leases and tanks)"


@contextmanager
def service_errors():
    try:
        yield
    except DjangoValidationError as exc:
        details = service_error_details(exc)
        for field, message in (("rrcLeaseNumber", services.DUPLICATE_RRC_NUMBER), ("name", services.DUPLICATE_TANK_NAME)):
            if details == {field: [message]}:
                raise ApiError(409, "conflict", message, details=details) from None
        raise ApiError(400, "invalid_request", INVALID, details=details) from None


def visible_lease(request, lease_id):
    lease = selectors.lease_get_for_user(user=request.user, lease_id=lease_id)
    if lease is None:
        raise ApiError(404, "not_found", "No such lease.")
    return lease


def visible_tank(request, tank_id):
    tank = selectors.tank_get_for_user(user=request.user, tank_id=tank_id)
    if tank is None:
        raise ApiError(404, "not_found", "No such tank.")
    return tank


# ------------------------------------------------------------------ leases


class LeasesApi(APIView):
    permission_classes = [permissions_required(GET="wells.view_lease", POST="wells.add_lease")]

    @extend_schema(operation_id="leases_list", tags=["leases"], parameters=[*PAGE_PARAMETERS],
                   summary="List the leases you may see (an OPERATOR: those with a well on their route)",
                   responses={200: paginated(LeaseOutput), **errors(bad=BAD_PAGE, forbidden=READ_ONLY, missing=NO_PAGE)})
    def get(self, request):
        parse(NoQuery, query_values(request), domain=lambda _: page_problems(request))
        return paginate(request, selectors.leases_for_user(user=request.user).order_by("name", "id"), LeaseOutput)

    @extend_schema(operation_id="leases_create", tags=["leases"], summary="Create a lease (MANAGER, ADMIN)",
                   request=LeaseInput, responses={201: LeaseOutput, 409: LEASE_CONFLICT, **errors(
                       bad="a field missing or invalid, or an unknown field", forbidden=WRITE, body=True)})
    def post(self, request):
        data = parse(LeaseInput, request.data)
        with service_errors():
            lease = services.lease_create(data=data, actor=request.user)
        location = reverse("wells-api:lease-detail", kwargs={"lease_id": lease.pk})
        return Response(LeaseOutput(lease).data, status=201, headers={"Location": location})


class LeaseDetailApi(APIView):
    permission_classes = [object_permissions_required(
        GET="wells.view_lease", PATCH="wells.change_lease", DELETE="wells.delete_lease")]

    @extend_schema(operation_id="leases_retrieve", tags=["leases"], summary="One lease", parameters=[LEASE_ID],
                   responses={200: LeaseOutput, **errors(forbidden=READ_ONLY, missing=NO_LEASE)})
    def get(self, request, lease_id):
        return Response(LeaseOutput(visible_lease(request, lease_id)).data)

    @extend_schema(operation_id="leases_partial_update", tags=["leases"], parameters=[LEASE_ID], request=LeaseInput,
                   summary="Change a lease (MANAGER, ADMIN); a new name is written to its wells' lease too",
                   responses={200: LeaseOutput, 409: LEASE_CONFLICT, **errors(
                       bad="a field invalid or unknown", forbidden=WRITE, missing=NO_LEASE, body=True)})
    def patch(self, request, lease_id):
        lease = visible_lease(request, lease_id)
        self.check_object_permissions(request, lease)
        data = parse(LeaseInput, request.data, partial=True)
        with service_errors():
            lease = services.lease_update(lease=lease, data=data, actor=request.user)
        return Response(LeaseOutput(lease).data)

    @extend_schema(operation_id="leases_destroy", tags=["leases"], parameters=[LEASE_ID],
                   summary="Delete a lease (MANAGER, ADMIN): it and its tanks leave every list; its wells "
                   "keep their lease name, no longer linked; gauges are kept",
                   responses={204: None, **errors(forbidden=WRITE, missing=NO_LEASE)})
    def delete(self, request, lease_id):
        lease = visible_lease(request, lease_id)
        self.check_object_permissions(request, lease)
        services.lease_delete(lease=lease, actor=request.user)
        return Response(status=204)


# ------------------------------------------------------------------ tanks


class TanksApi(APIView):
    permission_classes = [permissions_required(GET="wells.view_tank", POST="wells.add_tank")]

    @extend_schema(operation_id="tanks_list", tags=["tanks"], summary="List the tanks you may see",
                   parameters=[OpenApiParameter("leaseId", OpenApiTypes.UUID, description="Only this lease's tanks "
                                                "(a lease you may not see lists none)."), *PAGE_PARAMETERS],
                   responses={200: paginated(TankOutput), **errors(bad=f"leaseId not a UUID, {BAD_PAGE}",
                                                                   forbidden=READ_ONLY, missing=NO_PAGE)})
    def get(self, request):
        filters = parse(TankListQuery, query_values(request), domain=lambda _: page_problems(request))
        return paginate(request, selectors.tank_list(user=request.user, **filters), TankOutput)

    @extend_schema(operation_id="tanks_create", tags=["tanks"], summary="Add a tank to a lease (MANAGER, ADMIN)",
                   request=TankInput, responses={201: TankOutput, 409: TANK_CONFLICT, **errors(
                       bad="a field missing or invalid (a strapping row names its row), an unknown field, or "
                           "leaseId not a lease you may see", forbidden=WRITE, body=True)})
    def post(self, request):
        found = {}

        def lease_visible(valid: dict) -> dict[str, list[str]]:
            if "lease_id" in valid:
                found["lease"] = selectors.lease_get_for_user(user=request.user, lease_id=valid["lease_id"])
                if found["lease"] is None:
                    return {"leaseId": ["No such lease."]}
            return {}

        data = parse(TankInput, request.data, domain=lease_visible)
        data.pop("lease_id")
        with service_errors():
            tank = services.tank_create(lease=found["lease"], data=_rows_as_dicts(data), actor=request.user)
        location = reverse("wells-api:tank-detail", kwargs={"tank_id": tank.pk})
        return Response(TankOutput(tank).data, status=201, headers={"Location": location})


def _rows_as_dicts(data: dict) -> dict:
    if data.get("strapping") is not None:
        data["strapping"] = [{"height_inches": r.height_inches, "barrels": r.barrels} for r in data["strapping"]]
    return data


class TankDetailApi(APIView):
    permission_classes = [object_permissions_required(
        GET="wells.view_tank", PATCH="wells.change_tank", DELETE="wells.delete_tank")]

    @extend_schema(operation_id="tanks_retrieve", tags=["tanks"], summary="One tank, with its strapping table",
                   parameters=[TANK_ID], responses={200: TankOutput, **errors(forbidden=READ_ONLY, missing=NO_TANK)})
    def get(self, request, tank_id):
        return Response(TankOutput(visible_tank(request, tank_id)).data)

    @extend_schema(operation_id="tanks_partial_update", tags=["tanks"], parameters=[TANK_ID], request=TankInput,
                   summary="Change a tank (MANAGER, ADMIN); a strapping list replaces the whole table",
                   responses={200: TankOutput, 409: TANK_CONFLICT, **errors(bad="a field invalid or unknown, or a leaseId other than "
                                                        "its lease's", forbidden=WRITE, missing=NO_TANK, body=True)})
    def patch(self, request, tank_id):
        tank = visible_tank(request, tank_id)
        self.check_object_permissions(request, tank)

        def same_lease(valid: dict) -> dict[str, list[str]]:
            if "lease_id" in valid and valid["lease_id"] != tank.lease_id:
                return {"leaseId": ["A tank stays on its lease; add a new tank to the other lease."]}
            return {}

        data = parse(TankInput, request.data, partial=True, domain=same_lease)
        data.pop("lease_id", None)
        with service_errors():
            tank = services.tank_update(tank=tank, data=_rows_as_dicts(data), actor=request.user)
        return Response(TankOutput(tank).data)

    @extend_schema(operation_id="tanks_destroy", tags=["tanks"], parameters=[TANK_ID],
                   summary="Remove a tank (MANAGER, ADMIN); its gauges are kept",
                   responses={204: None, **errors(forbidden=WRITE, missing=NO_TANK)})
    def delete(self, request, tank_id):
        tank = visible_tank(request, tank_id)
        self.check_object_permissions(request, tank)
        services.tank_delete(tank=tank, actor=request.user)
        return Response(status=204)


class CsvParser(BaseParser):
    """text/csv, UTF-8; text a database cannot store (NUL, lone surrogates) is a clean 400."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError(400, "invalid_request", "The CSV file is not UTF-8 text.",
                           {"strapping": ["The CSV file is not UTF-8 text."]}) from None
        if find_bad_text(text) is not None:
            raise ApiError(400, "invalid_request", INVALID, {"strapping": [BAD_TEXT_MESSAGE]})
        return text


class TankStrappingApi(APIView):
    permission_classes = [object_permissions_required(GET="wells.view_tank", PUT="wells.change_tank")]
    parser_classes = [SafeJSONParser, CsvParser]

    @extend_schema(
        operation_id="tanks_strapping_replace", tags=["tanks"], parameters=[TANK_ID],
        summary="Replace a tank's strapping table (MANAGER, ADMIN): a JSON list of rows, or text/csv",
        description="JSON: `[{\"heightInches\": 0, \"barrels\": 0}, ...]`. CSV: a header row "
                    "`height_inches,barrels`, then one row per height. Heights strictly increasing from 0, "
                    "barrels never decreasing, at least 2 rows, not above the tank's height; every problem is "
                    "listed in details.strapping, naming its row (JSON) or line (CSV).",
        request={"application/json": STRAPPING_SCHEMA,
                 "text/csv": OpenApiRequest(OpenApiTypes.STR, examples=[OpenApiExample(
                     "CSV", value="height_inches,barrels\n0,0\n0.25,0.42\n")])},
        responses={200: TankOutput, **errors(bad="a row invalid (named in details.strapping)", forbidden=WRITE,
                                             missing=NO_TANK, body=True)},
    )
    def put(self, request, tank_id):
        tank = visible_tank(request, tank_id)
        self.check_object_permissions(request, tank)
        body = request.data
        try:
            if request.content_type.split(";")[0].strip().lower() == "text/csv":
                rows = strapping_from_csv(body if isinstance(body, str) else "")
            else:
                rows = parse(_StrappingBody, {"strapping": body})["strapping"]
        except StrappingInvalid as exc:
            raise ApiError(400, "invalid_request", INVALID, details={"strapping": exc.problems}) from None
        with service_errors():
            tank = services.tank_strapping_replace(tank=tank, rows=rows, actor=request.user)
        return Response(TankOutput(tank).data)


class _StrappingBody(StrictInput):
    strapping = StrappingField()


class TankGaugesApi(APIView):
    permission_classes = [permissions_required(GET=("wells.view_tank", "wells.view_tankgauge"))]

    @extend_schema(
        operation_id="tanks_gauges_list", tags=["tanks"], summary="The gauges of a tank, newest first",
        parameters=[
            TANK_ID,
            OpenApiParameter("from", OpenApiTypes.DATE, pattern=DATE_FILTER_PATTERN, allow_blank=False,
                             description="First day (YYYY-MM-DD, tenant time zone), inclusive."),
            OpenApiParameter("to", OpenApiTypes.DATE, pattern=DATE_FILTER_PATTERN, allow_blank=False,
                             description="Last day (YYYY-MM-DD, tenant time zone), inclusive."),
            *PAGE_PARAMETERS,
        ],
        responses={200: paginated(TankGaugeOutput), **errors(
            bad=f"from or to not a real YYYY-MM-DD date, from after to, {BAD_PAGE}", forbidden=READ_ONLY,
            missing=f"{NO_TANK}; or {NO_PAGE}")},
    )
    def get(self, request, tank_id):
        tank = visible_tank(request, tank_id)
        filters = parse(GaugeQuery, query_values(request), domain=lambda _: page_problems(request))
        zone = zoneinfo.ZoneInfo(request.tenant_entry.tenant.time_zone)
        output = TankGaugeOutput.for_tank(services.strapping_rows(tank))
        return paginate(request, selectors.tank_gauges(tank=tank, time_zone=zone, **filters), output)


# ------------------------------------------------------------------ run tickets and daily production

RUN_TICKET_ID = _path_id("ticket_id", "run ticket")
NO_TICKET = "no such run ticket, or its lease is not one you may see"


def _date_parameters(what: str) -> list[OpenApiParameter]:
    return [
        OpenApiParameter("from", OpenApiTypes.DATE, pattern=DATE_FILTER_PATTERN, allow_blank=False,
                         description=f"First day (YYYY-MM-DD, tenant time zone) of {what}, inclusive."),
        OpenApiParameter("to", OpenApiTypes.DATE, pattern=DATE_FILTER_PATTERN, allow_blank=False,
                         description=f"Last day (YYYY-MM-DD, tenant time zone) of {what}, inclusive."),
    ]


def _tenant_zone(request) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(request.tenant_entry.tenant.time_zone)


class RunTicketsApi(APIView):
    permission_classes = [permissions_required(GET="wells.view_tank")]

    @extend_schema(
        operation_id="run_tickets_list", tags=["run tickets"],
        summary="Run tickets of the leases you may see, newest closed first (current and superseded)",
        parameters=[OpenApiParameter("leaseId", OpenApiTypes.UUID, description="Only this lease's tickets (a lease "
                                     "you may not see lists none)."), *_date_parameters("closedAt"), *PAGE_PARAMETERS],
        responses={200: paginated(RunTicketOutput), **errors(
            bad=f"leaseId not a UUID, from or to not a real YYYY-MM-DD date, from after to, {BAD_PAGE}",
            forbidden=READ_ONLY, missing=NO_PAGE)},
    )
    def get(self, request):
        filters = parse(RunTicketQuery, query_values(request), domain=lambda _: page_problems(request))
        return paginate(request, selectors.run_ticket_list(user=request.user, time_zone=_tenant_zone(request),
                                                           **filters), RunTicketOutput)


class RunTicketDetailApi(APIView):
    permission_classes = [permissions_required(GET="wells.view_tank")]

    @extend_schema(operation_id="run_tickets_retrieve", tags=["run tickets"], summary="One run ticket",
                   parameters=[RUN_TICKET_ID],
                   responses={200: RunTicketOutput, **errors(forbidden=READ_ONLY, missing=NO_TICKET)})
    def get(self, request, ticket_id):
        parse(NoQuery, query_values(request))
        ticket = selectors.run_ticket_get_for_user(user=request.user, ticket_id=ticket_id)
        if ticket is None:
            raise ApiError(404, "not_found", "No such run ticket.")
        return Response(RunTicketOutput(ticket).data)


class LeaseDailyApi(APIView):
    permission_classes = [permissions_required(GET=("wells.view_lease", "wells.view_tank"))]

    @extend_schema(
        operation_id="leases_daily", tags=["leases"],
        summary="The lease's daily oil production from tank gauges and run tickets",
        description="Per day (tenant time zone) from `from` to `to` (default: the 30 days to today; at most "
                    f"{selectors.DAILY_MAX_DAYS} days): `stockBbl` (sum over the lease's oil tanks of the last gauge "
                    "of the day), `runsBbl` (gross observed volume of the tickets closed that day), `productionBbl` "
                    "= stock − previous day's stock + runs, `estimated: true` where a tank had no gauge that day and "
                    "its previous stock was carried forward (a tank never gauged counts 0). Days after today (tenant "
                    "time zone) are not listed: a range wholly in the future lists none.",
        parameters=[LEASE_ID, *_date_parameters("the days")],
        responses={200: LeaseDailyOutput, **errors(
            bad=f"from or to not a real YYYY-MM-DD date, from after to, more than {selectors.DAILY_MAX_DAYS} days",
            forbidden=READ_ONLY, missing=NO_LEASE)},
    )
    def get(self, request, lease_id):
        lease = visible_lease(request, lease_id)
        zone = _tenant_zone(request)
        filters = parse(DailyQuery, query_values(request))
        today = tenant_today(str(zone))
        date_from, date_to = filters.get("date_from"), filters.get("date_to")
        if date_from is None:
            date_from = (min(date_to, today) if date_to else today) - timedelta(days=selectors.DAILY_DEFAULT_DAYS - 1)
        if date_to is None:
            date_to = today if date_from > today else min(date_from + timedelta(days=selectors.DAILY_DEFAULT_DAYS - 1),
                                                          today)
        if (min(date_to, today) - date_from).days + 1 > selectors.DAILY_MAX_DAYS:
            message = f"At most {selectors.DAILY_MAX_DAYS} days at a time."
            raise ApiError(400, "invalid_request", INVALID, details={"to": [message]})
        # Days after today have no stock yet: the list stops at today.
        date_to = min(date_to, today)
        if date_from > date_to:
            days = []
        else:
            days = selectors.lease_daily(lease=lease, date_from=date_from, date_to=date_to, time_zone=zone)
        return Response(LeaseDailyOutput({"lease_id": lease.pk, "time_zone": str(zone), "days": days}).data)
