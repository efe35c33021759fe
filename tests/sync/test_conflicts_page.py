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
    row = re.search(r'<tr class="differs"><th scope="row">status</th>\s*<td>(\w+)</td><td>(\w+)</td>', html)
    assert row.groups() == ("FAIL", "PASS")
    assert "Operator of Permian Pumpers" in html
    assert "Waiting for review (1)" in html


def test_a_manager_resolves_a_conflict_from_the_page_and_it_moves_to_history(tenant_a, pending):
    client = manager_client(tenant_a)
    page = client.get("/conflicts/", HTTP_HOST=tenant_a.host)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
    response = client.post(f"/conflicts/{pending.pk}/resolve/", {"action": "USE_LOCAL", "note": "FAIL confirmed",
                                                                "csrfmiddlewaretoken": token}, HTTP_HOST=tenant_a.host)
    assert response.status_code == 302
    with schema_context(tenant_a.tenant.schema_name):
        resolved = Conflict.objects.get(pk=pending.pk)
    assert resolved.status == "RESOLVED" and resolved.resolution_note == "FAIL confirmed"
    assert b"Nothing waits for review" in client.get("/conflicts/", HTTP_HOST=tenant_a.host).content
    history = client.get("/conflicts/?tab=history", HTTP_HOST=tenant_a.host).content.decode()
    assert "USE_LOCAL" in history and "FAIL confirmed" in history
    again = client.post(f"/conflicts/{pending.pk}/resolve/", {"action": "USE_SERVER", "csrfmiddlewaretoken": token},
                        HTTP_HOST=tenant_a.host, follow=True)
    assert b"already resolved" in again.content


def test_operators_cannot_open_or_post_to_the_conflicts_page(tenant_a, pending):
    client = Client()
    portal_login(client, tenant_a, tenant_a.users["OPERATOR"])
    assert client.get("/conflicts/", HTTP_HOST=tenant_a.host).status_code == 403
    assert client.post(f"/conflicts/{pending.pk}/resolve/", {"action": "IGNORE"},
                       HTTP_HOST=tenant_a.host).status_code == 403
