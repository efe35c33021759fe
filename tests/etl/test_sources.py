"""Saving a source: its fields are checked, and a changed way of reading an entity restarts it."""

from __future__ import annotations

import copy

import pytest
from django.core.exceptions import ValidationError

from sync.etl.loader import etl_source_run
from sync.etl.services import etl_source_save
from sync.models import EtlSource
from tests.etl.conftest import MAPPING, api, at

pytestmark = pytest.mark.django_db


def save(source, **changes):
    values = {"name": source.name, "url": None, "interval_minutes": source.interval_minutes,
              "enabled": source.enabled, "mapping": source.mapping} | changes
    return etl_source_save(source=source, **values)


@pytest.mark.parametrize("changes, field, message", [
    ({"interval_minutes": 0}, "interval_minutes", "Every 1 to 1440 minutes."),
    ({"interval_minutes": 1441}, "interval_minutes", "Every 1 to 1440 minutes."),
    ({"name": "  "}, "name", "A source needs a name."),
    ({"url": "ftp://files.example/x"}, "url", "Unknown database type 'ftp'"),
    ({"mapping": {"wells": {"table": "t"}}}, "mapping", "wells.columns"),
])
def test_bad_values_are_refused_by_field(make_source, in_a, changes, field, message):
    source = make_source("sqlite:////tmp/none.db")
    with in_a(), pytest.raises(ValidationError) as caught:
        save(source, **changes)
    assert any(message in m for m in caught.value.message_dict[field])


def test_names_are_unique_in_a_tenant_and_a_new_source_needs_a_url(make_source, in_a):
    make_source("sqlite:////tmp/none.db")
    with in_a(), pytest.raises(ValidationError) as caught:
        etl_source_save(source=None, name="Corporate DB", url="", interval_minutes=15, enabled=True, mapping=MAPPING)
    assert "already has a source named" in caught.value.message_dict["name"][0]
    assert "needs its connection URL" in caught.value.message_dict["url"][0]


def test_changing_how_an_entity_is_read_starts_it_again(sqlite_db, make_source, in_a):
    sqlite_db.add_wells((api(1), "Eddy 1", "", "A", "NM", at(0)))
    source = make_source(sqlite_db)
    with in_a():
        etl_source_run(source_id=source.pk)
        source = EtlSource.objects.get(pk=source.pk)
        assert set(source.cursor) == {"wells"}

        renamed = save(source, interval_minutes=5)  # nothing about reading changed
        assert set(renamed.cursor) == {"wells"}

        mapping = copy.deepcopy(MAPPING)
        mapping["wells"]["incremental"] = "api_no"
        assert save(renamed, mapping=mapping).cursor == {}

        etl_source_run(source_id=source.pk)
        again = EtlSource.objects.get(pk=source.pk)
        assert set(again.cursor) == {"wells"}
        assert save(again, reset_cursor=True).cursor == {}
