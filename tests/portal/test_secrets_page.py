"""The tenant ADMIN's secrets page: list (never a hash), issue, rotate with a grace period, expire;
a new secret is shown once, on the result page, and is gone on reload. Every change is audited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tenants.models import TenantSecret
from tenants.secrets import secret_matches

pytestmark = pytest.mark.django_db

SECRET = re.compile(rb'<code class="secret" id="tenant-secret">([0-9a-f]{64})</code>')


@pytest.fixture
def admin(portal_as):
    return portal_as("ADMIN")


def audit(handle, in_tenant, kind):
    from accounts.models import SecurityEvent

    with in_tenant(handle):
        return list(SecurityEvent.objects.filter(kind=kind, actor=handle.users["ADMIN"]))


def reveal_once(client) -> str:
    """Open the result page: it shows the new secret; a reload shows it no more."""
    shown = client.get("/settings/secrets/new/")
    assert shown.status_code == 200
    assert "no-store" in shown["Cache-Control"]
    secret = SECRET.search(shown.content).group(1).decode()
    again = client.get("/settings/secrets/new/")
    assert SECRET.search(again.content) is None and secret.encode() not in again.content
    assert b"There is no new secret to show" in again.content
    return secret


def test_the_page_lists_the_secrets_but_never_their_hashes(admin, tenant_a):
    response = admin.get("/settings/secrets/")
    assert response.status_code == 200
    stored = TenantSecret.objects.get(tenant=tenant_a.tenant)
    html = response.content.decode()
    assert 'data-secret-label="default"' in html and "provisioning" in html and "never" in html
    assert stored.secret_hash not in html and "argon2" not in html
    assert tenant_a.secret not in html
    assert tenant_a.public_id in html


def test_an_admin_issues_a_secret_sees_it_once_and_it_is_audited(admin, tenant_a, in_tenant):
    response = admin.submit("/settings/secrets/issue/", {"label": "Tablets 2027", "expires_at": ""})
    assert response.status_code == 302 and response["Location"] == "/settings/secrets/new/"
    secret = reveal_once(admin)
    issued = TenantSecret.objects.get(tenant=tenant_a.tenant, label="Tablets 2027")
    assert secret_matches(issued.secret_hash, secret) and issued.created_by == tenant_a.users["ADMIN"]
    assert issued.expires_at is None
    (event,) = audit(tenant_a, in_tenant, "SECRET_ISSUED")
    assert event.detail == {"label": "Tablets 2027"} and secret not in str(event.detail)
    listing = admin.get("/settings/secrets/").content.decode()
    assert 'data-secret-label="Tablets 2027"' in listing and secret not in listing


def test_an_expiry_is_read_in_the_tenant_s_time_zone(admin, tenant_a):
    local = timezone.localtime(timezone.now() + timedelta(days=30), timezone=_zone(tenant_a)).replace(
        second=0, microsecond=0)
    admin.submit("/settings/secrets/issue/", {"label": "Short-lived", "expires_at": local.strftime("%Y-%m-%dT%H:%M")})
    issued = TenantSecret.objects.get(tenant=tenant_a.tenant, label="Short-lived")
    assert issued.expires_at == local


def _zone(handle):
    import zoneinfo

    return zoneinfo.ZoneInfo(handle.tenant.time_zone)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [({"label": "", "expires_at": ""}, "label", "required"),
     ({"label": "Old", "expires_at": "2001-01-01T00:00"}, "expires_at", "must be in the future"),
     ({"label": "Odd", "expires_at": "tomorrow"}, "expires_at", "valid date/time")],
)
def test_issue_errors_are_shown_next_to_their_field(admin, tenant_a, in_tenant, data, field, message):
    response = admin.submit("/settings/secrets/issue/", data)
    assert response.status_code == 400
    error = re.search(rf'data-field-error="{field}">(.*?)</div>', response.content.decode(), re.S)
    assert error and message in error.group(1)
    assert TenantSecret.objects.filter(tenant=tenant_a.tenant).count() == 1
    assert not audit(tenant_a, in_tenant, "SECRET_ISSUED")
    assert admin.get("/settings/secrets/new/").content.count(b"tenant-secret") == 0


def test_an_admin_rotates_with_a_grace_period_and_it_is_audited(admin, tenant_a, in_tenant):
    old = TenantSecret.objects.get(tenant=tenant_a.tenant)
    before = timezone.now()
    response = admin.submit("/settings/secrets/rotate/", {"secret": "", "grace_hours": "2", "label": "fleet B",
                                                          "confirmed": "True"})
    assert response.status_code == 302 and response["Location"] == "/settings/secrets/new/"
    shown = admin.get("/settings/secrets/new/")
    assert b"Every secret that was active stops working in 2 hours." in shown.content
    secret = SECRET.search(shown.content).group(1).decode()
    new = TenantSecret.objects.get(tenant=tenant_a.tenant, label="fleet B")
    assert secret_matches(new.secret_hash, secret)
    old.refresh_from_db()
    assert old.replaced_by == new
    assert before + timedelta(hours=2) <= old.expires_at <= timezone.now() + timedelta(hours=2)
    (event,) = audit(tenant_a, in_tenant, "SECRET_ROTATED")
    assert event.detail == {"label": "fleet B", "replaced": 1, "grace_hours": 2.0}


def test_a_rotation_can_replace_one_chosen_secret_at_once(admin, tenant_a):
    from accounts.tenant_secrets import tenant_secret_issue

    tenant_secret_issue(tenant=tenant_a.tenant, label="keep me")
    default = TenantSecret.objects.get(tenant=tenant_a.tenant, label="default")
    assert admin.submit("/settings/secrets/rotate/", {"secret": str(default.pk), "grace_hours": "0",
                                                      "confirmed": "True"}).status_code == 302
    reveal_once(admin)
    default.refresh_from_db()
    assert default.expires_at <= timezone.now()
    assert TenantSecret.objects.get(tenant=tenant_a.tenant, label="keep me").expires_at is None


def test_a_grace_period_beyond_30_days_is_refused_next_to_its_field(admin, tenant_a):
    response = admin.submit("/settings/secrets/rotate/", {"grace_hours": "1000"})
    assert response.status_code == 400
    assert re.search(rb'data-field-error="grace_hours">.*?720', response.content, re.S)
    assert TenantSecret.objects.filter(tenant=tenant_a.tenant).count() == 1


def test_an_admin_expires_a_secret_and_it_is_audited(admin, tenant_a, in_tenant):
    from accounts.tenant_secrets import tenant_secret_issue

    tenant_secret_issue(tenant=tenant_a.tenant, label="lost tablet")
    lost = TenantSecret.objects.get(tenant=tenant_a.tenant, label="lost tablet")
    response = admin.submit(f"/settings/secrets/{lost.pk}/expire/")
    assert response.status_code == 302 and response["Location"] == "/settings/secrets/"
    lost.refresh_from_db()
    assert lost.expires_at <= timezone.now()
    (event,) = audit(tenant_a, in_tenant, "SECRET_EXPIRED")
    assert event.detail == {"label": "lost tablet"}
    page = admin.get("/settings/secrets/").content.decode()
    assert "has expired: devices using it are refused" in page
    lost_row = re.search(r'<tr data-secret-label="lost tablet">.*?</tr>', page, re.S).group(0)
    assert "expired" in lost_row and "Expire now" not in lost_row


def test_another_tenant_s_secret_cannot_be_expired_from_here(admin, tenant_b):
    theirs = TenantSecret.objects.get(tenant=tenant_b.tenant)
    response = admin.submit(f"/settings/secrets/{theirs.pk}/expire/")
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.expires_at is None
    assert b"No such secret" in admin.get("/settings/secrets/").content


def test_a_secret_is_not_shown_to_another_session(admin, portal_as, tenant_a):
    admin.submit("/settings/secrets/issue/", {"label": "mine"})
    other_admin_session = portal_as("ADMIN")
    assert SECRET.search(other_admin_session.get("/settings/secrets/new/").content) is None
    assert SECRET.search(admin.get("/settings/secrets/new/").content) is not None
