"""The dashboard: wells by status, today's and the last 7 days' production per product, pending
conflicts; an OPERATOR's figures cover only their route."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest

from tests.portal.conftest import assign, make_production, make_well

pytestmark = pytest.mark.django_db


def figure(response, product: str, period: str) -> str:
    match = re.search(rf'data-product="{product}" data-period="{period}">([^<]+)<'.encode(), response.content)
    return match.group(1).decode()


def status_count(response, status: str) -> int:
    return int(re.search(rf'data-status="{status}">(\d+)<'.encode(), response.content).group(1))


def pending(response) -> int:
    return int(re.search(rb'data-figure="pending-conflicts">(\d+)<', response.content).group(1))


def make_conflict(handle, well, status="PENDING_REVIEW"):
    from django_tenants.utils import schema_context

    from sync.models import Conflict, SyncBatch, SyncEvent

    with schema_context(handle.tenant.schema_name):
        batch = SyncBatch.objects.create()
        event = SyncEvent.objects.create(event_id=uuid.uuid4(), batch=batch, type="EQUIPMENT_INSPECTED",
                                         payload={}, content_hash="0" * 64)
        return Conflict.objects.create(event=event, well=well, event_type="EQUIPMENT_INSPECTED",
                                       reason="Two inspections disagree.", strategy="MANUAL_REVIEW", status=status)


@pytest.fixture
def field(tenant_a):
    """Three wells; the OPERATOR's route holds the first two."""
    from wells.selectors import tenant_today

    today = tenant_today(tenant_a.tenant.time_zone)
    route_active = make_well(tenant_a, name="Route Active 1H", status="ACTIVE")
    route_shut_in = make_well(tenant_a, name="Route Shut In 2H", status="SHUT_IN")
    elsewhere = make_well(tenant_a, name="Elsewhere 3H", status="ACTIVE")
    assign(tenant_a, "OPERATOR", [route_active, route_shut_in])
    for well, oil in ((route_active, 100), (elsewhere, 300)):
        make_production(tenant_a, well, today, "OIL", oil)
        make_production(tenant_a, well, today - timedelta(days=6), "OIL", oil / 2)
        make_production(tenant_a, well, today - timedelta(days=7), "OIL", 10_000)  # outside the 7 days
        make_production(tenant_a, well, today, "GAS", oil * 2)
        # Water recorded in cubic metres counts in barrels: 10 m3 = 62.9 BBL.
        make_production(tenant_a, well, today - timedelta(days=1), "WATER", 10, unit="M3")
    make_conflict(tenant_a, route_active)
    make_conflict(tenant_a, elsewhere)
    make_conflict(tenant_a, None)
    make_conflict(tenant_a, route_active, status="RESOLVED")
    return {"route_active": route_active, "elsewhere": elsewhere}


def test_a_manager_sees_every_well_production_and_pending_conflict(portal_as, field):
    response = portal_as("MANAGER").get("/")
    assert response.status_code == 200
    assert status_count(response, "ACTIVE") == 2 and status_count(response, "SHUT_IN") == 1
    assert figure(response, "OIL", "today") == "400 BBL"
    assert figure(response, "GAS", "today") == "800 MCF"
    assert figure(response, "WATER", "today") == "0 BBL"
    assert figure(response, "OIL", "week") == "600 BBL"  # 100 + 300 + 50 + 150, not the 8th day back
    assert figure(response, "WATER", "week") == "125.796 BBL"  # 2 x 10 m3, at the stored precision (3 places)
    assert pending(response) == 3


def test_an_operator_sees_only_their_route_in_every_figure(portal_as, field):
    response = portal_as("OPERATOR").get("/")
    assert response.status_code == 200
    assert b"wells on your route" in response.content
    assert status_count(response, "ACTIVE") == 1 and status_count(response, "SHUT_IN") == 1
    assert figure(response, "OIL", "today") == "100 BBL"
    assert figure(response, "OIL", "week") == "150 BBL"
    assert figure(response, "GAS", "week") == "200 MCF"
    assert pending(response) == 1


def test_today_is_the_tenant_s_day_not_the_server_s(portal_as, tenant_a, monkeypatch):
    from django.utils import timezone

    well = make_well(tenant_a, name="Late Night 1H")
    client = portal_as("MANAGER")
    # 03:30 UTC on March 10 is still March 9 in Chicago (the tenant's time zone).
    instant = datetime(2026, 3, 10, 3, 30, tzinfo=dt_timezone.utc)
    make_production(tenant_a, well, instant.date() - timedelta(days=1), "OIL", 42)
    make_production(tenant_a, well, instant.date(), "OIL", 999)
    monkeypatch.setattr(timezone, "now", lambda: instant)
    response = client.get("/")
    assert figure(response, "OIL", "today") == "42 BBL"  # stored as 42: no invented decimal
    assert b"Mon, Mar 9, 2026" in response.content


def test_with_no_wells_the_dashboard_says_so(portal_as, tenant_a):
    response = portal_as("OPERATOR").get("/")
    assert b"No wells are on your route" in response.content
    assert b"data-period" not in response.content
