"""A tenant whose own database is down answers 503 unavailable within 2 seconds (sync intake
included, so devices keep their events); every other tenant is unaffected; when the database
comes back, service resumes without a restart. The database is taken down with a TCP proxy in
front of the real server (tests/proxy.py): refused connections, cut connections, and a host
that accepts and never answers."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone as dt_timezone

import pytest
from django.conf import settings

from tests import servers
from tests.factories import api_login, make_tenant
from tests.proxy import Proxy

pytestmark = [pytest.mark.schema_only, pytest.mark.django_db(databases="__all__")]


def _proxied_url(engine: str, name: str) -> tuple[str, Proxy]:
    if engine == "postgresql":
        servers.pg_database_create(name)
        db = settings.DATABASES["default"]
        host, port = db["HOST"], int(db.get("PORT") or 5432)
        proxy = Proxy(f"{host}/.s.PGSQL.{port}" if host.startswith("/") else (host, port))
        user = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        return f"postgresql://{user}@127.0.0.1:{proxy.port}/{name}", proxy
    url = servers.require_mariadb()
    servers.mariadb_database_create(url, name)
    params = servers.mariadb_params(url)
    proxy = Proxy((params["host"], params["port"]))
    auth = url.split("://", 1)[1].rsplit("@", 1)[0]
    return f"mysql://{auth}@127.0.0.1:{proxy.port}/{name}", proxy


@pytest.fixture(params=["postgresql", "mariadb"])
def fragile(request, db):
    """A DATABASE tenant reached through a proxy the test can take down."""
    name = f"test_pumpjack_{settings.TEST_RUN_ID}_fragile_{request.param[:2]}"
    url, proxy = _proxied_url(request.param, name)
    handle = make_tenant(name="Fragile Fields", slug=f"fragile-{request.param[:2]}", database_url=url)
    yield handle, proxy
    proxy.up()
    from tenants.databases import tenant_databases

    tenant_databases.forget_tenant(handle.tenant)
    proxy.close()
    if request.param == "postgresql":
        servers.pg_database_drop(name)
    else:
        servers.mariadb_database_drop(servers.require_mariadb(), name)


def timed(call):
    started = time.perf_counter()
    response = call()
    return response, time.perf_counter() - started


def wells(client, handle, token):
    return client.get("/api/v1/wells/", **handle.headers(token=token))


def push(client, handle, token):
    now = datetime.now(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {"device": {"deviceId": "fragile-device", "platform": "android"},
            "events": [{"id": str(uuid.uuid4()), "type": "NOTE_ADDED", "occurredAt": now,
                        "payload": {"wellId": str(uuid.uuid4()), "text": "kept on the device"}}]}
    return client.post("/api/v1/sync/batches", body, content_type="application/json",
                       **handle.headers(token=token))


def assert_unavailable(response, seconds: float) -> None:
    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "unavailable"
    assert int(response["Retry-After"]) >= 1
    assert seconds < 2.0, f"took {seconds:.2f} s"


@pytest.mark.parametrize("outage", ["refused", "hanging"])
def test_a_tenant_whose_database_is_down_answers_503_fast_and_others_carry_on(client, fragile, tenant_a, outage):
    handle, proxy = fragile
    token = api_login(client, handle)["access"]
    other_token = api_login(client, tenant_a)["access"]
    assert wells(client, handle, token).status_code == 200

    proxy.down() if outage == "refused" else proxy.hang()

    for call in (lambda: wells(client, handle, token), lambda: push(client, handle, token),
                 lambda: wells(client, handle, token)):
        response, seconds = timed(call)
        assert_unavailable(response, seconds)
    # The other tenant is served as usual, while the outage lasts.
    response, seconds = timed(lambda: wells(client, tenant_a, other_token))
    assert response.status_code == 200 and seconds < 1.0
    # The portal too answers 503, with a page, not a server error.
    page = client.get("/login/", HTTP_HOST=handle.host)
    assert page.status_code == 503 and b"Temporarily unavailable" in page.content

    proxy.up()
    deadline = time.monotonic() + settings.TENANT_DATABASE_RETRY_SECONDS + 5
    while (response := wells(client, handle, token)).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert response.status_code == 200, "service did not resume once the database was back"
    assert push(client, handle, token).status_code == 202


def test_the_periodic_jobs_go_on_for_every_other_tenant_while_one_tenants_database_is_down(fragile):
    """A DATABASE tenant whose server is down no longer stops a sweep for the tenants after it."""
    from datetime import timedelta

    from django.utils import timezone
    from django_tenants.utils import schema_context

    from accounts.models import RefreshToken, User
    from accounts.tasks import prune_refresh_tokens
    from sync.etl.tasks import etl_schedule

    handle, proxy = fragile
    # A fixed slug: a random one could make the test password "too similar to the email".
    healthy = make_tenant(name="Healthy Fields", slug=f"healthy-{handle.tenant.slug.rsplit('-', 1)[-1]}")
    with schema_context(healthy.tenant.schema_name):
        user = User.objects.get(email=healthy.admin_email)
        stale = RefreshToken.objects.create(family=uuid.uuid4(), user=user,
                                            expires_at=timezone.now() - timedelta(days=3))
    proxy.down()
    assert prune_refresh_tokens() >= 1
    assert etl_schedule() == 0  # no source is due anywhere; the down tenant is skipped, not fatal
    with schema_context(healthy.tenant.schema_name):
        assert not RefreshToken.objects.filter(pk=stale.pk).exists()
