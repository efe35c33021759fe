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
    """The portal's menu for this user; GET /api/v1/me returns the same list."""
    return [
        {"name": item.name, "href": href}
        for item, href in _installed_navigation()
        if item.permission is None or user.has_perm(item.permission)
    ]


def permissions_for(*, user: User) -> list[str]:
    return sorted(user.get_all_permissions())
