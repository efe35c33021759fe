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


class Throttled(Exception):
    def __init__(self, retry_after: int):
        super().__init__("too many requests")
        self.retry_after = retry_after


def _reset_limits() -> dict:
    return settings.PASSWORD_RESET_THROTTLE


def _reset_hit(key: str) -> None:
    window = _reset_limits()["window_seconds"]
    if cache.add(key, 1, timeout=window):
        return
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=window)


def reset_is_throttled(*, tenant_public_id: str, email: str, address: str | None) -> int | None:
    """Password-reset requests, counted whether or not the e-mail has an account (the answer must
    not tell): seconds to wait when over the limit for this e-mail or this address, else None."""
    limits = _reset_limits()
    if _count(_key("reset-email", f"{tenant_public_id}:{email}")) >= limits["per_email"]:
        return limits["window_seconds"]
    if address and _count(_key("reset-addr", address)) >= limits["per_address"]:
        return limits["window_seconds"]
    return None


def reset_requested(*, tenant_public_id: str, email: str, address: str | None) -> None:
    _reset_hit(_key("reset-email", f"{tenant_public_id}:{email}"))
    if address:
        _reset_hit(_key("reset-addr", address))
