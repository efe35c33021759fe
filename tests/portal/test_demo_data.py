"""The demo data set that ``seed_demo`` (``make run``) puts in the demo tenant: plausible Permian
Basin wells, 90 days of production, a route for the demo OPERATOR; fast and idempotent."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest

from wells.demo import demo_data_seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(tenant_a, in_tenant):
    started = time.perf_counter()
    counts = demo_data_seed(tenant=tenant_a.tenant, operator_email=tenant_a.users["OPERATOR"])
    return counts, time.perf_counter() - started


def test_the_demo_data_is_quick_to_make(seeded):
    counts, seconds = seeded
    assert seconds < 5
    assert counts["wells"] == 40 and counts["production"] > 8000 and counts["records"] > 0


def test_demo_wells_look_like_permian_basin_wells(seeded, tenant_a, in_tenant):
    from wells.domain import api_number_problem
    from wells.models import Equipment, Well

    with in_tenant(tenant_a):
        wells = list(Well.objects.all())
        equipment = Counter(Equipment.objects.values_list("well_id", flat=True))
    assert len(wells) == 40
    assert {w.lease for w in wells} == {"Tarzan Unit", "Greenwood Ranch", "Toyah Draw"}
    assert {w.field for w in wells} == {"Spraberry (Trend Area)", "Phantom (Wolfcamp)"}
    for well in wells:
        assert api_number_problem(well.api_number) is None and well.api_number.startswith("42")
        assert well.state == "TX"
        assert Decimal("31.0") < well.latitude < Decimal("32.6") and Decimal("-104.2") < well.longitude < Decimal("-101.5")
        assert equipment[well.pk] >= 4
    statuses = Counter(w.status for w in wells)
    assert statuses["ACTIVE"] >= 30 and set(statuses) == {"ACTIVE", "SHUT_IN", "INACTIVE", "PLUGGED"}


def test_active_wells_have_90_days_of_plausible_declining_production(seeded, tenant_a, in_tenant):
    from wells.domain import normalise_volume
    from wells.models import ProductionRecord, Well
    from wells.selectors import tenant_today

    today = tenant_today(tenant_a.tenant.time_zone)
    with in_tenant(tenant_a):
        records = list(ProductionRecord.objects.select_related("well"))
        active = Well.objects.filter(status="ACTIVE").count()
    assert {r.well.status for r in records} == {"ACTIVE"}
    assert len(records) == active * 90 * 3
    assert min(r.production_date for r in records) == today - timedelta(days=89)
    assert max(r.production_date for r in records) == today
    assert all(r.volume_normalized == normalise_volume(r.product, r.volume, r.unit) for r in records)
    downtime = [r for r in records if r.downtime_hours]
    assert downtime and all(r.downtime_reason for r in downtime)
    assert any(r.downtime_hours == 24 and r.volume == 0 for r in downtime)
    # Declining: the field's oil in the last 30 days is below the first 30 days', and gas follows oil.
    oil = [r for r in records if r.product == "OIL"]
    first = sum(r.volume for r in oil if r.production_date < today - timedelta(days=59))
    last = sum(r.volume for r in oil if r.production_date > today - timedelta(days=30))
    assert last < first
    gas = sum(r.volume for r in records if r.product == "GAS")
    assert Decimal("1") < gas / sum(r.volume for r in oil) < Decimal("4")


def test_the_demo_operator_gets_a_route_with_field_records(seeded, tenant_a, in_tenant):
    from wells.models import EquipmentInspection, FieldNote, WellAssignment, WellReading

    counts, _ = seeded
    with in_tenant(tenant_a):
        route = set(WellAssignment.objects.filter(user__email=tenant_a.users["OPERATOR"])
                    .values_list("well_id", flat=True))
        assert len(route) == counts["route"] == 12
        for model in (WellReading, EquipmentInspection, FieldNote):
            rows = list(model.objects.all())
            assert rows and {r.well_id for r in rows} <= route
            assert {r.recorded_by.email for r in rows} == {tenant_a.users["OPERATOR"]}
        assert EquipmentInspection.objects.exclude(status="PASS").exists()


def test_seeding_twice_changes_nothing(seeded, tenant_a, in_tenant):
    from wells.models import ProductionRecord, Well, WellAssignment

    with in_tenant(tenant_a):
        before = (Well.objects.count(), ProductionRecord.objects.count(), WellAssignment.objects.count())
    assert demo_data_seed(tenant=tenant_a.tenant) == {"wells": 0, "equipment": 0, "production": 0, "records": 0,
                                                      "route": 0}
    with in_tenant(tenant_a):
        assert (Well.objects.count(), ProductionRecord.objects.count(), WellAssignment.objects.count()) == before


def test_without_the_demo_operator_there_is_no_route(tenant_a, in_tenant):
    from wells.models import WellAssignment

    counts = demo_data_seed(tenant=tenant_a.tenant)  # operator@demo.pumpjack.test is not in this tenant
    assert counts["wells"] == 40 and counts["route"] == 0
    with in_tenant(tenant_a):
        assert not WellAssignment.objects.exists()
