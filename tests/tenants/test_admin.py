"""The staff admin on the base domain: provisioning a tenant, its lifecycle, its device secrets,
its security log and its users, each through the services and in the tenant's own schema."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from accounts.audit import audit_record
from accounts.models import Role, SecurityEvent, User
from tenants.operations.staff_admin import REVEAL_SESSION_KEY
from tenants.models import Tenant, TenantSecret
from tests.factories import PASSWORD, STAFF_EMAIL

pytestmark = pytest.mark.django_db

SECRET_ON_PAGE = re.compile(r'<code id="tenant-secret"[^>]*>([0-9a-f]{64})</code>')


def page(tenant: Tenant, suffix: str = "change/") -> str:
    return f"/admin/tenants/tenant/{tenant.pk}/{suffix}"


def fresh(tenant: Tenant) -> Tenant:
    # A new object: the session fixtures' Tenant instances must keep their committed state.
    return Tenant.objects.get(pk=tenant.pk)


def api_login_status(tenant: Tenant, *, secret: str, email: str) -> int:
    response = Client().post(
        "/api/v1/auth/login", {"email": email, "password": PASSWORD}, content_type="application/json",
        HTTP_X_TENANT_ID=tenant.public_id, HTTP_X_TENANT_SECRET=secret,
    )
    return response.status_code


def events(tenant: Tenant, **filters) -> list[SecurityEvent]:
    with schema_context(tenant.schema_name):
        return list(SecurityEvent.objects.filter(**filters))


def take_shown_secret(client: Client, tenant: Tenant) -> str:
    """Open the one-time result page, return the secret on it, and check a reload no longer has it."""
    shown = client.get(page(tenant, "secret-shown/"))
    assert shown.status_code == 200
    content = shown.content.decode()
    assert "it will not be shown again" in content
    assert tenant.public_id in content
    secret = SECRET_ON_PAGE.search(content).group(1)
    reloaded = client.get(page(tenant, "secret-shown/")).content.decode()
    assert secret not in reloaded and "no new secret to show" in reloaded
    assert REVEAL_SESSION_KEY not in client.session
    return secret


# --------------------------------------------------------------------------- provisioning


def test_creating_a_tenant_through_the_admin_makes_a_working_tenant(staff_client):
    response = staff_client.post("/admin/tenants/tenant/add/", {
        "name": "Delaware Drilling", "slug": "delaware", "time_zone": "America/Denver", "tier": "PROFESSIONAL",
        "trial": "on", "region": "us-south", "provider": "aws", "admin_email": "Boss@Delaware.test",
        "admin_name": "Dee Boss", "admin_password": PASSWORD, "admin_password2": PASSWORD,
    })

    tenant = Tenant.objects.get(slug="delaware")
    assert response.status_code == 302 and response["Location"] == page(tenant, "secret-shown/")
    assert (tenant.status, tenant.tier, tenant.time_zone, tenant.region, tenant.provider) == (
        "TRIAL", "PROFESSIONAL", "America/Denver", "us-south", "aws")
    assert schema_exists(tenant.schema_name)
    with schema_context(tenant.schema_name):
        admin = User.objects.get(email="boss@delaware.test")
        assert admin.role == Role.ADMIN and admin.name == "Dee Boss"
    assert not User.objects.filter(email="boss@delaware.test").exists()  # not in the public schema

    secret = take_shown_secret(staff_client, tenant)
    assert api_login_status(tenant, secret=secret, email="boss@delaware.test") == 200


def test_create_form_shows_a_service_error_next_to_its_field(staff_client):
    response = staff_client.post("/admin/tenants/tenant/add/", {
        "name": "Admin Oil", "slug": "admin", "time_zone": "America/Chicago", "tier": "STARTER",
        "admin_email": "a@admin-oil.test", "admin_password": PASSWORD, "admin_password2": PASSWORD,
    })

    assert response.status_code == 200
    assert "&#x27;admin&#x27; is reserved." in response.content.decode()
    assert not Tenant.objects.filter(name="Admin Oil").exists()


def test_a_weak_admin_password_fails_the_whole_creation_with_the_error_on_the_password(staff_client):
    response = staff_client.post("/admin/tenants/tenant/add/", {
        "name": "Weak Wells", "slug": "weakwells", "time_zone": "America/Chicago", "tier": "STARTER",
        "admin_email": "a@weak.test", "admin_password": "password", "admin_password2": "password",
    })

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "admin_password" in errors and "too common" in " ".join(errors["admin_password"])
    assert not Tenant.objects.filter(slug="weakwells").exists()
    assert not schema_exists("t_weakwells")


# --------------------------------------------------------------------------- lifecycle


def test_suspend_and_reactivate_change_the_status_and_write_audit_rows(staff_client, tenant_b):
    confirmation = staff_client.get(page(tenant_b.tenant, "suspend/"))
    assert confirmation.status_code == 200 and fresh(tenant_b.tenant).status == Tenant.Status.ACTIVE

    response = staff_client.post(page(tenant_b.tenant, "suspend/"), {"reason": "unpaid invoice"})

    assert response.status_code == 302
    assert fresh(tenant_b.tenant).status == Tenant.Status.SUSPENDED
    [suspended] = events(tenant_b.tenant, kind=SecurityEvent.Kind.TENANT_SUSPENDED)
    assert suspended.actor == STAFF_EMAIL and suspended.detail == {"reason": "unpaid invoice"}
    assert api_login_status(tenant_b.tenant, secret=tenant_b.secret, email=tenant_b.admin_email) == 403

    staff_client.post(page(tenant_b.tenant, "reactivate/"))

    assert fresh(tenant_b.tenant).status == Tenant.Status.ACTIVE
    [reactivated] = events(tenant_b.tenant, kind=SecurityEvent.Kind.TENANT_REACTIVATED)
    assert reactivated.actor == STAFF_EMAIL
    assert api_login_status(tenant_b.tenant, secret=tenant_b.secret, email=tenant_b.admin_email) == 200


def test_soft_delete_asks_for_the_slug_and_then_hides_the_tenant(staff_client, tenant_b):
    wrong = staff_client.post(page(tenant_b.tenant, "soft-delete/"), {"confirm": "nope"})
    slug = tenant_b.tenant.slug
    assert wrong.status_code == 200 and f"Type {slug} to delete this tenant." in wrong.content.decode()
    assert fresh(tenant_b.tenant).deleted_at is None

    response = staff_client.post(page(tenant_b.tenant, "soft-delete/"), {"confirm": slug})

    assert response.status_code == 302 and response["Location"] == "/admin/tenants/tenant/"
    assert fresh(tenant_b.tenant).deleted_at is not None
    with schema_context(tenant_b.tenant.schema_name):  # data kept until a purge (schema or own database)
        assert User.objects.filter(email=tenant_b.admin_email).exists()
    assert api_login_status(tenant_b.tenant, secret=tenant_b.secret, email=tenant_b.admin_email) == 401
    # A deleted tenant can be looked at, not changed.
    assert staff_client.get(page(tenant_b.tenant)).status_code == 200
    assert staff_client.post(page(tenant_b.tenant, "suspend/")).status_code == 403


def test_tenants_are_never_hard_deleted_from_the_admin(staff_client, tenant_a):
    assert staff_client.get(page(tenant_a.tenant, "delete/")).status_code == 403


def change_form_data(tenant: Tenant, *, domain: str | None = None, **fields) -> dict:
    """What the change form posts: the editable fields and the domains inline."""
    current = tenant.domains.get()
    return {
        "name": tenant.name, "tier": tenant.tier, "feature_flags": "{}", "region": "", "provider": "",
        "time_zone": tenant.time_zone,
        "domains-TOTAL_FORMS": "1", "domains-INITIAL_FORMS": "1", "domains-MIN_NUM_FORMS": "0",
        "domains-MAX_NUM_FORMS": "1000", "domains-0-id": str(current.pk), "domains-0-tenant": str(tenant.pk),
        "domains-0-domain": domain or current.domain, "domains-0-is_primary": "on",
        **fields,
    }


def test_change_form_edits_settings_and_keeps_identity_read_only(staff_client, tenant_b):
    response = staff_client.post(page(tenant_b.tenant), change_form_data(
        tenant_b.tenant, name="Bakken Basin Energy II", tier="ENTERPRISE", feature_flags='{"etl": true}',
        region="ca-central", provider="azure", time_zone="America/Regina",
        slug="hijack", public_id="HIJACK-AAAAAA", schema_name="public",
    ))

    assert response.status_code == 302, response.context["adminform"].form.errors
    tenant = fresh(tenant_b.tenant)
    assert (tenant.name, tenant.tier, tenant.feature_flags, tenant.region, tenant.provider, tenant.time_zone) == (
        "Bakken Basin Energy II", "ENTERPRISE", {"etl": True}, "ca-central", "azure", "America/Regina")
    assert (tenant.slug, tenant.public_id, tenant.schema_name) == (
        tenant_b.tenant.slug, tenant_b.public_id, tenant_b.tenant.schema_name)


def test_change_form_refuses_feature_flags_that_are_not_an_object(staff_client, tenant_b):
    response = staff_client.post(page(tenant_b.tenant), change_form_data(
        tenant_b.tenant, name="Bakken", feature_flags="[1, 2]"))

    assert response.status_code == 200
    assert "Feature flags are a JSON object" in response.content.decode()
    assert fresh(tenant_b.tenant).name == "Bakken Basin Energy"


@pytest.mark.parametrize("domain", ["bakken.example.com", "admin.localhost", "a.b.localhost"])
def test_domains_must_be_a_routable_sub_domain(staff_client, tenant_b, domain):
    response = staff_client.post(page(tenant_b.tenant), change_form_data(tenant_b.tenant, domain=domain))

    assert response.status_code == 200
    assert "Use &lt;label&gt;.localhost" in response.content.decode()
    assert tenant_b.tenant.domains.get().domain == f"{tenant_b.tenant.slug}.localhost"


def test_changes_need_the_csrf_token(tenant_b):
    staff = User.objects.create_superuser(STAFF_EMAIL, PASSWORD)
    client = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)
    client.force_login(staff)

    response = client.post(page(tenant_b.tenant, "suspend/"), {"reason": "no token"})

    assert response.status_code == 403
    assert fresh(tenant_b.tenant).status == Tenant.Status.ACTIVE


# --------------------------------------------------------------------------- secrets


def test_rotation_shows_the_new_secret_once_and_the_old_one_stops_verifying(staff_client, tenant_a):
    assert api_login_status(tenant_a.tenant, secret=tenant_a.secret, email=tenant_a.admin_email) == 200

    response = staff_client.post(page(tenant_a.tenant, "secrets/rotate/"),
                                 {"secret": "", "grace_hours": "0", "label": "fleet-2", "confirmed": "True"})

    assert response.status_code == 302 and response["Location"] == page(tenant_a.tenant, "secret-shown/")
    new_secret = take_shown_secret(staff_client, tenant_a.tenant)
    assert new_secret != tenant_a.secret
    assert api_login_status(tenant_a.tenant, secret=tenant_a.secret, email=tenant_a.admin_email) == 401
    assert api_login_status(tenant_a.tenant, secret=new_secret, email=tenant_a.admin_email) == 200
    [rotated] = events(tenant_a.tenant, kind=SecurityEvent.Kind.SECRET_ROTATED)
    assert rotated.actor == STAFF_EMAIL and rotated.detail["label"] == "fleet-2"


def test_rotation_with_a_grace_period_keeps_the_old_secret_working_for_now(staff_client, tenant_a):
    staff_client.post(page(tenant_a.tenant, "secrets/rotate/"), {"grace_hours": "2", "label": "", "confirmed": "True"})

    take_shown_secret(staff_client, tenant_a.tenant)
    assert api_login_status(tenant_a.tenant, secret=tenant_a.secret, email=tenant_a.admin_email) == 200
    old = TenantSecret.objects.get(tenant=tenant_a.tenant, label="default", replaced_by__isnull=False)
    assert timedelta(hours=1, minutes=59) < old.expires_at - timezone.now() <= timedelta(hours=2)


def test_a_staff_rotation_defaults_to_24_hours_and_asks_for_confirmation_first(staff_client, tenant_a):
    form = staff_client.get(page(tenant_a.tenant, "secrets/rotate/")).content.decode()
    assert re.search(r'<input[^>]*name="grace_hours"[^>]*value="24"', form)
    asked = staff_client.post(page(tenant_a.tenant, "secrets/rotate/"), {"grace_hours": "", "label": "fleet-3"})
    assert asked.status_code == 200
    html = asked.content.decode()
    assert "keeps working for 24 hours" in html and "Yes, rotate" in html
    assert re.search(r'<input type="hidden" name="confirmed" value="True"', html)
    assert not TenantSecret.objects.filter(tenant=tenant_a.tenant, replaced_by__isnull=False).exists()
    assert not events(tenant_a.tenant, kind=SecurityEvent.Kind.SECRET_ROTATED)
    done = staff_client.post(page(tenant_a.tenant, "secrets/rotate/"),
                             {"secret": "", "grace_hours": "24", "label": "fleet-3", "confirmed": "True"})
    assert done.status_code == 302
    take_shown_secret(staff_client, tenant_a.tenant)
    old = TenantSecret.objects.get(tenant=tenant_a.tenant, label="default")
    assert timedelta(hours=23, minutes=59) < old.expires_at - timezone.now() <= timedelta(hours=24)


def test_added_secret_is_listed_without_its_hash_and_expire_now_stops_it(staff_client, tenant_a):
    response = staff_client.post(page(tenant_a.tenant, "secrets/add/"), {"label": "tablets", "expires_at": ""})
    assert response.status_code == 302
    secret = take_shown_secret(staff_client, tenant_a.tenant)
    assert api_login_status(tenant_a.tenant, secret=secret, email=tenant_a.admin_email) == 200
    assert api_login_status(tenant_a.tenant, secret=tenant_a.secret, email=tenant_a.admin_email) == 200

    listing = staff_client.get(page(tenant_a.tenant, "secrets/")).content.decode()
    added = TenantSecret.objects.get(tenant=tenant_a.tenant, label="tablets")
    assert "tablets" in listing and STAFF_EMAIL in listing
    assert added.secret_hash not in listing and "$argon2" not in listing

    staff_client.post(page(tenant_a.tenant, f"secrets/{added.pk}/expire/"))

    added.refresh_from_db()
    assert added.expires_at <= timezone.now()
    assert api_login_status(tenant_a.tenant, secret=secret, email=tenant_a.admin_email) == 401
    assert [e.actor for e in events(tenant_a.tenant, kind=SecurityEvent.Kind.SECRET_EXPIRED)] == [STAFF_EMAIL]
    assert "expired" in staff_client.get(page(tenant_a.tenant, "secrets/")).content.decode()


def test_a_secret_expiring_in_the_past_is_refused_next_to_the_field(staff_client, tenant_a):
    response = staff_client.post(page(tenant_a.tenant, "secrets/add/"),
                                 {"label": "late", "expires_at": "2001-01-01T00:00"})

    assert response.status_code == 200
    assert response.context["form"].errors["expires_at"] == ["The expiry must be in the future."]
    assert not TenantSecret.objects.filter(tenant=tenant_a.tenant, label="late").exists()


def test_expire_now_only_answers_post(staff_client, tenant_a):
    secret = TenantSecret.objects.filter(tenant=tenant_a.tenant).first()
    assert staff_client.get(page(tenant_a.tenant, f"secrets/{secret.pk}/expire/")).status_code == 405


# --------------------------------------------------------------------------- audit log


def test_audit_log_lists_the_rows_of_this_tenant_only(staff_client, tenant_a, tenant_b):
    with schema_context(tenant_a.tenant.schema_name):
        audit_record(kind="LOGIN_FAILED", outcome="FAILURE", layer="password", actor="only-in-a@example.test")
    with schema_context(tenant_b.tenant.schema_name):
        audit_record(kind="LOGIN_FAILED", outcome="FAILURE", layer="password", actor="only-in-b@example.test")

    content = staff_client.get(page(tenant_a.tenant, "audit/")).content.decode()

    assert "only-in-a@example.test" in content and "only-in-b@example.test" not in content
    assert tenant_a.public_id in content


def test_audit_log_filters_by_kind_and_outcome(staff_client, tenant_a):
    with schema_context(tenant_a.tenant.schema_name):
        audit_record(kind="LOGIN_FAILED", outcome="FAILURE", actor="failed@example.test")
        audit_record(kind="LOGIN_SUCCEEDED", outcome="SUCCESS", actor="succeeded@example.test")

    by_kind = staff_client.get(page(tenant_a.tenant, "audit/"), {"kind": "LOGIN_SUCCEEDED"}).content.decode()
    by_outcome = staff_client.get(page(tenant_a.tenant, "audit/"), {"outcome": "FAILURE"}).content.decode()

    assert "succeeded@example.test" in by_kind and "failed@example.test" not in by_kind
    assert "failed@example.test" in by_outcome and "succeeded@example.test" not in by_outcome


def test_audit_log_shows_fifty_rows_a_page_newest_first(staff_client, tenant_a):
    with schema_context(tenant_a.tenant.schema_name):
        SecurityEvent.objects.bulk_create(
            SecurityEvent(kind="LOGOUT", outcome="SUCCESS", actor=f"pager-{n:02d}@example.test") for n in range(51)
        )

    first = staff_client.get(page(tenant_a.tenant, "audit/"), {"kind": "LOGOUT"}).content.decode()
    second = staff_client.get(page(tenant_a.tenant, "audit/"), {"kind": "LOGOUT", "page": "2"}).content.decode()

    assert first.count("@example.test</td>") == 50
    assert "pager-50@" in first and "pager-00@" not in first
    assert "pager-00@" in second and "kind=LOGOUT&amp;page=2" in first


# --------------------------------------------------------------------------- a tenant's users


def test_staff_creates_a_user_in_the_tenant_and_changes_their_role(staff_client, client, tenant_a):
    response = staff_client.post(page(tenant_a.tenant, "users/add/"), {
        "email": "newbie@permian.test", "name": "New Bie", "role": "OPERATOR",
        "password": PASSWORD, "password2": PASSWORD,
    })

    assert response.status_code == 302 and response["Location"] == page(tenant_a.tenant, "users/")
    with schema_context(tenant_a.tenant.schema_name):
        user = User.objects.get(email="newbie@permian.test")
        assert user.role == Role.OPERATOR and list(user.groups.values_list("name", flat=True)) == ["OPERATOR"]
    assert not User.objects.filter(email="newbie@permian.test").exists()
    assert "newbie@permian.test" in staff_client.get(page(tenant_a.tenant, "users/")).content.decode()
    assert api_login_status(tenant_a.tenant, secret=tenant_a.secret, email="newbie@permian.test") == 200

    staff_client.post(page(tenant_a.tenant, f"users/{user.pk}/role/"), {"role": "MANAGER"})

    with schema_context(tenant_a.tenant.schema_name):
        user.refresh_from_db()
        assert user.role == Role.MANAGER and list(user.groups.values_list("name", flat=True)) == ["MANAGER"]
    [created] = events(tenant_a.tenant, kind=SecurityEvent.Kind.USER_CREATED, user_id=user.pk)
    [changed] = events(tenant_a.tenant, kind=SecurityEvent.Kind.ROLE_CHANGED, user_id=user.pk)
    assert created.actor == changed.actor == STAFF_EMAIL
    assert changed.detail == {"from": "OPERATOR", "to": "MANAGER"}


def test_staff_deactivates_and_reactivates_a_tenant_user(staff_client, tenant_a):
    with schema_context(tenant_a.tenant.schema_name):
        user = User.objects.get(email=tenant_a.users[Role.OPERATOR])

    staff_client.post(page(tenant_a.tenant, f"users/{user.pk}/deactivate/"))
    assert api_login_status(tenant_a.tenant, secret=tenant_a.secret, email=user.email) == 401

    staff_client.post(page(tenant_a.tenant, f"users/{user.pk}/reactivate/"))
    assert api_login_status(tenant_a.tenant, secret=tenant_a.secret, email=user.email) == 200
    kinds = [e.kind for e in events(tenant_a.tenant, user_id=user.pk, actor=STAFF_EMAIL)]
    assert sorted(kinds) == ["USER_DEACTIVATED", "USER_REACTIVATED"]


def test_user_form_shows_errors_next_to_the_fields(staff_client, tenant_a):
    taken = staff_client.post(page(tenant_a.tenant, "users/add/"), {
        "email": tenant_a.users[Role.MANAGER], "role": "OPERATOR", "password": PASSWORD, "password2": PASSWORD,
    })
    mismatch = staff_client.post(page(tenant_a.tenant, "users/add/"), {
        "email": "x@permian.test", "role": "OPERATOR", "password": PASSWORD, "password2": PASSWORD + "x",
    })

    assert taken.status_code == 200
    assert taken.context["form"].errors["email"] == ["A user with this email already exists in this tenant."]
    assert mismatch.context["form"].errors["password2"] == ["The two passwords differ."]


def test_a_user_of_another_tenant_cannot_be_changed_through_this_tenants_pages(staff_client, tenant_a, tenant_b):
    with schema_context(tenant_b.tenant.schema_name):
        user_of_b = User.objects.get(email=tenant_b.users[Role.OPERATOR])

    response = staff_client.post(page(tenant_a.tenant, f"users/{user_of_b.pk}/role/"), {"role": "ADMIN"})

    assert response.status_code == 404
    with schema_context(tenant_b.tenant.schema_name):
        assert User.objects.get(pk=user_of_b.pk).role == Role.OPERATOR


# --------------------------------------------------------------------------- who may, and what they see

TENANT_PAGES = [
    "change/", "users/", "users/add/", "secrets/", "secrets/rotate/", "secrets/add/", "audit/", "suspend/",
    "soft-delete/", "secret-shown/",
]


@pytest.mark.parametrize("suffix", TENANT_PAGES)
def test_every_tenant_page_names_the_tenant_in_its_title_and_banner(staff_client, tenant_a, suffix):
    response = staff_client.get(page(tenant_a.tenant, suffix))

    assert response.status_code == 200
    content = response.content.decode()
    title = re.search(r"<title>(.*?)</title>", content, re.S).group(1)
    assert tenant_a.public_id in title and "Permian Pumpers" in title
    assert 'class="tenant-banner' in content and f'<span class="tenant-id">{tenant_a.public_id}</span>' in content


@pytest.mark.parametrize("suffix", ["change/", "users/", "secrets/", "audit/", "suspend/"])
def test_non_staff_users_are_sent_to_the_admin_login(tenant_a, suffix):
    user = User(email="not-staff@pumpjack.test", is_staff=False)
    user.set_password(PASSWORD)
    user.save()
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)

    response = client.post(page(tenant_a.tenant, suffix)) if suffix == "suspend/" else client.get(
        page(tenant_a.tenant, suffix))

    assert response.status_code == 302 and response["Location"].startswith("/admin/login/?next=")
    assert fresh(tenant_a.tenant).status == Tenant.Status.ACTIVE


def test_anonymous_visitors_are_sent_to_the_admin_login(tenant_a):
    response = Client(HTTP_HOST="localhost").get(page(tenant_a.tenant, "users/"))
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/?next=")


def test_admin_home_page_lists_tenants_and_staff(staff_client):
    response = staff_client.get("/admin/")

    assert response.status_code == 200
    assert 'href="/admin/tenants/tenant/"' in response.content.decode()
    assert 'href="/admin/accounts/user/"' in response.content.decode()


def test_tenant_list_searches_and_filters(staff_client, tenant_a, tenant_b):
    found = staff_client.get("/admin/tenants/tenant/", {"q": "permian"}).content.decode()
    trial = staff_client.get("/admin/tenants/tenant/", {"status__exact": "TRIAL"}).content.decode()

    assert tenant_a.public_id in found and tenant_b.public_id not in found
    assert tenant_a.public_id not in trial
    assert "Create tenant" in staff_client.get("/admin/tenants/tenant/add/").content.decode()


def test_staff_users_are_managed_in_the_public_schema(staff_client, tenant_a):
    listing = staff_client.get("/admin/accounts/user/").content.decode()
    assert STAFF_EMAIL in listing and tenant_a.admin_email not in listing

    response = staff_client.post("/admin/accounts/user/add/", {
        "email": "Second@Pumpjack.test", "name": "Second", "is_staff": "on", "usable_password": "true",
        "password1": PASSWORD, "password2": PASSWORD,
    })

    assert response.status_code == 302
    second = User.objects.get(email="second@pumpjack.test")
    assert second.is_staff and not second.is_superuser and second.check_password(PASSWORD)
    assert staff_client.get(f"/admin/accounts/user/{second.pk}/password/").status_code == 200
