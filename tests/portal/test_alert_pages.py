"""The portal's alerts (issue 15): the dashboard lists open alerts first, the alerts page filters
and acknowledges, the rules page is edited by ADMIN only; the well page shows production at its
stored precision with downtime and who recorded it, and equipment a FAIL inspection left
needing attention."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from tests.portal.conftest import assign, make_production, make_well
from wells.alerts.models import Alert, AlertRule
from wells.models import Equipment, EquipmentInspection, ProductionRecord

pytestmark = pytest.mark.django_db


def open_alert(handle, well, type_="WELL_DOWN", message="Down for a day."):
    with schema_context(handle.tenant.schema_name):
        return Alert.objects.create(type=type_, well=well, open_key=f"{type_}:{well.pk}", opened_at=timezone.now(),
                                    message=message)


@pytest.fixture
def alerted(tenant_a):
    route_well = make_well(tenant_a, name="Route 1H")
    other_well = make_well(tenant_a, name="Elsewhere 2H")
    assign(tenant_a, "OPERATOR", [route_well])
    return {"route": open_alert(tenant_a, route_well, message="Route 1H is down."),
            "other": open_alert(tenant_a, other_well, "MISSED_VISIT", "Elsewhere 2H has had no visit."),
            "route_well": route_well, "other_well": other_well}


def test_the_dashboard_shows_open_alerts_first_scoped_to_the_route(portal_as, alerted):
    html = portal_as("MANAGER").get("/").content.decode()
    assert html.index('id="open-alerts"') < html.index('id="wells-by-status"')
    assert 'data-figure="open-alerts">2<' in html and "Route 1H is down." in html and "Elsewhere 2H" in html
    operator = portal_as("OPERATOR").get("/").content.decode()
    assert 'data-figure="open-alerts">1<' in operator and "Elsewhere 2H has had no visit." not in operator
    assert "Acknowledge</button>" not in operator  # an OPERATOR sees, a MANAGER acknowledges


def test_the_alerts_page_filters_and_a_manager_acknowledges(portal_as, alerted, tenant_a):
    client = portal_as("MANAGER")
    page = client.get("/alerts/").content.decode()
    assert f'data-alert="{alerted["route"].pk}"' in page and f'data-alert="{alerted["other"].pk}"' in page
    only = client.get("/alerts/?type=MISSED_VISIT").content.decode()
    assert f'data-alert="{alerted["other"].pk}"' in only and f'data-alert="{alerted["route"].pk}"' not in only
    by_well = client.get(f"/alerts/?well={alerted['route_well'].pk}").content.decode()
    assert f'data-alert="{alerted["route"].pk}"' in by_well and f'data-alert="{alerted["other"].pk}"' not in by_well

    response = client.submit(f"/alerts/{alerted['route'].pk}/acknowledge/", {"note": "pumper on the way"})
    assert response.status_code == 302
    with schema_context(tenant_a.tenant.schema_name):
        alert = Alert.objects.get(pk=alerted["route"].pk)
    assert alert.status == "ACKNOWLEDGED" and alert.acknowledgement_note == "pumper on the way"
    assert "pumper on the way" in client.get("/alerts/").content.decode()
    again = client.submit(f"/alerts/{alerted['route'].pk}/acknowledge/", {"note": "x"}, follow=True)
    assert "already acknowledged" in again.content.decode()
    closed = client.get("/alerts/?status=CLOSED").content.decode()
    assert 'id="no-alerts"' in closed


def test_an_operator_sees_their_routes_alerts_and_may_not_acknowledge(portal_as, alerted):
    client = portal_as("OPERATOR")
    page = client.get("/alerts/").content.decode()
    assert f'data-alert="{alerted["route"].pk}"' in page and f'data-alert="{alerted["other"].pk}"' not in page
    assert client.submit(f"/alerts/{alerted['route'].pk}/acknowledge/", {"note": "x"}).status_code == 403
    assert client.get("/alerts/rules/").status_code == 403


def test_rules_are_edited_by_an_admin_and_only_read_by_a_manager(portal_as, tenant_a):
    manager = portal_as("MANAGER")
    page = manager.get("/alerts/rules/").content.decode()
    assert 'data-rule="PRODUCTION_DROP"' in page and "Only an administrator changes the rules" in page
    assert manager.submit("/alerts/rules/", {"rule": "MISSED_VISIT", "MISSED_VISIT-days": "5"}).status_code == 403
    admin = portal_as("ADMIN")
    bad = admin.submit("/alerts/rules/", {"rule": "MISSED_VISIT", "MISSED_VISIT-enabled": "on",
                                          "MISSED_VISIT-days": "0"})
    assert bad.status_code == 200 and "greater than or equal to 1" in bad.content.decode()
    ok = admin.submit("/alerts/rules/", {"rule": "MISSED_VISIT", "MISSED_VISIT-days": "5"})
    assert ok.status_code == 302
    with schema_context(tenant_a.tenant.schema_name):
        rule = AlertRule.objects.get(type="MISSED_VISIT")
    assert rule.enabled is False and rule.params == {"days": 5}


def test_the_well_page_shows_stored_precision_downtime_recorder_and_equipment_needing_attention(portal_as, tenant_a):
    well = make_well(tenant_a, name="Precise 1H")
    record = make_production(tenant_a, well, timezone.localdate() - timedelta(days=1), "OIL", 120.5)
    with schema_context(tenant_a.tenant.schema_name):
        pumper = User.objects.get(email=tenant_a.users["OPERATOR"])
        pumper.name = "Pat Pumper"
        pumper.save()
        ProductionRecord.objects.filter(pk=record.pk).update(downtime_hours=Decimal("2.5"),
                                                              downtime_reason="Rod part", recorded_by=pumper)
        pump = Equipment.objects.create(well=well, type="PUMP_JACK", name="Jack A")
        fine = Equipment.objects.create(well=well, type="PUMP_JACK", name="Jack B")
        now = timezone.now()
        EquipmentInspection.objects.create(well=well, equipment=pump, inspection_type="SAFETY", status="FAIL",
                                           inspected_at=now - timedelta(hours=2), recorded_by=pumper)
        EquipmentInspection.objects.create(well=well, equipment=fine, inspection_type="SAFETY", status="FAIL",
                                           inspected_at=now - timedelta(days=2))
        EquipmentInspection.objects.create(well=well, equipment=fine, inspection_type="SAFETY", status="PASS",
                                           inspected_at=now - timedelta(days=1))
    html = portal_as("MANAGER").get(f"/wells/{well.pk}/").content.decode()
    row = html[html.index(f'data-production="{record.pk}"'):]
    assert re.search(r"data-volume>120\.5 BBL<", row) and re.search(r"data-downtime>2\.5 h<", row)
    assert "Rod part" in row and re.search(r"data-recorded-by>Pat Pumper<", row)
    assert re.search(rf'data-equipment="{pump.pk}".*?data-needs-attention', html, re.S)
    fine_row = html[html.index(f'data-equipment="{fine.pk}"'):].split("</tr>", 1)[0]
    assert "data-needs-attention" not in fine_row
    assert "Pat Pumper" in html[html.index('id="records"'):]  # who recorded the inspection


def test_the_dashboard_compares_with_the_previous_week_and_lists_last_sync_per_pumper(portal_as, tenant_a):
    from sync.models import Device
    from wells.selectors import tenant_today

    today = tenant_today(tenant_a.tenant.time_zone)
    well = make_well(tenant_a, name="Compare 1H")
    make_production(tenant_a, well, today, "OIL", 150)
    make_production(tenant_a, well, today - timedelta(days=8), "OIL", 100)  # the 7 days before
    with schema_context(tenant_a.tenant.schema_name):
        operator = User.objects.get(email=tenant_a.users["OPERATOR"])
        Device.objects.create(device_id="tablet-dashboard", platform="android", last_user=operator)
    html = portal_as("MANAGER").get("/").content.decode()
    assert re.search(r'data-period="change"[^>]*>\+50\.0 %<', html)
    pumpers = html[html.index('id="last-sync"'):]
    assert re.search(rf"<th scope=\"row\">{re.escape(operator.name or operator.email)}</th><td class=\"num\">0\xa0minutes ago<",
                     pumpers)
    assert 'id="last-sync"' not in portal_as("OPERATOR").get("/").content.decode()
