"""A well's page reads whatever one stored row holds: a time of an earlier version's poisoned
event is moved out by the data migration, and one that cannot be shown in the local zone is
shown as stored."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django.utils import timezone as dj_timezone
from django_tenants.utils import schema_context

from tests.portal.conftest import make_well
from tests.wells.helpers import run_data_migration
from wells.models import FieldNote, WellReading

pytestmark = pytest.mark.django_db


def test_a_well_page_with_a_poisoned_reading_reads_again_after_the_upgrade(portal_as, tenant_a):
    well = make_well(tenant_a)
    with schema_context(tenant_a.tenant.schema_name):
        WellReading.objects.create(well=well, reading_type="PRESSURE", value=Decimal(1), unit="PSI",
                                   value_normalized=Decimal(1),
                                   recorded_at=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))))
        FieldNote.objects.create(well=well, notes="Gate chained.", recorded_at=datetime(2026, 1, 15, tzinfo=timezone.utc))
    run_data_migration("wells", "0003_quarantined_records", tenant_a)
    response = portal_as("MANAGER").get(f"/wells/{well.pk}/")
    assert response.status_code == 200
    assert b"Gate chained." in response.content and b"Pressure" not in response.content


def test_a_time_that_cannot_be_shown_in_the_local_zone_is_shown_as_stored(portal_as, tenant_a):
    well = make_well(tenant_a)
    with schema_context(tenant_a.tenant.schema_name):
        WellReading.objects.create(well=well, reading_type="PRESSURE", value=Decimal(1), unit="PSI",
                                   value_normalized=Decimal(1), recorded_at=datetime(1, 1, 1, 3, tzinfo=timezone.utc))
    client = portal_as("MANAGER")
    with dj_timezone.override("America/Chicago"):  # 0001-01-01T03:00Z is in year 0 there
        response = client.get(f"/wells/{well.pk}/")
    assert response.status_code == 200
    assert b"0001-01-01T03:00:00Z" in response.content
