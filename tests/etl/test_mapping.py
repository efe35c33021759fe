"""Mapping validation: structural problems named by their JSON path, then tables and columns
checked against the real source."""

from __future__ import annotations

import copy

import pytest

from sync.etl.mapping import MappingInvalid, mapping_parse
from sync.etl.services import etl_mapping_validate
from tests.etl.conftest import MAPPING


def problems_of(mapping) -> list[str]:
    with pytest.raises(MappingInvalid) as caught:
        mapping_parse(mapping)
    return caught.value.problems


def changed(**entities) -> dict:
    mapping = copy.deepcopy(MAPPING)
    for name, spec in entities.items():
        mapping[name] = spec if spec is not None else mapping.pop(name)
    return {k: v for k, v in mapping.items() if v is not None}


def test_the_example_mapping_is_valid():
    parsed = mapping_parse(MAPPING)
    assert list(parsed.entities) == ["wells", "equipment", "production"]


@pytest.mark.parametrize("mapping, expected", [
    ([], "(top level): the mapping is a JSON object"),
    ({}, "(top level): map at least one of wells, equipment, production."),
    ({"rigs": {}}, "(top level): unknown key(s) rigs"),
    ({"wells": "well_master"}, "wells: must be an object"),
    ({"time_zone": "Mars/Olympus", "wells": MAPPING["wells"]}, "time_zone: 'Mars/Olympus' is not a time zone"),
])
def test_top_level_problems_are_named(mapping, expected):
    assert any(expected in p for p in problems_of(mapping)), problems_of(mapping)


@pytest.mark.parametrize("wells, expected", [
    ({"columns": {"api_number": "api_no"}}, "wells: give exactly one of \"table\" and \"query\"."),
    ({"table": "t", "query": "SELECT 1", "columns": {"api_number": "a"}}, "wells: give exactly one of"),
    ({"table": "", "columns": {"api_number": "a"}}, "wells.table: must be a non-empty string"),
    ({"table": "t", "columns": {}}, "wells.columns: must be an object of target field -> source column."),
    ({"table": "t", "columns": {"name": "n"}}, "wells.columns.api_number: required"),
    ({"table": "t", "columns": {"api_number": "a", "colour": "c"}}, "wells.columns.colour: not a field of wells"),
    ({"table": "t", "columns": {"api_number": 7}}, "wells.columns.api_number: must be a non-empty string"),
    ({"table": "t", "columns": {"api_number": "a"}, "transforms": {"status": "UPPERCASE"}},
     "wells.transforms.status: transforms apply to mapped columns"),
    ({"table": "t", "columns": {"api_number": "a", "status": "s"}, "transforms": {"status": "TITLECASE"}},
     "wells.transforms.status: a transform is \"UPPERCASE\", \"LOWERCASE\" or {\"MAP\""),
    ({"table": "t", "columns": {"api_number": "a", "status": "s"}, "transforms": {"status": ["UPPERCASE", {"MAP": 3}]}},
     "wells.transforms.status[1]: a transform is"),
    ({"table": "t", "columns": {"api_number": "a"}, "incremental": 5}, "wells.incremental: must be a non-empty string"),
    ({"table": "t", "columns": {"api_number": "a"}, "store_unit": "base"}, "wells.store_unit: only production has units."),
    ({"table": "t", "columns": {"api_number": "a"}, "order": "x"}, "wells: unknown key(s) order"),
    ({"query": "DELETE FROM t", "columns": {"api_number": "a"}}, "wells.query: must be a read-only SELECT"),
    ({"query": "SELECT * FROM t; DROP TABLE t", "columns": {"api_number": "a"}}, "wells.query: one statement only"),
    ({"query": "SELECT * INTO copy FROM t", "columns": {"api_number": "a"}}, "wells.query: must only read"),
])
def test_entity_problems_are_named_by_their_json_path(wells, expected):
    found = problems_of({"wells": wells})
    assert any(expected in p for p in found), found


def test_production_needs_a_unit_from_a_column_or_a_constant():
    spec = copy.deepcopy(MAPPING["production"])
    del spec["columns"]["unit"]
    assert any("production.columns.unit: required (map a source column, or give a fixed value in constants)" in p
               for p in problems_of({"production": spec}))
    spec["constants"] = {"unit": "BBL"}
    assert mapping_parse({"production": spec}).entities["production"].constants == {"unit": "BBL"}
    spec["store_unit"] = "litres"
    assert any("production.store_unit:" in p for p in problems_of({"production": spec}))


def test_every_problem_is_reported_at_once():
    found = problems_of({"wells": {"table": "", "columns": {"colour": "c"}}, "production": {"table": "p"}})
    assert len(found) >= 4


def test_a_read_only_query_with_a_quoted_keyword_is_fine():
    spec = {"query": "-- the field office view\nSELECT api_no, 'insert here' AS note FROM well_master",
            "columns": {"api_number": "api_no"}}
    assert mapping_parse({"wells": spec}).entities["wells"].query.endswith("FROM well_master")


# --------------------------------------------------------------------------- against the source


def test_a_mapping_that_fits_the_source_is_confirmed(source_db, db):
    result = etl_mapping_validate(mapping=MAPPING, url=source_db.url)
    assert result.ok, result.problems
    assert "every table and column of wells, equipment, production is there" in result.summary


def test_missing_tables_and_columns_are_named_with_hints(source_db, db):
    mapping = copy.deepcopy(MAPPING)
    mapping["wells"]["columns"]["name"] = "wellname"
    mapping["wells"]["columns"]["lease"] = "LEASE_NAME"
    mapping["equipment"]["table"] = "equipment_register"
    mapping["production"]["incremental"] = "modified_at"

    result = etl_mapping_validate(mapping=mapping, url=source_db.url)

    assert not result.ok and result.kind == "mapping"
    text = "\n".join(result.problems)
    assert "wells.columns.name: column 'wellname' does not exist in table well_master" in text
    assert "wells.columns.lease: column 'LEASE_NAME' does not exist in table well_master; did you mean 'lease_name'?" in text
    assert "equipment.table: table 'equipment_register' does not exist in the source" in text
    assert "production.incremental: column 'modified_at' does not exist in table daily_production" in text
    assert len(result.problems) == 4


def test_a_query_is_checked_by_the_source_itself(source_db, db):
    mapping = {"wells": {"query": "SELECT api_no, well_name AS title FROM well_master WHERE status_code <> 'PA'",
                         "columns": {"api_number": "api_no", "name": "well_name"}}}

    result = etl_mapping_validate(mapping=mapping, url=source_db.url)

    assert not result.ok
    assert "wells.columns.name: column 'well_name' does not exist in query" in result.problems[0]
    mapping["wells"]["query"] = "SELECT api_no, well_nam FROM well_master"
    broken = etl_mapping_validate(mapping=mapping, url=source_db.url)
    assert not broken.ok and broken.problems[0].startswith("wells.query:")


def test_structural_problems_are_reported_before_any_connection(db):
    result = etl_mapping_validate(mapping={"wells": {"table": "t"}}, url="postgresql://u:p@127.0.0.1:1/x")
    assert not result.ok and result.kind == "mapping"
    assert any("wells.columns" in p for p in result.problems)
