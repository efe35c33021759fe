"""Sync endpoints (API.md sections 6, 8): batch push and status, photo upload, conflicts."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import permissions_required
from config.api_errors import ERROR, ApiError
from config.middleware import BodyLimit
from config.pagination import PAGE_PARAMETERS, page_problems, paginate, paginated
from config.text_fields import StrictCharField
from wells.selectors import tenant_today
from wells.serializers import enum_field

from .json_schemas import schemas_document
from .models import Conflict, SyncBatch
from .rules.base import Strategy
from .schemas import MAX_BYTES, MAX_EVENTS, MAX_PHOTO_BYTES
from .selectors import batch_for_reader, batch_report, conflict_list, photo_for_user
from .services import conflicts as conflict_services
from .services.changes import CursorExpired, CursorInvalid, changes_feed
from .services.intake import batch_intake
from .services.photos import PhotoRejected, photo_upload

PLATFORMS = ["electron", "ios", "android", "web", "cli", "integration"]
OUTCOMES = ["PENDING", "APPLIED", "AUTO_RESOLVED", "PENDING_REVIEW", "REJECTED", "DUPLICATE"]
PlatformField = enum_field(PLATFORMS, "Platform")
BatchStatusField = enum_field(SyncBatch.Status, "BatchState")
OutcomeField = enum_field(OUTCOMES, "EventOutcome")
ConflictStatusField = enum_field(Conflict.Status, "ConflictStatus")
StrategyField = enum_field(Strategy.ALL, "ConflictStrategy")
ActionField = enum_field(conflict_services.ACTIONS, "ResolutionAction")
ERRORS = {
    400: OpenApiResponse(ERROR, description="invalid_request (details name the fields)"),
    401: OpenApiResponse(ERROR, description="invalid_credentials or token_expired"),
    403: OpenApiResponse(ERROR, description="permission_denied or tenant_suspended"),
    404: OpenApiResponse(ERROR, description="not_found"),
}
BODY_ERRORS = {
    413: OpenApiResponse(ERROR, description="request_too_large (the limit in details)"),
    415: OpenApiResponse(ERROR, description="unsupported_media_type: the body is not application/json"),
    **ERRORS,
}


# Refused before the body is read (config.middleware), from Content-Length or a bounded read.
BATCH_LIMIT = BodyLimit(MAX_BYTES, "batch_too_large", f"A batch holds at most {MAX_EVENTS:,} events and 8 MiB.",
                        {"maxEvents": [str(MAX_EVENTS)]})
PHOTO_LIMIT = BodyLimit(MAX_PHOTO_BYTES, "photo_too_large", "A photo may be at most 10 MiB.")


def _too_large(events: int | None = None, size: int | None = None) -> ApiError:
    details = {"maxEvents": [str(MAX_EVENTS)], "maxBytes": [str(MAX_BYTES)]}
    if events is not None:
        details["events"] = [f"{events} events sent"]
    if size is not None:
        details["bytes"] = [f"{size} bytes sent"]
    return ApiError(413, BATCH_LIMIT.code, BATCH_LIMIT.message, details)


class DeviceInput(serializers.Serializer):
    deviceId = serializers.RegexField(r"^[\w.:@-]{1,100}$", error_messages={"invalid": "1-100 letters, digits, . : @ _ -"})
    platform = PlatformField()
    appVersion = StrictCharField(max_length=40, required=False, allow_blank=True, default="")


class BatchInput(serializers.Serializer):
    device = DeviceInput()
    events = serializers.ListField(child=serializers.JSONField(), allow_empty=False)


class RejectionOutput(serializers.Serializer):
    eventId = serializers.CharField(allow_null=True)
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.DictField()


class BatchAccepted(serializers.Serializer):
    batchId = serializers.UUIDField()
    status = BatchStatusField()
    statusUrl = serializers.CharField()
    accepted = serializers.ListField(child=serializers.CharField())
    duplicates = serializers.ListField(child=serializers.CharField())
    rejected = RejectionOutput(many=True)


class BatchCreateApi(APIView):
    permission_classes = [permissions_required(POST="sync.add_syncbatch")]
    body_limit = BATCH_LIMIT
    text_checked_per_item = ("events",)  # intake rejects the one event that holds bad text

    @extend_schema(
        summary="Push a batch of events recorded offline",
        description="Every accepted event is durably stored before the answer; processing is asynchronous "
                    "(poll statusUrl). One bad event never fails the others.",
        request=BatchInput,
        responses={202: BatchAccepted, **BODY_ERRORS,
                   413: OpenApiResponse(ERROR, description="batch_too_large (more than 5,000 events or 8 MiB)")},
    )
    def post(self, request):
        size = int(request.META.get("CONTENT_LENGTH") or 0)
        if size > MAX_BYTES:
            raise _too_large(size=size)
        if len(request.body) > MAX_BYTES:
            raise _too_large(size=len(request.body))
        raw_events = request.data.get("events") if isinstance(request.data, dict) else None
        if isinstance(raw_events, list) and len(raw_events) > MAX_EVENTS:
            raise _too_large(events=len(raw_events))
        envelope = BatchInput(data=request.data)
        envelope.is_valid(raise_exception=True)
        result = batch_intake(user=request.user, device=envelope.validated_data["device"],
                              events=envelope.validated_data["events"],
                              today=tenant_today(request.tenant_entry.tenant.time_zone))
        batch = result.batch
        return Response({
            "batchId": str(batch.pk),
            "status": batch.status,
            "statusUrl": f"/api/v1/sync/batches/{batch.pk}",
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            "rejected": [r.as_wire() for r in result.rejected],
        }, status=202)


class BatchResult(serializers.Serializer):
    eventId = serializers.CharField(allow_null=True)
    outcome = OutcomeField()
    conflict = serializers.UUIDField(allow_null=True)
    errors = serializers.ListField(child=serializers.DictField())


class BatchStatus(serializers.Serializer):
    batchId = serializers.UUIDField()
    status = BatchStatusField()
    counts = serializers.DictField(child=serializers.IntegerField())
    results = BatchResult(many=True)


class BatchDetailApi(APIView):
    @extend_schema(summary="A batch's status, counts and per-event results (sender, MANAGER, ADMIN)",
                   responses={200: BatchStatus, **ERRORS})
    def get(self, request, batch_id):
        batch = batch_for_reader(user=request.user, batch_id=batch_id)
        if batch is None:
            raise ApiError(404, "not_found", "No such batch.")
        return Response(batch_report(batch=batch))  # status, counts and results that agree


class RawImageParser(BaseParser):
    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read(MAX_PHOTO_BYTES + 1) if stream is not None else b""


class PhotoUploadApi(APIView):
    permission_classes = [permissions_required(GET=(), PUT="sync.add_syncbatch")]
    parser_classes = [RawImageParser]
    body_limit = PHOTO_LIMIT

    @extend_schema(
        summary="Download a photo's image (anyone who may see its well)",
        responses={(200, "image/*"): OpenApiTypes.BINARY, **ERRORS},
    )
    def get(self, request, photo_id):
        from django.http import FileResponse

        photo = photo_for_user(user=request.user, photo_id=photo_id)
        if photo is None:
            raise ApiError(404, "not_found", "No such photo, or its image has not arrived yet.")
        response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
        response["X-Content-SHA256"] = photo.sha256
        # Cache-Control: no-store, like all tenant data (config.middleware).
        return response

    @extend_schema(
        summary="Upload the image of a PHOTO_ATTACHED event (raw body, idempotent)",
        parameters=[OpenApiParameter("X-Content-SHA256", str, OpenApiParameter.HEADER, required=True,
                                     description="Lowercase hex SHA-256 of the body")],
        request={"image/jpeg": OpenApiTypes.BINARY, "image/png": OpenApiTypes.BINARY,
                 "image/heic": OpenApiTypes.BINARY},
        responses={
            201: inline_serializer("PhotoStored", {"photoId": serializers.UUIDField(), "sizeBytes": serializers.IntegerField(),
                                                   "contentType": serializers.CharField(), "sha256": serializers.CharField()}),
            200: OpenApiResponse(description="Already stored (same bytes)"),
            409: OpenApiResponse(ERROR, description="another image under this photoId"),
            413: OpenApiResponse(ERROR, description="photo_too_large (10 MiB)"),
            415: OpenApiResponse(ERROR, description="unsupported_media_type (checked by content)"),
            **ERRORS,
        },
    )
    def put(self, request, photo_id):
        size = int(request.META.get("CONTENT_LENGTH") or 0)
        if size > MAX_PHOTO_BYTES:
            raise ApiError(413, PHOTO_LIMIT.code, PHOTO_LIMIT.message, {"maxBytes": [str(MAX_PHOTO_BYTES)]})
        data = request.data if isinstance(request.data, bytes) else b""
        try:
            blob, created = photo_upload(photo_id=photo_id, data=data, declared_type=request.content_type or "",
                                         checksum=request.META.get("HTTP_X_CONTENT_SHA256", ""), user=request.user)
        except PhotoRejected as exc:
            raise ApiError(exc.status, exc.code, exc.message,
                           {k: v if isinstance(v, list) else [str(v)] for k, v in exc.details.items()}) from None
        return Response({"photoId": str(blob.photo_id), "sizeBytes": blob.size_bytes, "contentType": blob.content_type,
                         "sha256": blob.sha256}, status=201 if created else 200)


# --------------------------------------------------------------------------- conflicts


class ConflictOutput(serializers.Serializer):
    id = serializers.UUIDField()
    eventId = serializers.UUIDField(source="event.event_id", allow_null=True)  # null: raised by an ETL source
    eventType = serializers.CharField(source="event_type")
    origin = serializers.SerializerMethodField(
        help_text='"sync" (a device event; localData is what the field sent) or "etl:<source id>" (localData is '
                  "what the tenant's source database holds; serverData is the value recorded in the field)")
    wellId = serializers.UUIDField(source="well_id", allow_null=True)
    reason = serializers.CharField()
    strategy = StrategyField()
    status = ConflictStatusField()
    localData = serializers.JSONField(source="local_data")
    serverData = serializers.JSONField(source="server_data")
    resolution = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")

    @staticmethod
    def get_origin(conflict) -> str:
        return conflict.source or "sync"

    @staticmethod
    def get_resolution(conflict) -> dict | None:
        if not conflict.resolution_action:
            return None
        return {"action": conflict.resolution_action,
                "resolvedBy": str(conflict.resolved_by_id) if conflict.resolved_by_id else None,
                "resolvedAt": conflict.resolved_at.isoformat() if conflict.resolved_at else None,
                "note": conflict.resolution_note}


class ConflictListApi(APIView):
    permission_classes = [permissions_required(GET="sync.view_conflict")]

    @extend_schema(
        summary="Conflicts (MANAGER, ADMIN)",
        parameters=[OpenApiParameter("status", str, enum=list(Conflict.Status.values)), *PAGE_PARAMETERS],
        responses={200: paginated(ConflictOutput), **ERRORS},  # 404: a page past the last
    )
    def get(self, request):
        status = request.query_params.get("status")
        problems = page_problems(request)  # reported with a bad status, in one response
        if status is not None and status not in Conflict.Status.values:
            problems["status"] = [f"one of {', '.join(Conflict.Status.values)}"]
        if problems:
            raise ApiError(400, "invalid_request", "The request is not valid; see details.", problems)
        conflicts = conflict_list(user=request.user, status=status)
        return paginate(request, conflicts.select_related("event"), ConflictOutput)


class ResolveInput(serializers.Serializer):
    action = ActionField()
    note = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")


class ConflictResolveApi(APIView):
    permission_classes = [permissions_required(POST="sync.change_conflict")]

    @extend_schema(summary="Resolve a conflict (MANAGER, ADMIN); resolving twice is 409",
                   request=ResolveInput,
                   responses={200: ConflictOutput, 409: OpenApiResponse(ERROR, description="already resolved"),
                              **BODY_ERRORS})
    def post(self, request, conflict_id):
        conflict = conflict_list(user=request.user).filter(pk=conflict_id).first()
        if conflict is None:
            raise ApiError(404, "not_found", "No such conflict.")
        data = ResolveInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            conflict = conflict_services.conflict_resolve(
                conflict=conflict, action=data.validated_data["action"], note=data.validated_data["note"],
                user=request.user, request=request._request,
            )
        except conflict_services.AlreadyResolved:
            raise ApiError(409, "conflict", "This conflict was already resolved.") from None
        except conflict_services.ActionNotPossible as exc:
            raise ApiError(400, "invalid_request", str(exc), {"action": [str(exc)]}) from None
        return Response(ConflictOutput(conflict).data)


# --------------------------------------------------------------------------- conflict strategies


class PolicyOutput(serializers.Serializer):
    eventType = serializers.CharField()
    strategy = StrategyField()
    defaultStrategy = StrategyField()
    strategies = serializers.ListField(child=StrategyField())
    configurable = serializers.BooleanField()


class PolicyInput(serializers.Serializer):
    strategy = StrategyField()


class PolicyListApi(APIView):
    permission_classes = [permissions_required(GET="sync.view_conflictpolicy")]

    @extend_schema(summary="Conflict strategy per event type (ADMIN)", responses={200: PolicyOutput(many=True), **ERRORS})
    def get(self, request):
        return Response(conflict_services.policies_list())


class PolicyUpdateApi(APIView):
    permission_classes = [permissions_required(PUT="sync.change_conflictpolicy")]

    @extend_schema(summary="Choose the strategy of a configurable event type (ADMIN); safety-critical types stay "
                           "MANUAL_REVIEW", request=PolicyInput, responses={200: PolicyOutput, **BODY_ERRORS})
    def put(self, request, event_type):
        data = PolicyInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            policy = conflict_services.policy_set(event_type=event_type, strategy=data.validated_data["strategy"],
                                                  user=request.user)
        except conflict_services.UnknownEventType:
            raise ApiError(404, "not_found", "No such event type.") from None
        except conflict_services.ActionNotPossible as exc:
            raise ApiError(400, "invalid_request", str(exc), {"strategy": [str(exc)]}) from None
        return Response(policy)


# --------------------------------------------------------------------------- pull feed


class ChangeOutput(serializers.Serializer):
    entity = serializers.ChoiceField(choices=["well", "equipment", "conflict", "assignment", "lease", "tank", "alert"])
    op = serializers.ChoiceField(choices=["upsert", "delete"])
    id = serializers.CharField()
    version = serializers.IntegerField()
    data = serializers.DictField(help_text=(
        "The entity as it stands ({} for a delete). A conflict: id, wellId, eventId (the device's event; null "
        "for an ETL conflict), eventType, status (PENDING_REVIEW|AUTO_RESOLVED|RESOLVED|IGNORED), strategy, "
        "reason, resolution (null until decided, then {action, resolvedBy, resolvedAt, note}), createdAt. A lease "
        "or tank: as GET /api/v1/leases/{id}/ and /api/v1/tanks/{id}/ (a tank with its strapping table). An "
        "alert (API.md section 15; incremental pulls, as it opens, is acknowledged or closes): its API "
        "representation."))


class ChangesPage(serializers.Serializer):
    changes = ChangeOutput(many=True)
    cursor = serializers.CharField()
    hasMore = serializers.BooleanField()


class ChangesApi(APIView):
    @extend_schema(
        summary="What changed since a cursor (no cursor: a full snapshot, paged), scoped to what you may see",
        description="A change is served by the first pull that starts after its transaction commits (no delay), "
                    "and a cursor never skips one, however long its transaction stayed open.",
        parameters=[OpenApiParameter("cursor", str, description="Opaque; from the previous page. One this server "
                                     "did not issue to you is 400 invalid_request (details.cursor)."),
                    OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 500},
                                     description="Changes per page, 1-1000 (default 500).")],
        responses={200: ChangesPage, 410: OpenApiResponse(ERROR, description="cursor_expired: re-snapshot"),
                   **ERRORS},
    )
    def get(self, request):
        raw_limit = request.query_params.get("limit", "500")
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 1000:
            raise ApiError(400, "invalid_request", "limit must be 1-1000.", {"limit": ["must be an integer 1-1000"]})
        try:
            page = changes_feed(user=request.user, cursor=request.query_params.get("cursor") or None,
                                limit=int(raw_limit))
        except CursorExpired:
            raise ApiError(410, "cursor_expired", "This cursor is older than the change log; pull again without "
                                                  "a cursor for a fresh snapshot.") from None
        except CursorInvalid as exc:
            raise ApiError(400, "invalid_request", str(exc), {"cursor": [str(exc)]}) from None
        # Serialized here, once (the snapshot's well and equipment changes come as JSON already).
        return HttpResponse(page.json(), content_type="application/json")


# --------------------------------------------------------------------------- event schemas


class SchemasOutput(serializers.Serializer):
    schemas = serializers.DictField(child=serializers.DictField(), help_text=(
        "One JSON Schema (draft 2020-12) per event type: the event as pushed (id, type, occurredAt, payload, "
        "userId, correctsEventId) with its payload's fields, their bounds and the cross-field rules as "
        "if/then. Extension keywords: x-errorMessages (keyword -> the server's message), x-notAfter "
        "(\"now+600s\" or \"today\"), x-step (a number's resolution), x-errorKey (the name of an object's own "
        "errors), x-serverChecks (what only the server checks)."))
    version = serializers.CharField(help_text="A hash of the schemas; also the ETag.")


def _etag_matches(header: str, etag: str) -> bool:
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags


class SchemasApi(APIView):
    """The same document for every user and tenant of a deployment; cacheable (revalidated)."""

    @extend_schema(
        summary="The event payload schemas as JSON Schema, for a client's validation (any authenticated user)",
        description="Generated from the definitions the server's intake validates with (sync/schemas.py). "
                    "Revalidate with If-None-Match: 304 while the version is the same.",
        parameters=[OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, required=False,
                                     description="The ETag of a copy held: 304 when it is current.")],
        responses={200: SchemasOutput, 304: OpenApiResponse(description="Not modified: the copy held is current."),
                   401: ERRORS[401], 403: ERRORS[403]},
    )
    def get(self, request):
        body, version = schemas_document()
        etag = f'"{version}"'
        if _etag_matches(request.headers.get("If-None-Match", ""), etag):
            response = HttpResponse(status=304)
        else:
            response = HttpResponse(body, content_type="application/json")
        response["ETag"] = etag
        response.cache_revalidate = True  # config.middleware: "private, no-cache" instead of no-store
        return response
