"""Pulling a source into the tenant's tables: first load, incremental runs, transforms, units,
rejected rows, and values recorded in the field that the ETL must never overwrite."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from sync.etl.loader import etl_source_run
from sync.models import Conflict, EtlRun, EtlSource
from wells.changelog.models import Change
from wells.models import Equipment, ProductionRecord, Well

from tests.etl.conftest import MAPPING, api, api_digits, at

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 1)


def pull(in_a, source: EtlSource) -> EtlRun:
    with in_a():
        run = etl_source_run(source_id=source.pk)
        assert run is not None
        return run


def counts(run: EtlRun) -> tuple:
    return run.rows_read, run.rows_inserted, run.rows_updated, run.rows_unchanged, run.rows_rejected


def seed(source_db) -> None:
    source_db.add_wells((api(1), "Eddy 1", "North", "A", "nm", at(0)), (api(2), "Eddy 2", "South", "SI", "NM", at(1)))
    source_db.add_equipment((1, api(1), "pump_jack", "Pump jack", "PJ-ABC", "in"),
                            (2, api(2), "tank", "Tank 1", None, "out"))
    source_db.add_production((1, api(1), DAY, "O", Decimal("12.5"), "BBL", Decimal("0"), at(0)),
                             (2, api(1), DAY, "gas", Decimal("3"), "MCF", None, at(1)),
                             (3, api(2), DAY, "W", Decimal("1"), "M3", Decimal("1.5"), at(2)))


def test_a_first_run_loads_wells_equipment_and_production(source_db, make_source, in_a):
    seed(source_db)
    source = make_source(source_db)

    run = pull(in_a, source)

    assert run.status == EtlRun.Status.SUCCEEDED, run.error
    assert counts(run) == (7, 7, 0, 0, 0)
    assert run.finished_at and run.duration is not None
    with in_a():
        first, second = Well.objects.get(api_number=api_digits(1)), Well.objects.get(api_number=api_digits(2))
        assert (first.name, first.lease, first.status, first.state, first.version) == ("Eddy 1", "North", "ACTIVE",
                                                                                      "NM", 1)
        assert (second.status, second.state) == ("SHUT_IN", "NM")
        pump = Equipment.objects.get(well=first)
        assert (pump.type, pump.name, pump.serial_number, pump.status) == ("PUMP_JACK", "Pump jack", "pj-abc",
                                                                           "IN_SERVICE")
        assert Equipment.objects.get(well=second).status == "OUT_OF_SERVICE"
        production = {(p.well_id, p.product): p for p in ProductionRecord.objects.all()}
        oil = production[(first.pk, "OIL")]
        assert (oil.volume, oil.unit, oil.volume_normalized, oil.downtime_hours) == (
            Decimal("12.500"), "BBL", Decimal("12.500"), Decimal("0.00"))
        water = production[(second.pk, "WATER")]
        assert (water.unit, water.volume_normalized, water.downtime_hours) == ("M3", Decimal("6.290"), Decimal("1.50"))
        assert production[(first.pk, "GAS")].downtime_hours is None
        assert all(p.recorded_by_id is None and p.source_event_id is None for p in production.values())
        # The pull feed sees the new wells and equipment.
        logged = set(Change.objects.values_list("entity", "entity_id"))
        assert {("well", first.pk), ("well", second.pk), ("equipment", pump.pk)} <= logged
        assert set(EtlSource.objects.get(pk=source.pk).cursor) == {"wells", "equipment", "production"}


def test_a_second_run_reads_only_rows_past_the_cursor(source_db, make_source, in_a):
    seed(source_db)
    source = make_source(source_db)
    pull(in_a, source)

    source_db.execute("UPDATE well_master SET well_name = ?, updated_at = ? WHERE api_no = ?",
                      ("Eddy 1 (recompleted)", at(60), api(1)))
    source_db.add_wells((api(3), "Eddy 3", "East", "A", "NM", at(61)))
    source_db.add_production((4, api(3), DAY, "OIL", Decimal("7"), "BBL", None, at(62)))
    run = pull(in_a, source)

    assert run.status == EtlRun.Status.SUCCEEDED, run.error
    assert counts(run) == (3, 2, 1, 0, 0)  # two wells and one production row; no equipment row is new
    with in_a():
        renamed = Well.objects.get(api_number=api_digits(1))
        assert (renamed.name, renamed.version) == ("Eddy 1 (recompleted)", 2)
        assert Change.objects.filter(entity="well", entity_id=renamed.pk, version=2).exists()
        assert ProductionRecord.objects.filter(well__api_number=api_digits(3), volume=7).exists()

    assert counts(pull(in_a, source)) == (0, 0, 0, 0, 0)  # nothing new: nothing read


def test_transforms_map_uppercase_and_lowercase_values_in_order(sqlite_db, make_source, in_a):
    sqlite_db.add_wells((api(1), "Eddy 1", "", "PA", "tx", at(0)))
    sqlite_db.add_equipment((1, api(1), "Separator", "Sep", "SEP-9Z", "out"))
    sqlite_db.add_production((1, api(1), DAY, "Gas", Decimal("4"), "MCF", None, at(0)),
                             (2, api(1), DAY, "o", Decimal("4"), "BBL", None, at(1)))
    source = make_source(sqlite_db)

    run = pull(in_a, source)

    assert counts(run) == (4, 4, 0, 0, 0), run.rejected_rows
    with in_a():
        well = Well.objects.get(api_number=api_digits(1))
        assert (well.status, well.state) == ("PLUGGED", "TX")  # MAP; UPPERCASE
        equipment = Equipment.objects.get(well=well)
        assert (equipment.type, equipment.serial_number, equipment.status) == ("SEPARATOR", "sep-9z", "OUT_OF_SERVICE")
        # LOWERCASE, then MAP: "Gas" -> "gas" -> "GAS", "o" -> "OIL"
        assert set(ProductionRecord.objects.filter(well=well).values_list("product", flat=True)) == {"GAS", "OIL"}


def test_volumes_are_converted_to_our_units(sqlite_db, make_source, in_a):
    sqlite_db.add_wells((api(1), "Eddy 1", "", "A", "NM", at(0)))
    sqlite_db.add_production(
        (1, api(1), date(2026, 11, 1), "OIL", Decimal("2"), "m3", None, at(0)),      # ours: kept in M3
        (2, api(1), date(2026, 11, 2), "OIL", Decimal("84"), "GAL", None, at(1)),    # US gallons -> 2 BBL
        (3, api(1), date(2026, 11, 2), "GAS", Decimal("1500"), "CF", None, at(2)),   # cubic feet -> 1.5 MCF
        (4, api(1), date(2026, 11, 3), "GAS", Decimal("0.25"), "MMCF", None, at(3)),  # -> 250 MCF
        (5, api(1), date(2026, 11, 3), "WATER", Decimal("500"), "L", None, at(4)),   # litres -> 0.5 M3
    )
    source = make_source(sqlite_db)

    run = pull(in_a, source)

    assert run.rows_inserted == 6 and run.rows_rejected == 0, run.rejected_rows
    with in_a():
        rows = {(p.production_date.day, p.product): (p.volume, p.unit, p.volume_normalized)
                for p in ProductionRecord.objects.filter(well__api_number=api_digits(1))}
    assert rows == {
        (1, "OIL"): (Decimal("2.000"), "M3", Decimal("12.580")),
        (2, "OIL"): (Decimal("2.000"), "BBL", Decimal("2.000")),
        (2, "GAS"): (Decimal("1.500"), "MCF", Decimal("1.500")),
        (3, "GAS"): (Decimal("250.000"), "MCF", Decimal("250.000")),
        (3, "WATER"): (Decimal("0.500"), "M3", Decimal("3.145")),
    }


def test_a_fixed_unit_and_base_unit_storage(sqlite_db, make_source, in_a):
    sqlite_db.add_wells((api(1), "Eddy 1", "", "A", "NM", at(0)))
    sqlite_db.add_production((1, api(1), DAY, "OIL", Decimal("10"), "ignored", None, at(0)))
    mapping = {**MAPPING, "production": {
        "table": "daily_production", "store_unit": "base", "constants": {"unit": "M3"},
        "columns": {"api_number": "api_no", "production_date": "prod_date", "product": "product", "volume": "volume"},
    }}
    source = make_source(sqlite_db, mapping=mapping)

    assert pull(in_a, source).rows_rejected == 0
    with in_a():
        record = ProductionRecord.objects.get(well__api_number=api_digits(1))
    assert (record.volume, record.unit, record.volume_normalized) == (Decimal("62.898"), "BBL", Decimal("62.898"))


def test_bad_rows_are_rejected_with_their_reason_while_the_others_load(source_db, make_source, in_a):
    source_db.add_wells(
        (api(1), "Eddy 1", "", "A", "NM", at(0)),
        ("30-015-ABCDE-00-00", "Typo", "", "A", "NM", at(1)),
        ("99-015-00001-00-00", "No such state", "", "A", "NM", at(2)),
        (api(2), "Odd status", "", "Z", "NM", at(3)),
    )
    source_db.add_production(
        (1, api(1), DAY, "OIL", Decimal("5"), "BBL", None, at(0)),
        (2, api(1), DAY, "CONDENSATE", Decimal("5"), "BBL", None, at(1)),
        (3, api(1), DAY, "GAS", Decimal("5"), "BBL", None, at(2)),
        (4, api(1), date(2026, 11, 2), "OIL", Decimal("-3"), "BBL", None, at(3)),
        (5, api(1), date(2026, 11, 3), "OIL", Decimal("3"), "BBL", Decimal("30"), at(4)),
        (6, api(9), DAY, "OIL", Decimal("3"), "BBL", None, at(5)),
        (7, api(1), DAY, "WATER", Decimal("8"), "BBL", None, at(6)),
    )
    source = make_source(source_db)

    run = pull(in_a, source)

    assert run.status == EtlRun.Status.SUCCEEDED
    assert (run.rows_read, run.rows_inserted, run.rows_rejected) == (11, 3, 8)
    reasons = {(r["entity"], r["key"].get("api_number"), r["key"].get("product")): r["reason"]
               for r in run.rejected_rows}
    assert "bad API number '30-015-ABCDE-00-00'" in reasons[("wells", "30-015-ABCDE-00-00", None)]
    assert "99 is not an API state code" in reasons[("wells", "99-015-00001-00-00", None)]
    assert "Status must be one of" in reasons[("wells", api(2), None)]
    # LOWERCASE, then a MAP that does not know it: the reason shows the value as transformed.
    assert "product: must be one of OIL, GAS, WATER (got 'condensate')" in reasons[("production", api(1), "condensate")]
    assert "unit: GAS is measured in MCF or M3 (got 'BBL')" in reasons[("production", api(1), "GAS")]
    oil_reasons = [r["reason"] for r in run.rejected_rows if r["key"].get("product") == "OIL"]
    assert any("volume: must be >= 0" in r for r in oil_reasons)
    assert any("downtime_hours: must be <= 24" in r for r in oil_reasons)
    assert any(f"no well with API number {api_digits(9)}" in r for r in oil_reasons)
    assert all("updated_at" in r["key"] for r in run.rejected_rows)  # the row's cursor value identifies it
    with in_a():
        assert set(ProductionRecord.objects.values_list("product", "volume")) == {("OIL", Decimal("5.000")),
                                                                                  ("WATER", Decimal("8.000"))}


def test_rejected_rows_kept_are_bounded(sqlite_db, make_source, in_a):
    sqlite_db.add_wells(*[(f"bad-{n}", "Bad", "", "A", "NM", at(n)) for n in range(EtlRun.REJECTED_ROWS_KEPT + 25)])
    source = make_source(sqlite_db, mapping={"wells": MAPPING["wells"]})

    run = pull(in_a, source)

    assert run.rows_rejected == EtlRun.REJECTED_ROWS_KEPT + 25
    assert len(run.rejected_rows) == EtlRun.REJECTED_ROWS_KEPT


def test_values_that_came_from_the_etl_are_updated_and_the_old_value_kept(source_db, make_source, in_a):
    seed(source_db)
    source = make_source(source_db)
    pull(in_a, source)

    source_db.execute("UPDATE daily_production SET volume = ?, updated_at = ? WHERE id = ?", (Decimal("14"), at(90), 1))
    run = pull(in_a, source)

    assert counts(run) == (1, 0, 1, 0, 0)
    with in_a():
        oil = ProductionRecord.objects.filter(well__api_number=api_digits(1), product="OIL")
        current = oil.get(superseded_by__isnull=True)
        assert current.volume == Decimal("14.000")
        assert oil.get(volume=Decimal("12.500")).superseded_by_id == current.pk
        assert not Conflict.objects.exists()


def test_a_production_value_recorded_in_the_field_is_never_overwritten(sqlite_db, make_source, in_a,
                                                                       push_and_process, tenant_a):
    from accounts.models import User
    from wells.models import WellAssignment

    sqlite_db.add_wells((api(1), "Eddy 1", "", "A", "NM", at(0)))
    source = make_source(sqlite_db)
    pull(in_a, source)
    with in_a():
        well = Well.objects.get(api_number=api_digits(1))
        operator = User.objects.get(email=tenant_a.users["OPERATOR"])
        WellAssignment.objects.create(user=operator, well=well)
    push_and_process([production_event(well, 10)])  # the pumper's reading, through sync

    sqlite_db.add_production((1, api(1), DAY, "OIL", Decimal("12"), "BBL", None, at(5)),
                             (2, api(1), DAY, "GAS", Decimal("3"), "MCF", None, at(6)))
    run = pull(in_a, source)

    assert run.conflicts_created == 1 and run.rows_inserted == 1  # the gas row had no field value
    with in_a():
        field_record = ProductionRecord.objects.get(well=well, product="OIL", superseded_by__isnull=True)
        assert field_record.volume == Decimal("10.000") and field_record.recorded_by_id == operator.pk
        assert ProductionRecord.objects.filter(well=well, product="OIL").count() == 1
        conflict = Conflict.objects.get(source=f"etl:{source.pk}")
        assert conflict.event_id is None and conflict.well_id == well.pk
        assert (conflict.status, conflict.strategy, conflict.event_type) == ("PENDING_REVIEW", "MANUAL_REVIEW",
                                                                             "PRODUCTION_LOGGED")
        assert conflict.local_data["volume"] == "12.000" and conflict.server_data["volume"] == "10.000"
        assert "Corporate DB" in conflict.reason and "recorded in the field" in conflict.reason
        assert Change.objects.filter(entity="conflict", entity_id=conflict.pk).exists()
    from sync.apis import ConflictOutput

    assert ConflictOutput(conflict).data["origin"] == f"etl:{source.pk}"  # what the API shows reviewers

    # Read again (the row changed elsewhere, same volume): the same disagreement is not raised twice.
    sqlite_db.execute("UPDATE daily_production SET updated_at = ? WHERE id = ?", (at(30), 1))
    again = pull(in_a, source)
    assert again.rows_read == 1 and again.conflicts_created == 0

    # A manager takes the source's value: it becomes current; the field's stays, superseded.
    from sync.services.conflicts import conflict_resolve

    with in_a():
        manager = User.objects.get(email=tenant_a.users["MANAGER"])
        conflict_resolve(conflict=conflict, action="USE_LOCAL", note="corporate figure", user=manager)
        current = ProductionRecord.objects.get(well=well, product="OIL", superseded_by__isnull=True)
        assert current.volume == Decimal("12.000") and current.recorded_by_id is None
        assert ProductionRecord.objects.get(pk=field_record.pk).superseded_by_id == current.pk


def test_the_same_value_as_the_field_raises_no_conflict(sqlite_db, make_source, in_a, push_and_process, tenant_a):
    from accounts.models import User
    from wells.models import WellAssignment

    sqlite_db.add_wells((api(1), "Eddy 1", "", "A", "NM", at(0)))
    source = make_source(sqlite_db)
    pull(in_a, source)
    with in_a():
        well = Well.objects.get(api_number=api_digits(1))
        WellAssignment.objects.create(user=User.objects.get(email=tenant_a.users["OPERATOR"]), well=well)
    push_and_process([production_event(well, 10)])
    sqlite_db.add_production((1, api(1), DAY, "OIL", Decimal("10"), "BBL", None, at(5)))

    run = pull(in_a, source)

    assert (run.rows_unchanged, run.conflicts_created) == (1, 0)


def test_a_well_status_set_in_the_field_becomes_a_conflict_not_an_overwrite(sqlite_db, make_source, in_a,
                                                                            push_and_process, tenant_a):
    from accounts.models import User
    from wells.models import WellAssignment

    sqlite_db.add_wells((api(1), "Eddy 1", "", "A", "NM", at(0)))
    source = make_source(sqlite_db)
    pull(in_a, source)
    with in_a():
        well = Well.objects.get(api_number=api_digits(1))
        WellAssignment.objects.create(user=User.objects.get(email=tenant_a.users["OPERATOR"]), well=well)
    push_and_process([status_event(well, "SHUT_IN", base_version=well.version)])

    sqlite_db.execute("UPDATE well_master SET well_name = ?, status_code = ?, updated_at = ? WHERE api_no = ?",
                      ("Eddy 1 North", "A", at(10), api(1)))
    run = pull(in_a, source)

    assert run.conflicts_created == 1 and run.rows_updated == 1
    with in_a():
        well.refresh_from_db()
        assert (well.status, well.name) == ("SHUT_IN", "Eddy 1 North")  # the name is ETL's to change
        conflict = Conflict.objects.get(source=f"etl:{source.pk}")
        assert conflict.event_type == "WELL_STATUS_CHANGED"
        assert (conflict.local_data["status"], conflict.server_data["status"]) == ("ACTIVE", "SHUT_IN")


# --------------------------------------------------------------------------- sync helpers


from tests.sync.conftest import event  # noqa: E402


def production_event(well, volume) -> dict:
    return event("PRODUCTION_LOGGED", {"wellId": str(well.pk), "productionDate": DAY.isoformat(), "product": "OIL",
                                       "volume": volume, "unit": "BBL"})


def status_event(well, status, *, base_version) -> dict:
    return event("WELL_STATUS_CHANGED", {"wellId": str(well.pk), "status": status,
                                         "changedAt": "2026-11-01T15:00:00Z", "baseVersion": base_version})
