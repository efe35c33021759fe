"""The staff admin's ETL pages: sources listed with masked URLs, a write-only URL field, "test
connection" and "validate mapping", saving only a mapping that fits, runs and "run now"."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from config.crypto import decrypt
from sync.etl.tasks import etl_run_source
from sync.models import EtlRun, EtlSource
from tests.etl.conftest import MAPPING, PG_PASSWORD, api, at

pytestmark = pytest.mark.django_db
SECRET = "Adm1n-Typed-Secret"


def page(tenant_a, suffix: str = "") -> str:
    return f"/admin/tenants/tenant/{tenant_a.tenant.pk}/etl/{suffix}"


def form(**values) -> dict:
    data = {"name": "Corporate DB", "url": "", "interval_minutes": "15", "enabled": "on",
            "mapping": json.dumps(MAPPING), "action": "save"}
    data.update(values)
    return data


def sources(tenant_a) -> list[EtlSource]:
    with schema_context(tenant_a.tenant.schema_name):
        return list(EtlSource.objects.all())


def test_the_sources_page_lists_sources_with_masked_urls(staff_client, tenant_a, pg_db, make_source):
    make_source(pg_db)

    response = staff_client.get(page(tenant_a))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Corporate DB" in content and "postgres:•••@" in content
    assert PG_PASSWORD not in content
    assert f"/admin/tenants/tenant/{tenant_a.tenant.pk}/etl/" in staff_client.get(
        f"/admin/tenants/tenant/{tenant_a.tenant.pk}/users/").content.decode()  # linked from the tenant banner


def test_adding_a_source_checks_the_mapping_against_it_before_saving(staff_client, tenant_a, pg_db):
    url_with_secret = pg_db.url.replace(PG_PASSWORD, SECRET)
    broken = json.loads(json.dumps(MAPPING))
    broken["wells"]["columns"]["name"] = "wellname"

    refused = staff_client.post(page(tenant_a, "add/"), form(url=url_with_secret, mapping=json.dumps(broken)))

    content = refused.content.decode()
    assert refused.status_code == 200 and sources(tenant_a) == []
    assert "wells.columns.name: column &#x27;wellname&#x27; does not exist in table well_master" in content
    assert SECRET not in content  # the URL is never rendered back, not even after an error
    token = re.search(r'name="url_token" value="([^"]+)"', content).group(1)
    assert SECRET not in token and decrypt(token) == url_with_secret  # carried to the next button, encrypted

    saved = staff_client.post(page(tenant_a, "add/"), form(url_token=token))  # URL field left empty this time

    assert saved.status_code == 302
    (source,) = sources(tenant_a)
    assert decrypt(source.url_encrypted) == url_with_secret and SECRET not in source.url_encrypted
    listed = staff_client.get(page(tenant_a)).content.decode()
    assert "saved" in listed and SECRET not in listed


def test_test_connection_and_validate_mapping_show_clear_results(staff_client, tenant_a, pg_db, sqlite_db, tmp_path):
    def press(action, **values):
        response = staff_client.post(page(tenant_a, "add/"), form(action=action, **values))
        assert response.status_code == 200
        return response.content.decode()

    unreachable = press("test", url=f"postgresql://etl:{SECRET}@127.0.0.1:1/fielddata")
    assert "cannot be reached" in unreachable and SECRET not in unreachable
    assert "postgresql://etl:•••@127.0.0.1:1/fielddata" in unreachable  # which URL was tried, masked

    from tests.etl.conftest import pg_url

    missing_db = press("test", url=pg_url("no_such_database_here"))
    assert "&#x27;no_such_database_here&#x27; does not exist" in missing_db

    assert "Connected to the PostgreSQL database" in press("test", url=pg_db.url)

    missing_table = json.loads(json.dumps(MAPPING))
    missing_table["equipment"]["table"] = "gear"
    validated = press("validate", url=sqlite_db.url, mapping=json.dumps(missing_table))
    assert "equipment.table: table &#x27;gear&#x27; does not exist in the source" in validated
    assert "The mapping fits the source" in press("validate", url=sqlite_db.url)

    not_json = press("save", url=sqlite_db.url, mapping="{wells: }")
    assert "Not valid JSON" in not_json and sources(tenant_a) == []


def test_an_unreachable_source_can_be_saved_only_when_asked_to(staff_client, tenant_a):
    url = f"postgresql://etl:{SECRET}@127.0.0.1:1/fielddata"

    refused = staff_client.post(page(tenant_a, "add/"), form(url=url)).content.decode()
    assert "Save without checking against the source" in refused and sources(tenant_a) == []

    assert staff_client.post(page(tenant_a, "add/"), form(url=url, skip_source_check="on")).status_code == 302
    assert sources(tenant_a)[0].url_masked == "postgresql://etl:•••@127.0.0.1:1/fielddata"


def test_the_edit_page_never_shows_the_url_and_keeps_it_when_left_empty(staff_client, tenant_a, pg_db, make_source):
    source = make_source(pg_db)

    edit = staff_client.get(page(tenant_a, f"{source.pk}/")).content.decode()
    assert PG_PASSWORD not in edit and "Leave empty to keep it" in edit
    assert re.search(r'<input type="password" name="url"[^>]*>', edit) and 'name="url" value=' not in edit

    response = staff_client.post(page(tenant_a, f"{source.pk}/"), form(name="Corporate DB", interval_minutes="30"))

    assert response.status_code == 302
    (saved,) = sources(tenant_a)
    assert saved.interval_minutes == 30 and decrypt(saved.url_encrypted) == pg_db.url


def test_run_now_and_the_runs_history_with_rejected_rows(staff_client, tenant_a, sqlite_db, make_source, monkeypatch):
    sqlite_db.add_wells((api(1), "Eddy 1", "", "A", "NM", at(0)), ("not-an-api", "Typo", "", "A", "NM", at(1)))
    source = make_source(sqlite_db)
    monkeypatch.setattr(etl_run_source, "apply_async", lambda args, **kwargs: etl_run_source(*args))  # a worker

    response = staff_client.post(page(tenant_a, f"{source.pk}/run-now/"))

    assert response.status_code == 302 and response["Location"].endswith(f"/etl/{source.pk}/runs/")
    runs = staff_client.get(response["Location"]).content.decode()
    with schema_context(tenant_a.tenant.schema_name):
        run = EtlRun.objects.get(source=source)
    assert (run.trigger, run.rows_inserted, run.rows_rejected) == ("MANUAL", 1, 1)
    assert "is queued" in runs and f'data-run="{run.pk}"' in runs and "SUCCEEDED" in runs
    detail = staff_client.get(page(tenant_a, f"{source.pk}/runs/{run.pk}/")).content.decode()
    assert "api_number=not-an-api" in detail and "bad API number" in detail
    assert staff_client.get(page(tenant_a, f"{source.pk}/run-now/")).status_code == 405


def test_the_etl_pages_are_for_staff_only(client, tenant_a, sqlite_db, make_source):
    source = make_source(sqlite_db)
    anonymous = Client(HTTP_HOST="localhost")
    for suffix in ("", "add/", f"{source.pk}/", f"{source.pk}/runs/"):
        response = anonymous.get(page(tenant_a, suffix))
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
