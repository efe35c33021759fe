"""Retries, backoff and token refresh of the field client, against a tiny scripted HTTP server on
127.0.0.1 (the HTTP layer is real); the sleep and the clock are injected, so nothing waits."""

from __future__ import annotations

import json
import random
import time
import uuid
from email.utils import formatdate

import pytest

from sync.client.backoff import Backoff, retry_after_seconds
from sync.client.engine import FieldClient
from sync.client.errors import CredentialsRejected, ServerUnreachable
from sync.client.profile import Credentials, CredentialsFile
from tests.client.harness import ScriptedServer

BATCHES = "/api/v1/sync/batches"
REFRESH = "/api/v1/auth/refresh"


class FakeTime:
    """A monotonic clock that only moves when something sleeps."""

    def __init__(self):
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def accepted(request) -> dict:
    ids = [e["id"] for e in json.loads(request["body"])["events"]]
    return {"batchId": str(uuid.uuid4()), "status": "QUEUED", "statusUrl": "/x", "accepted": ids, "duplicates": [],
            "rejected": []}


def error(code: str) -> dict:
    return {"error": {"code": code, "message": code.replace("_", " "), "details": {}}}


@pytest.fixture
def fake_time():
    return FakeTime()


def device(tmp_path, server: ScriptedServer, fake_time: FakeTime, *, expires_in: float = 900, **policy) -> FieldClient:
    folder = tmp_path / "device"
    CredentialsFile(folder).save(Credentials(tenant_id="ACME-ABC123", tenant_secret="a" * 64, refresh="refresh-0",
                                             access="access-0", access_expires_at=time.time() + expires_in))
    backoff = Backoff(**{"base": 0.5, "cap": 30, "max_attempts": 6, "max_elapsed": 300, **policy},
                      sleep=fake_time.sleep, clock=fake_time.clock, rng=random.Random(7))
    client = FieldClient(folder, server=server.url, backoff=backoff, sleep=fake_time.sleep, clock=fake_time.clock)
    client.store.set_meta({"user_id": "u1"})
    for n in range(3):
        client.store.record(event_type="NOTES_ADDED", user_id="u1",
                            payload={"wellId": str(uuid.uuid4()), "notes": f"n{n}", "recordedAt": "2026-11-20T15:00:00Z"})
    return client


def test_exponential_delays_with_full_jitter_stay_under_their_cap():
    policy = Backoff(base=0.5, cap=8, rng=random.Random(1))
    for attempt in range(1, 10):
        for _ in range(50):
            assert 0 <= policy.delay(attempt) <= min(8, 0.5 * 2 ** (attempt - 1))
    assert len({round(policy.delay(5), 6) for _ in range(20)}) > 10  # jittered, not fixed


def test_retry_after_is_read_as_seconds_or_as_an_http_date():
    assert retry_after_seconds("7") == 7
    assert retry_after_seconds(formatdate(1_000_030, usegmt=True), now=lambda: 1_000_000) == pytest.approx(30)
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_503_and_429_are_retried_after_retry_after_then_the_202_marks_the_events_synced(tmp_path, fake_time):
    server = ScriptedServer({BATCHES: [(503, {"Retry-After": "3"}, error("unavailable")),
                                       (429, {"Retry-After": "1"}, error("throttled")), (202, {}, accepted)]})
    client = device(tmp_path, server, fake_time)
    try:
        report = client.push()
    finally:
        server.close()
    assert report.accepted == 3
    assert len(fake_time.slept) == 2
    assert 3 <= fake_time.slept[0] <= 3.3 and 1 <= fake_time.slept[1] <= 1.1  # Retry-After, plus <10% jitter
    posts = [r for r in server.requests if r["path"] == BATCHES]
    assert len(posts) == 3 and len({r["body"] for r in posts}) == 1  # the very same batch each time
    assert all(r["headers"]["Authorization"] == "Bearer access-0" for r in posts)
    assert json.loads(posts[0]["body"])["device"]["platform"] == "cli"
    assert tuple(client.store.db.execute("SELECT count(*), min(sync_attempts) FROM events WHERE synced = 1").fetchone()) == (3, 3)


def test_a_server_down_for_good_is_given_up_after_the_last_try_and_nothing_is_marked(tmp_path, fake_time):
    server = ScriptedServer({BATCHES: [(502, {}, error("bad_gateway"))]})
    client = device(tmp_path, server, fake_time, max_attempts=4)
    try:
        with pytest.raises(ServerUnreachable, match="nothing recorded is lost"):
            client.push()
    finally:
        server.close()
    assert len(server.requests) == 4 and len(fake_time.slept) == 3
    assert all(0 <= d <= 0.5 * 2 ** n for n, d in enumerate(fake_time.slept))
    row = client.store.db.execute("SELECT sum(synced), min(sync_attempts), min(last_error) FROM events").fetchone()
    assert row[0] == 0 and row[1] == 4 and "502" in row[2]


def test_a_retry_after_longer_than_the_policy_accepts_gives_up_at_once(tmp_path, fake_time):
    server = ScriptedServer({BATCHES: [(503, {"Retry-After": "3600"}, error("unavailable"))]})
    client = device(tmp_path, server, fake_time)
    try:
        with pytest.raises(ServerUnreachable):
            client.push()
    finally:
        server.close()
    assert len(server.requests) == 1 and fake_time.slept == []


def test_an_access_token_about_to_expire_is_refreshed_first_and_the_new_pair_is_kept(tmp_path, fake_time):
    server = ScriptedServer({REFRESH: [(200, {}, {"access": "access-1", "refresh": "refresh-1",
                                                  "accessExpiresIn": 900})],
                             BATCHES: [(202, {}, accepted)]})
    client = device(tmp_path, server, fake_time, expires_in=30)
    try:
        client.push()
    finally:
        server.close()
    assert [r["path"] for r in server.requests] == [REFRESH, BATCHES]
    assert json.loads(server.requests[0]["body"]) == {"refresh": "refresh-0"}
    assert server.requests[0]["headers"]["X-Tenant-Secret"] == "a" * 64
    assert server.requests[1]["headers"]["Authorization"] == "Bearer access-1"
    assert CredentialsFile(client.folder).load().refresh == "refresh-1"


def test_401_token_expired_refreshes_once_and_resends(tmp_path, fake_time):
    server = ScriptedServer({REFRESH: [(200, {}, {"access": "access-1", "refresh": "refresh-1",
                                                  "accessExpiresIn": 900})],
                             BATCHES: [(401, {}, error("token_expired")), (202, {}, accepted)]})
    client = device(tmp_path, server, fake_time)
    try:
        assert client.push().accepted == 3
    finally:
        server.close()
    assert [r["path"] for r in server.requests] == [BATCHES, REFRESH, BATCHES]
    assert server.requests[2]["headers"]["Authorization"] == "Bearer access-1"


def test_401_at_refresh_says_to_get_the_new_secret_and_keeps_the_tenant_credentials(tmp_path, fake_time):
    server = ScriptedServer({REFRESH: [(401, {}, error("invalid_credentials"))],
                             BATCHES: [(401, {}, error("token_expired"))]})
    client = device(tmp_path, server, fake_time)
    try:
        with pytest.raises(CredentialsRejected, match="secret from your admin.*pumpjack-field login"):
            client.push()
    finally:
        server.close()
    kept = CredentialsFile(client.folder).load()
    assert (kept.tenant_id, kept.access) == ("ACME-ABC123", "")  # the next command asks again, same advice
    assert client.store.db.execute("SELECT sum(synced) FROM events").fetchone()[0] == 0


def test_a_500_for_a_large_request_is_tried_twice_then_the_request_is_split(tmp_path, fake_time):
    server = ScriptedServer({BATCHES: [(500, {}, error("internal_error")), (500, {}, error("internal_error")),
                                       (202, {}, accepted)]})
    client = device(tmp_path, server, fake_time)
    try:
        report = client.push()
    finally:
        server.close()
    assert report.accepted == 3 and len(report.shrunk) == 1 and report.shrunk[0]["status"] == 500
    sizes = [len(json.loads(r["body"])["events"]) for r in server.requests]
    assert sizes[:2] == [3, 3] and sizes[2] < 3 and sum(sizes[2:]) == 3
