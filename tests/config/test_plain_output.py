"""config.plain_output: every PlainOutput serializer shows exactly what Django REST framework's own
``Serializer.to_representation`` shows, for objects and for dicts (the pull feed's rows), nulls,
odd stored values and missing attributes included; a field its plan cannot serve is refused."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

import wells.serializers  # noqa: F401  (defines the PlainOutput serializers compared below)
from config.plain_output import PlainOutput


def _plain_serializers() -> list[type[PlainOutput]]:
    found, todo = [], [PlainOutput]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return [cls for cls in found if cls.__module__ != __name__]


def _drf(serializer: serializers.Serializer, obj) -> dict:
    return serializers.Serializer.to_representation(serializer, obj)


def _wire(data) -> bytes:
    """As the API sends it: equal dicts can still differ on the wire (0 and 0.0, key order)."""
    return JSONRenderer().render(data)


def _value(field, rng: random.Random):
    """A value of the kind the field's attribute holds, sometimes an odd one stored data can hold."""
    if field.allow_null and rng.random() < 0.25:
        return None
    if isinstance(field, serializers.UUIDField):
        return uuid.UUID(int=rng.getrandbits(128))
    if isinstance(field, serializers.ChoiceField):
        return rng.choice([*field.choices, "NOT_A_CHOICE", ""])
    if isinstance(field, serializers.DateTimeField):
        moment = datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=rng.randrange(10**8))
        if rng.random() < 0.5:
            moment = moment.replace(microsecond=rng.randrange(1, 10**6))
        return moment.astimezone(ZoneInfo(rng.choice(["UTC", "America/Chicago", "Asia/Kolkata"])))
    if isinstance(field, serializers.DateField):
        return rng.choice([date(1850, 1, 1) + timedelta(days=rng.randrange(70_000)), "2026-11-30"])
    if isinstance(field, serializers.FloatField):
        return rng.choice([Decimal(rng.randrange(-10**6, 10**6)) / 100, 0, rng.random() * 1e4, Decimal("1E+3")])
    if isinstance(field, serializers.IntegerField):
        return rng.randrange(-5, 10**9)
    if isinstance(field, serializers.CharField):
        return rng.choice(["", "Smith 1-H", "Señal ✓ 油井", "x" * 300, "42-501-12345"])
    raise AssertionError(f"no sample value for a {type(field).__name__}: add one")


def test_there_are_plain_serializers_to_compare():
    names = {cls.__name__ for cls in _plain_serializers()}
    assert {"WellOutput", "EquipmentOutput", "ReadingOutput", "ProductionRecordOutput"} <= names


@pytest.mark.parametrize("serializer_class", _plain_serializers(), ids=lambda cls: cls.__name__)
def test_each_shows_what_drf_shows_for_objects_and_for_dicts(serializer_class):
    rng = random.Random(serializer_class.__name__)
    template = serializer_class()
    fields = {field.source: field for field in template.fields.values() if not field.write_only}
    for _ in range(300):
        values = {source: _value(field, rng) for source, field in fields.items()}
        for obj in (SimpleNamespace(**values), dict(values)):
            assert _wire(serializer_class(obj).data) == _wire(_drf(serializer_class(), obj))
    many = [SimpleNamespace(**{s: _value(f, rng) for s, f in fields.items()}) for _ in range(20)]
    assert _wire(serializer_class(many, many=True).data) == _wire([_drf(serializer_class(), obj) for obj in many])


def test_what_the_plan_does_not_cover_goes_through_drf_and_agrees_with_it():
    class Output(PlainOutput):
        id = serializers.UUIDField()
        leaseId = serializers.UUIDField(source="lease_id", allow_null=True)  # absent below: DRF shows null
        name = serializers.CharField()

    missing = SimpleNamespace(id=uuid.uuid4(), name="Smith 1-H")  # no lease_id at all
    assert Output(missing).data == _drf(Output(), missing) == {"id": str(missing.id), "leaseId": None,
                                                               "name": "Smith 1-H"}
    called = SimpleNamespace(id=uuid.uuid4(), lease_id=None, name=lambda: "from a method")  # DRF calls it
    assert Output(called).data == _drf(Output(), called) == {"id": str(called.id), "leaseId": None,
                                                             "name": "from a method"}
    with pytest.raises(AttributeError):  # a required attribute missing: DRF's own error, as before
        Output(SimpleNamespace(id=uuid.uuid4(), lease_id=None)).data


def test_showing_an_object_makes_no_copy_of_the_declared_fields():
    well = SimpleNamespace(**{f.source: _value(f, random.Random(1))
                              for f in wells.serializers.WellOutput().fields.values()})
    serializer = wells.serializers.WellOutput(well)
    serializer.data
    assert "fields" not in serializer.__dict__  # DRF's per-serializer deep copy of every field


@pytest.mark.parametrize("field, refused", [
    (serializers.SerializerMethodField(), "SerializerMethodField"),
    (serializers.CharField(source="lease.name"), "one attribute only"),
    (serializers.CharField(source="*"), "one attribute only"),
    (serializers.CharField(default="x"), "a default"),
    (serializers.PrimaryKeyRelatedField(read_only=True), "related field"),
])
def test_a_field_the_plan_cannot_serve_is_refused_on_first_use(field, refused):
    Output = type("Output", (PlainOutput,), {"id": serializers.UUIDField(), "other": field,
                                             "get_other": lambda self, obj: None})
    with pytest.raises(TypeError, match=refused):
        Output(SimpleNamespace(id=uuid.uuid4(), other=None, lease=None)).data
