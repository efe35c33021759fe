"""The database keeps the rules even when code bypasses wells.services (a script, a migration, a bug)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connections
from django_tenants.utils import schema_context

from tenants import databases as tenant_db
from tests.wells.helpers import make_equipment, make_well, next_api_number, production_values
from wells.models import Equipment, ProductionRecord, Well, WellAssignment, WellReading

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_schema(tenant_a):
    with schema_context(tenant_a.tenant.schema_name):
        yield


def refused(create) -> None:
    with pytest.raises(IntegrityError), tenant_db.atomic():  # where the tenant's rows live
        create()


@pytest.mark.parametrize("api_number", ["4250120130030", "42-501-2013-03", "4250120130030A", ""])
def test_a_well_with_a_malformed_api_number_cannot_be_stored(in_schema, api_number):
    refused(lambda: Well.objects.create(api_number=api_number, name="Raw"))


@pytest.mark.parametrize(("field", "value"), [
    ("latitude", Decimal("91")), ("latitude", Decimal("-90.000001")), ("longitude", Decimal("-181")),
    ("longitude", Decimal("180.5")), ("status", "DRILLING"), ("version", 0),
])
def test_a_well_with_a_value_out_of_its_domain_cannot_be_stored(in_schema, field, value):
    refused(lambda: Well.objects.create(api_number=next_api_number(), name="Raw", **{field: value}))


def test_two_wells_cannot_share_an_api_number(in_schema):
    Well.objects.create(api_number="42501201300300", name="First")
    refused(lambda: Well.objects.create(api_number="42501201300300", name="Second"))


def test_equipment_of_an_unknown_type_or_status_cannot_be_stored(tenant_a, in_schema):
    well = make_well(tenant_a)
    refused(lambda: Equipment.objects.create(well=well, type="DRILL", name="x"))
    refused(lambda: Equipment.objects.create(well=well, type="TANK", name="x", status="BROKEN"))


def test_a_well_is_on_a_route_at_most_once(tenant_a, in_schema):
    from accounts.models import User

    well = make_well(tenant_a)
    operator = User.objects.get(email=tenant_a.users["OPERATOR"])
    WellAssignment.objects.create(user=operator, well=well)
    refused(lambda: WellAssignment.objects.create(user=operator, well=well))


@pytest.mark.parametrize(("product", "unit"), [("OIL", "MCF"), ("GAS", "BBL"), ("WATER", "MCF"), ("OIL", "PSI")])
def test_production_in_a_unit_foreign_to_its_product_cannot_be_stored(tenant_a, in_schema, product, unit):
    well = make_well(tenant_a)
    refused(lambda: ProductionRecord.objects.create(**production_values(well, product=product, unit=unit)))


@pytest.mark.parametrize(("field", "value"), [
    ("volume", Decimal("-0.001")), ("downtime_hours", Decimal("24.01")), ("downtime_hours", Decimal("-1")),
    ("product", "NGL"),
])
def test_production_values_out_of_their_domain_cannot_be_stored(tenant_a, in_schema, field, value):
    well = make_well(tenant_a)
    refused(lambda: ProductionRecord.objects.create(**production_values(well, **{field: value})))


def test_a_well_has_one_current_production_record_per_day_and_product(tenant_a, in_schema):
    if not connections[tenant_db.current_db()].features.supports_partial_indexes:
        pytest.skip("MySQL/MariaDB have no partial unique index: there the rule holds through the lock on the "
                    "well that processing takes (tests/sync/test_rules.py)")
    well = make_well(tenant_a)
    first = ProductionRecord.objects.create(**production_values(well))
    refused(lambda: ProductionRecord.objects.create(**production_values(well, volume=Decimal("130"))))
    # Another product, or another day, is another key.
    ProductionRecord.objects.create(**production_values(well, product="WATER"))
    ProductionRecord.objects.create(**production_values(well, production_date=date(2026, 1, 16)))
    # Superseded records stay, as many as there were: only the current one is unique.
    second = ProductionRecord.objects.create(**production_values(well, production_date=date(2026, 1, 17)))
    first.superseded_by = second
    first.save()
    ProductionRecord.objects.create(**production_values(well, volume=Decimal("140")))
    assert ProductionRecord.objects.filter(well=well, production_date=date(2026, 1, 15), product="OIL").count() == 2


def test_a_reading_in_a_unit_foreign_to_its_type_cannot_be_stored(tenant_a, in_schema):
    from django.utils import timezone

    well = make_well(tenant_a)
    make_equipment(tenant_a, well)
    refused(lambda: WellReading.objects.create(well=well, reading_type="PRESSURE", value=1, unit="F",
                                               value_normalized=1, recorded_at=timezone.now()))
