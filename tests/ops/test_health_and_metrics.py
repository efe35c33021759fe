"""/healthz, /readyz and /metrics in-process (API.md section 12): the answers, the token, the
labels (route templates, no tenant), and the sync figures read from the database."""

from __future__ import annotations

import re
import uuid

import pytest
from django.db import connection

from config import health
from sync import metrics as sync_metrics
from tests.config.conftest import credentials
from tests.sync.conftest import production

TOKEN = "metrics-token-for-the-test-0123456789"


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus text, or None."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.fullmatch(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(3) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match.group(4))
    return None


@pytest.fixture(autouse=True)
def _fresh_figures():
    sync_metrics.sync_collector.clear()
    yield
    sync_metrics.sync_collector.clear()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "acme.localhost", "not-allowed.example"])
def test_healthz_answers_on_any_host_without_the_database(client, host, django_assert_num_queries, db):
    with django_assert_num_queries(0):
        response = client.get("/healthz", HTTP_HOST=host)
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert response["X-Request-ID"]


def test_readyz_checks_the_database_and_redis(client, db):
    response = client.get("/readyz", HTTP_HOST="whatever.example")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


def test_readyz_is_503_naming_redis_when_redis_does_not_answer(client, db, settings, monkeypatch):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    monkeypatch.setattr(health, "_redis_client", None)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "ok", "redis": "unavailable"}}
    monkeypatch.setattr(health, "_redis_client", None)  # the next test gets a client for the real Redis


def test_health_paths_answer_get_only(client, db):
    response = client.post("/readyz")
    assert response.status_code == 405 and response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"])
def test_metrics_need_the_token_when_one_is_set(client, settings, authorization, db):
    settings.METRICS_TOKEN = TOKEN
    extra = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = client.get("/metrics", **extra)
    assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_credentials"
    assert b"pumpjack_" not in response.content


def test_metrics_with_the_token_list_every_metric_of_the_contract(client, settings, tenant_a, db):
    settings.METRICS_TOKEN = TOKEN
    client.get("/api/v1/me", **credentials(tenant_a))
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    for name in ("pumpjack_http_requests_total", "pumpjack_http_request_duration_seconds_bucket",
                 "pumpjack_sync_events_total", "pumpjack_sync_batches", "pumpjack_sync_oldest_pending_seconds",
                 "pumpjack_conflicts_pending", "pumpjack_tenant_database_up"):
        assert f"# TYPE {name.removesuffix('_total').removesuffix('_bucket')}" in text or name in text, name
    assert sample(text, "pumpjack_http_requests_total", method="GET", route="/api/v1/me", status="200") >= 1


def test_request_metrics_are_by_route_template_never_raw_path_or_tenant(client, tenant_a, db):
    missing = uuid.uuid4()
    before = sample(client.get("/metrics").content.decode(), "pumpjack_http_requests_total",
                    method="GET", route="/api/v1/wells/<str:well_id>/", status="404") or 0
    assert client.get(f"/api/v1/wells/{missing}/", **credentials(tenant_a)).status_code == 404
    client.get("/no/such/page/" + "x" * 50, **tenant_a.headers())
    text = client.get("/metrics").content.decode()
    after = sample(text, "pumpjack_http_requests_total", method="GET", route="/api/v1/wells/<str:well_id>/", status="404")
    assert after == before + 1
    assert sample(text, "pumpjack_http_request_duration_seconds_count", route="/api/v1/wells/<str:well_id>/") >= 1
    http_lines = [line for line in text.splitlines() if line.startswith("pumpjack_http_")]
    assert http_lines
    for line in http_lines:
        assert str(missing) not in line and "xxxxx" not in line
        assert tenant_a.public_id not in line and 'tenant="' not in line and 'tenantId' not in line
    assert sample(text, "pumpjack_http_requests_total", method="GET", route="unmatched", status="404") >= 1


def test_sync_figures_are_read_from_the_database(client, tenant_a, route, push, push_and_process, db):
    def figures():
        sync_metrics.sync_collector.clear()
        return client.get("/metrics").content.decode()

    before = figures()
    applied_before = sample(before, "pumpjack_sync_events_total", type="PRODUCTION_LOGGED", outcome="APPLIED") or 0
    push_and_process([production(route.well, 10), production(route.well, 12, product="GAS", unit="MCF")])
    queued = push([production(route.well, 5, day="2026-11-19")])  # stays QUEUED: no worker in this test
    assert queued.status_code == 202
    text = figures()
    assert sample(text, "pumpjack_sync_events_total", type="PRODUCTION_LOGGED", outcome="APPLIED") == applied_before + 2
    assert sample(text, "pumpjack_sync_events_total", type="PRODUCTION_LOGGED", outcome="PENDING") >= 1
    assert sample(text, "pumpjack_sync_batches", status="QUEUED") >= 1
    assert sample(text, "pumpjack_sync_batches", status="COMPLETED") >= 1
    with connection.cursor() as cursor:  # the queued batch was received a minute ago
        cursor.execute(f'UPDATE "{tenant_a.tenant.schema_name}".sync_syncbatch SET received_at = now() - '
                       "interval '60 seconds' WHERE id = %s", [queued.json()["batchId"]])
    assert sample(figures(), "pumpjack_sync_oldest_pending_seconds") >= 59


def test_sync_figures_are_cached_between_scrapes(client, settings, tenant_a, route, push, db):
    settings.METRICS_DATABASE_CACHE_SECONDS = 3600
    first = sample(client.get("/metrics").content.decode(), "pumpjack_sync_batches", status="QUEUED")
    assert push([production(route.well, 5)]).status_code == 202
    assert sample(client.get("/metrics").content.decode(), "pumpjack_sync_batches", status="QUEUED") == first
    sync_metrics.sync_collector.clear()
    assert sample(client.get("/metrics").content.decode(), "pumpjack_sync_batches", status="QUEUED") == first + 1


def test_metrics_live_on_the_base_domain_only(client, tenant_a, db):
    assert client.get("/metrics", HTTP_HOST="localhost").status_code == 200
    on_tenant_host = client.get("/metrics", HTTP_HOST=tenant_a.host)
    assert on_tenant_host.status_code == 404 and b"pumpjack_" not in on_tenant_host.content
    with_tenant_header = client.get("/metrics", **tenant_a.headers())
    assert with_tenant_header.status_code == 404 and b"pumpjack_" not in with_tenant_header.content
