"""Alerts (API.md section 15): rules opening, closing, acknowledging, e-mailing; the API; the feed."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import schema_context

from wells.changelog.models import Change
from sync.tasks import alerts_after_batch, process_batch
from tests.factories import api_login
from tests.sync.conftest import event, production
from wells.alerts.evaluation import alerts_evaluate
from wells.alerts.models import Alert, AlertRule
from wells.alerts.tasks import alerts_evaluate_tenants
from wells.models import Lease, Tank, TankGauge, WellAssignment

pytestmark = pytest.mark.django_db


def inspection(route, status, *, at):
    return event("EQUIPMENT_INSPECTED", {"wellId": str(route.well.pk), "equipmentId": str(route.equipment.pk),
                                         "inspectionType": "SAFETY", "status": status, "inspectedAt": at})


def alerts(tenant, **filters):
    with schema_context(tenant.tenant.schema_name):
        return list(Alert.objects.filter(**filters).order_by("opened_at"))


def to_tenant(tenant):
    """The messages sent to this tenant's managers (the periodic job visits every tenant)."""
    return [m for m in mail.outbox if tenant.users["MANAGER"] in m.to]


def headers_of(client, tenant, role):
    return tenant.headers(token=api_login(client, tenant, email=tenant.users[role])["access"])


def test_a_failed_inspection_opens_one_alert_emails_managers_once_and_closes_on_a_pass(push, route, tenant_a):
    mail.outbox.clear()
    day = (timezone.now() - timedelta(days=2)).replace(microsecond=0)
    batch = push([inspection(route, "FAIL", at=day.isoformat())]).json()["batchId"]
    with schema_context(tenant_a.tenant.schema_name):
        assert process_batch.apply(args=[batch]).get() == "COMPLETED"  # the task runs the hook
    [alert] = alerts(tenant_a, type="INSPECTION_FAILED")
    assert alert.status == "OPEN" and alert.well_id == route.well.pk and "Pump jack 1" in alert.message
    assert len(to_tenant(tenant_a)) == 1
    message = to_tenant(tenant_a)[0]
    assert set(message.to) == {tenant_a.users["MANAGER"], tenant_a.users["ADMIN"]}
    assert tenant_a.users["OPERATOR"] not in message.to and "Inspection failed" in message.body

    # A second evaluation (the periodic job) keeps the one alert and sends nothing more.
    alerts_evaluate_tenants.apply().get()
    assert len(alerts(tenant_a, type="INSPECTION_FAILED")) == 1 and len(to_tenant(tenant_a)) == 1

    # A later PASS of that equipment (another day: the same day would be a conflict) clears the
    # condition: the alert closes by itself.
    batch = push([inspection(route, "PASS", at=(day + timedelta(days=2, hours=-1)).isoformat())]).json()["batchId"]
    with schema_context(tenant_a.tenant.schema_name):
        process_batch.apply(args=[batch]).get()
    [alert] = alerts(tenant_a, type="INSPECTION_FAILED")
    assert alert.status == "CLOSED" and alert.closed_at is not None and alert.open_key is None


def _oil(route, volume, day, **extra):
    return production(route.well, volume, day=day.isoformat(), **extra)


def test_well_down_and_production_drop_open_and_close(push_and_process, route, tenant_a):
    today = timezone.localdate(timezone.now(), timezone.get_fixed_timezone(-360))
    days = [today - timedelta(days=n) for n in range(8, 0, -1)]
    events = [_oil(route, 100, d) for d in days[:-1]]
    events.append(_oil(route, 0, days[-1]))
    events.append(production(route.well, 0, product="GAS", unit="MCF", day=days[-1].isoformat()))
    batch = push_and_process(events)
    with schema_context(tenant_a.tenant.schema_name):
        alerts_after_batch(batch_id=batch["batchId"])
    assert {a.type for a in alerts(tenant_a, status="OPEN")} == {"WELL_DOWN", "PRODUCTION_DROP"}
    [drop] = alerts(tenant_a, type="PRODUCTION_DROP")
    assert drop.details["percent"] == 50 and drop.details["oilBbl"] == "0"

    # Two days in a row needed: the one down day no longer qualifies, the alert closes.
    with schema_context(tenant_a.tenant.schema_name):
        AlertRule.objects.create(type="WELL_DOWN", enabled=True, params={"days": 2})
        alerts_evaluate(well_ids=[route.well.pk])
    assert {a.type for a in alerts(tenant_a, status="OPEN")} == {"PRODUCTION_DROP"}
    assert alerts(tenant_a, type="WELL_DOWN")[0].status == "CLOSED"

    # Production back the next day: the drop closes too.
    batch = push_and_process([_oil(route, 95, today)])
    with schema_context(tenant_a.tenant.schema_name):
        alerts_after_batch(batch_id=batch["batchId"])
    assert alerts(tenant_a, status="OPEN") == []


def _cursor_now(client, headers) -> str:
    body = client.get("/api/v1/sync/changes?limit=1000", **headers).json()
    while body["hasMore"]:
        body = client.get(f"/api/v1/sync/changes?limit=1000&cursor={body['cursor']}", **headers).json()
    return body["cursor"]


def test_missed_visit_and_tank_high_by_the_periodic_job(client, route, tenant_a):
    mail.outbox.clear()
    operator = headers_of(client, tenant_a, "OPERATOR")
    cursor = _cursor_now(client, operator)
    with schema_context(tenant_a.tenant.schema_name):
        WellAssignment.objects.filter(well=route.well).update(assigned_at=timezone.now() - timedelta(days=3))
        lease = Lease.objects.create(name="Ector lease")
        route.well.lease_ref = lease
        route.well.save()
        tank = Tank.objects.create(lease=lease, name="T-1", capacity_bbl=400, height_inches=240)
        now = timezone.now()
        TankGauge.objects.create(tank=tank, level=230, unit="IN", level_inches=230, gauged_at=now,
                                 gauged_minute=now.replace(second=0, microsecond=0))
    alerts_evaluate_tenants.apply().get()
    with schema_context(tenant_a.tenant.schema_name):
        opened = {a.type: a for a in Alert.objects.filter(status="OPEN", well=route.well) | Alert.objects.filter(
            status="OPEN", tank=tank)}
        assert set(opened) == {"MISSED_VISIT", "TANK_HIGH"}
        assert opened["TANK_HIGH"].tank_id == tank.pk and opened["TANK_HIGH"].details["fillPercent"] == "95.8"
    # One message for the tenant, listing both.
    sent = to_tenant(tenant_a)
    assert len(sent) == 1 and "Missed visit" in sent[0].body and "Tank high" in sent[0].body

    # The operator's pull feed carries both (the tank's through its lease's route well).
    body = client.get(f"/api/v1/sync/changes?limit=1000&cursor={cursor}", **operator).json()
    fed = {c["data"]["type"] for c in body["changes"] if c["entity"] == "alert"}
    assert fed == {"MISSED_VISIT", "TANK_HIGH"}


def test_the_feed_carries_alerts_of_the_route_only(client, route, tenant_a):
    headers = headers_of(client, tenant_a, "OPERATOR")
    cursor = _cursor_now(client, headers)
    with schema_context(tenant_a.tenant.schema_name):
        from wells.alerts.evaluation import alerts_changed

        now = timezone.now()
        mine = Alert.objects.create(type="MISSED_VISIT", well=route.well, open_key=f"MISSED_VISIT:{route.well.pk}",
                                    opened_at=now, message="m")
        other = Alert.objects.create(type="MISSED_VISIT", well=route.off_route_well, opened_at=now, message="o",
                                     open_key=f"MISSED_VISIT:{route.off_route_well.pk}")
        alerts_changed([mine, other])
    body = client.get(f"/api/v1/sync/changes?limit=1000&cursor={cursor}", **headers).json()
    alert_changes = [c for c in body["changes"] if c["entity"] == "alert"]
    assert [c["id"] for c in alert_changes] == [str(mine.pk)]
    assert alert_changes[0]["data"]["wellId"] == str(route.well.pk) and alert_changes[0]["data"]["status"] == "OPEN"
    with schema_context(tenant_a.tenant.schema_name):
        assert Change.objects.filter(entity="alert", entity_id=other.pk).exists()  # logged, not served to this route


def test_a_snapshot_carries_the_routes_alerts_not_closed(client, route, tenant_a):
    """A device that snapshots (first login, or a cursor too old) learns the alerts open on its
    route then, not at their next change; closed ones and other routes' are not sent."""
    with schema_context(tenant_a.tenant.schema_name):
        now = timezone.now()
        open_ = Alert.objects.create(type="WELL_DOWN", well=route.well, open_key=f"WELL_DOWN:{route.well.pk}",
                                     opened_at=now, message="down")
        closed = Alert.objects.create(type="MISSED_VISIT", well=route.well, opened_at=now, message="c",
                                      status="CLOSED", closed_at=now)
        elsewhere = Alert.objects.create(type="MISSED_VISIT", well=route.off_route_well, opened_at=now, message="o",
                                         open_key=f"MISSED_VISIT:{route.off_route_well.pk}")
    headers = headers_of(client, tenant_a, "OPERATOR")
    changes, cursor = [], None
    for _ in range(20):  # every page of the snapshot
        page = client.get("/api/v1/sync/changes?limit=1000" + (f"&cursor={cursor}" if cursor else ""), **headers)
        assert page.status_code == 200, page.content
        body = page.json()
        changes += body["changes"]
        cursor = body["cursor"]
        if not body["hasMore"]:
            break
    alerts = {c["id"]: c["data"] for c in changes if c["entity"] == "alert"}
    assert str(open_.pk) in alerts and alerts[str(open_.pk)]["status"] == "OPEN"
    assert str(closed.pk) not in alerts and str(elsewhere.pk) not in alerts


def test_api_list_filters_acknowledge_and_roles(client, route, tenant_a):
    with schema_context(tenant_a.tenant.schema_name):
        now = timezone.now()
        mine = Alert.objects.create(type="WELL_DOWN", well=route.well, open_key=f"WELL_DOWN:{route.well.pk}",
                                    opened_at=now, message="down")
        other = Alert.objects.create(type="MISSED_VISIT", well=route.off_route_well, opened_at=now, message="o",
                                     open_key=f"MISSED_VISIT:{route.off_route_well.pk}")
    manager, operator = headers_of(client, tenant_a, "MANAGER"), headers_of(client, tenant_a, "OPERATOR")
    listed = client.get("/api/v1/alerts/", **manager).json()
    assert {r["id"] for r in listed["results"]} >= {str(mine.pk), str(other.pk)}
    only = client.get(f"/api/v1/alerts/?type=WELL_DOWN&status=OPEN&wellId={route.well.pk}", **manager).json()
    assert [r["id"] for r in only["results"]] == [str(mine.pk)]
    assert [r["id"] for r in client.get("/api/v1/alerts/", **operator).json()["results"]] == [str(mine.pk)]
    bad = client.get("/api/v1/alerts/?status=SOMETIMES&wellId=nope", **manager)
    assert bad.status_code == 400 and set(bad.json()["error"]["details"]) == {"status", "wellId"}

    url = f"/api/v1/alerts/{mine.pk}/acknowledge"
    assert client.post(url, {"note": "x"}, content_type="application/json", **operator).status_code == 403
    assert client.post(f"/api/v1/alerts/{other.pk}/acknowledge", {}, content_type="application/json",
                       **operator).status_code == 403
    assert client.post(f"/api/v1/alerts/{uuid.uuid4()}/acknowledge", {}, content_type="application/json",
                       **manager).status_code == 404
    done = client.post(url, {"note": "crew sent"}, content_type="application/json", **manager)
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["status"] == "ACKNOWLEDGED" and body["acknowledgementNote"] == "crew sent"
    assert body["acknowledgedBy"] == str(route.manager.pk) and body["acknowledgedAt"]
    again = client.post(url, {"note": "again"}, content_type="application/json", **manager)
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    unknown = client.post(f"/api/v1/alerts/{other.pk}/acknowledge", {"nope": 1}, content_type="application/json",
                          **manager)
    assert unknown.status_code == 400 and "nope" in unknown.json()["error"]["details"]


def test_rules_read_by_managers_edited_by_admins_only(client, tenant_a):
    manager, admin = headers_of(client, tenant_a, "MANAGER"), headers_of(client, tenant_a, "ADMIN")
    rules = {r["type"]: r for r in client.get("/api/v1/alert-rules/", **manager).json()["results"]}
    assert rules["PRODUCTION_DROP"] == {"type": "PRODUCTION_DROP", "enabled": True, "params": {"percent": 50}}
    assert set(rules) == {"WELL_DOWN", "PRODUCTION_DROP", "TANK_HIGH", "MISSED_VISIT", "INSPECTION_FAILED"}
    put = lambda type_, body, who: client.put(f"/api/v1/alert-rules/{type_}", body,  # noqa: E731
                                              content_type="application/json", **who)
    assert put("TANK_HIGH", {"enabled": False}, manager).status_code == 403
    assert put("NOPE", {"enabled": False}, admin).status_code == 404
    bad = put("TANK_HIGH", {"enabled": True, "params": {"percent": 0, "x": 1}}, admin)
    assert bad.status_code == 400 and set(bad.json()["error"]["details"]) == {"params.percent", "params.x"}
    ok = put("TANK_HIGH", {"enabled": False, "params": {"percent": 80}}, admin)
    assert ok.status_code == 200 and ok.json() == {"type": "TANK_HIGH", "enabled": False, "params": {"percent": 80}}
    assert client.get("/api/v1/alert-rules/", **headers_of(client, tenant_a, "OPERATOR")).status_code == 403


def test_a_disabled_rule_closes_its_open_alerts_and_opens_none(push_and_process, route, tenant_a):
    day = (timezone.now() - timedelta(days=1)).replace(microsecond=0)
    batch = push_and_process([inspection(route, "FAIL", at=day.isoformat())])
    with schema_context(tenant_a.tenant.schema_name):
        alerts_after_batch(batch["batchId"])
        assert Alert.objects.filter(type="INSPECTION_FAILED", status="OPEN", well=route.well).count() == 1
        AlertRule.objects.create(type="INSPECTION_FAILED", enabled=False)
        run = alerts_evaluate(well_ids=[route.well.pk])
        assert run.opened == [] and run.closed == 1
        assert not Alert.objects.filter(type="INSPECTION_FAILED", well=route.well).exclude(status="CLOSED").exists()
        # Every change of the alert (opened, closed) is in the change log for the pull feed.
        alert = Alert.objects.get(type="INSPECTION_FAILED", well=route.well)
        assert list(Change.objects.filter(entity="alert", entity_id=alert.pk).values_list("version", flat=True)
                    .order_by("seq")) == [1, 2]
