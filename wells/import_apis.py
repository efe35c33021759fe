"""CSV imports API (API.md section 16): ``POST /api/v1/imports/{wells,equipment,tanks}`` with a
``text/csv`` body, MANAGER and ADMIN. A thin view over wells.imports, which checks every row
with the API's own rules and writes all rows or none."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiRequest, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import permissions_required
from config.api_errors import ERROR, ROWS_ERROR, ApiError
from config.middleware import BodyLimit

from . import imports
from .apis import errors

IMPORT_LIMIT = BodyLimit(imports.MAX_BYTES, message=f"An import file may be at most {imports.MAX_BYTES:,} bytes (10 MiB).")

ImportResult = inline_serializer("ImportResult", {
    "created": serializers.IntegerField(help_text="Rows whose key was new: created."),
    "updated": serializers.IntegerField(help_text="Rows whose key exists and that changed at least one field."),
    "unchanged": serializers.IntegerField(help_text="Rows whose key exists with every value as given: nothing "
                                          "written (a repeated import answers created 0, updated 0)."),
})

_EXAMPLES = {
    "wells": "apiNumber,name,lease,field,county,state,latitude,longitude,status,spudDate\n"
             "42-329-00001-00-00,Ranger 1,Ranger,Spraberry,Midland,TX,31.9973,-102.0779,ACTIVE,2019-04-02\n",
    "equipment": "wellApiNumber,serialNumber,type,name,status\n42-329-00001-00-00,PJ-1001,PUMP_JACK,Pump jack,IN_SERVICE\n",
    "tanks": "lease,name,product,capacityBbl,heightInches\nRanger,Oil 1,OIL,400,240\n",
}
_KEYS = {"wells": "`apiNumber` (written with or without hyphens)",
         "equipment": "`wellApiNumber` (the well must exist) and `serialNumber`",
         "tanks": "`lease` (the lease's name; the lease must exist) and `name`"}
_PERMISSIONS = {"wells": ("wells.add_well", "wells.change_well"),
                "equipment": ("wells.add_equipment", "wells.change_equipment"),
                "tanks": ("wells.add_tank", "wells.change_tank")}


class CsvBodyParser(BaseParser):
    """text/csv: the bytes as sent (wells.imports decodes and checks them)."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read() if stream is not None else b""


def _csv_body(request) -> bytes:
    media_type, _, parameters = (request.content_type or "").partition(";")
    if media_type.strip().lower() != "text/csv":
        raise ApiError(415, "unsupported_media_type", "Send the file as text/csv (UTF-8).",
                       details={"Content-Type": ["must be text/csv"]})
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise ApiError(415, "unsupported_media_type", "Send the CSV as UTF-8 (charset=utf-8).",
                           details={"Content-Type": ["the charset must be utf-8"]})
    return request.body


def import_api(kind: str) -> type[APIView]:
    spec = imports.KINDS[kind]

    class ImportApi(APIView):
        permission_classes = [permissions_required(POST=_PERMISSIONS[kind])]
        parser_classes = [CsvBodyParser]
        body_limit = IMPORT_LIMIT

        @extend_schema(
            operation_id=f"imports_{kind}", tags=["imports"],
            summary=f"Import {kind} from a CSV file (MANAGER, ADMIN): every row checked first, all or nothing",
            description=(
                f"A `text/csv` body (UTF-8, a BOM allowed, CRLF or LF), at most 10 MiB. Row 1 names the columns: "
                f"{', '.join(f'`{c}`' for c in spec.columns)} (any order, any subset holding the key). Rows are "
                f"keyed by {_KEYS[kind]}: a key the tenant has updates that row (only what differs), any other "
                "creates one. An empty cell clears an optional field; a column left out leaves the field as it is. "
                "Every row is validated with the rules of the API's create and update before anything is written; "
                "one bad row and nothing is written: 400 with `details` per row as a spreadsheet numbers them "
                "(`{\"row 3\": {\"apiNumber\": [\"...\"]}}`; the header is row 1). See docs/imports.md."
                + (" Strapping tables go in a second call: `PUT /api/v1/tanks/{id}/strapping`." if kind == "tanks" else "")),
            request={"text/csv": OpenApiRequest(OpenApiTypes.STR, examples=[OpenApiExample(kind, value=_EXAMPLES[kind])])},
            responses={200: ImportResult, **errors(
                bad="a row (or the header: unknown columns, a missing key column) not right; details per row",
                forbidden="an OPERATOR"),
                400: OpenApiResponse(ROWS_ERROR, description=(
                    "invalid_request: a row (or the header, row 1: unknown columns, a missing key column) is not "
                    "right; details per row, each row's messages per column: {\"row 3\": {\"apiNumber\": [...]}}. "
                    "Or tenant_mismatch.")),
                413: OpenApiResponse(ERROR, description="request_too_large: the file is over 10 MiB (maxBytes in details)"),
                415: OpenApiResponse(ERROR, description="unsupported_media_type: the body is not text/csv in UTF-8")},
        )
        def post(self, request):
            raw = _csv_body(request)
            try:
                plan = imports.import_run(kind=kind, raw=raw, actor=request.user)
            except imports.ImportInvalid as exc:
                raise ApiError(400, "invalid_request", exc.message, details=exc.details) from None
            return Response(plan.result())

    ImportApi.__name__ = ImportApi.__qualname__ = f"{kind.title()}ImportApi"
    return ImportApi


WellsImportApi = import_api("wells")
EquipmentImportApi = import_api("equipment")
TanksImportApi = import_api("tanks")
