"""Sync fixtures: a well on the operator's route, events, pushing and processing batches."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from django_tenants.utils import schema_context

from accounts.models import User
from sync.services.processing import batch_process
from tests.factories import api_login
from wells.models import Equipment, Well, WellAssignment

_api_numbers = itertools.count(20001)
BASE_TIME = datetime(2026, 11, 20, 15, 0, tzinfo=timezone.utc)  # 09:00 in America/Chicago


def new_api_number() -> str:
    return f"42501{next(_api_numbers):05d}0000"


@dataclass
class Route:
    well: Well
    equipment: Equipment
    off_route_well: Well
    operator: User
    manager: User


@pytest.fixture
def route(tenant_a, db) -> Route:
    with schema_context(tenant_a.tenant.schema_name):
        well = Well.objects.create(api_number=new_api_number(), name="Ector 12-1", lease="Ector", field="Permian")
        other = Well.objects.create(api_number=new_api_number(), name="Midland 3-4", lease="Midland", field="Permian")
        equipment = Equipment.objects.create(well=well, type="PUMP_JACK", name="Pump jack 1", serial_number="PJ-1")
        operator = User.objects.get(email=tenant_a.users["OPERATOR"])
        manager = User.objects.get(email=tenant_a.users["MANAGER"])
        WellAssignment.objects.create(user=operator, well=well)
        return Route(well=well, equipment=equipment, off_route_well=other, operator=operator, manager=manager)


def event(event_type: str, payload: dict, *, occurred: datetime | None = None, **extra) -> dict:
    return {"id": str(uuid.uuid4()), "type": event_type,
            "occurredAt": (occurred or BASE_TIME).isoformat().replace("+00:00", "Z"), "payload": payload, **extra}


def production(well, volume, *, unit="BBL", product="OIL", day="2026-11-20", occurred=None, **extra) -> dict:
    return event("PRODUCTION_LOGGED", {"wellId": str(well.pk), "productionDate": day, "product": product,
                                       "volume": volume, "unit": unit, **extra}, occurred=occurred)


@pytest.fixture
def operator_tokens(client, tenant_a):
    return api_login(client, tenant_a, email=tenant_a.users["OPERATOR"])


@pytest.fixture
def push(client, tenant_a, operator_tokens):
    """POST a batch as the operator (or another token) and return the response."""

    def _push(events, *, device="tablet-07", token=None, platform="android"):
        body = {"device": {"deviceId": device, "platform": platform, "appVersion": "1.4.2"}, "events": events}
        return client.post("/api/v1/sync/batches", body, content_type="application/json",
                           **tenant_a.headers(token=token or operator_tokens["access"]))

    return _push


@pytest.fixture
def push_and_process(push, tenant_a):
    def _run(events, **kwargs):
        response = push(events, **kwargs)
        assert response.status_code == 202, response.content
        with schema_context(tenant_a.tenant.schema_name):
            batch_process(batch_id=response.json()["batchId"])
        return response.json()

    return _run


def later(minutes: int) -> datetime:
    return BASE_TIME + timedelta(minutes=minutes)
