"""The tenant ADMIN's secrets page: list (never a hash), issue, rotate with a grace period, expire;
a new secret is shown once, on the result page, and is gone on reload. Every change is audited."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

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


# --------------------------------------------------------------------------- safer rotation


def _hidden_values(html: str) -> dict:
    form = re.search(r'<form method="post" action="/settings/secrets/rotate/" id="secret-rotate-confirm">(.*?)</form>',
                     html, re.S).group(1)
    return {name: value for name, value in
            re.findall(r'<input type="hidden" name="([^"]+)"(?: value="([^"]*)")?', form)}


def test_the_rotate_form_defaults_to_a_24_hour_grace_period(admin):
    html = admin.get("/settings/secrets/").content.decode()
    field = re.search(r'<input[^>]*id="rotate-grace_hours"[^>]*>', html).group(0)
    assert 'value="24"' in field
    assert 'name="confirmed"' in html and 'type="hidden"' in html


def test_a_rotation_asks_for_confirmation_on_the_server_first(admin, tenant_a, in_tenant):
    before = timezone.now()
    first = admin.submit("/settings/secrets/rotate/", {"secret": "", "grace_hours": "", "label": "fleet C"})
    assert first.status_code == 200
    html = first.content.decode()
    assert "Rotate the tenant secret?" in html and "Yes, rotate" in html
    assert "keeps working for 24 hours" in html and 'A new secret labelled "fleet C"' in unescape(html)
    # Nothing happened yet.
    assert TenantSecret.objects.filter(tenant=tenant_a.tenant).count() == 1
    assert not audit(tenant_a, in_tenant, "SECRET_ROTATED")
    assert admin.get("/settings/secrets/new/").content.count(b"tenant-secret") == 0
    values = _hidden_values(html)
    assert values == {"csrfmiddlewaretoken": values["csrfmiddlewaretoken"], "secret": "", "grace_hours": "24",
                      "label": "fleet C", "confirmed": "True"}
    values.pop("csrfmiddlewaretoken")
    second = admin.submit("/settings/secrets/rotate/", values)
    assert second.status_code == 302 and second["Location"] == "/settings/secrets/new/"
    assert b"stops working in 24 hours" in admin.get("/settings/secrets/new/").content
    old = TenantSecret.objects.get(tenant=tenant_a.tenant, label="default")
    assert before + timedelta(hours=24) <= old.expires_at <= timezone.now() + timedelta(hours=24)
    (event,) = audit(tenant_a, in_tenant, "SECRET_ROTATED")
    assert event.detail["grace_hours"] == 24.0


def test_the_confirm_step_says_when_a_rotation_without_grace_cuts_devices_off(admin, tenant_a):
    html = admin.submit("/settings/secrets/rotate/", {"secret": "", "grace_hours": "0"}).content.decode()
    assert "stops working at once" in html
    assert TenantSecret.objects.get(tenant=tenant_a.tenant).expires_at is None


def test_the_new_secret_has_a_copy_button_and_a_qr_code_for_the_field_app(admin, tenant_a):
    from urllib.parse import quote

    import segno

    admin.submit("/settings/secrets/rotate/", {"secret": "", "grace_hours": "1", "confirmed": "True"})
    shown = admin.get("/settings/secrets/new/")
    html = shown.content.decode()
    secret = SECRET.search(shown.content).group(1).decode()
    # The copy button: a script of this origin (the CSP allows no inline script), none inline.
    assert 'data-copy-target="tenant-secret"' in html
    assert '<script src="/static/accounts/secret.js" defer></script>' in html
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert "script-src 'self'" in shown["Content-Security-Policy"]
    script = admin.get("/static/accounts/secret.js")
    assert script.status_code == 200 and b"navigator.clipboard" in b"".join(script.streaming_content)
    # The QR code: inline SVG from segno of the field app's address with the secret in the fragment.
    svg = re.search(r'<div id="field-qr">(<svg.*?</svg>)</div>', html, re.S).group(1)
    url = f"http://{tenant_a.host}/field/#secret={quote(secret, safe='')}"
    expected = segno.make(url, error="m")
    assert svg == expected.svg_inline(scale=5, border=4, dark="#000", light="#fff",
                                      title="QR code for the field app", svgclass="field-qr", lineclass=None)
    assert segno.make(f"http://{tenant_a.host}/field/#secret={'0' * 64}", error="m").svg_inline(
        scale=5, border=4, dark="#000", light="#fff", title="QR code for the field app", svgclass="field-qr",
        lineclass=None) != svg  # the code depends on the secret: not a fixed picture
    # Decoded back: the SVG's dark modules are the matrix of that very URL.
    assert _svg_modules(svg) == {(x, y) for y, row in enumerate(expected.matrix)
                                 for x, dark in enumerate(row) if dark}
    again = admin.get("/settings/secrets/new/").content.decode()
    assert "field-qr" not in again and secret not in again


def _svg_modules(svg: str) -> set[tuple[int, int]]:
    """The dark modules an SVG path of horizontal runs draws (segno's 'M x y h n m dx dy ...')."""
    path = re.search(r'<path stroke="#000" d="([^"]+)"', svg).group(1)
    cells, x, y = set(), 0.0, 0.0
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path.replace("m", " m").replace("h", " h")):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            for i in range(int(float(a))):
                cells.add((int(x) + i - 4, int(y - 0.5) - 4))
            x += float(a)
    return cells
