"""/healthz, /readyz and /metrics (API.md section 12), answered by ``OperationsMiddleware`` before
tenant resolution and host checks: a load balancer probes by address, and the answers hold no
tenant data.

- /healthz: the process is alive; touches nothing.
- /readyz: the database and Redis answer (each within READYZ_TIMEOUT_SECONDS); 503 names the one
  that did not.
- /metrics: Prometheus text (config.metrics) on the base domain (a tenant's sub-domain or a
  request naming a tenant gets the tenant's 404); with METRICS_TOKEN set (production requires
  it) only for ``Authorization: Bearer <METRICS_TOKEN>``, else 401.
"""

from __future__ import annotations

import hmac
import logging
import threading

from django.conf import settings
from django.http import HttpResponse, JsonResponse

from config.api_errors import error_response

log = logging.getLogger(__name__)

PATHS = frozenset(("/healthz", "/readyz", "/metrics"))
_METHODS = ("GET", "HEAD")


def healthz(request) -> HttpResponse:
    return JsonResponse({"status": "ok"})


def _database_check() -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        # Bounded: a database that hangs must not hang the probe (and the worker) with it.
        cursor.execute("SET LOCAL statement_timeout = %s", [int(settings.READYZ_TIMEOUT_SECONDS * 1000)])
        cursor.execute("SELECT 1")
        cursor.fetchone()


_redis_lock = threading.Lock()
_redis_client = None


def _redis_check() -> None:
    global _redis_client
    import redis

    with _redis_lock:
        if _redis_client is None:
            timeout = settings.READYZ_TIMEOUT_SECONDS
            _redis_client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=timeout,
                                                 socket_connect_timeout=timeout)
        client = _redis_client
    client.ping()


CHECKS = {"database": _database_check, "redis": _redis_check}


def readyz(request) -> HttpResponse:
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # what failed is the answer; the reason goes to the log only
            log.warning("readyz: %s check failed: %s", name, type(exc).__name__)
            results[name] = "unavailable"
            if name == "database":
                _database_reset()
    ready = all(value == "ok" for value in results.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": results}, status=200 if ready else 503)


def _database_reset() -> None:
    """Drop a broken connection, so that the next request opens a new one."""
    from django.db import connection

    try:
        connection.close()
    except Exception:
        pass


def _authorized(request) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        return True
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def metrics(request) -> HttpResponse:
    if not _authorized(request):
        response = error_response(401, "invalid_credentials", "/metrics needs Authorization: Bearer <METRICS_TOKEN>.")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    from config.metrics import exposition

    try:
        body, content_type = exposition()
    except Exception as exc:
        log.error("metrics: cannot read the figures: %s", type(exc).__name__)
        _database_reset()
        return error_response(503, "unavailable", "The metrics cannot be read right now.")
    return HttpResponse(body, content_type=content_type)


def _names_a_tenant(request) -> bool:
    """An X-Tenant-ID header or a tenant's sub-domain (<slug>.<BASE_DOMAIN>)."""
    if "HTTP_X_TENANT_ID" in request.META:
        return True
    host = (request.META.get("HTTP_HOST") or "").lower().rsplit(":", 1)[0]
    suffix = "." + settings.BASE_DOMAIN
    return host.endswith(suffix) and host[: -len(suffix)] not in settings.RESERVED_SUBDOMAINS


VIEWS = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics}


class OperationsMiddleware:
    """Answers the three operational paths on any host; everything else passes through."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = VIEWS.get(request.path_info)
        if view is None or (view is metrics and _names_a_tenant(request)):
            return self.get_response(request)  # /metrics lives on the base domain only
        request.route = request.path_info
        if request.method not in _METHODS:
            response = error_response(405, "method_not_allowed", f"{request.path_info} answers GET only.")
            response["Allow"] = "GET, HEAD"
            return response
        return view(request)
