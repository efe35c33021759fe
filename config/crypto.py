"""Encryption at rest of database URLs (they hold passwords): a DATABASE-level tenant's own
database (tenants.databases) and the ETL sources (sync.etl) alike, so it sits below both.

Fernet (AES-128-CBC + HMAC-SHA256) with the key(s) in ``settings.PUMPJACK_ENCRYPTION_KEY``:
one key, or several separated by commas to rotate (the first encrypts, every one decrypts).
Production refuses to start without it (config/settings/production.py); development and tests
derive a key from SECRET_KEY when it is unset, so they need no configuration.
"""

from __future__ import annotations

import base64
import hashlib

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionFailed(Exception):
    """The stored value was encrypted with a key this server does not have (or was altered)."""


def derived_key(secret_key: str) -> bytes:
    """A Fernet key derived from SECRET_KEY (development and tests only)."""
    digest = hashlib.sha256(b"pumpjack-etl-encryption:" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def _fernet():
    # Imported here: the web workers that never touch an ETL source do not carry the library.
    from cryptography.fernet import Fernet, MultiFernet

    configured = (getattr(settings, "PUMPJACK_ENCRYPTION_KEY", "") or "").strip()
    keys = [k.strip().encode() for k in configured.split(",") if k.strip()] or [derived_key(settings.SECRET_KEY)]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "PUMPJACK_ENCRYPTION_KEY must hold Fernet keys (32 url-safe base64-encoded bytes each); "
            "make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        ) from exc


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode()


def decrypt(token: str, *, ttl: int | None = None) -> str:
    """The plain text; with ``ttl`` (seconds), tokens older than that are refused too."""
    from cryptography.fernet import InvalidToken

    try:
        return _fernet().decrypt(token.encode(), ttl=ttl).decode()
    except InvalidToken:
        raise DecryptionFailed("The stored value cannot be decrypted with PUMPJACK_ENCRYPTION_KEY.") from None
