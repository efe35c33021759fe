"""Roles: what each one may do, and what the portal shows it.

A role is a Django group of the same name in the tenant's schema, holding the permissions below.
``roles_sync`` (run by ``migrate_schemas`` for the template schema and every migrated tenant)
keeps the groups equal to this table. Permissions of apps that have no models yet are skipped
until their migrations exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import Role

OPERATOR_PERMISSIONS = [
    "wells.view_well",
    "wells.view_equipment",
    "wells.view_productionrecord",
    "wells.view_wellreading",
    "wells.view_equipmentinspection",
    "wells.view_equipmentrepair",
    "wells.view_fieldnote",
    "wells.view_photo",
    "wells.view_lease",
    "wells.view_tank",
    "wells.view_tankgauge",
    "wells.view_alert",
    "sync.add_syncbatch",
    "sync.view_syncbatch",
]
MANAGER_PERMISSIONS = OPERATOR_PERMISSIONS + [
    "wells.add_well",
    "wells.change_well",
    "wells.add_equipment",
    "wells.change_equipment",
    "wells.delete_equipment",
    "wells.add_lease",
    "wells.change_lease",
    "wells.delete_lease",
    "wells.add_tank",
    "wells.change_tank",
    "wells.delete_tank",
    # Month close (API.md section 14): dispositions, the lease balance and Form PR.
    "wells.view_disposition",
    "wells.add_disposition",
    "wells.delete_disposition",
    "sync.view_conflict",
    "sync.change_conflict",
    "accounts.view_user",
    "wells.change_alert",
    "wells.view_alertrule",
]
ADMIN_PERMISSIONS = MANAGER_PERMISSIONS + [
    "wells.delete_well",
    "accounts.manage_team",
    "accounts.manage_secrets",
    "accounts.add_user",
    "accounts.change_user",
    "accounts.view_securityevent",
    "sync.view_conflictpolicy",
    "sync.change_conflictpolicy",
    "wells.change_alertrule",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.OPERATOR: OPERATOR_PERMISSIONS,
    Role.MANAGER: MANAGER_PERMISSIONS,
    Role.ADMIN: ADMIN_PERMISSIONS,
}


@dataclass(frozen=True)
class NavItem:
    name: str
    url_name: str
    permission: str | None


# The portal's navigation and the ``navigation`` list of GET /api/v1/me come from here. Items
# whose page is not installed (its URL name does not resolve) are left out, never shown dead.
NAVIGATION = [
    NavItem("Dashboard", "portal:dashboard", None),
    NavItem("Wells", "wells:list", "wells.view_well"),
    NavItem("Leases", "wells:leases", "wells.view_lease"),
    NavItem("Alerts", "wells:alerts", "wells.view_alert"),
    NavItem("Conflicts", "sync:conflicts", "sync.view_conflict"),
    NavItem("Team", "accounts:team", "accounts.manage_team"),
    NavItem("Tenant secrets", "accounts:secrets", "accounts.manage_secrets"),
]


def roles_sync() -> None:
    """Make the role groups of the current schema hold exactly ROLE_PERMISSIONS."""
    from django.contrib.auth.models import Group, Permission

    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = set()
        for code in codes:
            app_label, codename = code.split(".")
            wanted.update(
                Permission.objects.filter(content_type__app_label=app_label, codename=codename).values_list(
                    "pk", flat=True
                )
            )
        group.permissions.set(wanted)
