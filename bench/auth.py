"""GET /api/v1/me through the full stack (tenant resolution, tenant secret, JWT) versus the same
view with the tenant middleware and authentication switched off, in one process, same settings.

Requests are driven straight into Django's WSGI handler (no sockets), so the figures compare the
work Django does per request without the noise of a load generator sharing the 2 cores.

    .venv/bin/python bench/auth.py [--requests 3000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import copy
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _setup  # noqa: E402,F401  (configures Django)

from django.conf import settings  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import override_settings  # noqa: E402
from django.urls import path  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402
from rest_framework.authentication import BaseAuthentication  # noqa: E402
from rest_framework.permissions import AllowAny  # noqa: E402

from accounts.apis import MeApi  # noqa: E402
from accounts.models import User  # noqa: E402
from accounts.tokens import token_pair_issue  # noqa: E402
from tenants.directory import directory  # noqa: E402
from tenants.secrets import secret_verify, verified_secrets  # noqa: E402


def environ(path_info: str, headers: dict[str, str]) -> dict:
    env = {
        "REQUEST_METHOD": "GET", "PATH_INFO": path_info, "QUERY_STRING": "", "SERVER_NAME": "localhost",
        "SERVER_PORT": "8000", "HTTP_HOST": "localhost:8000", "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(b""), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    env.update(headers)
    return env


def drive(handler, path_info: str, headers: dict[str, str], count: int) -> float:
    """Requests per second over ``count`` requests; every answer must be 200."""

    def start_response(status, response_headers, exc_info=None):
        if not status.startswith("200"):
            raise SystemExit(f"unexpected answer {status} from {path_info}")

    started = time.perf_counter()
    for _ in range(count):
        body = handler(environ(path_info, headers), start_response)
        b"".join(body)
        if hasattr(body, "close"):
            body.close()
    return count / (time.perf_counter() - started)


# ---------------------------------------------------------------- the bare variant
_BARE_USER: User | None = None


class FixedUser(BaseAuthentication):
    """Authentication switched off: every request is the benchmark user, with nothing checked."""

    def authenticate(self, request):
        return copy.copy(_BARE_USER), None


class BareMeApi(MeApi):
    authentication_classes = [FixedUser]
    permission_classes = [AllowAny]


urlpatterns = [path("api/v1/me", BareMeApi.as_view())]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="requests per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; the median is reported")
    args = parser.parse_args()

    global _BARE_USER
    tenant, secret = _setup.bench_tenant("bench-auth", "Bench Auth Oil")
    with schema_context(tenant.schema_name):
        user = User.objects.get(email="admin@bench-auth.bench")
        token = token_pair_issue(user=user, tenant_public_id=tenant.public_id).access
        _BARE_USER = User.objects.get(pk=user.pk)
        # The view gets what authentication hands it in the full stack: the user with its
        # permissions already loaded (accounts.authentication caches them with the user).
        _BARE_USER.get_all_permissions()

    full_headers = {"HTTP_X_TENANT_ID": tenant.public_id, "HTTP_X_TENANT_SECRET": secret,
                    "HTTP_AUTHORIZATION": f"Bearer {token}"}
    full = WSGIHandler()
    # Everything else in the stack (sessions, CSRF, security headers...) stays in both.
    switched_off = {"accounts.middleware.TenantRejectionAuditMiddleware", "tenants.middleware.TenantResolutionMiddleware",
                    "accounts.middleware.SessionTenantBindingMiddleware"}
    with override_settings(MIDDLEWARE=[m for m in settings.MIDDLEWARE if m not in switched_off],
                           ROOT_URLCONF=__name__):
        bare = WSGIHandler()

    warm = max(200, args.requests // 10)
    drive(full, "/api/v1/me", full_headers, warm)
    full_rates, bare_rates = [], []
    for _ in range(args.rounds):
        connection.set_schema_to_public()
        full_rates.append(drive(full, "/api/v1/me", full_headers, args.requests))
        connection.set_tenant(tenant)  # the bare handler has no middleware to do it
        with override_settings(ROOT_URLCONF=__name__):
            drive(bare, "/api/v1/me", {}, warm // 4)
            bare_rates.append(drive(bare, "/api/v1/me", {}, args.requests))
    connection.set_schema_to_public()

    directory.clear()  # a cold process: the first check pays Argon2
    verified_secrets.clear()
    entry = directory.by_public_id(tenant.public_id)
    started = time.perf_counter()
    assert secret_verify(entry=entry, presented=secret) is not None
    first_check = time.perf_counter() - started
    checks = 20_000
    started = time.perf_counter()
    for _ in range(checks):
        secret_verify(entry=entry, presented=secret)
    cached_check = (time.perf_counter() - started) / checks

    full_rps, bare_rps = statistics.median(full_rates), statistics.median(bare_rates)
    print(f"requests per measurement: {args.requests}, rounds: {args.rounds} (median reported)")
    print(f"full stack  GET /api/v1/me (tenant ID + secret + JWT): {full_rps:8.0f} req/s  "
          f"rounds {', '.join(f'{r:.0f}' for r in full_rates)}")
    print(f"bare        GET /api/v1/me (no tenant middleware/auth): {bare_rps:8.0f} req/s  "
          f"rounds {', '.join(f'{r:.0f}' for r in bare_rates)}")
    print(f"ratio full/bare: {full_rps / bare_rps:.1%}  (target >= 85%)")
    print(f"tenant-secret check: first (Argon2) {first_check * 1000:.1f} ms, "
          f"after it {cached_check * 1e6:.1f} us per request  (target < 200 us)")


if __name__ == "__main__":
    main()
