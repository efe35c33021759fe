"""Operations tests (API.md section 12): the sync fixtures, to give the metrics something to count,
and a committed tenant for the live servers."""

import pytest

from tests.factories import TenantHandle, make_tenant
from tests.sync.conftest import operator_tokens, push, push_and_process, route  # noqa: F401


@pytest.fixture(scope="session")
def ops_tenant(django_db_setup, django_db_blocker) -> TenantHandle:
    """A tenant with committed users, so that the server and worker processes see them."""
    with django_db_blocker.unblock():
        return make_tenant(name="Operations Oil", slug="ops-oil")
