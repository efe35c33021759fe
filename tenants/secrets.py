"""Tenant device secrets: generation, Argon2 hashing and the fast verification path."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets as random_source
import time
import uuid
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from django.conf import settings
from django.utils import timezone

from .directory import TenantEntry

SECRET_FORMAT = re.compile(r"^[0-9a-f]{64}$")


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher(**getattr(settings, "TENANT_SECRET_ARGON2", {}))


@lru_cache(maxsize=1)
def _fingerprint_key() -> bytes:
    return hashlib.sha256(b"pumpjack-tenant-secret-fingerprint:" + settings.SECRET_KEY.encode()).digest()


def secret_generate() -> str:
    """256 random bits as 64 lowercase hex characters."""
    return random_source.token_hex(32)


def secret_hash(secret: str) -> str:
    return _hasher().hash(secret)


def secret_matches(stored_hash: str, presented: str) -> bool:
    try:
        return _hasher().verify(stored_hash, presented)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _fingerprint(entry: TenantEntry, presented: str) -> bytes:
    return hmac.new(_fingerprint_key(), f"{entry.tenant.pk}:{presented}".encode(), hashlib.sha256).digest()


def secret_recall(*, entry: TenantEntry, presented: str | None) -> uuid.UUID | None:
    """The fast path alone: the id of a secret this process verified recently and that is still
    active, else None (unknown to this process, or known to be wrong). No Argon2 here."""
    if not presented or not SECRET_FORMAT.fullmatch(presented):
        return None
    remembered = entry.verified_secrets.get(_fingerprint(entry, presented))
    if remembered is None or remembered[0] is None or remembered[1] <= time.monotonic():
        return None
    secret = next((s for s in entry.secrets if s.id == remembered[0]), None)
    if secret is not None and (secret.expires_at is None or secret.expires_at > timezone.now()):
        return secret.id
    return None


def secret_verify(*, entry: TenantEntry, presented: str | None) -> uuid.UUID | None:
    """Return the id of the tenant's active secret equal to ``presented``, else None.

    The first check of a secret pays Argon2 (constant-time by construction). The result is then
    remembered by an HMAC fingerprint of the secret on the process's tenant entry, so later
    requests cost one HMAC and a dictionary lookup (secret_recall). The entry is dropped by the
    tenant directory as soon as any process rotates or expires a secret, and an expiry time is
    checked on every call, so the shortcut never outlives the secret.
    """
    if not presented or not SECRET_FORMAT.fullmatch(presented):
        return None
    fingerprint = _fingerprint(entry, presented)
    remembered = entry.verified_secrets.get(fingerprint)
    if remembered is not None and remembered[1] > time.monotonic():
        return secret_recall(entry=entry, presented=presented) if remembered[0] is not None else None

    now = timezone.now()
    matched: uuid.UUID | None = None
    for secret in entry.secrets:
        if secret.expires_at is not None and secret.expires_at <= now:
            continue
        if secret_matches(secret.secret_hash, presented):
            matched = secret.id
            break
    # Wrong secrets are remembered briefly too, so a client retrying a bad secret costs no Argon2.
    ttl = settings.TENANT_SECRET_CACHE_SECONDS if matched else 30
    if len(entry.verified_secrets) > 1000:
        entry.verified_secrets.clear()
    entry.verified_secrets[fingerprint] = (matched, time.monotonic() + ttl)
    return matched
