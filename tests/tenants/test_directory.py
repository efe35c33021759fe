"""The tenant directory: cached lookups, and a bounded fallback when Redis cannot be asked."""

import time

import pytest

from tenants import directory as directory_module
from tenants.directory import directory

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_unreachable(settings, tmp_path):
    settings.REDIS_URL = f"unix://{tmp_path}/nobody-listens.sock"
    directory_module._generation_client.cache_clear()
    listener = directory_module._listener
    listener.subscribed.clear()  # as when the listener's connection drops with Redis
    yield
    directory_module._generation_client.cache_clear()
    if listener._thread is not None and listener._thread.is_alive():
        listener.subscribed.set()


def test_without_redis_cached_tenants_are_trusted_for_a_bounded_time(tenant_a, settings, redis_unreachable):
    settings.TENANT_CACHE_FALLBACK_SECONDS = 1
    directory.refresh()
    entry = directory.by_public_id(tenant_a.public_id)
    directory.refresh()
    assert directory.by_public_id(tenant_a.public_id) is entry  # still trusted
    time.sleep(1.1)
    directory.refresh()
    reloaded = directory.by_public_id(tenant_a.public_id)
    assert reloaded is not None and reloaded is not entry  # re-read from the registry


def test_requests_still_work_while_redis_is_down(client, tenant_a, redis_unreachable):
    from tests.factories import api_login

    tokens = api_login(client, tenant_a)
    assert client.get("/api/v1/me", **tenant_a.headers(token=tokens["access"])).status_code == 200


def test_unknown_identifiers_are_remembered_without_growing_forever(monkeypatch):
    monkeypatch.setattr(directory_module, "_MAX_ENTRIES", 50)
    for n in range(120):
        assert directory.by_public_id(f"NOPE-{n:06d}") is None
    assert len(directory._by_public_id) <= 50


def test_a_change_published_by_another_process_reaches_this_one_without_asking(tenant_a, live_env):
    """The listener thread hears the change: the next lookup reloads, with no Redis call per request."""
    directory.refresh()
    assert directory_module._listener.subscribed.wait(5)
    first = directory.by_public_id(tenant_a.public_id)
    assert directory.by_public_id(tenant_a.public_id) is first
    live_env.manage("shell", "-c", "from tenants.directory import bump_generation; bump_generation()")
    deadline = time.monotonic() + 5
    while directory._by_public_id and time.monotonic() < deadline:
        time.sleep(0.01)
    assert directory.by_public_id(tenant_a.public_id) is not first


def test_a_web_worker_moves_loaded_tenants_out_of_the_garbage_collectors_way(tenant_a, tenant_b, monkeypatch):
    """Entries a worker holds for long are frozen in batches (config/wsgi.py turns it on), so full
    collections do not walk them again and again; the batch before is thawed and collected first."""
    import gc

    from tenants.directory import TenantDirectory, directory

    monkeypatch.setattr(TenantDirectory, "freeze_entries_every", 2)
    gc.unfreeze()
    try:
        directory.clear()
        directory.by_public_id(tenant_a.public_id)
        assert gc.get_freeze_count() == 0
        directory.by_public_id(tenant_b.public_id)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
