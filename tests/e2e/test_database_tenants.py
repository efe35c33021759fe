"""Tenants with a database of their own, through the real web server and a real Celery worker:
a batch pushed over HTTP is processed by the worker into the tenant's own database (PostgreSQL,
MariaDB), next to a schema tenant served by the same processes."""

from __future__ import annotations

import pytest
import requests

from sync.models import SyncBatch
from tests.conftest import tenant_at_level
from tests.e2e.conftest import committed, wait_until
from tests.e2e.test_sync_worker import batch_status, make_well, outcomes, production_events, push
from wells.models import ProductionRecord

pytestmark = pytest.mark.live


@pytest.mark.parametrize("level", ["database-postgresql", "database-mariadb"])
def test_a_batch_of_a_database_tenant_is_processed_by_the_worker_into_its_own_database(
    level, live_web, workers, e2e_tenant, django_db_blocker, tenant_databases_dropped
):
    with django_db_blocker.unblock():
        own = tenant_at_level(level, name="Own Database Oil", slug="owndb")
    workers.start(concurrency=1)
    batches = {}
    for handle in (own, e2e_tenant):
        well = make_well(django_db_blocker, handle, f"Worker Well {level}")
        token = live_web.login(handle, handle.users["OPERATOR"])
        batches[handle.public_id] = (well, push(live_web, handle, token, production_events(well, 15)))
        listed = requests.get(f"{live_web.url}/api/v1/wells/", headers=live_web.api(handle, token), timeout=30)
        assert listed.status_code == 200 and well.name in listed.text

    for handle in (own, e2e_tenant):
        well, body = batches[handle.public_id]
        wait_until(lambda: outcomes(django_db_blocker, handle, body["batchId"]) == {"APPLIED": 15}
                   and batch_status(django_db_blocker, handle, body["batchId"]) != "PROCESSING",
                   seconds=60, message=f"the batch of {handle.public_id} to be applied")
        with committed(django_db_blocker, handle):
            assert SyncBatch.objects.get(pk=body["batchId"]).status == "COMPLETED"
            assert ProductionRecord.objects.filter(well=well).count() == 15
    # The rows are where the tenant's level says: its own database, not the shared one.
    from tenants.databases import tenant_databases

    with committed(django_db_blocker, own):
        alias = tenant_databases.alias_for_schema(own.tenant.schema_name)
        assert alias is not None
        assert ProductionRecord.objects.using(alias).filter(well_id=batches[own.public_id][0].pk).count() == 15
