"""Invitations and password reset by e-mail (API.md section 16), through the portal and the API,
with Django's real mail outbox: the link in the message sets a password once, for 72 hours, on
the inviting tenant's sub-domain only (at every isolation level: the links live in the tenant's
own schema or database); only a hash of its token is stored; a reset request answers
the same for an unknown e-mail; every step is audited."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from accounts import throttle
from tests.factories import PASSWORD, api_login
from tests.portal.conftest import PortalClient

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Fresh-Derrick-Lamp-42"
LINK = re.compile(r"(https?://[^/\s]+)(/(?:invitation|password/reset)/([A-Za-z0-9_-]+)/)")


@pytest.fixture(autouse=True)
def _reset_counters():
    """Reset requests are counted per client address (127.0.0.1 for every test client)."""
    cache.delete(throttle._key("reset-addr", "127.0.0.1"))
    yield
    cache.delete(throttle._key("reset-addr", "127.0.0.1"))


def portal_login(handle, role: str) -> PortalClient:
    client = PortalClient(handle)
    client.get("/login/")
    response = client.submit("/login/", {"email": handle.users[role], "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    return client


@pytest.fixture
def admin(tenant_a):
    return portal_login(tenant_a, "ADMIN")


def audit(handle, in_tenant, kind, **filters):
    from accounts.models import SecurityEvent

    with in_tenant(handle):
        return list(SecurityEvent.objects.filter(kind=kind, **filters).order_by("id"))


def links(handle, in_tenant, **filters):
    from accounts.models import AccountLink

    with in_tenant(handle):
        return list(AccountLink.objects.filter(**filters))


def the_link(message) -> tuple[str, str, str]:
    """(origin, path, token) of the one link in an e-mail."""
    (found,) = LINK.findall(message.body)
    return found


def open_link(client, path: str):
    """Follow the e-mailed address: it always redirects (the token leaves the address), then the
    page without the token answers. Returns that page and its path (where the form posts)."""
    followed = client.get(path)
    page_path = "/invitation/" if path.startswith("/invitation/") else "/password/reset/"
    assert followed.status_code == 302 and followed["Location"] == page_path
    return client.get(page_path), page_path


def use_link(client, path: str, password: str = NEW_PASSWORD, **more):
    _, page_path = open_link(client, path)
    return client.submit(page_path, {"password": password, "password_again": password, **more})


def invite(admin, email: str, role: str = "OPERATOR"):
    return admin.submit("/team/invitations/", {"email": email, "role": role})


def test_an_invitee_follows_the_e_mailed_link_sets_a_password_and_is_logged_in(admin, tenant_a, in_tenant, caplog):
    from accounts.models import User

    caplog.set_level(logging.INFO)
    response = invite(admin, "New.Pumper@permian.test", "OPERATOR")
    assert response.status_code == 302 and response["Location"] == "/team/"
    (message,) = mail.outbox
    assert message.to == ["new.pumper@permian.test"] and "invited" in message.subject
    origin, path, token = the_link(message)
    assert origin == f"http://{tenant_a.host}" and path.startswith("/invitation/")
    (link,) = links(tenant_a, in_tenant, email="new.pumper@permian.test")
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()  # only the hash is kept
    assert token not in str(link.__dict__)
    assert abs((link.expires_at - link.created_at) - timedelta(hours=72)) < timedelta(seconds=1)
    team = admin.get("/team/").content.decode()
    assert 'data-invitation="new.pumper@permian.test"' in team

    invitee = PortalClient(tenant_a)
    page, page_path = open_link(invitee, path)
    assert page.status_code == 200 and b"new.pumper@permian.test" in page.content
    assert token.encode() not in page.content
    assert "no-store" in page["Cache-Control"] or "no-cache" in page["Cache-Control"]
    done = invitee.submit(page_path, {"name": "New Pumper", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/"
    assert invitee.get("/").status_code == 200  # logged in: the dashboard, not the login page
    with in_tenant(tenant_a):
        user = User.objects.get(email="new.pumper@permian.test")
        assert user.role == "OPERATOR" and user.name == "New Pumper" and user.check_password(NEW_PASSWORD)
        assert list(user.groups.values_list("name", flat=True)) == ["OPERATOR"]
    (sent,) = audit(tenant_a, in_tenant, "INVITATION_SENT")
    assert sent.actor == tenant_a.users["ADMIN"] and sent.detail["email"] == "new.pumper@permian.test"
    (accepted,) = audit(tenant_a, in_tenant, "INVITATION_ACCEPTED")
    assert accepted.user_id == user.pk and accepted.detail["role"] == "OPERATOR"
    for row in audit(tenant_a, in_tenant, "INVITATION_SENT") + audit(tenant_a, in_tenant, "INVITATION_ACCEPTED"):
        assert token not in str(row.detail)
    assert 'data-invitation="new.pumper@permian.test"' not in admin.get("/team/").content.decode()

    # Single use: the same link again is refused, and the refusal is audited.
    again, _ = open_link(PortalClient(tenant_a), path)
    assert again.status_code == 404 and b"This link is not valid" in again.content
    (refused,) = audit(tenant_a, in_tenant, "ACCOUNT_LINK_REFUSED")
    assert refused.detail["reason"] == "used"
    assert use_link(PortalClient(tenant_a), path, "Other-Derrick-Lamp-43").status_code == 404
    assert token not in caplog.text and NEW_PASSWORD not in caplog.text  # 4xx answers are logged with their path
    # The invitee's own session, which followed the link, cannot use it twice either.
    assert invitee.submit("/invitation/", {"password": "Other-Derrick-Lamp-43",
                                           "password_again": "Other-Derrick-Lamp-43"}).status_code == 404
    with in_tenant(tenant_a):
        assert User.objects.get(email="new.pumper@permian.test").check_password(NEW_PASSWORD)


def test_the_password_validators_apply_and_the_link_stays_usable(admin, tenant_a, in_tenant):
    from accounts.models import User

    invite(admin, "valve.hand@permian.test", "MANAGER")
    _, path, _ = the_link(mail.outbox[0])
    invitee = PortalClient(tenant_a)
    _, page_path = open_link(invitee, path)
    for password, words in (("short1", b"too short"), ("valve.hand@permian.test", b"too similar"),
                            ("password123", b"too common")):
        answer = invitee.submit(page_path, {"password": password, "password_again": password})
        assert answer.status_code == 400 and words in answer.content, password
    mismatch = invitee.submit(page_path, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 400 and b"The two passwords differ" in mismatch.content
    with in_tenant(tenant_a):
        assert not User.objects.filter(email="valve.hand@permian.test").exists()
    assert invitee.submit(page_path, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}).status_code == 302
    with in_tenant(tenant_a):
        assert User.objects.get(email="valve.hand@permian.test").role == "MANAGER"


def test_an_invitation_older_than_72_hours_is_refused(admin, tenant_a, in_tenant):
    from accounts.models import AccountLink, User

    invite(admin, "late.comer@permian.test")
    _, path, _ = the_link(mail.outbox[0])
    with in_tenant(tenant_a):
        link = AccountLink.objects.get(email="late.comer@permian.test")
        # 72 hours later (the stored expiry is what decides).
        AccountLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    answer = use_link(PortalClient(tenant_a), path)
    assert answer.status_code == 404 and b"older than 72 hours" in answer.content
    with in_tenant(tenant_a):
        assert not User.objects.filter(email="late.comer@permian.test").exists()
    (refused,) = audit(tenant_a, in_tenant, "ACCOUNT_LINK_REFUSED")
    assert refused.detail["reason"] == "expired"
    assert 'data-invitation="late.comer@permian.test"' not in admin.get("/team/").content.decode()


def test_a_link_is_refused_on_another_tenant_s_sub_domain(admin, tenant_a, tenant_b, in_tenant):
    from accounts.models import User

    invite(admin, "cross.over@permian.test")
    _, path, _ = the_link(mail.outbox[0])
    elsewhere = PortalClient(tenant_b)
    assert open_link(elsewhere, path)[0].status_code == 404
    assert use_link(elsewhere, path).status_code == 404
    for handle in (tenant_a, tenant_b):
        with in_tenant(handle):
            assert not User.objects.filter(email="cross.over@permian.test").exists()
    assert open_link(PortalClient(tenant_a), path)[0].status_code == 200  # still good where it belongs


def test_re_inviting_an_existing_user_is_a_clear_error(admin, tenant_a, in_tenant):
    response = invite(admin, tenant_a.users["MANAGER"].upper())
    assert response.status_code == 400
    error = re.search(r'data-field-error="email">(.*?)</div>', response.content.decode(), re.S)
    assert error and "already has an account in this tenant" in error.group(1)
    assert mail.outbox == [] and not links(tenant_a, in_tenant)
    assert not audit(tenant_a, in_tenant, "INVITATION_SENT")


def test_an_invitation_can_be_revoked_and_its_link_then_fails(admin, tenant_a, in_tenant):
    invite(admin, "not.anymore@permian.test")
    _, path, _ = the_link(mail.outbox[0])
    (link,) = links(tenant_a, in_tenant, email="not.anymore@permian.test")
    response = admin.submit(f"/team/invitations/{link.pk}/revoke/")
    assert response.status_code == 302
    assert open_link(PortalClient(tenant_a), path)[0].status_code == 404
    (revoked,) = audit(tenant_a, in_tenant, "INVITATION_REVOKED")
    assert revoked.actor == tenant_a.users["ADMIN"] and revoked.detail["email"] == "not.anymore@permian.test"
    assert admin.submit(f"/team/invitations/{link.pk}/revoke/").status_code == 400  # no longer pending


def test_a_new_invitation_of_the_same_e_mail_replaces_the_pending_one(admin, tenant_a, in_tenant):
    invite(admin, "twice@permian.test", "OPERATOR")
    invite(admin, "twice@permian.test", "MANAGER")
    first, second = (the_link(m)[1] for m in mail.outbox)
    assert open_link(PortalClient(tenant_a), first)[0].status_code == 404
    assert open_link(PortalClient(tenant_a), second)[0].status_code == 200
    assert admin.get("/team/").content.decode().count('data-invitation="twice@permian.test"') == 1


@pytest.mark.parametrize("role", ["MANAGER", "OPERATOR"])
def test_only_an_admin_invites(role, tenant_a, in_tenant):
    client = portal_login(tenant_a, role)
    assert client.submit("/team/invitations/", {"email": "sneaky@permian.test", "role": "ADMIN"}).status_code == 403
    assert mail.outbox == [] and not links(tenant_a, in_tenant)


# --------------------------------------------------------------------------- password reset


def test_a_reset_request_answers_the_same_whether_or_not_the_e_mail_has_an_account(tenant_a, in_tenant):
    known, unknown = PortalClient(tenant_a), PortalClient(tenant_a)
    login_page = known.get("/login/").content.decode()
    assert 'href="/password/forgot/"' in login_page
    answers = []
    for client, email in ((known, tenant_a.users["OPERATOR"]), (unknown, "nobody-here@permian.test")):
        response = client.submit("/password/forgot/", {"email": email})
        assert response.status_code == 302 and response["Location"] == "/password/forgot/"
        page = client.get("/password/forgot/")
        answers.append(page.content.decode())
    assert "a message with a link to choose a new password is on its way" in answers[0]
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert strip.sub("", answers[0]) == strip.sub("", answers[1])
    (message,) = mail.outbox
    assert message.to == [tenant_a.users["OPERATOR"]]
    (sent,) = audit(tenant_a, in_tenant, "PASSWORD_RESET_REQUESTED", outcome="SUCCESS")
    assert sent.actor == tenant_a.users["OPERATOR"]
    (missed,) = audit(tenant_a, in_tenant, "PASSWORD_RESET_REQUESTED", outcome="FAILURE")
    assert missed.actor == "nobody-here@permian.test" and missed.detail == {"reason": "no active account"}


def test_a_reset_link_sets_a_new_password_once_and_ends_the_old_tokens(client, tenant_a, in_tenant):
    from accounts.models import User

    email = tenant_a.users["MANAGER"]
    tokens = api_login(client, tenant_a, email=email)
    PortalClient(tenant_a).submit("/password/forgot/", {"email": email})
    origin, path, token = the_link(mail.outbox[0])
    assert origin == f"http://{tenant_a.host}" and path.startswith("/password/reset/")
    (link,) = links(tenant_a, in_tenant, email=email, purpose="PASSWORD_RESET")
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    visitor = PortalClient(tenant_a)
    page, page_path = open_link(visitor, path)
    assert page.status_code == 200 and email.encode() in page.content
    weak = visitor.submit(page_path, {"password": "short", "password_again": "short"})
    assert weak.status_code == 400 and b"too short" in weak.content
    done = visitor.submit(page_path, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/login/"
    with in_tenant(tenant_a):
        user = User.objects.get(email=email)
        assert user.check_password(NEW_PASSWORD) and not user.check_password(PASSWORD)
    # The refresh token issued before the reset is revoked.
    refreshed = client.post("/api/v1/auth/refresh", {"refresh": tokens["refresh"]}, content_type="application/json",
                            **tenant_a.headers())
    assert refreshed.status_code == 401
    assert use_link(PortalClient(tenant_a), path, "Another-Derrick-Lamp-44").status_code == 404
    (completed,) = audit(tenant_a, in_tenant, "PASSWORD_RESET_COMPLETED")
    assert completed.user_id == user.pk and token not in str(completed.detail)
    login = PortalClient(tenant_a)
    login.get("/login/")
    assert login.submit("/login/", {"email": email, "password": NEW_PASSWORD}).status_code == 302


def test_an_expired_reset_link_is_refused(tenant_a, in_tenant):
    from accounts.models import AccountLink

    PortalClient(tenant_a).submit("/password/forgot/", {"email": tenant_a.users["OPERATOR"]})
    _, path, _ = the_link(mail.outbox[0])
    with in_tenant(tenant_a):
        AccountLink.objects.filter(purpose="PASSWORD_RESET").update(expires_at=timezone.now() - timedelta(seconds=1))
    assert use_link(PortalClient(tenant_a), path).status_code == 404


def test_reset_requests_are_throttled_for_known_and_unknown_e_mails_alike(tenant_a):
    for email in (tenant_a.users["ADMIN"], "ghost@permian.test"):
        cache.delete(throttle._key("reset-email", f"{tenant_a.public_id}:{email}"))
        client = PortalClient(tenant_a)
        statuses = [client.submit("/password/forgot/", {"email": email}).status_code for _ in range(4)]
        assert statuses == [302, 302, 302, 429], email
        cache.delete(throttle._key("reset-email", f"{tenant_a.public_id}:{email}"))
    assert len(mail.outbox) == 3


# --------------------------------------------------------------------------- API


def test_the_api_invites_lists_and_revokes(client, tenant_a, in_tenant):
    admin_token = api_login(client, tenant_a, email=tenant_a.users["ADMIN"])["access"]
    headers = tenant_a.headers(token=admin_token)
    created = client.post("/api/v1/team/invitations", {"email": "api.invitee@permian.test", "role": "MANAGER"},
                          content_type="application/json", **headers)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["email"] == "api.invitee@permian.test" and body["role"] == "MANAGER"
    assert body["invitedBy"] == tenant_a.users["ADMIN"]
    (message,) = mail.outbox
    origin, path, _ = the_link(message)
    assert origin.endswith(tenant_a.host) and path.startswith("/invitation/")
    listed = client.get("/api/v1/team/invitations", **headers).json()["results"]
    assert [row["id"] for row in listed] == [body["id"]]
    existing = client.post("/api/v1/team/invitations", {"email": tenant_a.users["OPERATOR"], "role": "OPERATOR"},
                           content_type="application/json", **headers)
    assert existing.status_code == 400
    assert existing.json()["error"]["code"] == "invalid_request"
    assert "already has an account" in existing.json()["error"]["details"]["email"][0]
    bad = client.post("/api/v1/team/invitations", {"email": "not-an-email", "role": "BOSS"},
                      content_type="application/json", **headers)
    assert bad.status_code == 400 and set(bad.json()["error"]["details"]) == {"role"}
    bad_email = client.post("/api/v1/team/invitations", {"email": "not-an-email", "role": "ADMIN"},
                            content_type="application/json", **headers)
    assert bad_email.status_code == 400 and "email" in bad_email.json()["error"]["details"]
    assert client.delete(f"/api/v1/team/invitations/{body['id']}", **headers).status_code == 204
    assert client.delete(f"/api/v1/team/invitations/{body['id']}", **headers).status_code == 409
    missing = client.delete("/api/v1/team/invitations/00000000-0000-0000-0000-000000000000", **headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert open_link(PortalClient(tenant_a), path)[0].status_code == 404
    assert len(audit(tenant_a, in_tenant, "INVITATION_SENT")) == 1
    assert len(audit(tenant_a, in_tenant, "INVITATION_REVOKED")) == 1


@pytest.mark.parametrize("role", ["MANAGER", "OPERATOR"])
def test_the_api_refuses_invitations_to_other_roles(client, tenant_a, role):
    token = api_login(client, tenant_a, email=tenant_a.users[role])["access"]
    response = client.post("/api/v1/team/invitations", {"email": "x@permian.test", "role": "ADMIN"},
                           content_type="application/json", **tenant_a.headers(token=token))
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    assert mail.outbox == []


def test_odd_invitation_input_gets_a_clear_answer_never_a_5xx(client, tenant_a):
    token = api_login(client, tenant_a, email=tenant_a.users["ADMIN"])["access"]
    headers = tenant_a.headers(token=token)
    cases = [
        {"email": "jöe@exämple.test", "role": "OPERATOR"},
        {"email": "a" * 250 + "@x.test", "role": "OPERATOR"},
        {"email": "two@@permian.test", "role": "OPERATOR"},
        {"email": "line\nbreak@permian.test", "role": "OPERATOR"},
        {"email": "nul\u0000@permian.test", "role": "OPERATOR"},
        {"email": "   ", "role": "OPERATOR"},
        {"email": ["list@permian.test"], "role": "OPERATOR"},
        {"email": "no.role@permian.test"},
        {},
    ]
    for body in cases:
        response = client.post("/api/v1/team/invitations", body, content_type="application/json", **headers)
        assert response.status_code in (201, 400), (body, response.status_code, response.content[:200])
        if response.status_code == 400:
            error = response.json()["error"]
            assert error["code"] == "invalid_request" and error["details"], (body, error)
    not_json = client.post("/api/v1/team/invitations", "email=x", content_type="application/x-www-form-urlencoded",
                           **headers)
    assert not_json.status_code in (400, 415)
