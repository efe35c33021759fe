"""accounts.permissions: DRF permission classes over the role permissions of accounts/roles.py
(used by the wells API; meant for the sync API as well)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django_tenants.utils import schema_context

from accounts.models import Role
from accounts.permissions import object_permissions_required, permissions_required, roles_required
from tests.wells.helpers import tenant_user

pytestmark = pytest.mark.django_db


class ReadWriteView:
    def get(self): ...

    def post(self): ...

    def patch(self): ...


class ReadOnlyView:
    def get(self): ...


def allowed(permission_class, user, method: str, view=ReadWriteView(), obj=None) -> bool:
    request = SimpleNamespace(user=user, method=method)
    permission = permission_class()
    if obj is None:
        return permission.has_permission(request, view)
    return permission.has_permission(request, view) and permission.has_object_permission(request, view, obj)


@pytest.fixture
def users(tenant_a):
    with schema_context(tenant_a.tenant.schema_name):
        yield {role: tenant_user(tenant_a, role) for role in Role.values}


def test_a_collection_needs_the_permission_of_the_method(users):
    wells = permissions_required(GET="wells.view_well", POST="wells.add_well")
    assert allowed(wells, users["OPERATOR"], "GET")
    assert not allowed(wells, users["OPERATOR"], "POST")
    assert allowed(wells, users["MANAGER"], "POST")


def test_head_and_options_need_what_get_needs(users):
    conflicts = permissions_required(GET="sync.view_conflict")
    assert not allowed(conflicts, users["OPERATOR"], "HEAD")
    assert not allowed(conflicts, users["OPERATOR"], "OPTIONS")
    assert allowed(conflicts, users["MANAGER"], "HEAD")


def test_a_method_the_view_has_but_the_class_does_not_name_is_refused_to_everyone(users):
    only_get = permissions_required(GET="wells.view_well")
    assert not allowed(only_get, users["ADMIN"], "PATCH")


def test_a_method_the_view_does_not_have_is_left_to_the_view_to_answer_405(users):
    only_get = permissions_required(GET="wells.view_well")
    assert allowed(only_get, users["OPERATOR"], "DELETE", view=ReadOnlyView())


def test_an_object_endpoint_lets_readers_through_to_the_lookup_and_checks_the_write_on_the_object(users):
    detail = object_permissions_required(GET="wells.view_well", PATCH="wells.change_well")
    operator = users["OPERATOR"]
    assert allowed(detail, operator, "PATCH")  # request level: may look the well up (404 if not theirs)
    assert not allowed(detail, operator, "PATCH", obj=object())  # then 403 on a well they can see
    assert allowed(detail, users["MANAGER"], "PATCH", obj=object())


def test_an_object_endpoint_must_name_its_read_permission():
    with pytest.raises(ValueError):
        object_permissions_required(PATCH="wells.change_well")


def test_several_permissions_are_all_needed(users):
    both = permissions_required(GET=("wells.view_well", "accounts.manage_team"))
    assert allowed(both, users["ADMIN"], "GET")
    assert not allowed(both, users["MANAGER"], "GET")


def test_the_refusal_message_names_the_role_and_what_is_missing(users):
    permission = permissions_required(POST="wells.add_well")()
    assert not permission.has_permission(SimpleNamespace(user=users["OPERATOR"], method="POST"), ReadWriteView())
    assert permission.message == "Your role (OPERATOR) may not do this (it needs wells.add_well)."


def test_inactive_and_anonymous_users_are_refused(users):
    from django.contrib.auth.models import AnonymousUser

    wells = permissions_required(GET="wells.view_well")
    assert not allowed(wells, AnonymousUser(), "GET")
    assert not allowed(wells, None, "GET")
    users["ADMIN"].is_active = False
    assert not allowed(wells, users["ADMIN"], "GET")


def test_roles_required_checks_the_role(users):
    managers = roles_required(Role.ADMIN, Role.MANAGER)
    assert allowed(managers, users["MANAGER"], "GET")
    assert not allowed(managers, users["OPERATOR"], "GET")
