"""Reads about users: what they may do and what the portal shows them."""

from __future__ import annotations

from functools import lru_cache

from django.urls import NoReverseMatch, reverse

from .models import User
from .roles import NAVIGATION, NavItem


@lru_cache(maxsize=1)
def _installed_navigation() -> tuple[tuple[NavItem, str], ...]:
    items = []
    for item in NAVIGATION:
        try:
            items.append((item, reverse(item.url_name, urlconf="config.urls_tenant")))
        except NoReverseMatch:
            continue  # that part of the portal is not built: never show a dead link
    return tuple(items)


def navigation_for(*, user: User) -> list[dict[str, str]]:
    """The portal's menu for this user; GET /api/v1/me returns the same list. What
    ``user.has_perm`` answers for a permission without an object, from one look at the user's
    permissions (cached with the user) instead of a walk through the backends per menu item."""
    granted = user.get_all_permissions() if user.is_active else set()
    every = user.is_active and user.is_superuser
    return [
        {"name": item.name, "href": href}
        for item, href in _installed_navigation()
        if item.permission is None or every or item.permission in granted
    ]


def permissions_for(*, user: User) -> list[str]:
    return sorted(user.get_all_permissions())


# The team page's "last sync" column comes from the sync layer, above this one: it registers an
# expression (the latest batch received from the user, a subquery on OuterRef("pk")) here, so the
# page stays one query without accounts importing sync (docs/architecture.md).
_last_sync_expressions: list = []


def last_sync_expression(factory):
    """Register ``factory() -> expression`` giving a user's last sync time (None: never)."""
    _last_sync_expressions[:] = [factory]
    return factory


def team_members():
    """The tenant's users for the team page, each with ``route_size`` and ``last_sync_at``
    (None when nothing registered an expression or the user never synced): one query."""
    from django.db.models import Count, DateTimeField, Value

    users = User.objects.annotate(route_size=Count("well_assignments", distinct=True))
    expression = _last_sync_expressions[0]() if _last_sync_expressions else Value(None, output_field=DateTimeField())
    return users.annotate(last_sync_at=expression).order_by("email")
