"""Fixtures of the wells tests."""

from __future__ import annotations

import pytest

from accounts.models import User
from tests.factories import TenantHandle
from tests.wells.helpers import Api, tenant_user


@pytest.fixture
def api(client):
    """``api(tenant_a, "MANAGER")`` or ``api(tenant_a, some_user)``."""

    def _for(handle: TenantHandle, who: str | User) -> Api:
        user = who if isinstance(who, User) else tenant_user(handle, who)
        return Api(client=client, handle=handle, user=user)

    return _for
