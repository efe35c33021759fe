"""Strapping tables (wells.strapping): the rules, CSV, and barrels at a level by interpolation."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from wells.lease_demo import strapping_table_400
from wells.strapping import (
    LevelOutOfRange,
    StrappingInvalid,
    StrappingRow,
    barrels_at,
    level_to_inches,
    strapping_from_csv,
    strapping_to_csv,
    strapping_validate,
)

TABLE = [StrappingRow(D(0), D(0)), StrappingRow(D(12), D("20.04")), StrappingRow(D(24), D("40.10"))]


def test_barrels_between_rows_are_interpolated_exactly():
    assert barrels_at(TABLE, D(6)) == D("10.02")
    assert barrels_at(TABLE, D(18)) == D("30.07")
    assert barrels_at(TABLE, D("12.5")) == D("20.88")  # 20.04 + 20.06 × 0.5 / 12 = 20.8758… → 20.88
    assert barrels_at(TABLE, D(12)) == D("20.04") and barrels_at(TABLE, D(24)) == D("40.10")
    assert barrels_at(TABLE, D(0)) == D("0.00")


@pytest.mark.parametrize("height", [D("-0.25"), D("24.0001"), D(300)])
def test_a_level_outside_the_table_is_refused(height):
    with pytest.raises(LevelOutOfRange, match="outside the tank's strapping table"):
        barrels_at(TABLE, height)


def test_finer_values_are_rounded_to_the_stored_precision():
    assert strapping_validate([(0, 0), ("0.25004", "0.4205")]) == [StrappingRow(D(0), D(0)),
                                                                   StrappingRow(D("0.2500"), D("0.421"))]


def test_a_level_reads_as_feet_and_inches_like_a_gauge_line():
    from wells.strapping import feet_and_inches

    assert feet_and_inches(D("148.25")) == "12 ft 4-1/4 in"
    assert feet_and_inches(D("5")) == "0 ft 5 in" and feet_and_inches(D("240.0000")) == "20 ft 0 in"
    assert feet_and_inches(D("12.1")) == "12.1 in"


def test_levels_convert_to_inches():
    assert level_to_inches(D("12.5"), "FT") == D("150.0000")
    assert level_to_inches(D("1"), "M") == D("39.3701")
    assert level_to_inches(D("4.25"), "IN") == D("4.2500")


@pytest.mark.parametrize(("rows", "message"), [
    ([(1, 0), (12, 20)], "Row 1: the first row is the tank bottom, at height 0"),
    ([(0, 0), (12, 20), (12, 21)], "Row 3: heights must strictly increase"),
    ([(0, 0), (12, 20), (10, 21)], "Row 3: heights must strictly increase"),
    ([(0, 0), (12, 20), (24, 19.5)], "Row 3: barrels must not decrease"),
    ([(0, 0)], "at least 2 rows"),
    ([(0, 0), ("x", 1)], "Row 2: heightInches 'x' is not a number"),
    ([(0, 0), (1, -1)], "Row 2: barrels must be between 0"),
    ([(0, 0), ("0.00001", 1)], "Row 2: heights must strictly increase"),  # 0.00001 in rounds to 0
    ([(0, 0), (1, float("nan"))], "Row 2: barrels must be a finite number"),
])
def test_bad_tables_name_the_row(rows, message):
    with pytest.raises(StrappingInvalid) as raised:
        strapping_validate(rows)
    assert any(message in problem for problem in raised.value.problems), raised.value.problems


def test_csv_round_trip_and_errors_name_the_line():
    text = "height_inches,barrels\n0,0\n\n12,20.04\n24,40.10\n"
    assert strapping_from_csv(text) == TABLE
    assert strapping_from_csv(strapping_to_csv(TABLE)) == TABLE
    with pytest.raises(StrappingInvalid, match="Line 4: barrels must not decrease"):
        strapping_from_csv("height_inches,barrels\n0,0\n12,20\n24,19\n")
    with pytest.raises(StrappingInvalid, match="Line 1: the header row must be height_inches,barrels"):
        strapping_from_csv("inches,bbl\n0,0\n12,20\n")
    with pytest.raises(StrappingInvalid, match="Line 3: a row has 2 values"):
        strapping_from_csv("height_inches,barrels\n0,0\n12,20,5\n")
    with pytest.raises(StrappingInvalid, match="empty"):
        strapping_from_csv("\n\n")


def test_the_demo_400_bbl_tank_table_is_valid_and_realistic():
    rows = strapping_table_400()
    assert strapping_validate((r.height_inches, r.barrels) for r in rows) == rows
    assert len(rows) == 961 and rows[1].height_inches == D("0.25") and rows[-1].height_inches == 240
    assert D(399) < rows[-1].barrels < D(402)  # 12 ft × 20 ft shell less deadwood
    assert D("1.6") < barrels_at(rows, D(121)) - barrels_at(rows, D(120)) < D("1.7")  # ~1.67 bbl per inch
