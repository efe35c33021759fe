"""CSV exports API (API.md section 14): ``GET /api/v1/exports/{kind}.csv``, MANAGER and ADMIN.

The filters are checked before anything is streamed (400 ``invalid_request`` in the section 1
shape, like every list); the query then runs in the view, so a database failure is still an error
response, and only then do the rows stream (wells.exports). Errors are JSON whatever the client's
``Accept`` header says: content negotiation is not asked to find a CSV renderer.
"""

from __future__ import annotations

import zoneinfo

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from accounts.models import Role
from accounts.permissions import RoleRequired

from .apis import DATE_FILTER_PATTERN, errors, query_values
from .exports import columns_of, export_stream, filename
from .serializers import StrictDateField, StrictInput, _DateRangeQuery, parse


class ManagersOnly(RoleRequired):
    roles = (Role.ADMIN, Role.MANAGER)
    message = "Exports are for MANAGER and ADMIN."


class TrueFalseField(serializers.Field):
    """``true`` or ``false`` exactly (a query parameter, not JSON)."""

    default_error_messages = {"invalid": "Use true or false."}

    def to_internal_value(self, value):
        if value in ("true", "false"):
            return value == "true"
        self.fail("invalid")

    def to_representation(self, value):
        return "true" if value else "false"


class _ExportQueryBase(StrictInput, _DateRangeQuery):
    READ_ONLY = ()  # every parameter it does not know is "Unknown field."


# "from" is a Python keyword: the fields go through the class namespace.
ExportQuery = type("ExportQuery", (_ExportQueryBase,), {
    "from": StrictDateField(source="date_from", required=False, future=True),
    "to": StrictDateField(source="date_to", required=False, future=True),
    "leaseId": serializers.UUIDField(source="lease_id", required=False,
                                     error_messages={"invalid": "Use a lease id (a UUID)."}),
    "wellId": serializers.UUIDField(source="well_id", required=False,
                                    error_messages={"invalid": "Use a well id (a UUID)."}),
    "includeSuperseded": TrueFalseField(source="include_superseded", required=False),
})

WHAT = {
    "production": ("production records", "productionDate", "a well's daily volumes (PRODUCTION_LOGGED)"),
    "readings": ("well readings", "recordedAt", "pressures, temperatures and levels (WELL_READING_RECORDED)"),
    "run-tickets": ("run tickets", "closedAt", "oil that left a lease (RUN_TICKET_RECORDED), with its "
                    "computed volumes as stored"),
    "tank-gauges": ("tank gauges", "gaugedAt", "pumpers' tank gauges (TANK_GAUGED), with barrels by the tank's "
                    "strapping table as it is now"),
}


def _parameters(kind: str) -> list[OpenApiParameter]:
    day = WHAT[kind][1]
    lease_note = ("the wells of this lease" if kind in ("production", "readings")
                  else "this lease's tanks")
    well_note = ("this well's records" if kind in ("production", "readings")
                 else "the tanks of the lease this well names (a well with no lease: no rows)")
    return [
        OpenApiParameter("from", OpenApiTypes.DATE, pattern=DATE_FILTER_PATTERN, allow_blank=False,
                         description=f"First day of {day} (YYYY-MM-DD, tenant time zone), inclusive."),
        OpenApiParameter("to", OpenApiTypes.DATE, pattern=DATE_FILTER_PATTERN, allow_blank=False,
                         description=f"Last day of {day} (YYYY-MM-DD, tenant time zone), inclusive."),
        OpenApiParameter("leaseId", OpenApiTypes.UUID, description=f"Only {lease_note} (an unknown lease: no rows)."),
        OpenApiParameter("wellId", OpenApiTypes.UUID, description=f"Only {well_note} (an unknown well: no rows)."),
        OpenApiParameter("includeSuperseded", str, enum=["true", "false"], description="true: also the records "
                         "another replaced (conflict losers, corrections), with a supersededBy column."),
    ]


class ExportApi(APIView):
    permission_classes = [ManagersOnly]
    kind = ""

    def perform_content_negotiation(self, request, force=False):
        return JSONRenderer(), JSONRenderer.media_type  # errors; the CSV itself is not rendered

    def get(self, request):
        filters = parse(ExportQuery, query_values(request))
        zone = zoneinfo.ZoneInfo(request.tenant_entry.tenant.time_zone)
        stream = export_stream(self.kind, user=request.user, filters=filters, time_zone=zone)
        return csv_response(stream, filename(self.kind, filters))


def csv_response(stream, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _export_view(kind: str):
    noun, day, what = WHAT[kind]
    headers = ", ".join(c.header for c in columns_of(kind, include_superseded=False))
    description = (
        f"{what[0].upper() + what[1:]}. A CSV file (UTF-8, comma-separated, CRLF line ends, a header row), "
        f"streamed: one row per current record, ordered by {day}; `includeSuperseded=true` adds the records "
        f"others replaced and a last column `supersededBy`. Columns: {headers}. Values are exact (as stored, "
        "never rounded again); times are in the tenant's time zone with their offset; recordedBy is the "
        "e-mail of who recorded the record, sourceEventId the sync event it came from. A text cell starting "
        "with =, +, -, @, a tab or a carriage return is written with a leading apostrophe (no spreadsheet "
        "formula). Unknown query parameters are refused.")

    @extend_schema(
        operation_id=f"exports_{kind.replace('-', '_')}", tags=["exports"],
        summary=f"Export {noun} as CSV (MANAGER, ADMIN)", description=description, parameters=_parameters(kind),
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=f"The {noun}, as CSV"),
                   **errors(bad="a filter invalid (from/to not a real YYYY-MM-DD date, from after to, leaseId or "
                                "wellId not a UUID, includeSuperseded not true/false) or unknown",
                            forbidden="an OPERATOR (exports are for MANAGER and ADMIN)")},
    )
    def get(self, request):
        return ExportApi.get(self, request)

    return type(f"Export{kind.title().replace('-', '')}Api", (ExportApi,), {"kind": kind, "get": get})


ExportProductionApi = _export_view("production")
ExportReadingsApi = _export_view("readings")
ExportRunTicketsApi = _export_view("run-tickets")
ExportTankGaugesApi = _export_view("tank-gauges")
