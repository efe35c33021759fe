"""The conflicts page of the portal: both sides shown, resolution through the form, history."""

import re

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from sync.models import Conflict
from tests.accounts.test_portal_session import portal_login
from tests.sync.conftest import later
from tests.sync.test_rules import inspection

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(push_and_process, route, tenant_a):
    push_and_process([inspection(route, "PASS")])
    second = inspection(route, "FAIL", occurred=later(5))
    push_and_process([second])
    with schema_context(tenant_a.tenant.schema_name):
        return Conflict.objects.get(event__event_id=second["id"])


def manager_client(tenant_a) -> Client:
    client = Client()
    portal_login(client, tenant_a, tenant_a.users["MANAGER"])
    return client


def test_pending_conflicts_show_both_sides_and_who_sent_them(tenant_a, pending):
    page = manager_client(tenant_a).get("/conflicts/", HTTP_HOST=tenant_a.host)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-conflict="{pending.pk}"' in html
    # In words: the field's name, the values, the event type and the status.
    row = re.search(r'<tr class="differs"><th scope="row">Status</th>\s*<td data-label="Field sent">(\w+)</td>'
                    r'<td data-label="Server had">(\w+)</td>', html)
    assert row.groups() == ("Fail", "Pass")
    assert "Operator of Permian Pumpers" in html
    assert "Waiting for a decision (1)" in html and ">Inspection\n" in html


def test_a_manager_resolves_a_conflict_from_the_page_and_it_moves_to_history(tenant_a, pending):
    client = manager_client(tenant_a)
    page = client.get("/conflicts/", HTTP_HOST=tenant_a.host)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
    decision = {"action": "USE_LOCAL", "note": "FAIL confirmed", "csrfmiddlewaretoken": token}
    # First a confirmation: nothing is applied yet.
    confirm = client.post(f"/conflicts/{pending.pk}/resolve/", decision, HTTP_HOST=tenant_a.host)
    assert confirm.status_code == 200 and b"Confirm the decision" in confirm.content
    assert b'name="confirmed" value="1"' in confirm.content and b"Use what the field sent" in confirm.content
    with schema_context(tenant_a.tenant.schema_name):
        assert Conflict.objects.get(pk=pending.pk).status == "PENDING_REVIEW"
    response = client.post(f"/conflicts/{pending.pk}/resolve/", {**decision, "confirmed": "1"},
                           HTTP_HOST=tenant_a.host)
    assert response.status_code == 302
    with schema_context(tenant_a.tenant.schema_name):
        resolved = Conflict.objects.get(pk=pending.pk)
    assert resolved.status == "RESOLVED" and resolved.resolution_note == "FAIL confirmed"
    assert b"Nothing waits for review" in client.get("/conflicts/", HTTP_HOST=tenant_a.host).content
    history = client.get("/conflicts/?tab=history", HTTP_HOST=tenant_a.host).content.decode()
    assert "Use what the field sent" in history and "FAIL confirmed" in history
    again = client.post(f"/conflicts/{pending.pk}/resolve/", {"action": "USE_SERVER", "csrfmiddlewaretoken": token,
                                                             "confirmed": "1"}, HTTP_HOST=tenant_a.host, follow=True)
    assert b"already resolved" in again.content


def test_operators_cannot_open_or_post_to_the_conflicts_page(tenant_a, pending):
    client = Client()
    portal_login(client, tenant_a, tenant_a.users["OPERATOR"])
    assert client.get("/conflicts/", HTTP_HOST=tenant_a.host).status_code == 403
    assert client.post(f"/conflicts/{pending.pk}/resolve/", {"action": "IGNORE"},
                       HTTP_HOST=tenant_a.host).status_code == 403


def test_names_instead_of_ids_times_in_the_tenants_zone_and_filters(tenant_a, pending, route):
    client = manager_client(tenant_a)
    html = client.get("/conflicts/", HTTP_HOST=tenant_a.host).content.decode()
    section = html[html.index(f'data-conflict="{pending.pk}"'):]
    assert str(route.equipment.pk) not in section and str(route.well.pk) not in section.split("</h2>", 1)[1]
    assert re.search(r'<th scope="row">Equipment</th>\s*<td data-label="Field sent">Pump jack 1</td>', section)
    # 15:00 UTC is 09:00 in America/Chicago: the inspection time is shown in the tenant's zone.
    assert re.search(r'<th scope="row">Inspected at</th>\s*<td data-label="Field sent">Nov 20, 2026 09:00</td>', section)
    only_well = client.get(f"/conflicts/?well={route.well.pk}&type=EQUIPMENT_INSPECTED", HTTP_HOST=tenant_a.host)
    assert f'data-conflict="{pending.pk}"' in only_well.content.decode()
    other_type = client.get("/conflicts/?type=PRODUCTION_LOGGED", HTTP_HOST=tenant_a.host).content.decode()
    assert f'data-conflict="{pending.pk}"' not in other_type
    auto = client.get("/conflicts/?tab=auto", HTTP_HOST=tenant_a.host).content.decode()
    assert f'data-conflict="{pending.pk}"' not in auto and "Settled automatically (routine)" in auto


def test_a_decision_not_offered_is_refused_before_the_confirmation(tenant_a, pending):
    client = manager_client(tenant_a)
    page = client.get("/conflicts/", HTTP_HOST=tenant_a.host)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
    response = client.post(f"/conflicts/{pending.pk}/resolve/", {"action": "BOGUS", "csrfmiddlewaretoken": token},
                           HTTP_HOST=tenant_a.host, follow=True)
    assert response.status_code == 200 and b"Choose one of the offered decisions" in response.content
    with schema_context(tenant_a.tenant.schema_name):
        assert Conflict.objects.get(pk=pending.pk).status == "PENDING_REVIEW"
