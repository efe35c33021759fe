"""The staff admin's pages about where a tenant's data lives: creating a tenant with a database of
its own (testing its URL first), the masked URL on its pages, testing and migrating its database,
and moving it to a database of its own and back. The URL is never shown back in full."""

from __future__ import annotations

import re
import socket
import uuid
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context, schema_exists

from accounts.models import User
from config.crypto import encrypt
from tenants.databases import database_url_masked, tenant_databases
from tenants.models import Tenant
from tests import servers
from tests.servers import pg_url_as
from tests.factories import PASSWORD, STAFF_EMAIL, make_tenant

DB_PASSWORD = "Pipe-Dream-7xQ!"
SECRET_ON_PAGE = re.compile(r'<code id="tenant-secret"[^>]*>([0-9a-f]{64})</code>')


def page(tenant: Tenant, suffix: str = "change/") -> str:
    return f"/admin/tenants/tenant/{tenant.pk}/{suffix}"


def shows_no_password(content: str, password: str = DB_PASSWORD) -> bool:
    return password not in content and quote(password, safe="") not in content


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def url_password() -> str:
    """A password the test server accepts in a URL: its own, or any (trust authentication), so
    that the pages can be checked for it."""
    return settings.DATABASES["default"].get("PASSWORD") or DB_PASSWORD


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def new_databases(django_db_blocker):
    """Empty PostgreSQL databases (URL with a password), dropped after the test. Connections to
    them are allowed although Django's test case did not know their aliases when it started."""
    made: list[str] = []

    def make() -> str:
        name = f"test_pumpjack_{settings.TEST_RUN_ID}_adm_{uuid.uuid4().hex[:6]}"
        servers.pg_database_create(name)
        made.append(name)
        return servers.pg_url(name, password=url_password())

    with django_db_blocker.unblock():
        yield make
        tenant_databases.clear()
        for name in made:
            servers.pg_database_drop(name)


def create_form(**fields) -> dict:
    return {"name": "Williston Wells", "slug": "williston", "time_zone": "America/Chicago", "tier": "STARTER",
            "admin_email": "boss@williston.test", "admin_password": PASSWORD, "admin_password2": PASSWORD,
            "isolation": "DATABASE", **fields}


# --------------------------------------------------------------------------- creating


@pytest.mark.django_db
def test_create_page_tests_a_database_url_without_saving_and_never_shows_it_back(staff_client, new_databases):
    wrong_user = pg_url_as("pumpjack_nobody", DB_PASSWORD, "postgres")

    refused = staff_client.post("/admin/tenants/tenant/add/", create_form(database_url=wrong_user, action="test"))

    content = refused.content.decode()
    assert refused.status_code == 200 and not Tenant.objects.filter(slug="williston").exists()
    assert "Bad credentials" in content and "pumpjack_nobody" in content
    assert shows_no_password(content)
    assert 'value="Williston Wells"' in content  # the form comes back as typed, without errors
    assert "This field is required" not in content

    good = new_databases()
    accepted = staff_client.post("/admin/tenants/tenant/add/", create_form(database_url=good, action="test"))

    content = accepted.content.decode()
    assert "may create tables" in content and "•••" in content  # the URL noted back masked
    assert shows_no_password(content, url_password())
    assert not Tenant.objects.filter(slug="williston").exists()


@pytest.mark.django_db
def test_creating_a_tenant_with_its_own_database_through_the_admin(staff_client, new_databases):
    url = new_databases()

    # The URL typed once is carried (encrypted) to the next button: a failed save keeps it.
    first = staff_client.post("/admin/tenants/tenant/add/", create_form(database_url=url, admin_password2="other"))
    assert first.status_code == 200 and "The two passwords differ." in first.content.decode()
    token = first.context["form"].data["url_token"]
    assert token and shows_no_password(first.content.decode(), url_password())
    response = staff_client.post("/admin/tenants/tenant/add/", create_form(url_token=token))

    tenant = Tenant.objects.get(slug="williston")
    assert response.status_code == 302 and response["Location"] == page(tenant, "secret-shown/")
    assert tenant.isolation == "DATABASE" and url not in tenant.database_url  # stored encrypted
    assert not schema_exists(tenant.schema_name)
    with schema_context(tenant.schema_name):
        assert User.objects.get(email="boss@williston.test").role == "ADMIN"  # in its own database
    secret = SECRET_ON_PAGE.search(staff_client.get(page(tenant, "secret-shown/")).content.decode()).group(1)
    login = Client().post("/api/v1/auth/login", {"email": "boss@williston.test", "password": PASSWORD},
                          content_type="application/json", HTTP_X_TENANT_ID=tenant.public_id,
                          HTTP_X_TENANT_SECRET=secret)
    assert login.status_code == 200
    assert LogEntry.objects.filter(object_id=str(tenant.pk)).exists()


@pytest.mark.django_db
def test_a_database_tenant_needs_a_url_that_works(staff_client, new_databases):
    missing = staff_client.post("/admin/tenants/tenant/add/", create_form())
    assert "Give the URL of the tenant&#x27;s own database" in missing.content.decode()

    unreachable = f"postgresql://pumpjack:{quote(DB_PASSWORD, safe='')}@127.0.0.1:{closed_port()}/acme"
    refused = staff_client.post("/admin/tenants/tenant/add/", create_form(database_url=unreachable))

    content = refused.content.decode()
    assert refused.status_code == 200 and "cannot be reached" in content
    assert "database_url" in refused.context["form"].errors
    assert shows_no_password(content)
    assert not Tenant.objects.filter(slug="williston").exists()


# --------------------------------------------------------------------------- one tenant's database


@pytest.mark.django_db
def test_change_and_database_pages_show_the_url_masked_and_test_it(staff_client, new_databases):
    tenant = make_tenant(name="Masked Midstream", slug="masked", database_url=new_databases()).tenant

    change = staff_client.get(page(tenant)).content.decode()
    database = staff_client.get(page(tenant, "database/")).content.decode()

    for content in (change, database):
        assert database_url_masked(tenant) in content and "•••" in content
        assert shows_no_password(content, url_password())
    assert "Move back to a schema" in change and page(tenant, "database/") in change
    assert "Test connection" in database

    assert staff_client.get(page(tenant, "database/test/")).status_code == 405  # actions are POSTs
    tested = staff_client.post(page(tenant, "database/test/"))
    assert tested.status_code == 302 and tested["Location"] == page(tenant, "database/")
    [message] = messages_of(tested)
    assert "may create tables" in message and "Server version" in message
    assert shows_no_password(message, url_password())


@pytest.mark.django_db
def test_migrate_applies_what_the_tenant_lacks_then_finds_it_up_to_date(staff_client, new_databases):
    tenant = Tenant.objects.create(public_id="BEHIND-AAAAAA", slug="behind", name="Behind Basin",
                                   schema_name="t_behind", isolation="DATABASE",
                                   database_url=encrypt(new_databases()))  # registered, never migrated

    assert staff_client.get(page(tenant, "database/migrate/")).status_code == 405
    first = staff_client.post(page(tenant, "database/migrate/"))
    second = staff_client.post(page(tenant, "database/migrate/"))

    [applied] = messages_of(first)
    assert re.fullmatch(r"\d+ migrations applied to its database\.", applied), applied
    assert messages_of(second)[-1] == "Its database is up to date: nothing to apply."  # (messages pile up unread)
    assert LogEntry.objects.filter(object_id=str(tenant.pk), change_message__startswith="Migrated").count() == 1


@pytest.mark.django_db
def test_a_schema_tenant_has_no_connection_to_test_and_migrates_in_its_schema(staff_client):
    tenant = make_tenant(name="Schema Shale", slug="schema-shale").tenant

    database = staff_client.get(page(tenant, "database/")).content.decode()
    tested = staff_client.post(page(tenant, "database/test/"))
    migrated = staff_client.post(page(tenant, "database/migrate/"))

    assert f"<code>{tenant.schema_name}</code> in the shared database" in database
    assert "Test connection" not in database and "Move to its own database" in database
    assert "no database of its own to test" in messages_of(tested)[0]
    assert messages_of(migrated)[-1] == f"Schema {tenant.schema_name} is up to date: nothing to apply."


@pytest.mark.django_db
def test_database_pages_are_for_staff_only(client):
    tenant = make_tenant(name="Private Petroleum", slug="private").tenant
    user = User.objects.create(email="not-staff@pumpjack.test", is_staff=False)  # in the public schema
    client.force_login(user)

    for suffix in ("database/", "database/move/"):
        response = client.get(page(tenant, suffix), HTTP_HOST="localhost")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    response = client.post(page(tenant, "database/migrate/"), HTTP_HOST="localhost")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --------------------------------------------------------------------------- moving


@pytest.fixture
def committed(django_db_setup, django_db_blocker, settings):
    """A move commits on several databases, which no test transaction rolls back: this test
    commits, and removes its staff user, tenant, schemas and databases at the end."""
    settings.TENANT_MOVE_SETTLE_SECONDS = 0  # no other process serves this tenant
    made = {"tenants": [], "databases": []}
    with django_db_blocker.unblock():
        try:
            yield made
        finally:
            connection.set_schema_to_public()
            for tenant in made["tenants"]:
                tenant_databases.forget_tenant(tenant)
                with connection.cursor() as cursor:
                    cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname = %s OR nspname LIKE %s",
                                   [tenant.schema_name, tenant.schema_name.replace("_", r"\_") + r"\_moved\_%"])
                    for (name,) in cursor.fetchall():
                        cursor.execute(f'DROP SCHEMA "{name}" CASCADE')
                LogEntry.objects.filter(object_id=str(tenant.pk)).delete()
                Tenant.objects.filter(pk=tenant.pk).delete()
            staff = list(User.objects.filter(email=STAFF_EMAIL).values_list("pk", flat=True))
            LogEntry.objects.filter(user_id__in=staff).delete()
            with connection.cursor() as cursor:  # (the ORM's cascade looks for tenant-only tables here)
                cursor.execute(f"DELETE FROM {User._meta.db_table} WHERE email = %s", [STAFF_EMAIL])
            for name in made["databases"]:
                servers.pg_database_drop(name)


def test_moving_a_tenant_to_its_own_database_and_back_from_the_admin(committed):
    tenant = make_tenant(name="Mover Midland", slug="mover-midland").tenant
    committed["tenants"].append(tenant)
    name = f"test_pumpjack_{settings.TEST_RUN_ID}_adm_move"
    servers.pg_database_create(name)
    committed["databases"].append(name)
    url = servers.pg_url(name, password=url_password())
    staff = User.objects.create_superuser(STAFF_EMAIL, PASSWORD)
    client = Client(HTTP_HOST="localhost")
    client.force_login(staff)
    move = page(tenant, "database/move/")

    form = client.get(move).content.decode()
    assert "Move to its own database" in form and "writes are refused (503)" in form
    tested = client.post(move, {"database_url": url, "action": "test"}).content.decode()
    assert "may create tables" in tested and shows_no_password(tested, url_password())
    unconfirmed = client.post(move, {"database_url": url, "keep_source": "on", "action": "save"})
    assert unconfirmed.status_code == 200 and "confirm" in unconfirmed.context["form"].errors
    assert Tenant.objects.get(pk=tenant.pk).isolation == "SCHEMA"

    there = client.post(move, {"database_url": url, "keep_source": "on", "confirm": "on", "action": "save"})

    assert there.status_code == 302 and there["Location"] == page(tenant)
    moved = Tenant.objects.get(pk=tenant.pk)
    assert moved.isolation == "DATABASE" and moved.status == "ACTIVE"
    [message] = messages_of(there)
    assert "now lives in its own database" in message and "•••" in message
    assert f"kept at {tenant.schema_name}_moved_" in message and shows_no_password(message, url_password())
    with schema_context(tenant.schema_name):
        assert User.objects.filter(email=f"admin@{tenant.slug}.test").exists()

    back_form = client.get(move).content.decode()
    assert "Move back to a schema" in back_form and 'name="database_url"' not in back_form
    back = client.post(move, {"confirm": "on", "action": "save"})

    assert back.status_code == 302
    assert Tenant.objects.get(pk=tenant.pk).isolation == "SCHEMA" and schema_exists(tenant.schema_name)
    assert f"schema {tenant.schema_name} of the shared database" in messages_of(back)[-1]
    assert LogEntry.objects.filter(object_id=str(tenant.pk), change_message__startswith="Moved").count() == 2
