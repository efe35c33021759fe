"""Wells API (API.md section 5): thin views over wells.selectors (reads, scoped by wells_for_user)
and wells.services (writes).

Status codes, the same on every endpoint (see accounts.permissions):
- 401 ``invalid_credentials``: any credential layer missing or wrong (the authentication class).
- 404 ``not_found``: the well or equipment in the path is not one the user may see (an
  OPERATOR's off-route well, a deleted one, a malformed id), whatever the method: the answer
  never tells an OPERATOR that a well off their route exists.
- 403 ``permission_denied``: the user's role may not make this write (``POST /wells/`` as an
  OPERATOR; ``PATCH``/``DELETE`` of something the user can see but not change or delete).
- 400 ``invalid_request``: body or query parameters, with ``details`` keyed by camelCase field
  (query parameters by their own name, e.g. ``page_size``); unknown body fields are listed too.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import object_permissions_required, permissions_required
from config.api_errors import ERROR, ApiError
from config.dates import EARLIEST_DATE, date_from_pattern
from config.pagination import PAGE_PARAMETERS, page_problems, paginate, paginated

from . import selectors, services
from .domain import WellStatus
from .serializers import (
    INVALID,
    EquipmentInput,
    EquipmentOutput,
    InspectionOutput,
    NoQuery,
    NoteOutput,
    PhotoOutput,
    ProductionQuery,
    ProductionRecordOutput,
    ReadingOutput,
    RepairOutput,
    WellInput,
    WellListQuery,
    WellOutput,
    parse,
    service_error_details,
)

# Pagination ({count, next, previous, results}) is shared with the sync app: config.pagination.

def _path_id(name: str, what: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.UUID, OpenApiParameter.PATH,
                            description=f"The {what}'s id. A malformed id is 404, like an unknown one.")


WELL_ID = _path_id("well_id", "well")
DATE_FILTER_PATTERN = date_from_pattern(EARLIEST_DATE.year)
EQUIPMENT_ID = _path_id("equipment_id", "equipment")

# ------------------------------------------------------------------ error responses in the schema


def errors(*, forbidden: str, bad: str = "", missing: str = "", body: bool = False) -> dict:
    """The error responses of an endpoint, for the schema (all in the API.md section 1 shape);
    ``body``: it reads a JSON body (so 413 and 415 too)."""
    mismatch = "tenant_mismatch: the X-Tenant-ID header and the sub-domain name different tenants"
    with_body = {
        413: OpenApiResponse(ERROR, description="request_too_large: the body is over 1 MiB (the limit in details)"),
        415: OpenApiResponse(ERROR, description="unsupported_media_type: the body is not application/json"),
    } if body else {}
    return {**with_body,
        400: OpenApiResponse(ERROR, description=(
            f"invalid_request: {bad}; details holds the messages per field (camelCase). Or {mismatch}."
            if bad else mismatch.capitalize() + ".")),
        401: OpenApiResponse(ERROR, description="invalid_credentials (any layer) or token_expired"),
        403: OpenApiResponse(ERROR, description=f"permission_denied: {forbidden}. Or tenant_suspended."),
        404: OpenApiResponse(ERROR, description=f"not_found: {missing + '; or ' if missing else ''}"
                             "an unknown tenant sub-domain."),
        429: OpenApiResponse(ERROR, description="throttled (Retry-After header)"),
    }


READ_ONLY = "the role may not read these (every role may, today)"
BAD_PAGE = "page or page_size out of range"
NO_PAGE = "a page past the last"
CONFLICT = OpenApiResponse(ERROR, description="conflict: another well has this API number (and nothing else "
                           "is wrong; with other errors it is one of the 400's details)")
NO_WELL = "no such well, or not one you may see (an OPERATOR sees only the wells on their route)"
NO_EQUIPMENT = "no such equipment, or its well is not one you may see"

# ------------------------------------------------------------------ helpers


@contextmanager
def service_errors():
    """A service's ValidationError becomes 400 invalid_request with camelCase field names; an
    API number another well holds, when nothing else is wrong, is 409 conflict."""
    try:
        yield
    except DjangoValidationError as exc:
        raise duplicate_as_conflict(ApiError(400, "invalid_request", INVALID,
                                             details=service_error_details(exc))) from None
    except ApiError as exc:
        raise duplicate_as_conflict(exc) from None


def duplicate_as_conflict(exc: ApiError) -> ApiError:
    if exc.status_code == 400 and exc.details == {"apiNumber": [services.DUPLICATE_API_NUMBER]}:
        return ApiError(409, "conflict", services.DUPLICATE_API_NUMBER, details=exc.details)
    return exc


def query_values(request) -> dict[str, str]:
    """The query as a plain dict: DRF reads an empty ``?to=`` from a QueryDict as "not sent",
    where it is a date that is not one (400), as the schema says."""
    return request.query_params.dict()


def well_domain_problems(valid: dict, *, instance) -> dict[str, list[str]]:
    problems = services.well_problems(data=valid, instance=instance)
    return service_error_details(DjangoValidationError(problems)) if problems else {}


def visible_well(request, well_id):
    well = selectors.well_get_for_user(user=request.user, well_id=well_id)
    if well is None:
        raise ApiError(404, "not_found", "No such well.")
    return well


def visible_equipment(request, equipment_id):
    equipment = selectors.equipment_get_for_user(user=request.user, equipment_id=equipment_id)
    if equipment is None:
        raise ApiError(404, "not_found", "No such equipment.")
    return equipment


# ------------------------------------------------------------------ wells


class WellsApi(APIView):
    permission_classes = [permissions_required(GET="wells.view_well", POST="wells.add_well")]

    @extend_schema(
        operation_id="wells_list", tags=["wells"],
        summary="List the wells you may see (an OPERATOR: the wells on their route)",
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=WellStatus.values, description="Exact status."),
            OpenApiParameter("lease", OpenApiTypes.STR, description="Lease name, case-insensitive exact match."),
            OpenApiParameter("field", OpenApiTypes.STR, description="Field name, case-insensitive exact match."),
            OpenApiParameter("search", OpenApiTypes.STR, description="Part of the name (case-insensitive), or part "
                             "of the API number when written with digits, hyphens and spaces only."),
            *PAGE_PARAMETERS,
        ],
        responses={200: paginated(WellOutput),
                   **errors(bad=f"unknown status, a filter over 200 characters, {BAD_PAGE}", forbidden=READ_ONLY,
                            missing=NO_PAGE)},
    )
    def get(self, request):
        filters = parse(WellListQuery, query_values(request), domain=lambda _: page_problems(request))
        return paginate(request, selectors.well_list(user=request.user, **filters), WellOutput)

    @extend_schema(
        operation_id="wells_create", tags=["wells"], summary="Create a well (MANAGER, ADMIN)",
        request=WellInput,
        responses={201: WellOutput, **errors(
            bad="a field missing or invalid (apiNumber: 14 digits, valid state and county codes, unique; latitude "
                "-90..90; longitude -180..180; spudDate YYYY-MM-DD not in the future), or an unknown field",
            forbidden="an OPERATOR", body=True), 409: CONFLICT},
    )
    def post(self, request):
        with service_errors():
            data = parse(WellInput, request.data, domain=lambda valid: well_domain_problems(valid, instance=None))
            well = services.well_create(data=data, actor=request.user)
        location = reverse("wells-api:well-detail", kwargs={"well_id": well.pk})
        return Response(WellOutput(well).data, status=201, headers={"Location": location})


class WellDetailApi(APIView):
    permission_classes = [object_permissions_required(
        GET="wells.view_well", PATCH="wells.change_well", DELETE="wells.delete_well")]

    @extend_schema(operation_id="wells_retrieve", tags=["wells"], summary="One well", parameters=[WELL_ID],
                   responses={200: WellOutput, **errors(forbidden=READ_ONLY, missing=NO_WELL)})
    def get(self, request, well_id):
        return Response(WellOutput(visible_well(request, well_id)).data)

    @extend_schema(
        operation_id="wells_partial_update", tags=["wells"], parameters=[WELL_ID], request=WellInput,
        summary="Change some fields of a well (MANAGER, ADMIN); version goes up by one if anything changed",
        responses={200: WellOutput, **errors(bad="a field invalid (the rules of create) or unknown",
                                             forbidden="an OPERATOR (for a well on their route)", missing=NO_WELL,
                                             body=True), 409: CONFLICT},
    )
    def patch(self, request, well_id):
        well = visible_well(request, well_id)
        self.check_object_permissions(request, well)
        with service_errors():
            data = parse(WellInput, request.data, partial=True,
                         domain=lambda valid: well_domain_problems(valid, instance=well))
            well = services.well_update(well=well, data=data, actor=request.user)
        return Response(WellOutput(well).data)

    @extend_schema(
        operation_id="wells_destroy", tags=["wells"], parameters=[WELL_ID], responses={204: None, **errors(
            forbidden="a MANAGER or an OPERATOR (ADMIN only)", missing=NO_WELL)},
        summary="Delete a well (ADMIN): it leaves every list and feed; its records are kept",
    )
    def delete(self, request, well_id):
        well = visible_well(request, well_id)
        self.check_object_permissions(request, well)
        services.well_delete(well=well, actor=request.user)
        return Response(status=204)


# ------------------------------------------------------------------ equipment


class EquipmentCreateApi(APIView):
    permission_classes = [permissions_required(POST="wells.add_equipment")]

    @extend_schema(
        operation_id="equipment_create", tags=["equipment"], summary="Add equipment to a well (MANAGER, ADMIN)",
        request=EquipmentInput,
        responses={201: EquipmentOutput, **errors(
            bad="a field missing or invalid, an unknown field, or wellId not a well you may see", forbidden="an OPERATOR",
            body=True)},
    )
    def post(self, request):
        wells = {}

        def well_visible(valid: dict) -> dict[str, list[str]]:
            if "well_id" in valid:
                wells["well"] = selectors.well_get_for_user(user=request.user, well_id=valid["well_id"])
                if wells["well"] is None:
                    return {"wellId": ["No such well."]}
            return {}

        data = parse(EquipmentInput, request.data, domain=well_visible)
        data.pop("well_id")
        well = wells["well"]
        with service_errors():
            equipment = services.equipment_create(well=well, data=data, actor=request.user)
        location = reverse("wells-api:equipment-detail", kwargs={"equipment_id": equipment.pk})
        return Response(EquipmentOutput(equipment).data, status=201, headers={"Location": location})


class EquipmentDetailApi(APIView):
    permission_classes = [object_permissions_required(
        GET="wells.view_equipment", PATCH="wells.change_equipment", DELETE="wells.delete_equipment")]

    @extend_schema(operation_id="equipment_retrieve", tags=["equipment"], summary="One piece of equipment",
                   parameters=[EQUIPMENT_ID], responses={200: EquipmentOutput, **errors(
                       forbidden=READ_ONLY, missing=NO_EQUIPMENT)})
    def get(self, request, equipment_id):
        return Response(EquipmentOutput(visible_equipment(request, equipment_id)).data)

    @extend_schema(
        operation_id="equipment_partial_update", tags=["equipment"], parameters=[EQUIPMENT_ID],
        request=EquipmentInput, summary="Change equipment (MANAGER, ADMIN); version goes up if anything changed",
        responses={200: EquipmentOutput, **errors(
            bad="a field invalid or unknown, or a wellId other than its well's", forbidden="an OPERATOR",
            missing=NO_EQUIPMENT, body=True)},
    )
    def patch(self, request, equipment_id):
        equipment = visible_equipment(request, equipment_id)
        self.check_object_permissions(request, equipment)
        def same_well(valid: dict) -> dict[str, list[str]]:
            if "well_id" in valid and valid["well_id"] != equipment.well_id:
                return {"wellId": ["Equipment stays on its well; add new equipment to the other well."]}
            return {}

        data = parse(EquipmentInput, request.data, partial=True, domain=same_well)
        data.pop("well_id", None)
        with service_errors():
            equipment = services.equipment_update(equipment=equipment, data=data, actor=request.user)
        return Response(EquipmentOutput(equipment).data)

    @extend_schema(operation_id="equipment_destroy", tags=["equipment"], parameters=[EQUIPMENT_ID],
                   summary="Remove equipment (MANAGER, ADMIN); its records are kept",
                   responses={204: None, **errors(forbidden="an OPERATOR", missing=NO_EQUIPMENT)})
    def delete(self, request, equipment_id):
        equipment = visible_equipment(request, equipment_id)
        self.check_object_permissions(request, equipment)
        services.equipment_delete(equipment=equipment, actor=request.user)
        return Response(status=204)


# ------------------------------------------------------------------ nested read lists under a well


def well_records_api(name: str, *, what: str, permission: str, records: Callable, output,
                     query=None, parameters=(), bad: str = BAD_PAGE) -> type[APIView]:
    """GET /wells/{well_id}/<what>/: a paginated list of one kind of record of a visible well
    (current and superseded records alike; supersededBy tells them apart)."""

    class WellRecordsApi(APIView):
        permission_classes = [permissions_required(GET=("wells.view_well", permission))]

        @extend_schema(
            operation_id=f"wells_{what}_list", tags=["wells"], summary=f"The {what} of a well, newest first",
            parameters=[WELL_ID, *parameters, *PAGE_PARAMETERS],
            responses={200: paginated(output), **errors(bad=bad, forbidden=READ_ONLY,
                                                        missing=f"{NO_WELL}; or {NO_PAGE}")},
        )
        def get(self, request, well_id):
            well = visible_well(request, well_id)
            filters = parse(query or NoQuery, query_values(request), domain=lambda _: page_problems(request))
            return paginate(request, records(well=well, **filters), output)

    WellRecordsApi.__name__ = WellRecordsApi.__qualname__ = name
    return WellRecordsApi


WellEquipmentApi = well_records_api("WellEquipmentApi", what="equipment", permission="wells.view_equipment",
                                    records=selectors.well_equipment, output=EquipmentOutput)
WellProductionApi = well_records_api(
    "WellProductionApi", what="production", permission="wells.view_productionrecord",
    records=selectors.well_production, output=ProductionRecordOutput, query=ProductionQuery,
    parameters=[
        # From 1900-01-01 (config.dates), stated as a pattern; a range may reach into the future.
        OpenApiParameter("from", OpenApiTypes.DATE, pattern=DATE_FILTER_PATTERN, allow_blank=False,
                         description="First production date (YYYY-MM-DD, from 1900-01-01), inclusive."),
        OpenApiParameter("to", OpenApiTypes.DATE, pattern=DATE_FILTER_PATTERN, allow_blank=False,
                         description="Last production date (YYYY-MM-DD, from 1900-01-01), inclusive."),
    ],
    bad=f"from or to not a real YYYY-MM-DD date, from after to, {BAD_PAGE}",
)
WellReadingsApi = well_records_api("WellReadingsApi", what="readings", permission="wells.view_wellreading",
                                   records=selectors.well_readings, output=ReadingOutput)
WellInspectionsApi = well_records_api("WellInspectionsApi", what="inspections",
                                      permission="wells.view_equipmentinspection",
                                      records=selectors.well_inspections, output=InspectionOutput)
WellRepairsApi = well_records_api("WellRepairsApi", what="repairs", permission="wells.view_equipmentrepair",
                                  records=selectors.well_repairs, output=RepairOutput)
WellNotesApi = well_records_api("WellNotesApi", what="notes", permission="wells.view_fieldnote",
                                records=selectors.well_notes, output=NoteOutput)
WellPhotosApi = well_records_api("WellPhotosApi", what="photos", permission="wells.view_photo",
                                 records=selectors.well_photos, output=PhotoOutput)
