"""The in-process tenant directory: tenant resolution without a registry query per request.

Each process keeps the tenants it has seen (with their secrets' hashes and users) in memory.
Every change to the registry (a tenant, a domain, a secret, a user's role or access) bumps one
*generation* value in Redis after its transaction commits and publishes it on a channel. Each
process listens on that channel from a background thread and forgets everything the moment a
change is announced, so a request asks nobody anything. While the listener is not subscribed
(starting up, Redis restarting) a request reads the generation itself (one GET) instead; if Redis
cannot be reached at all, cached entries are trusted for at most TENANT_CACHE_FALLBACK_SECONDS.
"""

from __future__ import annotations

import gc
import logging
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime

from django.conf import settings
from django.db import connections, transaction

from .models import PUBLIC_ID_REGEX, Domain, Tenant, TenantSecret

log = logging.getLogger(__name__)
GENERATION_KEY = "tenant-registry-generation"
_PUBLIC_ID = re.compile(PUBLIC_ID_REGEX)
_MAX_ENTRIES = 20_000  # bounds memory when callers probe many unknown identifiers


@dataclass(frozen=True)
class SecretEntry:
    id: uuid.UUID
    secret_hash: str
    expires_at: datetime | None


@dataclass
class TenantEntry:
    """A read-only snapshot of one tenant, as the request path needs it."""

    tenant: Tenant
    secrets: tuple[SecretEntry, ...]
    # Users this process has authenticated, by id. Any change to a user's access (role,
    # deactivation, token version) bumps the generation, which drops this entry with them.
    users: dict[str, object] = field(default_factory=dict)

    @property
    def public_id(self) -> str:
        return self.tenant.public_id


_MISSING = object()


class TenantDirectory:
    # Web workers (config/wsgi.py) set this: see _entry_loaded.
    freeze_entries_every = 0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded_since_freeze = 0
        self._by_public_id: dict[str, TenantEntry | None] = {}
        self._by_host: dict[str, TenantEntry | None] = {}
        self._generation: object = _MISSING
        self._checked_at = 0.0

    # ------------------------------------------------------------------ freshness
    def refresh(self) -> None:
        """Forget everything if the registry changed since this process last looked."""
        _listener.ensure_running()
        if _listener.subscribed.is_set():
            return  # changes are pushed to this process as they happen
        now = time.monotonic()
        try:
            generation = _generation_client().get(_generation_key())
        except Exception:  # Redis down: fall back to a short time-to-live
            if now - self._checked_at > settings.TENANT_CACHE_FALLBACK_SECONDS:
                log.warning("tenant directory: Redis unreachable, cached tenants kept at most %ss",
                            settings.TENANT_CACHE_FALLBACK_SECONDS)
                self.clear()
                self._checked_at = now
            return
        self._checked_at = now
        if generation != self._generation:
            self.clear()
            self._generation = generation

    def clear(self) -> None:
        from .databases import tenant_databases

        with self._lock:
            self._by_public_id = {}
            self._by_host = {}
        tenant_databases.mark_stale()  # a tenant database may have moved, been suspended or deleted

    # ------------------------------------------------------------------ lookups
    def by_public_id(self, public_id: str) -> TenantEntry | None:
        key = public_id.upper()
        cached = self._by_public_id.get(key, _MISSING)
        if cached is not _MISSING:
            return cached
        entry = None
        if _PUBLIC_ID.fullmatch(key):
            tenant = Tenant.objects.filter(public_id=key, deleted_at__isnull=True).first()
            entry = self._entry_for(tenant) if tenant else None
        self._remember(self._by_public_id, key, entry)
        return entry

    def by_host(self, host: str) -> TenantEntry | None:
        cached = self._by_host.get(host, _MISSING)
        if cached is not _MISSING:
            return cached
        domain = Domain.objects.select_related("tenant").filter(domain=host).first()
        tenant = domain.tenant if domain and domain.tenant.deleted_at is None else None
        entry = self._entry_for(tenant) if tenant else None
        self._remember(self._by_host, host, entry)
        return entry

    def _entry_for(self, tenant: Tenant) -> TenantEntry:
        existing = self._by_public_id.get(tenant.public_id)
        if existing is not None:
            return existing
        secrets = tuple(
            SecretEntry(id=s.id, secret_hash=s.secret_hash, expires_at=s.expires_at)
            for s in TenantSecret.objects.filter(tenant=tenant).only("id", "secret_hash", "expires_at")
        )
        entry = TenantEntry(tenant=tenant, secrets=secrets)
        self._remember(self._by_public_id, tenant.public_id, entry)
        self._entry_loaded()
        return entry

    def _entry_loaded(self) -> None:
        """A worker serving many tenants holds their entries (tenant, secrets, users and their
        permissions) for long: tens of thousands of objects that every full garbage collection,
        frequent in a web worker (config/wsgi.py), would walk again. Every few hundred entries
        loaded they join the start-up objects in the permanent generation. Everything is thawed
        and collected first, so garbage frozen last time (the request under way then) is freed
        now and never piles up."""
        every = self.freeze_entries_every
        if not every:
            return
        self._loaded_since_freeze += 1
        if self._loaded_since_freeze >= every:
            self._loaded_since_freeze = 0
            gc.unfreeze()
            gc.collect()
            gc.freeze()

    def _remember(self, table: dict, key: str, entry: TenantEntry | None) -> None:
        with self._lock:
            if len(table) >= _MAX_ENTRIES:
                table.clear()
            table[key] = entry


directory = TenantDirectory()


def _generation_key() -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:{GENERATION_KEY}"


@lru_cache(maxsize=1)
def _generation_client():
    """A process-wide Redis client (thread-safe, pooled). Django's cache API builds a new client
    object per call, which costs more than the GET itself on this hot path."""
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5)


def _channel() -> str:
    return _generation_key()


class _ChangeListener:
    """A daemon thread per process, subscribed to registry changes (Redis pub/sub)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._thread: threading.Thread | None = None
        self.subscribed = threading.Event()

    def ensure_running(self) -> None:
        if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
                return
            self._pid = os.getpid()  # a forked child starts its own (threads do not survive a fork)
            self.subscribed = threading.Event()
            self._thread = threading.Thread(target=self._run, name="tenant-directory-listener", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        import redis

        while True:
            pubsub = None
            try:
                client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, health_check_interval=15)
                pubsub = client.pubsub()
                pubsub.subscribe(_channel())
                for message in pubsub.listen():
                    if message["type"] == "subscribe":
                        directory.clear()  # whatever changed while nobody listened
                        self.subscribed.set()
                    elif message["type"] == "message":
                        directory.clear()
            except Exception:
                self.subscribed.clear()
                log.warning("tenant directory: change listener lost Redis; requests ask for the generation "
                            "until it is back", exc_info=True)
                time.sleep(1)
            finally:
                self.subscribed.clear()
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:
                        pass


_listener = _ChangeListener()


def bump_generation() -> None:
    """Tell every process that the registry, a secret or a user's access changed (after the
    current transaction commits)."""

    def _bump() -> None:
        directory.clear()
        try:
            value = uuid.uuid4().hex
            client = _generation_client()
            client.set(_generation_key(), value)
            client.publish(_channel(), value)
        except Exception:
            log.warning("tenant directory: could not publish a registry change; other processes "
                        "see it within %ss", settings.TENANT_CACHE_FALLBACK_SECONDS)

    from .databases import current_db

    directory.clear()  # this process sees its own change at once, even before commit
    using = current_db()  # a user's change in a tenant with its own database commits there
    if connections[using].in_atomic_block:
        transaction.on_commit(_bump, using=using)
    else:
        _bump()
