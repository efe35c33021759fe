"""wells_for_user scales with the page, not with the route: listing the first page of an
OPERATOR's wells costs the same few queries whether their route holds 5 wells or 500."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from tests.factories import make_user
from tests.wells.helpers import next_api_number
from wells.models import Well, WellAssignment
from wells.selectors import wells_for_user

pytestmark = pytest.mark.django_db

# The role's permissions (user and group: 2), the count (1) and the page (1). Credentials come from
# caches once warm (tenant directory, verified secret, user): no query of theirs per request.
MAX_QUERIES = 4


@pytest.fixture
def big_field(tenant_a):
    """2,000 wells; one OPERATOR with 500 of them on their route, another with 5."""
    with schema_context(tenant_a.tenant.schema_name):
        wells = Well.objects.bulk_create(
            [Well(api_number=next_api_number(), name=f"Well {n:04d}") for n in range(2000)], batch_size=1000
        )
        busy, light = make_user(tenant_a), make_user(tenant_a)
        WellAssignment.objects.bulk_create(
            [WellAssignment(user=busy, well=well) for well in wells[::4]]
            + [WellAssignment(user=light, well=well) for well in wells[1:10:2]]
        )
    return {"busy": busy, "light": light}


def _first_page_queries(api, tenant, user, **params) -> tuple[int, dict]:
    client = api(tenant, user)
    client.get("/api/v1/wells/", params)  # warm the tenant directory and the secret cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/wells/", params)
    assert response.status_code == 200
    return len(queries), response.json()


def test_the_first_page_of_a_500_well_route_takes_a_few_queries(api, tenant_a, big_field, django_assert_max_num_queries):
    client = api(tenant_a, big_field["busy"])
    client.get("/api/v1/wells/")
    with django_assert_max_num_queries(MAX_QUERIES):
        body = client.get("/api/v1/wells/", {"page_size": 200}).json()
    assert body["count"] == 500 and len(body["results"]) == 200


def test_the_query_count_does_not_depend_on_the_route_size(api, tenant_a, big_field):
    busy, busy_body = _first_page_queries(api, tenant_a, big_field["busy"])
    light, light_body = _first_page_queries(api, tenant_a, big_field["light"])
    manager, manager_body = _first_page_queries(api, tenant_a, "MANAGER")
    assert (busy_body["count"], light_body["count"], manager_body["count"]) == (500, 5, 2000)
    assert busy == light == manager <= MAX_QUERIES


def test_a_later_page_and_a_search_cost_the_same(api, tenant_a, big_field):
    first, _ = _first_page_queries(api, tenant_a, big_field["busy"])
    later, body = _first_page_queries(api, tenant_a, big_field["busy"], page=10)
    searched, found = _first_page_queries(api, tenant_a, big_field["busy"], search="Well 1")
    assert first == later == searched
    assert len(body["results"]) == 50 and found["count"] > 0


def test_the_route_is_one_join_not_a_list_of_ids(tenant_a, big_field):
    with schema_context(tenant_a.tenant.schema_name):
        sql = str(wells_for_user(user=big_field["busy"]).query)
    assert 'INNER JOIN "wells_wellassignment"' in sql
    assert " IN (" not in sql  # never the route's ids spelled out, however long the route
