"""Failure counters in Redis: repeated failed logins per email and per client address, and
repeated wrong tenant secrets per address, are refused with 429 for the rest of the window."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _key(kind: str, value: str) -> str:
    return f"throttle:{kind}:" + hashlib.sha256(value.lower().encode()).hexdigest()[:32]


def _window() -> int:
    return settings.LOGIN_THROTTLE["window_seconds"]


def _count(key: str) -> int:
    return int(cache.get(key) or 0)


def _hit(key: str) -> None:
    if cache.add(key, 1, timeout=_window()):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=_window())


def login_is_throttled(*, tenant_public_id: str, email: str, address: str | None) -> int | None:
    """Seconds to wait if this login must be refused, else None."""
    limits = settings.LOGIN_THROTTLE
    if _count(_key("login-email", f"{tenant_public_id}:{email}")) >= limits["per_email"]:
        return _window()
    if address and _count(_key("login-addr", address)) >= limits["per_address"]:
        return _window()
    return None


def login_failed(*, tenant_public_id: str, email: str, address: str | None) -> None:
    _hit(_key("login-email", f"{tenant_public_id}:{email}"))
    if address:
        _hit(_key("login-addr", address))


def login_succeeded(*, tenant_public_id: str, email: str) -> None:
    cache.delete(_key("login-email", f"{tenant_public_id}:{email}"))


def credential_failures_exceeded(*, address: str | None) -> int | None:
    """Wrong tenant secrets or tokens from one address: refuse further tries for a while."""
    if address and _count(_key("cred-addr", address)) >= settings.LOGIN_THROTTLE["per_address"] * 4:
        return _window()
    return None


def credential_failed(*, address: str | None) -> None:
    if address:
        _hit(_key("cred-addr", address))
