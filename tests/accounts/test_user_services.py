"""User services: roles as groups, the last ADMIN kept, audit rows naming their tenant."""

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from accounts.models import SecurityEvent, User
from accounts.services import user_create, user_deactivate, user_set_role
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_role_is_a_group_holding_its_permissions(tenant_a):
    with schema_context(tenant_a.tenant.schema_name):
        user = user_create(email="New.Person@Permian.test", password=PASSWORD, role="MANAGER", actor="t")
        assert user.email == "new.person@permian.test"
        assert list(user.groups.values_list("name", flat=True)) == ["MANAGER"]
        user_set_role(user=user, role="ADMIN", actor="t")
        user = User.objects.get(pk=user.pk)
        assert list(user.groups.values_list("name", flat=True)) == ["ADMIN"]
        assert user.has_perm("accounts.manage_secrets")


def test_emails_are_unique_in_a_tenant_whatever_their_case(tenant_a):
    with schema_context(tenant_a.tenant.schema_name), pytest.raises(ValidationError) as error:
        user_create(email=tenant_a.users["MANAGER"].upper(), password=PASSWORD, role="MANAGER")
    assert "email" in error.value.message_dict


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(tenant_a):
    with schema_context(tenant_a.tenant.schema_name):
        admin = User.objects.get(email=tenant_a.users["ADMIN"])
        with pytest.raises(ValidationError, match="last active ADMIN"):
            user_set_role(user=admin, role="OPERATOR")
        with pytest.raises(ValidationError, match="last active ADMIN"):
            user_deactivate(user=admin)
        second = user_create(email="second-admin@permian.test", password=PASSWORD, role="ADMIN")
        user_deactivate(user=admin, actor="t")  # allowed now: another ADMIN remains
        assert not User.objects.get(pk=admin.pk).is_active
        with pytest.raises(ValidationError):
            user_deactivate(user=second)


def test_audit_rows_written_outside_a_request_name_their_tenant(tenant_a):
    with schema_context(tenant_a.tenant.schema_name):
        user_create(email="audited@permian.test", password=PASSWORD, role="OPERATOR", actor="staff@pumpjack.test")
        row = SecurityEvent.objects.get(kind="USER_CREATED", actor="staff@pumpjack.test")
    assert row.tenant_public_id == tenant_a.public_id
