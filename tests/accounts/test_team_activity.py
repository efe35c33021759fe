"""The team page's activity columns at every isolation level: each user's last login (a device's
API login counts) and last sync (the latest batch received from them), read with the users in one
query wherever the tenant's rows live."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import api_login

pytestmark = pytest.mark.django_db


def test_last_login_and_last_sync_come_with_the_users_in_one_query(client, tenant_a, in_tenant):
    from accounts.models import User
    from accounts.selectors import team_members
    from sync.models import SyncBatch
    from tenants.databases import current_db

    before = timezone.now()
    api_login(client, tenant_a, email=tenant_a.users["OPERATOR"])
    with in_tenant(tenant_a):
        operator = User.objects.get(email=tenant_a.users["OPERATOR"])
        assert operator.last_login is not None and operator.last_login >= before
        moments = [timezone.now() - timedelta(days=2), timezone.now() - timedelta(minutes=30),
                   timezone.now() - timedelta(days=1)]
        for moment in moments:
            batch = SyncBatch.objects.create(user=operator)
            SyncBatch.objects.filter(pk=batch.pk).update(received_at=moment)
        with CaptureQueriesContext(connections[current_db()]) as queries:
            members = {user.email: user for user in team_members()}
        assert len(queries) == 1
        assert members[operator.email].last_sync_at == max(moments)
        assert members[tenant_a.users["MANAGER"]].last_sync_at is None
        assert members[operator.email].last_login == operator.last_login
