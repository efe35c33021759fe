"""Three-credential authentication (API.md section 3): each layer failing alone, cross-tenant
tokens and logins, token lifetimes, refresh rotation and revocation."""

import uuid

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts import tokens
from accounts.models import RefreshToken, SecurityEvent, User
from accounts.services import user_deactivate, user_set_role
from tests.factories import PASSWORD, api_login

pytestmark = pytest.mark.django_db
Kind = SecurityEvent.Kind


def audit_rows(handle, kind):
    with schema_context(handle.tenant.schema_name):
        return list(SecurityEvent.objects.filter(kind=kind).order_by("id"))


def assert_invalid_credentials(response):
    assert response.status_code == 401, response.content
    assert response.json() == {
        "error": {"code": "invalid_credentials", "message": "Invalid credentials.", "details": {}}
    }


# ----------------------------------------------------------------------------- login


def test_login_returns_tokens_user_and_permissions_but_never_the_secret(client, tenant_a):
    body = api_login(client, tenant_a, email=tenant_a.users["MANAGER"])
    assert set(body) == {"access", "refresh", "accessExpiresIn", "user", "permissions"}
    assert body["accessExpiresIn"] == 900
    assert body["user"]["email"] == tenant_a.users["MANAGER"]
    assert body["user"]["role"] == "MANAGER"
    uuid.UUID(body["user"]["id"])
    assert "accounts.view_user" in body["permissions"]
    assert tenant_a.secret not in str(body)
    [row] = audit_rows(tenant_a, Kind.LOGIN_SUCCEEDED)
    assert row.actor == tenant_a.users["MANAGER"] and row.client_address == "127.0.0.1"


def test_login_with_a_wrong_password_is_invalid_credentials_and_audited(client, tenant_a):
    response = client.post("/api/v1/auth/login", {"email": tenant_a.users["OPERATOR"], "password": "nope"},
                           content_type="application/json", HTTP_USER_AGENT="pumpjack-field/1.0", **tenant_a.headers())
    assert_invalid_credentials(response)
    [row] = audit_rows(tenant_a, Kind.LOGIN_FAILED)
    assert row.layer == "password" and row.user_agent == "pumpjack-field/1.0"


def test_login_with_an_unknown_email_looks_the_same_as_a_wrong_password(client, tenant_a):
    response = client.post("/api/v1/auth/login", {"email": "ghost@nowhere.test", "password": PASSWORD},
                           content_type="application/json", **tenant_a.headers())
    assert_invalid_credentials(response)


def test_login_validation_errors_name_the_fields(client, tenant_a):
    response = client.post("/api/v1/auth/login", {"email": ""}, content_type="application/json", **tenant_a.headers())
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid_request"
    assert set(body["details"]) == {"email", "password"}


def test_login_with_a_body_that_is_not_json_is_invalid_request(client, tenant_a):
    response = client.post("/api/v1/auth/login", "{not json", content_type="application/json", **tenant_a.headers())
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"


def test_a_user_of_tenant_a_cannot_log_in_at_tenant_b(client, tenant_a, tenant_b):
    response = client.post("/api/v1/auth/login", {"email": tenant_a.users["OPERATOR"], "password": PASSWORD},
                           content_type="application/json", **tenant_b.headers())
    assert_invalid_credentials(response)
    # Even with the same email existing in both tenants, each tenant checks its own password.
    response = client.post("/api/v1/auth/login", {"email": tenant_a.users["OPERATOR"], "password": PASSWORD},
                           content_type="application/json", **tenant_a.headers())
    assert response.status_code == 200


# ----------------------------------------------------------------------------- each layer alone


def test_layer_1_missing_tenant_is_invalid_credentials_and_audited(client, tenant_a):
    tokens_ = api_login(client, tenant_a)
    headers = tenant_a.headers(token=tokens_["access"])
    del headers["HTTP_X_TENANT_ID"]
    assert_invalid_credentials(client.get("/api/v1/me", **headers))
    assert SecurityEvent.objects.filter(kind=Kind.TENANT_ID_REJECTED, layer="1").exists()


def test_layer_1_unknown_tenant_is_invalid_credentials(client, tenant_a):
    tokens_ = api_login(client, tenant_a)
    headers = tenant_a.headers(token=tokens_["access"])
    headers["HTTP_X_TENANT_ID"] = "PERMIAN-000000"
    assert_invalid_credentials(client.get("/api/v1/me", **headers))
    assert SecurityEvent.objects.filter(kind=Kind.TENANT_ID_REJECTED, detail__tenantId="PERMIAN-000000").exists()


@pytest.mark.parametrize("secret", [None, "", "0" * 64, "A" * 64, "abc", "z" * 64, "0" * 63 + "\u00e9", "0" * 10_000])
def test_layer_2_wrong_or_missing_secret_is_invalid_credentials_and_audited(client, tenant_a, secret):
    tokens_ = api_login(client, tenant_a)
    headers = tenant_a.headers(token=tokens_["access"])
    if secret is None:
        del headers["HTTP_X_TENANT_SECRET"]
    else:
        headers["HTTP_X_TENANT_SECRET"] = secret
    assert_invalid_credentials(client.get("/api/v1/me", **headers))
    [row] = audit_rows(tenant_a, Kind.TENANT_SECRET_REJECTED)
    assert row.layer == "2" and row.outcome == "FAILURE"
    assert tenant_a.secret not in str(row.detail)


def test_layer_2_is_checked_on_login_too(client, tenant_a):
    response = client.post("/api/v1/auth/login", {"email": tenant_a.users["OPERATOR"], "password": PASSWORD},
                           content_type="application/json", **tenant_a.headers(secret="f" * 64))
    assert_invalid_credentials(response)
    assert audit_rows(tenant_a, Kind.LOGIN_SUCCEEDED) == []


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer not-a-jwt", "Bearer a.b.c",
     "Bearer " + "x" * 8000, "Token abc"],
)
def test_layer_3_missing_or_garbage_token_is_invalid_credentials_and_audited(client, tenant_a, authorization):
    headers = tenant_a.headers()
    if authorization is not None:
        headers["HTTP_AUTHORIZATION"] = authorization
    assert_invalid_credentials(client.get("/api/v1/me", **headers))
    [row] = audit_rows(tenant_a, Kind.TOKEN_REJECTED)
    assert row.layer == "3"


def test_layer_3_a_refresh_token_is_not_an_access_token(client, tenant_a):
    body = api_login(client, tenant_a)
    assert_invalid_credentials(client.get("/api/v1/me", **tenant_a.headers(token=body["refresh"])))


def test_layer_3_a_forged_token_is_rejected(client, tenant_a):
    import jwt

    body = api_login(client, tenant_a)
    claims = jwt.decode(body["access"], options={"verify_signature": False})
    forged = jwt.encode({**claims, "role": "ADMIN"}, "guessed-key-that-is-long-enough-for-hs256!", algorithm="HS256")
    assert_invalid_credentials(client.get("/api/v1/me", **tenant_a.headers(token=forged)))
    none_alg = jwt.encode(claims, None, algorithm="none")
    assert_invalid_credentials(client.get("/api/v1/me", **tenant_a.headers(token=none_alg)))


def test_an_expired_access_token_says_token_expired(client, tenant_a):
    with schema_context(tenant_a.tenant.schema_name):
        user = User.objects.get(email=tenant_a.users["OPERATOR"])
    past = timezone.now() - timezone.timedelta(hours=1)
    expired = tokens.access_token_issue(user=user, tenant_public_id=tenant_a.public_id, now=past)
    response = client.get("/api/v1/me", **tenant_a.headers(token=expired))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"


def test_a_token_issued_for_tenant_a_is_rejected_with_tenant_b_headers(client, tenant_a, tenant_b):
    body = api_login(client, tenant_a)
    assert_invalid_credentials(client.get("/api/v1/me", **tenant_b.headers(token=body["access"])))
    assert audit_rows(tenant_b, Kind.TOKEN_REJECTED)


def test_a_token_of_tenant_a_on_tenant_a_subdomain_with_tenant_b_secret_is_rejected(client, tenant_a, tenant_b):
    body = api_login(client, tenant_a)
    headers = tenant_a.headers(secret=tenant_b.secret, token=body["access"])
    assert_invalid_credentials(client.get("/api/v1/me", **headers))


# ----------------------------------------------------------------------------- refresh and revocation


def refresh(client, handle, token):
    return client.post("/api/v1/auth/refresh", {"refresh": token}, content_type="application/json",
                       **handle.headers())


def test_refresh_rotates_and_a_used_refresh_token_is_rejected(client, tenant_a):
    first = api_login(client, tenant_a)
    rotated = refresh(client, tenant_a, first["refresh"])
    assert rotated.status_code == 200
    pair = rotated.json()
    assert pair["refresh"] != first["refresh"]
    assert client.get("/api/v1/me", **tenant_a.headers(token=pair["access"])).status_code == 200
    assert_invalid_credentials(refresh(client, tenant_a, first["refresh"]))


def test_reusing_a_refresh_token_revokes_its_whole_family(client, tenant_a):
    first = api_login(client, tenant_a)
    second = refresh(client, tenant_a, first["refresh"]).json()
    assert_invalid_credentials(refresh(client, tenant_a, first["refresh"]))  # replay: family revoked
    assert_invalid_credentials(refresh(client, tenant_a, second["refresh"]))
    assert audit_rows(tenant_a, Kind.REFRESH_REUSED)


def test_a_refresh_token_of_tenant_a_is_rejected_at_tenant_b(client, tenant_a, tenant_b):
    first = api_login(client, tenant_a)
    assert_invalid_credentials(refresh(client, tenant_b, first["refresh"]))


def test_logout_revokes_the_refresh_token(client, tenant_a):
    body = api_login(client, tenant_a)
    response = client.post("/api/v1/auth/logout", {"refresh": body["refresh"]}, content_type="application/json",
                           **tenant_a.headers(token=body["access"]))
    assert response.status_code == 204
    assert_invalid_credentials(refresh(client, tenant_a, body["refresh"]))
    assert audit_rows(tenant_a, Kind.LOGOUT)


def test_deactivation_ends_access_and_refresh_tokens_at_once(client, tenant_a):
    body = api_login(client, tenant_a)
    with schema_context(tenant_a.tenant.schema_name):
        user_deactivate(user=User.objects.get(email=tenant_a.users["OPERATOR"]), actor="test")
    assert_invalid_credentials(client.get("/api/v1/me", **tenant_a.headers(token=body["access"])))
    assert_invalid_credentials(refresh(client, tenant_a, body["refresh"]))
    response = client.post("/api/v1/auth/login", {"email": tenant_a.users["OPERATOR"], "password": PASSWORD},
                           content_type="application/json", **tenant_a.headers())
    assert_invalid_credentials(response)


def test_a_role_change_ends_existing_tokens_and_the_next_login_carries_the_new_role(client, tenant_a):
    body = api_login(client, tenant_a)
    with schema_context(tenant_a.tenant.schema_name):
        user_set_role(user=User.objects.get(email=tenant_a.users["OPERATOR"]), role="MANAGER", actor="test")
        assert RefreshToken.objects.filter(revoked_reason="role_changed").exists()
    assert_invalid_credentials(client.get("/api/v1/me", **tenant_a.headers(token=body["access"])))
    assert_invalid_credentials(refresh(client, tenant_a, body["refresh"]))
    again = api_login(client, tenant_a)
    me = client.get("/api/v1/me", **tenant_a.headers(token=again["access"])).json()
    assert me["role"] == "MANAGER"
    assert audit_rows(tenant_a, Kind.ROLE_CHANGED)[0].detail == {"from": "OPERATOR", "to": "MANAGER"}


# ----------------------------------------------------------------------------- throttling


def test_repeated_failed_logins_for_one_email_are_throttled(client, tenant_a, settings):
    email = tenant_a.users["MANAGER"]
    for _ in range(settings.LOGIN_THROTTLE["per_email"]):
        response = client.post("/api/v1/auth/login", {"email": email, "password": "wrong-password"},
                               content_type="application/json", **tenant_a.headers())
        assert response.status_code == 401
    response = client.post("/api/v1/auth/login", {"email": email, "password": PASSWORD},
                           content_type="application/json", **tenant_a.headers())
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    assert audit_rows(tenant_a, Kind.LOGIN_THROTTLED)
    # Another user of the same tenant from another address is not affected.
    other = client.post("/api/v1/auth/login", {"email": tenant_a.users["OPERATOR"], "password": PASSWORD},
                        content_type="application/json", REMOTE_ADDR="10.9.8.7", **tenant_a.headers())
    assert other.status_code == 200


def test_repeated_failed_logins_from_one_address_are_throttled(client, tenant_a, settings):
    for n in range(settings.LOGIN_THROTTLE["per_address"]):
        client.post("/api/v1/auth/login", {"email": f"guess{n}@x.test", "password": "wrong-password"},
                    content_type="application/json", REMOTE_ADDR="203.0.113.9", **tenant_a.headers())
    response = client.post("/api/v1/auth/login", {"email": tenant_a.users["OPERATOR"], "password": PASSWORD},
                           content_type="application/json", REMOTE_ADDR="203.0.113.9", **tenant_a.headers())
    assert response.status_code == 429


# ----------------------------------------------------------------------------- me


@pytest.mark.parametrize("role", ["OPERATOR", "MANAGER", "ADMIN"])
def test_me_returns_the_role_permissions_and_navigation(client, tenant_a, role):
    from accounts.selectors import navigation_for

    body = api_login(client, tenant_a, email=tenant_a.users[role])
    me = client.get("/api/v1/me", **tenant_a.headers(token=body["access"])).json()
    assert me["role"] == role
    assert me["user"]["email"] == tenant_a.users[role]
    with schema_context(tenant_a.tenant.schema_name):
        user = User.objects.get(email=tenant_a.users[role])
        assert me["navigation"] == navigation_for(user=user)
        assert me["permissions"] == sorted(user.get_all_permissions())
    assert {"name": "Dashboard", "href": "/"} in me["navigation"]


@pytest.mark.parametrize(
    ("role", "expected"),
    [("OPERATOR", ["Dashboard", "Wells", "Leases", "Alerts"]),
     ("MANAGER", ["Dashboard", "Wells", "Leases", "Alerts", "Conflicts"]),
     ("ADMIN", ["Dashboard", "Wells", "Leases", "Alerts", "Conflicts", "Team", "Tenant secrets"])],
)
def test_navigation_is_filtered_by_the_role_permissions(tenant_a, role, expected):
    from accounts.selectors import navigation_for

    with schema_context(tenant_a.tenant.schema_name):
        user = User.objects.get(email=tenant_a.users[role])
        assert [entry["name"] for entry in navigation_for(user=user)] == expected

@pytest.mark.parametrize("kind", ["OPERATOR", "MANAGER", "ADMIN", "superuser", "inactive", "no role", "named"])
def test_me_is_what_the_serializer_and_has_perm_give(tenant_a, kind):
    """GET /api/v1/me builds its user and its menu directly (accounts.apis.user_payload,
    accounts.selectors.navigation_for): the same as UserOutput's data and a menu filtered by
    user.has_perm, for every role, a superuser, an inactive user, one without a role."""
    from accounts.apis import UserOutput, user_payload
    from accounts.roles import NAVIGATION
    from accounts.selectors import _installed_navigation, navigation_for

    with schema_context(tenant_a.tenant.schema_name):
        user = User.objects.get(email=tenant_a.users.get(kind, tenant_a.users["OPERATOR"]))
        if kind == "superuser":
            user.is_superuser = True
        elif kind == "inactive":
            user.role, user.is_active = "MANAGER", False
        elif kind == "no role":
            user.role = ""
        elif kind == "named":
            user.name = "Zoë O'Hara"
        user.save()
        user = User.objects.get(pk=user.pk)
        assert user_payload(user) == UserOutput(user).data
        by_has_perm = [{"name": item.name, "href": href} for item, href in _installed_navigation()
                       if item.permission is None or user.has_perm(item.permission)]
        assert navigation_for(user=user) == by_has_perm
        assert any(item.permission for item in NAVIGATION)  # the filter has something to filter


@pytest.mark.parametrize(("body", "field"), [({"email": 0, "password": "x"}, "email"),
                                             ({"email": "a@b.test", "password": 12345678}, "password"),
                                             ({"email": "   ", "password": "x"}, "email")])
def test_login_refuses_numbers_for_text_and_a_blank_email(client, tenant_a, body, field):
    response = client.post("/api/v1/auth/login", body, content_type="application/json", **tenant_a.headers())
    assert response.status_code == 400, response.content
    assert set(response.json()["error"]["details"]) == {field}


def test_each_request_gets_its_own_copy_of_the_cached_user(tenant_a):
    """accounts.authentication._user hands every request a copy of the process's cached user,
    made as copy.copy makes it: the same values and cached permissions, its own state, and
    nothing a request sets on its copy reaches the cache or another request."""
    import copy

    from accounts.authentication import _user
    from tenants.directory import directory

    with schema_context(tenant_a.tenant.schema_name):
        operator = User.objects.get(email=tenant_a.users["OPERATOR"])
        entry = directory.by_public_id(tenant_a.tenant.public_id)
        first, second = _user(entry, str(operator.pk)), _user(entry, str(operator.pk))
        cached = entry.users[str(operator.pk)]
        assert first is not second and first is not cached
        reference = copy.copy(cached)
        reference.__dict__.pop("_django_version")  # the pickle protocol's mark, added by copy.copy
        assert first.__dict__.keys() == reference.__dict__.keys()
        assert all(first.__dict__[k] == reference.__dict__[k] for k in reference.__dict__ if k != "_state")
        assert first._state is not cached._state and first._state.fields_cache is not cached._state.fields_cache
        assert first._state.adding is False and first._state.db == cached._state.db
        assert first.get_all_permissions() == cached.get_all_permissions() and first.get_all_permissions()
        first.name, first.custom_attribute = "Changed by one request", 1
        assert second.name == cached.name != "Changed by one request"
        assert not hasattr(cached, "custom_attribute") and not hasattr(second, "custom_attribute")
