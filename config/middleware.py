"""The outer layer of every request (API.md section 1): a request id, a bounded body, text that is
really text, and the headers every response carries; and (API.md section 12) the request's
metrics and its JSON log line, with the request id in a context variable for every log line and
Celery task of the request (config.logs).

``RequestGuardMiddleware`` comes before every middleware but SecurityMiddleware and
XFrameOptionsMiddleware, so that its headers are set on every response, those answered early
(tenant resolution, static files) and those ApiErrorMiddleware replaces included. Its work per request is a handful of
dictionary look-ups and string tests; only a query string, header or path that is not plain
ASCII is decoded and checked further.
"""

from __future__ import annotations

import io
import logging
import re
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.contrib.messages.storage import default_storage
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpResponse
from django.http.request import HttpHeaders
from django.middleware.common import CommonMiddleware as DjangoCommonMiddleware
from django.utils.functional import SimpleLazyObject, empty

from config import metrics
from config.map_tiles import tile_server
from config.api_errors import error_response, is_api_request
from config.logs import request_id_var

request_log = logging.getLogger("pumpjack.request")

MIB = 1024 * 1024
REQUEST_ID_MAX_LENGTH = 200
_REQUEST_ID_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
_READ_CHUNK = 64 * 1024
# A surrogate (U+D800-U+DFFF) as UTF-8 would encode it: never valid UTF-8.
_ENCODED_SURROGATE = re.compile(b"\xed[\xa0-\xbf][\x80-\xbf]")

# Scripts, styles, fonts and images from this origin only (the API docs' Redoc comes from
# drf-spectacular-sidecar's static files, not a CDN). Inline styles stay allowed: the portal's
# base template and Redoc use them; inline scripts do not. Redoc starts its search worker from a
# blob: URL.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def content_security_policy() -> str:
    """CONTENT_SECURITY_POLICY, with the portal map's tile server (if one is set) in img-src."""
    tiles = tile_server()
    if tiles is None:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace("img-src 'self' data: blob:",
                                           f"img-src 'self' data: blob: {tiles.origin}", 1)


# The field web app may take photos and a position on its own pages; nothing else is granted.
PERMISSIONS_POLICY = ", ".join([
    "camera=(self)", "geolocation=(self)", "microphone=()", "payment=()", "usb=()", "accelerometer=()",
    "gyroscope=()", "magnetometer=()", "display-capture=()", "browsing-topics=()",
])
_NO_STORE_PREFIXES = ("/api/", "/admin/")  # tokens, tenant data, the staff admin's secrets


@dataclass(frozen=True)
class BodyLimit:
    """The largest request body a view accepts. A view declares its own as ``body_limit`` (a
    class attribute of an APIView, or an attribute of a function view); every other view gets
    DEFAULT_BODY_LIMIT."""

    max_bytes: int
    code: str = "request_too_large"
    message: str = ""
    details: dict[str, list[str]] = field(default_factory=dict)

    def refusal(self, request) -> HttpResponse:
        message = self.message or f"The request body may be at most {self.max_bytes:,} bytes."
        return refuse(request, 413, self.code, message, {"maxBytes": [str(self.max_bytes)], **self.details})


# JSON outside sync and imports, portal forms, the admin.
DEFAULT_BODY_LIMIT = BodyLimit(1 * MIB)


def refuse(request, status: int, code: str, message: str, details: dict | None = None) -> HttpResponse:
    """An error in the API's shape under /api/, a plain-text one elsewhere (portal, admin)."""
    if is_api_request(request):
        return error_response(status, code, message, details)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def request_id_from(value: str | None) -> str:
    """The client's X-Request-ID when sane (1-200 of A-Z a-z 0-9 . _ -), else a new uuid4 hex."""
    if value and len(value) <= REQUEST_ID_MAX_LENGTH and _REQUEST_ID_CHARACTERS.issuperset(value):
        return value
    return uuid.uuid4().hex


def _is_text(raw: bytes) -> bool:
    """UTF-8 without NUL. Python's strict decoder refuses encoded surrogates (ED A0 80) too."""
    if b"\x00" in raw:
        return False
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _wsgi_bytes(value: str) -> bytes | None:
    """A WSGI string holds bytes as latin-1 (PEP 3333); None if it holds anything else."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return None


def _wsgi_header_ok(value: str) -> bool:
    """For a header: no NUL and no UTF-8-encoded surrogate. Other bytes are let through: header
    values are bytes (ISO-8859-1 by tradition), and a wrong credential holding one must still
    be refused as a credential (401, audited), not as text."""
    if value.isascii():
        return "\x00" not in value
    raw = _wsgi_bytes(value)
    return raw is not None and b"\x00" not in raw and not (b"\xed" in raw and _ENCODED_SURROGATE.search(raw))


def bad_query_field(query_string: str) -> str | None:
    """The name of the first query parameter whose name or value, percent-decoded, is not text
    (``query`` when the name itself is not), or None."""
    if query_string.isascii() and "%" not in query_string and "\x00" not in query_string:
        return None
    for pair in query_string.split("&"):
        name, _, value = pair.partition("=")
        raw_name, raw_value = _wsgi_bytes(name), _wsgi_bytes(value)
        if raw_name is None:
            return "query"
        decoded_name = unquote_to_bytes(raw_name.replace(b"+", b" "))
        if not _is_text(decoded_name):
            return "query"
        if raw_value is None or not _is_text(unquote_to_bytes(raw_value.replace(b"+", b" "))):
            return decoded_name.decode()[:100]
    return None


def bad_text_field(environ) -> str | None:
    """Which part of the request (a header's name, a query parameter) holds a NUL or a lone
    surrogate (or, in the query, bytes that are not UTF-8); None when all is text. The path is
    left to URL resolution: no pattern matches such a path, so it is a 404."""
    if not _wsgi_header_ok(environ.get("CONTENT_TYPE", "")):
        return "Content-Type"
    for key, value in environ.items():
        if key.startswith("HTTP_") and isinstance(value, str) and not _wsgi_header_ok(value):
            return HttpHeaders.parse_header_name(key) or key
    return bad_query_field(environ.get("QUERY_STRING", ""))


def _view_body_limit(view_func) -> BodyLimit:
    limit = getattr(view_func, "body_limit", None) or getattr(getattr(view_func, "cls", None), "body_limit", None)
    return limit or DEFAULT_BODY_LIMIT


def _read_bounded(stream, limit: int) -> bytes | None:
    """At most ``limit`` bytes of a stream that ends where the body does; None if there are more."""
    chunks, size = [], 0
    while size <= limit:
        chunk = stream.read(min(_READ_CHUNK, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    return None


def route_of(request) -> str:
    """The URL pattern that answered (``/api/v1/wells/<uuid:pk>``), never the raw path: metrics
    and logs keep one value per route. ``static`` for static files, ``unmatched`` for a path no
    pattern takes or a request refused before URL resolution (tenant, text checks)."""
    route = getattr(request, "route", None)
    if route is not None:
        return route
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route is not None:
        return "/" + match.route
    if request.path_info.startswith("/static/"):
        return "static"
    return "unmatched"


def user_id_of(request) -> str | None:
    """The authenticated user's id, without loading a session nobody looked at."""
    user = request.__dict__.get("user")
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        return None
    return str(user.pk) if getattr(user, "is_authenticated", False) else None


def _observe(request, response, started: float) -> None:
    """The request's metrics and its log line (API.md section 12)."""
    seconds = time.perf_counter() - started
    route = route_of(request)
    metrics.observe_request(request.method, route, response.status_code, seconds)
    if request_log.isEnabledFor(logging.INFO):
        entry = getattr(request, "tenant_entry", None)
        request_log.info(
            "%s %s %s", request.method, route, response.status_code,
            extra={"requestId": request.request_id, "method": request.method, "route": route,
                   "status": response.status_code, "durationMs": round(seconds * 1000, 2),
                   "tenantId": entry.public_id if entry is not None else None, "userId": user_id_of(request)},
        )


class RequestGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        request.request_id = request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        context = request_id_var.set(request.request_id)  # log lines and Celery tasks carry it
        try:
            bad = bad_text_field(request.META)
            if bad is not None:
                response = refuse(request, 400, "invalid_request",
                                  f"{bad} holds a NUL character, a lone surrogate or bytes that are not UTF-8.",
                                  {bad: ["must be UTF-8 text without NUL characters or lone surrogates"]})
            else:
                response = self.get_response(request)
            self._headers(request, response)
            _observe(request, response, started)
        finally:
            request_id_var.reset(context)
        return response

    @staticmethod
    def _headers(request, response) -> None:
        response["X-Request-ID"] = request.request_id
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = content_security_policy()
        if "Permissions-Policy" not in response:
            response["Permissions-Policy"] = PERMISSIONS_POLICY
        if getattr(response, "cache_revalidate", False):
            # The same for every user (the event schemas): a browser may keep it, asking each time.
            response["Cache-Control"] = "private, no-cache"
        elif request.path_info.startswith(_NO_STORE_PREFIXES) or getattr(request, "tenant_entry", None) is not None:
            response["Cache-Control"] = "no-store"

    def process_view(self, request, view_func, view_args, view_kwargs):
        """Refuse a body over the view's limit before anything reads it (CSRF reads a form's body
        in its own process_view, which runs after this one)."""
        limit = _view_body_limit(view_func)
        length = request.META.get("CONTENT_LENGTH")
        if length:
            try:
                size = int(length)
                if size < 0:
                    raise ValueError(length)
            except ValueError:
                return refuse(request, 400, "invalid_request", "Content-Length is not a number.",
                              {"Content-Length": ["must be a number of bytes"]})
            return limit.refusal(request) if size > limit.max_bytes else None
        if "chunked" not in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            return None
        # Chunked, so no Content-Length: Django would read no body at all. gunicorn decodes the
        # chunks and ends the stream with the body (wsgi.input_terminated); read at most the limit.
        if not request.environ.get("wsgi.input_terminated"):
            return refuse(request, 411, "length_required", "Send the body with a Content-Length.")
        body = _read_bounded(request.environ["wsgi.input"], limit.max_bytes)
        if body is None:
            return limit.refusal(request)
        request._stream = LimitedStream(io.BytesIO(body), len(body))
        request.META["CONTENT_LENGTH"] = str(len(body))
        return None


class CommonMiddleware(DjangoCommonMiddleware):
    """APPEND_SLASH for GET and HEAD only. Django would redirect a POST (or, with DEBUG on, raise
    RuntimeError: a 500) to the slashed URL, losing its body; a write without the slash is a 404
    in the error shape instead."""

    def should_redirect_with_slash(self, request):
        return request.method in ("GET", "HEAD") and super().should_redirect_with_slash(request)


class MessageMiddleware(DjangoMessageMiddleware):
    """Django's, with the message storage made on first use: building it (a cookie storage with its
    signer, a session storage) cost ~5 % of GET /api/v1/me, and an API request never uses it. A
    request that neither added nor read a message has nothing to store, which is what Django's
    ``process_response`` finds for it too; every other request is handed to Django's."""

    def process_request(self, request):
        request._messages = SimpleLazyObject(lambda: default_storage(request))

    def process_response(self, request, response):
        messages = request.__dict__.get("_messages")
        if isinstance(messages, SimpleLazyObject) and messages._wrapped is empty:
            return response
        return super().process_response(request, response)
