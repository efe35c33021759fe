"""Tenant secrets: several labelled, expiring secrets; rotation at once or after a grace period,
seen by this process and by another one; the fast path after the first Argon2 verification."""

import json
import time

import pytest
from django_tenants.utils import schema_context

from accounts.models import SecurityEvent
from tenants.directory import bump_generation, directory
from tenants.models import TenantSecret
from tenants.secrets import SECRET_FORMAT, secret_recall, secret_verify, verified_secrets
from accounts.tenant_secrets import tenant_secret_expire, tenant_secret_issue, tenant_secret_rotate
from tenants.models import Tenant
from tests.factories import TenantHandle, api_login

pytestmark = pytest.mark.django_db


def me_status(client, handle, secret, token):
    return client.get("/api/v1/me", **handle.headers(secret=secret, token=token)).status_code


def test_secrets_are_stored_only_as_argon2_hashes(tenant_a):
    rows = list(TenantSecret.objects.filter(tenant=tenant_a.tenant))
    assert rows
    for row in rows:
        assert row.secret_hash.startswith("$argon2id$")
        assert tenant_a.secret not in row.secret_hash
    assert SECRET_FORMAT.fullmatch(tenant_a.secret)


def test_a_tenant_may_hold_several_labelled_secrets_each_working(client, tenant_a):
    fleet = tenant_secret_issue(tenant=tenant_a.tenant, label="tablet fleet", actor="test")
    assert fleet != tenant_a.secret
    tokens = api_login(client, tenant_a)
    assert me_status(client, tenant_a, tenant_a.secret, tokens["access"]) == 200
    assert me_status(client, tenant_a, fleet, tokens["access"]) == 200
    labels = set(TenantSecret.objects.filter(tenant=tenant_a.tenant).values_list("label", flat=True))
    assert {"default", "tablet fleet"} <= labels


def test_an_expired_secret_stops_working(client, tenant_a):
    extra = tenant_secret_issue(tenant=tenant_a.tenant, label="short-lived", actor="test")
    tokens = api_login(client, tenant_a)
    assert me_status(client, tenant_a, extra, tokens["access"]) == 200
    row = TenantSecret.objects.get(tenant=tenant_a.tenant, label="short-lived")
    tenant_secret_expire(tenant=tenant_a.tenant, secret_id=row.pk, actor="test")
    assert me_status(client, tenant_a, extra, tokens["access"]) == 401
    assert me_status(client, tenant_a, tenant_a.secret, tokens["access"]) == 200


def test_rotation_invalidates_the_old_secret_at_once(client, tenant_a):
    tokens = api_login(client, tenant_a)
    assert me_status(client, tenant_a, tenant_a.secret, tokens["access"]) == 200  # now on the fast path
    new = tenant_secret_rotate(tenant=tenant_a.tenant, actor="test")
    assert me_status(client, tenant_a, tenant_a.secret, tokens["access"]) == 401
    assert me_status(client, tenant_a, new, tokens["access"]) == 200
    with schema_context(tenant_a.tenant.schema_name):
        row = SecurityEvent.objects.get(kind="SECRET_ROTATED")
    assert row.detail["grace_hours"] == 0 and new not in json.dumps(row.detail)


def test_rotation_with_a_grace_period_keeps_the_old_secret_until_it_ends(client, tenant_a):
    tokens = api_login(client, tenant_a)
    grace_seconds = 2.0
    new = tenant_secret_rotate(tenant=tenant_a.tenant, actor="test", grace_hours=grace_seconds / 3600)
    assert me_status(client, tenant_a, tenant_a.secret, tokens["access"]) == 200
    assert me_status(client, tenant_a, new, tokens["access"]) == 200
    time.sleep(grace_seconds + 0.2)
    assert me_status(client, tenant_a, tenant_a.secret, tokens["access"]) == 401
    assert me_status(client, tenant_a, new, tokens["access"]) == 200


def test_rotation_grace_period_bounds_are_checked(tenant_a):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        tenant_secret_rotate(tenant=tenant_a.tenant, grace_hours=-1)
    with pytest.raises(ValidationError):
        tenant_secret_rotate(tenant=tenant_a.tenant, grace_hours=10_000)


def test_after_the_first_verification_a_secret_is_checked_without_argon2(tenant_a):
    entry = directory.by_public_id(tenant_a.public_id)
    started = time.perf_counter()
    assert secret_verify(entry=entry, presented=tenant_a.secret) is not None
    first = time.perf_counter() - started
    remembered = len(verified_secrets)
    runs = 2000
    started = time.perf_counter()
    for _ in range(runs):
        assert secret_verify(entry=entry, presented=tenant_a.secret) is not None
    per_check = (time.perf_counter() - started) / runs
    # The remembered fingerprint is what answers: no new entry, and far cheaper than Argon2.
    assert len(verified_secrets) == remembered
    assert per_check < first / 10


def test_a_registry_change_does_not_send_a_known_secret_through_argon2_again(tenant_a, tenant_b):
    """Any registry change empties the tenant directory of every process; the secrets verified
    before it stay verified as long as the reloaded tenant still has them, unchanged."""
    entry = directory.by_public_id(tenant_a.public_id)
    assert secret_verify(entry=entry, presented=tenant_a.secret) is not None
    bump_generation()  # e.g. another tenant's user changed role
    reloaded = directory.by_public_id(tenant_a.public_id)
    assert reloaded is not entry
    assert secret_recall(entry=reloaded, presented=tenant_a.secret) is not None  # no Argon2 needed
    # Rotation replaces the secret: the remembered answer no longer holds.
    tenant_secret_rotate(tenant=tenant_a.tenant, actor="test")
    rotated = directory.by_public_id(tenant_a.public_id)
    assert secret_recall(entry=rotated, presented=tenant_a.secret) is None
    assert secret_verify(entry=rotated, presented=tenant_a.secret) is None


def test_a_wrong_secret_is_never_accepted_from_the_fast_path(tenant_a):
    entry = directory.by_public_id(tenant_a.public_id)
    wrong = "0" * 64
    assert secret_verify(entry=entry, presented=wrong) is None
    assert secret_verify(entry=entry, presented=wrong) is None  # remembered as wrong
    assert secret_verify(entry=entry, presented=tenant_a.secret) is not None


@pytest.mark.live
def test_rotation_by_another_process_is_seen_by_this_process_at_once(client, live_env):
    """This process caches a tenant's secret; a management command in another process rotates
    it; the very next request here must refuse the old secret (generation published in Redis)."""
    created = json.loads(live_env.manage(
        "create_tenant", "--name", "Rotation Check Oil", "--slug", "rotation-check",
        "--admin-email", "boss@rotation.test", "--admin-password", "Correct-Horse-Battery-9", "--json",
    ).stdout)
    handle = TenantHandle(tenant=Tenant.objects.get(public_id=created["tenantId"]), secret=created["secret"],
                          admin_email="boss@rotation.test", users={"OPERATOR": "boss@rotation.test"})
    tokens = api_login(client, handle)
    assert me_status(client, handle, handle.secret, tokens["access"]) == 200  # cached here now
    result = live_env.manage("rotate_tenant_secret", "--tenant", handle.public_id, "--json")
    new = json.loads(result.stdout)["secret"]
    assert me_status(client, handle, handle.secret, tokens["access"]) == 401
    assert me_status(client, handle, new, tokens["access"]) == 200


# --------------------------------------------------------------------------- last use


def _forget_use_notes(secret_ids):
    """As if the recording interval had passed: this process's memo and the shared cache key go."""
    from django.core.cache import cache

    from tenants import secrets as tenant_secrets

    for secret_id in secret_ids:
        tenant_secrets._use_noted.pop(secret_id, None)
        cache.delete(tenant_secrets._use_cache_key(secret_id))


def test_a_secret_s_last_use_is_written_at_most_once_per_interval(
        client, tenant_a, django_capture_on_commit_callbacks, django_assert_num_queries):
    from tenants.secrets import secret_use_note

    row = TenantSecret.objects.get(tenant=tenant_a.tenant, label="default")
    _forget_use_notes([row.pk])
    tokens = api_login(client, tenant_a)
    with django_capture_on_commit_callbacks(execute=True) as writes:
        for _ in range(5):
            assert me_status(client, tenant_a, tenant_a.secret, tokens["access"]) == 200
    assert len(writes) == 0  # the login above noted it already: nothing more in the interval
    row.refresh_from_db()
    first = row.last_used_at
    # The login's note was captured by no one (its commit is the test's): record one now.
    _forget_use_notes([row.pk])
    with django_capture_on_commit_callbacks(execute=True) as writes:
        for _ in range(5):
            assert me_status(client, tenant_a, tenant_a.secret, tokens["access"]) == 200
    assert len(writes) == 1
    row.refresh_from_db()
    assert row.last_used_at is not None and (first is None or row.last_used_at >= first)
    written = row.last_used_at
    # Within the interval a use costs no query and no cache write at all.
    with django_assert_num_queries(0), django_capture_on_commit_callbacks(execute=True) as writes:
        assert secret_use_note(row.pk) is False
    assert writes == []
    # Another process (its own memo empty) asks the shared cache, which says: already noted.
    from tenants import secrets as tenant_secrets

    tenant_secrets._use_noted.pop(row.pk, None)
    with django_capture_on_commit_callbacks(execute=True) as writes:
        assert secret_use_note(row.pk) is False
    assert writes == []
    # Once the interval has passed, the next use writes again.
    _forget_use_notes([row.pk])
    with django_capture_on_commit_callbacks(execute=True) as writes:
        assert secret_use_note(row.pk) is True
    assert len(writes) == 1
    row.refresh_from_db()
    assert row.last_used_at > written


def test_the_secrets_pages_show_when_each_secret_was_last_used(client, tenant_a, staff_client,
                                                             django_capture_on_commit_callbacks):
    from tests.portal.conftest import PortalClient
    from tests.factories import PASSWORD

    row = TenantSecret.objects.get(tenant=tenant_a.tenant, label="default")
    tenant_secret_issue(tenant=tenant_a.tenant, label="unused fleet", actor="test")
    _forget_use_notes([row.pk])
    with django_capture_on_commit_callbacks(execute=True):
        api_login(client, tenant_a)
    row.refresh_from_db()
    assert row.last_used_at is not None
    admin = PortalClient(tenant_a)
    admin.get("/login/")
    admin.submit("/login/", {"email": tenant_a.users["ADMIN"], "password": PASSWORD})
    html = admin.get("/settings/secrets/").content.decode()
    import re
    import zoneinfo

    from django.utils import timezone

    local = timezone.localtime(row.last_used_at, zoneinfo.ZoneInfo(tenant_a.tenant.time_zone))
    used = re.search(r'<tr data-secret-label="default">.*?<td data-last-used>(.*?)</td>', html, re.S).group(1)
    assert used == local.strftime("%Y-%m-%d %H:%M ") + local.tzname()
    unused = re.search(r'<tr data-secret-label="unused fleet">.*?<td data-last-used>(.*?)</td>', html, re.S).group(1)
    assert unused == "never"
    staff = staff_client.get(f"/admin/tenants/tenant/{tenant_a.tenant.pk}/secrets/").content.decode()
    assert "<th>Last used</th>" in staff
    assert timezone.localtime(row.last_used_at).strftime("%Y-%m-%d %H:%M") in staff  # the admin's own zone
