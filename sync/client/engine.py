"""The sync engine of one device profile: login, pull, push, and following outcomes.

``FieldClient(folder)`` owns a profile folder (store + credentials). ``sync()`` runs, under a
lock that only one process of the profile can hold:

1. photo uploads (PUT /api/v1/sync/photos/{photoId}, X-Content-SHA256), before their events;
2. push: unsent events in recording order, chunked within 5,000 events and 8 MiB per request;
   accepted and duplicates are marked synced, rejected ones keep the server's code and message;
3. processed: poll each batch (GET /api/v1/sync/batches/{id}) until COMPLETED or a timeout and
   keep every event's outcome (batches not finished are polled again by the next sync);
4. pull: GET /api/v1/sync/changes from the stored cursor (410 cursor_expired: a fresh snapshot).

Every step commits what it learnt as it goes, so a crash or a cut connection at any point is
repaired by running sync again: the server's event-id idempotency makes a resend a duplicate.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import __version__
from .api import Api, error_of
from .backoff import Backoff
from .chunking import MAX_BYTES, MAX_EVENTS, chunked
from .errors import Busy, FieldError, NotLoggedIn, ServerRefused, UsageError
from .profile import CredentialsFile, private_dir
from .store import Store, correction_state
from .wire import rfc3339, utc_now

DEFAULT_SERVER = "http://localhost:8000"
TENANT_ID_PATTERN = r"^[A-Z]{1,8}-[A-Z0-9]{6}$"
PULL_PAGE = 1000
# A batch the server just queued is first asked about this long after its 202: a poll sooner can
# only see it pending, and costs the server the same as any other (every event's result) while its
# worker is starting on the batch. One still processing then is most often nearly done (a shift of
# 2,000 events was COMPLETED 0.28 s after its 202 on the 2-core bench machine, and the next poll,
# 0.3 s later, came 0.25 s after that): it is asked again NEXT_POLL_SECONDS later, then every 1.5
# times longer, at most every 2 seconds (polls at 0.2, 0.3, 0.45, 0.68, 1.0 s ... after the 202).
FIRST_POLL_SECONDS = 0.2
NEXT_POLL_SECONDS = 0.1
MAX_PULL_PAGES = 10_000

# progress(phase, done, total): phase is "photos", "push", "processed" or "pull".
Progress = Callable[[str, int, int], None]


def _limits_in(details: dict) -> dict:
    """maxEvents / maxBytes from a 413's details (API.md: "with the limits in details")."""
    found = {}
    for key, name in (("maxEvents", "events"), ("maxBytes", "bytes")):
        value = details.get(key) if isinstance(details, dict) else None
        value = value[0] if isinstance(value, list) and value else value
        if str(value).isdigit() and int(value) > 0:
            found[name] = int(value)
    return found


def _no_progress(phase: str, done: int, total: int) -> None:
    pass


@dataclass
class SyncReport:
    photos_uploaded: int = 0
    photo_errors: list[dict] = field(default_factory=list)
    pushed: int = 0  # events sent in requests that were answered
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict] = field(default_factory=list)
    batches: list[dict] = field(default_factory=list)  # {"batchId", "events", "bytes"} per request
    outcomes: dict[str, int] = field(default_factory=dict)
    batches_open: int = 0  # still processing on the server when we stopped waiting
    shrunk: list[dict] = field(default_factory=list)  # requests refused as too large, sent again smaller
    changes_pulled: int = 0
    resnapshot: bool = False
    seconds: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "photosUploaded": self.photos_uploaded, "photoErrors": self.photo_errors,
            "pushed": self.pushed, "accepted": self.accepted, "duplicates": self.duplicates,
            "rejected": self.rejected, "batches": self.batches, "outcomes": self.outcomes,
            "batchesStillProcessing": self.batches_open, "shrunk": self.shrunk, "changesPulled": self.changes_pulled,
            "resnapshot": self.resnapshot, "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }


class FieldClient:
    def __init__(self, folder: str | Path, *, server: str | None = None, backoff: Backoff | None = None,
                 progress: Progress | None = None, on_retry: Callable[[str], None] | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic):
        self.folder = private_dir(Path(folder))
        self.store = Store.in_folder(self.folder)
        self.credentials_file = CredentialsFile(self.folder)
        self._server = server
        self.backoff = backoff
        self.progress = progress or _no_progress
        self.on_retry = on_retry
        self.sleep = sleep
        self.clock = clock
        self._api: Api | None = None
        self._queued_at: dict[str, float] = {}  # batch id -> when this client's push was answered

    def close(self) -> None:
        self.store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def server(self) -> str:
        return (self._server or self.store.meta("server") or os.environ.get("PUMPJACK_FIELD_SERVER")
                or DEFAULT_SERVER)

    @property
    def api(self) -> Api:
        if self._api is None:
            self._api = Api(self.server, self.credentials_file, backoff=self.backoff, on_retry=self.on_retry)
        return self._api

    @property
    def user_id(self) -> str | None:
        return self.store.meta("user_id")

    # ------------------------------------------------------------------ session

    def login(self, *, tenant_id: str | None, tenant_secret: str | None, email: str, password: str) -> dict:
        import re

        stored = self.credentials_file.load()
        tenant_id = (tenant_id or stored.tenant_id or "").strip().upper()
        tenant_secret = (tenant_secret or stored.tenant_secret or "").strip().lower()
        if not tenant_id:
            raise UsageError("--tenant is required the first time (the tenant ID from your admin, e.g. PERMIAN-7M3N8K)")
        if not re.match(TENANT_ID_PATTERN, tenant_id):
            raise UsageError(f"--tenant {tenant_id!r} is not a tenant ID: it looks like PERMIAN-7M3N8K "
                             "(1-8 letters, a dash, 6 letters or digits)")
        if not re.fullmatch(r"[0-9a-f]{64}", tenant_secret):
            raise UsageError("--secret must be the tenant secret your admin gave you: 64 hexadecimal characters")
        if not email or "@" not in email:
            raise UsageError("--email is required (the email you log in to Pumpjack with)")
        data = self.api.login(tenant_id=tenant_id, tenant_secret=tenant_secret, email=email, password=password)
        user = data["user"]
        previous = (self.store.meta("tenant_id"), self.store.meta("user_id"), self.store.meta("server"))
        if previous != (tenant_id, str(user["id"]), self.server):
            self.store.forget_reference()  # another user's route is not this one's
        self.store.set_meta({"tenant_id": tenant_id, "user_id": str(user["id"]), "user_email": user["email"],
                             "user_name": user.get("name", ""), "role": user.get("role", ""),
                             "server": self.server})
        return {"user": user, "tenantId": tenant_id, "server": self.server, "deviceId": self.store.device_id,
                "profile": self.folder.name}

    def logout(self) -> dict:
        revoked = self.api.logout()
        self.store.set_meta({"user_id": None, "user_email": None, "user_name": None, "role": None})
        return {"loggedOut": True, "revokedOnServer": revoked}

    # ------------------------------------------------------------------ lock

    @contextmanager
    def exclusive(self):
        """One sync (or pull) per profile at a time; the OS drops the lock if the process dies."""
        handle = open(self.folder / "sync.lock", "a+")
        try:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise Busy("another `pumpjack-field sync` is running for this profile") from None
            yield
        finally:
            handle.close()

    # ------------------------------------------------------------------ pull

    def pull(self, report: SyncReport | None = None) -> SyncReport:
        report = report or SyncReport()
        started = self.clock()
        cursor = self.store.meta("pull_cursor")
        replace = cursor is None
        snapshot: list[dict] = []
        pages = 0
        while pages < MAX_PULL_PAGES:
            pages += 1
            params = {"limit": str(PULL_PAGE)}
            if cursor:
                params["cursor"] = cursor
            response = self.api.call("GET", "/api/v1/sync/changes", params=params)
            code, message, _ = error_of(response) if response.status_code >= 400 else ("", "", {})
            if response.status_code == 410 or (response.status_code == 400 and cursor and "cursor" in message.lower()):
                # cursor_expired (or a cursor this server no longer knows): start again from a snapshot.
                cursor, replace, snapshot = None, True, []
                report.resnapshot = True
                continue
            self.api.raise_for(response, "pull")
            page = response.json()
            changes = page.get("changes") or []
            report.changes_pulled += len(changes)
            if replace:
                snapshot.extend(changes)
                if not page.get("hasMore"):
                    self.store.apply_changes(snapshot, cursor=page["cursor"], replace=True)
            else:
                self.store.apply_changes(changes, cursor=page["cursor"])
            cursor = page["cursor"]
            self.progress("pull", report.changes_pulled, report.changes_pulled)
            if not page.get("hasMore"):
                break
        report.seconds["pull"] = report.seconds.get("pull", 0.0) + self.clock() - started
        return report

    # ------------------------------------------------------------------ photos

    def upload_photos(self, report: SyncReport) -> None:
        pending = self.store.photos_to_upload(user_id=self._require_user())
        started = self.clock()
        for index, photo in enumerate(pending, 1):
            try:
                data = Path(photo["path"]).read_bytes()
            except OSError as exc:
                self.store.mark_photo(photo["photo_id"], error=f"local file unreadable: {exc}")
                report.photo_errors.append({"photoId": photo["photo_id"], "error": str(exc)})
                continue
            digest = hashlib.sha256(data).hexdigest()
            response = self.api.call("PUT", f"/api/v1/sync/photos/{photo['photo_id']}", body=data,
                                     content_type=photo["content_type"], headers={"X-Content-SHA256": digest})
            if response.status_code in (200, 201):
                self.store.mark_photo(photo["photo_id"])
                report.photos_uploaded += 1
            else:  # 400 checksum, 409 another image, 413, 415: retrying the same bytes cannot help
                code, message, _ = error_of(response)
                self.store.mark_photo(photo["photo_id"], error=f"{response.status_code} {code}: {message}")
                report.photo_errors.append({"photoId": photo["photo_id"], "code": code, "message": message})
            self.progress("photos", index, len(pending))
        if pending:
            report.seconds["photos"] = self.clock() - started

    # ------------------------------------------------------------------ push

    def device(self) -> dict:
        return {"deviceId": self.store.device_id, "platform": "cli", "appVersion": __version__}

    def _require_user(self) -> str:
        user_id = self.user_id
        if not user_id:
            raise NotLoggedIn("not logged in: run `pumpjack-field login`")
        return user_id

    def push(self, report: SyncReport | None = None, *, max_events: int = MAX_EVENTS,
             max_bytes: int = MAX_BYTES) -> SyncReport:
        """Send the unsent events in order, each request as full as the limits allow. A request the
        server refuses as too large (413, or a 500 twice: it stores a batch in one transaction, so a
        failed one left nothing behind) is sent again smaller, and the smaller size is kept for
        the rest of this push."""
        report = report or SyncReport()
        if not 1 <= max_events <= MAX_EVENTS:
            raise UsageError(f"--chunk-size must be 1-{MAX_EVENTS:,}")
        started = self.clock()
        events = self.store.sendable(user_id=self._require_user())
        limits = {"events": max_events, "bytes": max_bytes}
        total, done = len(events), 0
        self.progress("push", 0, total)
        while done < total:
            chunk = next(chunked(events[done:], device=self.device(), max_events=limits["events"],
                                 max_bytes=limits["bytes"]))
            if chunk.size > max_bytes:
                # One event alone is larger than a request may be: it can never go. (One above a
                # lowered limit but within the contract's still goes, alone.)
                self.store.mark_too_large(chunk.ids[0])
                done += 1
                continue
            if self._push_chunk(chunk, report, limits):
                done += len(chunk.events)
                self.progress("push", done, total)
        report.seconds["push"] = report.seconds.get("push", 0.0) + self.clock() - started
        return report

    def _push_chunk(self, chunk, report: SyncReport, limits: dict) -> bool:
        """POST one chunk. True when the server answered 202; False when the limits were lowered
        and the caller must cut a smaller chunk."""
        try:
            # Each try counts (and is on disk) before the bytes leave.
            response = self.api.call("POST", "/api/v1/sync/batches", body=chunk.body, content_type="application/json",
                                     before_try=lambda: self.store.mark_attempt(chunk.ids),
                                     tries_on_500=2 if len(chunk.events) > 1 else None)
        except FieldError as exc:
            self.store.mark_error(chunk.ids, exc.message)
            raise
        if response.status_code in (413, 500) and len(chunk.events) > 1:
            code, _, details = error_of(response)
            advertised = _limits_in(details)
            limits["events"] = min(limits["events"], advertised.get("events", limits["events"]))
            limits["bytes"] = min(limits["bytes"], advertised.get("bytes", limits["bytes"]))
            if len(chunk.events) <= limits["events"] and chunk.size <= limits["bytes"]:
                limits["bytes"] = max(1, chunk.size // 2)  # the advertised limits did not explain it: halve
            report.shrunk.append({"status": response.status_code, "code": code, "events": len(chunk.events),
                                  "bytes": chunk.size, "nowMaxEvents": limits["events"], "nowMaxBytes": limits["bytes"]})
            if self.on_retry:
                self.on_retry(f"the server refused a request of {len(chunk.events):,} events / {chunk.size:,} bytes "
                              f"({response.status_code} {code}); sending smaller ones")
            return False
        if response.status_code != 202:
            code, message, details = error_of(response)
            self.store.mark_error(chunk.ids, f"{response.status_code} {code}: {message}")
            raise ServerRefused(f"the server refused the batch: {message} ({response.status_code} {code})",
                                status=response.status_code, code=code, details=details)
        body = response.json()
        self.store.mark_pushed(batch_id=body["batchId"], status=body.get("status", "QUEUED"),
                               accepted=body.get("accepted") or [], duplicates=body.get("duplicates") or [],
                               rejected=body.get("rejected") or [], events=len(chunk.events), size=chunk.size)
        report.pushed += len(chunk.events)
        report.accepted += len(body.get("accepted") or [])
        report.duplicates += len(body.get("duplicates") or [])
        report.rejected.extend(body.get("rejected") or [])
        report.batches.append({"batchId": body["batchId"], "events": len(chunk.events), "bytes": chunk.size})
        if body.get("status", "QUEUED") not in ("COMPLETED", "FAILED"):
            self._queued_at[body["batchId"]] = self.clock()
        return True

    # ------------------------------------------------------------------ outcomes

    def wait_for_outcomes(self, report: SyncReport | None = None, *, timeout: float = 120.0) -> SyncReport:
        """Poll open batches until each is COMPLETED (or FAILED) or ``timeout`` seconds pass."""
        report = report or SyncReport()
        started = self.clock()
        deadline = started + timeout
        batches = self.store.open_batches()
        for index, batch_id in enumerate(batches):
            queued_at = self._queued_at.pop(batch_id, None)
            if queued_at is not None:  # pushed by this client: not before FIRST_POLL_SECONDS after its 202
                self.sleep(max(0.0, min(queued_at + FIRST_POLL_SECONDS, deadline) - self.clock()))
            interval = NEXT_POLL_SECONDS if queued_at is not None else FIRST_POLL_SECONDS
            while True:
                response = self.api.call("GET", f"/api/v1/sync/batches/{batch_id}")
                if response.status_code == 404:  # unknown to this server or user: nothing more to learn
                    self.store.mark_batch(batch_id=batch_id, status="FAILED", counts={}, results=[])
                    break
                self.api.raise_for(response, "batch status")
                body = response.json()
                finished = body["status"] in ("COMPLETED", "FAILED")
                if finished or self.clock() >= deadline:
                    self.store.mark_batch(batch_id=batch_id, status=body["status"], counts=body.get("counts") or {},
                                          results=body.get("results") or [])
                    break
                self.sleep(min(interval, max(0.0, deadline - self.clock())))
                interval = min(interval * 1.5, 2.0)
            self.progress("processed", index + 1, len(batches))
            if self.clock() >= deadline:
                break
        report.batches_open = len(self.store.open_batches())
        report.outcomes = self.store.summary(user_id=self.user_id)["outcomes"]
        report.seconds["processed"] = self.clock() - started
        return report

    # ------------------------------------------------------------------ all of it

    def sync(self, *, wait: float = 120.0, max_events: int = MAX_EVENTS, max_bytes: int = MAX_BYTES,
             pull: bool = True) -> SyncReport:
        report = SyncReport()
        with self.exclusive():
            self._require_user()
            self.upload_photos(report)
            self.push(report, max_events=max_events, max_bytes=max_bytes)
            if wait > 0:
                self.wait_for_outcomes(report, timeout=wait)
            else:
                report.batches_open = len(self.store.open_batches())
            if pull:
                self.pull(report)
            self.store.set_meta({"last_sync_at": rfc3339(utc_now())})
        return report

    def status(self) -> dict:
        summary = self.store.summary(user_id=self.user_id)
        credentials = self.credentials_file.load()
        conflicts = [{"id": c["id"], "wellId": c["well_id"], "well": c["well_name"], "eventType": c["event_type"],
                      "reason": c["reason"], "createdAt": c["created_at"]} for c in self.store.pending_conflicts()]
        decided = []
        for c in self.store.decided_conflicts():
            resolution = (json.loads(c["data"]) or {}).get("resolution") or {}
            decided.append({"id": c["id"], "eventId": c["event_id"], "wellId": c["well_id"], "well": c["well_name"],
                            "eventType": c["event_type"], "status": c["status"], "action": resolution.get("action"),
                            "note": resolution.get("note") or "", "resolvedAt": resolution.get("resolvedAt")})
        rejected = [{"id": r["id"], "type": r["type"], "code": r["rejected_code"], "message": r["rejected_message"],
                     "occurredAt": r["occurred_at"]} for r in self.store.rejected()]
        corrections = [{"id": r["id"], "type": r["type"], "correctsEventId": r["corrects_event_id"],
                        "state": correction_state(r)} for r in self.store.corrections()]
        return {
            "correctionEvents": corrections,
            "profile": self.folder.name, "server": self.server, "deviceId": self.store.device_id,
            "tenantId": credentials.tenant_id or None, "user": self.store.meta("user_email"),
            "role": self.store.meta("role"), "loggedIn": credentials.has_session and bool(self.user_id),
            **summary, "pendingConflicts": conflicts, "decidedConflicts": decided, "rejectedEvents": rejected,
        }
