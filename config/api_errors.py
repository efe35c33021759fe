"""Every error from /api/ in one shape: {"error": {"code", "message", "details"}} (API.md section 1)."""

from __future__ import annotations

import logging
import re

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, JsonResponse
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

log = logging.getLogger(__name__)

_STATUS_CODES = {
    400: "invalid_request",
    401: "invalid_credentials",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    410: "gone",
    411: "length_required",
    413: "request_too_large",
    415: "unsupported_media_type",
    429: "throttled",
    500: "internal_error",
    503: "unavailable",
}
_MESSAGES = {
    "invalid_credentials": "Invalid credentials.",
    "not_found": "Not found.",
    "internal_error": "Something went wrong on the server; the error has been logged.",
}


class ApiError(exceptions.APIException):
    """An error with an explicit wire code, e.g. ApiError(403, "tenant_suspended", "...")."""

    def __init__(self, status_code: int, code: str, message: str, details: dict | None = None, headers=None):
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_response(status_code: int, code: str, message: str | None = None, details=None, headers=None):
    response = JsonResponse(error_body(code, message or _MESSAGES.get(code, code), details), status=status_code)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def _field_details(detail, prefix: str = "") -> dict[str, list[str]]:
    """Flatten DRF's nested validation errors into {"fieldName": ["message"]} (camelCase)."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "non_field_errors" if key == "non_field_errors" else camel(str(key))
            path = f"{prefix}.{name}" if prefix else name
            out.update(_field_details(value, path))
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out[prefix or "nonFieldErrors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                out.update(_field_details(item, f"{prefix}[{index}]"))
    else:
        out[prefix or "nonFieldErrors"] = [str(detail)]
    return out


def request_refused(exc) -> JsonResponse | None:
    """Django's own refusals of a request: a body over DATA_UPLOAD_MAX_MEMORY_SIZE is 413, any
    other SuspiciousOperation (too many fields, a bad host) 400; Django alone would say 400, and
    inside a DRF view they would be 500s."""
    if isinstance(exc, RequestDataTooBig):
        from django.conf import settings

        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return error_response(413, "request_too_large", f"The request body may be at most {limit:,} bytes.",
                              {"maxBytes": [str(limit)]})
    if isinstance(exc, SuspiciousOperation):
        return error_response(400, "invalid_request", "The request was refused as malformed.")
    return None


# Answers for exceptions that a layer above knows better than this module (which sits below
# every app): e.g. the tenancy core's 503 for a DATABASE tenant whose database failed mid-request.
# Each takes (exception, Django request or None) and returns a response or None.
EXCEPTION_RESPONDERS: list = []


def exception_responder(responder):
    """Register ``responder`` with the API's exception handler (a decorator)."""
    EXCEPTION_RESPONDERS.append(responder)
    return responder


def registered_answer(exc, request):
    """The first registered responder's answer to ``exc``, or None."""
    for responder in EXCEPTION_RESPONDERS:
        answer = responder(exc, request)
        if answer is not None:
            return answer
    return None


def exception_handler(exc, context):
    answer = registered_answer(exc, getattr(context.get("request"), "_request", None))
    if answer is not None:
        return answer
    refused = request_refused(exc)
    if refused is not None:
        return refused
    if isinstance(exc, ApiError):
        response = Response(error_body(exc.code, exc.message, exc.details), status=exc.status_code)
        for key, value in exc.headers.items():
            response[key] = value
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # unexpected: ApiErrorMiddleware answers 500 in the same shape and logs it
    code = _STATUS_CODES.get(exc.status_code, "error")
    details: dict = {}
    if isinstance(exc, exceptions.ValidationError):
        code = "invalid_request"
        details = _field_details(exc.detail)
        message = "The request is not valid; see details."
    elif isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        code = "invalid_credentials"
        message = _MESSAGES[code]
        exc.status_code = status.HTTP_401_UNAUTHORIZED
    elif isinstance(exc, exceptions.ParseError):
        code = "invalid_request"
        message = "The request body is not valid JSON."
    else:
        message = str(exc.detail) if not isinstance(exc.detail, (dict, list)) else _MESSAGES.get(code, code)
    headers = {}
    if isinstance(exc, exceptions.Throttled) and exc.wait:
        headers["Retry-After"] = str(int(exc.wait))
    response = Response(error_body(code, message, details), status=exc.status_code, headers=headers)
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


_API_PATH = re.compile(r"^/api/")


def is_api_request(request) -> bool:
    return bool(_API_PATH.match(request.path_info))


class ApiErrorMiddleware:
    """Outside DRF's views (unknown URL, unhandled exception), /api/ still answers in the contract's shape."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            is_api_request(request)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            code = _STATUS_CODES.get(response.status_code, "error")
            return error_response(response.status_code, code)
        return response

    def process_exception(self, request, exception):
        if not is_api_request(request):
            return None
        if isinstance(exception, Http404):
            return error_response(404, "not_found")
        if isinstance(exception, DjangoPermissionDenied):
            return error_response(403, "permission_denied", "You do not have permission to do this.")
        refused = request_refused(exception)
        if refused is not None:
            return refused
        answer = registered_answer(exception, request)
        if answer is not None:
            return answer
        log.exception("unhandled error on %s %s", request.method, request.path_info)
        return error_response(500, "internal_error")


# The error body of API.md section 1, as the OpenAPI schema shows it (every API names it in its
# responses); beside the code that produces it.
ERROR = inline_serializer(
    "Error",
    fields={
        "error": inline_serializer(
            "ErrorBody",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "details": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
            },
        )
    },
)


@extend_schema_field({"oneOf": [
    {"type": "array", "items": {"type": "string"}},
    {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
]})
class _MessagesOrRowMessages(serializers.JSONField):
    """A field's messages, or (a CSV import's row: "row 3") the messages of each of its columns."""


# The error body of a CSV import (API.md section 16): ``details`` per row as a spreadsheet numbers
# them, each row's messages per column: {"row 3": {"apiNumber": ["..."]}}.
ROWS_ERROR = inline_serializer(
    "RowsError",
    fields={
        "error": inline_serializer(
            "RowsErrorBody",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "details": serializers.DictField(child=_MessagesOrRowMessages()),
            },
        )
    },
)
