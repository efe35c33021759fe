"""A download abandoned mid-stream on a real server (``manage.py runserver`` in a child process,
started with the portal tests' ``serve``; no browser needed): the server's database connection is left
with no open cursor and no open transaction, and the next download on the server is whole."""

from __future__ import annotations

import http.client
import socket
import time
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.factories import make_tenant
from tests.portal.conftest import serve

pytestmark = pytest.mark.django_db
ROWS = 30_000  # about 8 MB of CSV: more than the sockets between the server and this test hold


@pytest.fixture(scope="module")
def export_tenant(django_db_setup, django_db_blocker):
    from accounts.models import Role, User
    from accounts.tokens import access_token_issue
    from wells.models import ProductionRecord, Well

    with django_db_blocker.unblock():
        handle = make_tenant(name="Export Live Energy", slug="exportlive")
        with schema_context(handle.tenant.schema_name):
            wells = Well.objects.bulk_create([Well(api_number=f"4232900{n:03d}0000", name=f"Live {n}") for n in range(100)])
            ProductionRecord.objects.bulk_create([
                ProductionRecord(well=wells[n % 100], production_date=date(2025, 1, 1) + timedelta(days=n // 100),
                                 product="OIL", volume=D(n % 500) / 4, unit="BBL", volume_normalized=D(n % 500) / 4,
                                 downtime_reason="a note long enough to make each row a few hundred bytes " * 2)
                for n in range(ROWS)], batch_size=5000)
            manager = User.objects.get(email=handle.users[Role.MANAGER])
            token = access_token_issue(user=manager, tenant_public_id=handle.public_id, now=timezone.now())
    return handle, token


def _export_backends(database: str) -> list[tuple[str, str]]:
    """(state, query) of the server's connections that ran an export's cursor."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # inside the test's transaction it would stay as first read
        cursor.execute("SELECT state, query FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
                       "AND query LIKE %s", [database, "%_django_curs_%"])
        return cursor.fetchall()


def _until(condition, what: str, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _request(port: int, handle, token: str):
    """(the socket, the response) of a download."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/api/v1/exports/production.csv", headers={
        "Host": handle.host, **{k[5:].replace("_", "-"): v for k, v in handle.headers(token=token).items()}})
    sock = conn.sock
    return sock, conn.getresponse()


@pytest.fixture(scope="module")
def port(export_tenant, live_env):
    """A server of this module's own (not the browser tests' site, whose tenant this test does not need)."""
    with serve(live_env.env, ready_host=export_tenant[0].host) as port:
        yield port


def test_a_download_abandoned_mid_stream_leaves_the_server_connection_clean(port, export_tenant):
    handle, token = export_tenant
    database = connection.settings_dict["NAME"]
    sock, response = _request(port, handle, token)
    assert response.status == 200 and response.getheader("Content-Type") == "text/csv; charset=utf-8"
    assert response.read1(65536).startswith(b"id,wellId,apiNumber,")
    # Mid-stream: the server holds the export's cursor in its read-only transaction.
    _until(lambda: any(state == "idle in transaction" or state == "active" for state, _ in _export_backends(database)),
           "the server's export cursor")
    sock.shutdown(socket.SHUT_RDWR)  # the client goes away
    sock.close()
    response.close()
    _until(lambda: all(state not in ("idle in transaction", "active", "idle in transaction (aborted)")
                       for state, _ in _export_backends(database)),
           "the server to close the cursor and end its transaction")
    # The next download on the same server is whole.
    sock, response = _request(port, handle, token)
    body = response.read()
    response.close()
    sock.close()
    assert response.status == 200 and body.count(b"\r\n") == ROWS + 1
