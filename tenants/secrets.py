"""Tenant device secrets: generation, Argon2 hashing and the fast verification path."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets as random_source
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from django.conf import settings
from django.utils import timezone

from .directory import TenantEntry

log = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class _Verified:
    secret_id: uuid.UUID | None  # None: known to be wrong
    secret_hash: str  # the stored hash it was checked against ("" when wrong)
    secret_ids: tuple  # the tenant's secrets when it was found wrong (a wrong answer holds for those only)
    until: float


class _VerifiedSecrets:
    """Secrets this process has checked with Argon2, by an HMAC fingerprint of (tenant, secret).

    Kept apart from the tenant directory so that a registry change, which empties the directory
    in every process, does not send every tenant's devices through Argon2 again: a remembered
    answer is only used while the tenant still has that secret, with the same hash, unexpired,
    which the freshly loaded entry tells. The trust in a correct secret slides: each use renews
    it, so an active device never pays Argon2 twice; an unused one is forgotten after
    TENANT_SECRET_CACHE_SECONDS. Bounded (least recently stored first out)."""

    MAX = 50_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[bytes, _Verified] = OrderedDict()

    def get(self, fingerprint: bytes) -> _Verified | None:
        item = self._items.get(fingerprint)
        if item is None or item.until <= time.monotonic():
            return None
        return item

    def put(self, fingerprint: bytes, item: _Verified) -> None:
        with self._lock:
            self._items[fingerprint] = item
            self._items.move_to_end(fingerprint)
            while len(self._items) > self.MAX:
                self._items.popitem(last=False)

    def renew(self, fingerprint: bytes, item: _Verified) -> None:
        ttl = settings.TENANT_SECRET_CACHE_SECONDS
        if item.until - time.monotonic() < ttl / 2:  # at most one write per half period
            self.put(fingerprint, _Verified(item.secret_id, item.secret_hash, item.secret_ids, time.monotonic() + ttl))

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


verified_secrets = _VerifiedSecrets()


def _still_valid(entry: TenantEntry, item: _Verified) -> uuid.UUID | None:
    secret = next((s for s in entry.secrets if s.id == item.secret_id), None)
    if secret is None or secret.secret_hash != item.secret_hash:
        return None
    if secret.expires_at is not None and secret.expires_at <= timezone.now():
        return None
    return secret.id


def secret_recall(*, entry: TenantEntry, presented: str | None) -> uuid.UUID | None:
    matched = _secret_recall(entry=entry, presented=presented)
    if matched is not None:
        secret_use_note(matched)
    return matched


def secret_verify(*, entry: TenantEntry, presented: str | None) -> uuid.UUID | None:
    """Return the id of the tenant's active secret equal to ``presented``, else None (see
    ``_secret_verify``); a match is noted as the secret's last use (``secret_use_note``)."""
    matched = _secret_verify(entry=entry, presented=presented)
    if matched is not None:
        secret_use_note(matched)
    return matched


# --------------------------------------------------------------------------- last use


_use_noted: dict[uuid.UUID, float] = {}  # secret id -> monotonic time this process last noted a use
_USE_NOTED_MAX = 10_000


def _use_cache_key(secret_id) -> str:
    return f"tenant-secret-used:{secret_id}"


def secret_use_note(secret_id: uuid.UUID) -> bool:
    """Record that a request presented this secret, cheaply: at most one UPDATE per secret per
    TENANT_SECRET_USE_RECORD_SECONDS across every process. A process that noted the secret in
    that period asks nothing (a dictionary read); otherwise one cache ``add`` decides which
    process writes. A failure (cache or database away) is logged and forgotten: the request goes
    on. True when this call wrote."""
    interval = settings.TENANT_SECRET_USE_RECORD_SECONDS
    now = time.monotonic()
    last = _use_noted.get(secret_id)
    if last is not None and now - last < interval:
        return False
    if len(_use_noted) >= _USE_NOTED_MAX:
        _use_noted.clear()
    _use_noted[secret_id] = now
    from django.core.cache import cache
    from django.db import router, transaction

    from .models import TenantSecret

    try:
        if not cache.add(_use_cache_key(secret_id), 1, timeout=interval):
            return False
    except Exception:  # noqa: BLE001 (bookkeeping only: never fails a request)
        log.warning("tenant secret %s: last use not recorded (cache)", secret_id, exc_info=True)
        return False
    used_at = timezone.now()

    def write() -> None:
        try:
            TenantSecret.objects.filter(pk=secret_id).update(last_used_at=used_at)
        except Exception:  # noqa: BLE001
            log.warning("tenant secret %s: last use not recorded (database)", secret_id, exc_info=True)

    # After the caller's transaction, if any (at once in autocommit): the row's lock is held for
    # the UPDATE alone, never for a request's transaction, which a rotation (SELECT ... FOR
    # UPDATE of the same rows) would have to wait for.
    transaction.on_commit(write, using=router.db_for_write(TenantSecret))
    return True


def _secret_recall(*, entry: TenantEntry, presented: str | None) -> uuid.UUID | None:
    """The fast path alone: the id of a secret this process verified and that the tenant still
    has, active and unchanged; else None (unknown to this process, or known to be wrong). No Argon2."""
    if not presented or not SECRET_FORMAT.fullmatch(presented):
        return None
    fingerprint = _fingerprint(entry, presented)
    item = verified_secrets.get(fingerprint)
    if item is None or item.secret_id is None:
        return None
    matched = _still_valid(entry, item)
    if matched is not None:
        verified_secrets.renew(fingerprint, item)
    return matched


def _secret_verify(*, entry: TenantEntry, presented: str | None) -> uuid.UUID | None:
    """Return the id of the tenant's active secret equal to ``presented``, else None.

    The first check of a secret pays Argon2 (constant-time by construction). The answer is then
    remembered by an HMAC fingerprint of the secret (``verified_secrets``), so later requests cost
    one HMAC and a dictionary lookup (secret_recall). The tenant's secrets as the registry holds
    them now (rotation, expiry, a new hash) are checked on every call, so the shortcut never
    outlives the secret.
    """
    if not presented or not SECRET_FORMAT.fullmatch(presented):
        return None
    fingerprint = _fingerprint(entry, presented)
    item = verified_secrets.get(fingerprint)
    current_ids = tuple(sorted(str(s.id) for s in entry.secrets))
    if item is not None:
        if item.secret_id is not None:
            matched = _still_valid(entry, item)
            if matched is not None:
                verified_secrets.renew(fingerprint, item)
                return matched
        elif item.secret_ids == current_ids:
            return None  # found wrong against these very secrets a moment ago

    # One Argon2 check per secret at a time in this process: the threads of a cold worker that
    # all receive the same device secret at once (start-up, a reload, a recycled worker) would
    # otherwise each pay Argon2 (64 MiB and ~50 ms of a core each) and stall for seconds; the
    # ones that waited find the answer remembered. Striped locks: no table to grow.
    with _verify_locks[fingerprint[0] % len(_verify_locks)]:
        item = verified_secrets.get(fingerprint)
        if item is not None and item.secret_id is not None and _still_valid(entry, item) is not None:
            return item.secret_id
        if item is not None and item.secret_id is None and item.secret_ids == current_ids:
            return None
        return _secret_verify_slow(entry, presented, fingerprint, current_ids)


_verify_locks = [threading.Lock() for _ in range(64)]


def _secret_verify_slow(entry: TenantEntry, presented: str, fingerprint: bytes, current_ids: tuple):
    now = timezone.now()
    matched_secret = None
    for secret in entry.secrets:
        if secret.expires_at is not None and secret.expires_at <= now:
            continue
        if secret_matches(secret.secret_hash, presented):
            matched_secret = secret
            break
    # Wrong secrets are remembered briefly too, so a client retrying a bad secret costs no Argon2.
    if matched_secret is not None:
        verified_secrets.put(fingerprint, _Verified(matched_secret.id, matched_secret.secret_hash, (),
                                                    time.monotonic() + settings.TENANT_SECRET_CACHE_SECONDS))
        return matched_secret.id
    verified_secrets.put(fingerprint, _Verified(None, "", current_ids, time.monotonic() + 30))
    return None
