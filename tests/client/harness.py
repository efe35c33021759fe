"""What the field-client tests share: devices (a profile folder each, driven through the library
or the `pumpjack-field` command line), routes of committed wells, a TCP proxy that cuts
connections, and a tiny scripted HTTP server. Everything listens on 127.0.0.1 only."""

from __future__ import annotations

import itertools
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

from sync.client.backoff import Backoff
from sync.client.engine import FieldClient
from sync.client.record import record
from sync.schemas import validate_event_payload
from tests.factories import PASSWORD

REPO = Path(__file__).resolve().parent.parent.parent
_api_numbers = itertools.count(60001)
# Quick retries: the policy is the real one, only its scale is shrunk.
FAST_BACKOFF = dict(base=0.05, cap=0.5, max_attempts=8, max_elapsed=60)

# A minimal valid JPEG header is all the server sniffs; the bytes make each photo distinct.
def jpeg(seed: str) -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + seed.encode() + b"\xff\xd9"


# --------------------------------------------------------------------------- server-side set-up


@dataclass
class FieldRoute:
    wells: list  # wells.models.Well, on the route of every operator given
    equipment: dict  # well id -> {"pump": Equipment, "tank": Equipment}
    off_route: object  # a well of the tenant on nobody's route
    operators: list[str]  # emails


def make_route(django_db_blocker, handle, *, wells: int = 1, operators: int = 1) -> FieldRoute:
    """Committed wells (each with a pump jack and a tank) on the route of ``operators`` new
    OPERATOR users (a route of their own: no other test's wells), plus a well on nobody's route."""
    from accounts.models import Role, User
    from accounts.services import user_create
    from tests.e2e.conftest import committed
    from wells.models import Equipment, Well, WellAssignment

    with committed(django_db_blocker, handle):
        emails = []
        for _ in range(operators):
            email = f"pumper-{uuid.uuid4().hex[:8]}@field.test"
            user_create(email=email, password=PASSWORD, role=Role.OPERATOR, name=f"Pumper {email[7:11]}")
            emails.append(email)
        operators = list(User.objects.filter(email__in=emails))
        created, equipment = [], {}
        for n in range(wells):
            well = Well.objects.create(api_number=f"42329{next(_api_numbers):05d}0000", name=f"Field {uuid.uuid4().hex[:6]} {n}",
                                       lease="Field tests", field="Spraberry")
            equipment[str(well.pk)] = {
                "pump": Equipment.objects.create(well=well, type="PUMP_JACK", name="Pump jack", serial_number=f"PJ-{n}"),
                "tank": Equipment.objects.create(well=well, type="TANK", name="Oil tank", serial_number=f"TK-{n}"),
            }
            for operator in operators:
                WellAssignment.objects.create(user=operator, well=well)
            created.append(well)
        off_route = Well.objects.create(api_number=f"42329{next(_api_numbers):05d}0000", name=f"Off Route {uuid.uuid4().hex[:6]}")
    return FieldRoute(wells=created, equipment=equipment, off_route=off_route, operators=emails)


# --------------------------------------------------------------------------- devices


@dataclass
class Device:
    """One device profile (its own SQLite store), used through the library or the CLI."""

    name: str
    data_dir: Path
    server: str
    handle: object  # tests.factories.TenantHandle
    email: str
    backoff: dict = field(default_factory=lambda: dict(FAST_BACKOFF))
    _client: FieldClient | None = None

    @property
    def folder(self) -> Path:
        return self.data_dir / self.name

    @property
    def client(self) -> FieldClient:
        if self._client is None:
            self._client = FieldClient(self.folder, server=self.server, backoff=Backoff(**self.backoff))
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def login(self) -> dict:
        return self.client.login(tenant_id=self.handle.public_id, tenant_secret=self.handle.secret, email=self.email,
                                 password=PASSWORD)

    @property
    def time_zone(self) -> str:
        """A device in the field keeps its operator's local time (the tenant's time zone), so its
        "today" is the server's: a test machine on UTC would otherwise write tomorrow's
        productionDate between midnight UTC and midnight in Texas, which the server rightly refuses."""
        return self.handle.tenant.time_zone

    def record(self, kind: str, **options) -> dict:
        if kind == "production" and options.get("date") is None:
            options["date"] = datetime.now(ZoneInfo(self.time_zone)).date().isoformat()
        return record(self.client.store, self.folder, kind, options)

    def record_many(self, events: list[tuple[str, dict]], *, start: datetime | None = None) -> list[str]:
        """Many events at once (one transaction), each checked with the server's schema first."""
        start = start or datetime.now(timezone.utc) - timedelta(days=7)
        rows = []
        for n, (event_type, payload) in enumerate(events):
            _, errors = validate_event_payload(event_type, payload)
            assert not errors, (event_type, payload, errors)
            rows.append((event_type, payload, start + timedelta(milliseconds=n)))
        return self.client.store.record_many(rows, user_id=self.client.user_id)

    def cli(self, *args: str, check: bool = True, timeout: float = 120, env: dict | None = None,
            input: str | None = None) -> subprocess.CompletedProcess:
        """`pumpjack-field --data-dir ... --profile NAME ARGS` in a subprocess, on the device's local
        time (TZ, unless ``env`` sets it)."""
        done = subprocess.run(
            [sys.executable, "-m", "sync.client", "--data-dir", str(self.data_dir), "--profile", self.name, *args],
            cwd=REPO, capture_output=True, text=True, timeout=timeout, env=self._env(env), input=input,
        )
        if check:
            assert done.returncode == 0, f"exit {done.returncode}\nstdout: {done.stdout}\nstderr: {done.stderr}"
        return done

    def _env(self, env: dict | None) -> dict:
        if env is None:
            return {**os.environ, "TZ": self.time_zone}
        return {"TZ": self.time_zone, **env}  # a test's own TZ wins

    def cli_popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "sync.client", "--data-dir", str(self.data_dir), "--profile", self.name, *args],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self._env(None),
        )

    def peek(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Read the store from outside (another connection, as a second process would)."""
        db = sqlite3.connect(f"file:{self.folder / 'field.db'}?mode=ro", uri=True, timeout=30)
        try:
            return db.execute(sql, params).fetchall()
        finally:
            db.close()


# --------------------------------------------------------------------------- server-side checks


def server_events(django_db_blocker, handle, event_ids) -> dict[str, str]:
    """event id -> outcome, from the server's event log."""
    from sync.models import SyncEvent
    from tests.e2e.conftest import committed

    with committed(django_db_blocker, handle):
        found: dict[str, str] = {}
        ids = list(event_ids)
        for start in range(0, len(ids), 5000):
            for event_id, outcome in SyncEvent.objects.filter(event_id__in=ids[start:start + 5000]).values_list(
                    "event_id", "outcome"):
                found[str(event_id)] = outcome
        return found


def portal_session(live_web, handle, email: str) -> requests.Session:
    """A browser-like session on the tenant's sub-domain (Host header), logged in through the form."""
    session = requests.Session()
    session.headers["Host"] = handle.host
    page = session.get(f"{live_web.url}/login/", timeout=30)
    assert page.status_code == 200, page.status_code
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(f"{live_web.url}/login/", data={"email": email, "password": PASSWORD,
                                                          "csrfmiddlewaretoken": token}, allow_redirects=False,
                          timeout=30)
    assert answer.status_code == 302, (answer.status_code, answer.text[:300])
    return session


# --------------------------------------------------------------------------- a connection cutter


class CuttingProxy:
    """A TCP proxy on 127.0.0.1 in front of the live server. ``cut_next(direction, after)`` arms
    it for the next request whose first bytes match ``match``: the connection is closed after
    ``after`` bytes of that request ("request") or of its response ("response")."""

    def __init__(self, upstream_port: int, match: bytes = b"POST /api/v1/sync/batches"):
        self.upstream = ("127.0.0.1", upstream_port)
        self.match = match
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.plan: list[tuple[str, int]] = []
        self.cuts: list[tuple[str, int]] = []
        self.matched = 0
        self._lock = threading.Lock()
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def cut_next(self, direction: str, after: int, times: int = 1) -> None:
        assert direction in ("request", "response")
        with self._lock:
            self.plan.extend([(direction, after)] * times)

    def close(self) -> None:
        self._stopped = True
        self.listener.close()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.upstream)
        except OSError:
            client.close()
            return
        state = {"armed": None, "count": 0, "closed": False}

        def close_both():
            state["closed"] = True
            for sock in (client, upstream):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()

        def to_upstream():
            try:
                while not state["closed"]:
                    data = client.recv(65536)
                    if not data:
                        break
                    if data.startswith(self.match):
                        with self._lock:
                            self.matched += 1
                            state["armed"] = self.plan.pop(0) if self.plan else None
                            state["count"] = 0
                    armed = state["armed"]
                    if armed and armed[0] == "request":
                        room = armed[1] - state["count"]
                        if len(data) >= room:
                            upstream.sendall(data[:room])
                            self.cuts.append(armed)
                            close_both()
                            return
                        state["count"] += len(data)
                    upstream.sendall(data)
            except OSError:
                pass
            if not state["closed"]:
                close_both()

        def to_client():
            try:
                while not state["closed"]:
                    data = upstream.recv(65536)
                    if not data:
                        break
                    armed = state["armed"]
                    if armed and armed[0] == "response":
                        room = armed[1] - state["count"]
                        if len(data) >= room:
                            client.sendall(data[:room])
                            self.cuts.append(armed)
                            close_both()
                            return
                        state["count"] += len(data)
                    client.sendall(data)
            except OSError:
                pass
            if not state["closed"]:
                close_both()

        threading.Thread(target=to_upstream, daemon=True).start()
        to_client()


# --------------------------------------------------------------------------- a scripted HTTP server


class ScriptedServer:
    """A tiny HTTP server on 127.0.0.1 answering from a script: a list of (status, headers, body)
    per path, the last answer repeating (a body may be a function of the request). Records every
    request it got."""

    def __init__(self, script: dict[str, list[tuple[int, dict, dict | None]]]):
        self.script = {path: list(answers) for path, answers in script.items()}
        self.requests: list[dict] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?")[0]
                owner.requests.append({"method": self.command, "path": path, "headers": dict(self.headers),
                                       "body": body})
                answers = owner.script.get(path) or [(404, {}, {"error": {"code": "not_found", "message": "no"}})]
                status, headers, payload = answers.pop(0) if len(answers) > 1 else answers[0]
                if callable(payload):  # an answer computed from the request (e.g. echo the event ids)
                    payload = payload(owner.requests[-1])
                data = json.dumps(payload).encode() if payload is not None else b""
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
