"""Tenancy at scale: 1,000 schema tenants and 5 tenants with a database of their own.

Figures, each printed with its target where it has one (reported, not asserted):
- latency of one authenticated GET /api/v1/wells/?page_size=20 (tenant ID + secret + JWT; every
  tenant holds 20 wells) spread over every tenant, against the same request to one tenant: p50,
  p99 and the ratios all/one. One gunicorn sync worker; this script is its only client, back to
  back (closed loop), in short alternating rounds of the two mixes. Both are measured after a
  warm-up: 200 requests to the one tenant, then one request to every tenant (the first request of
  a tenant in a process pays the Argon2 check of its secret; printed apart);
- resident memory (VmRSS) of that worker after it served 200 different tenants, and after all;
- what one registry change costs the next request of each tenant (the directory reloads the
  tenant; the verified secret survives the change), and one Argon2 secret check (no targets);
- `manage.py migrate_schemas --noinput` across every tenant with nothing to apply (a subprocess);
- tenant_create of a new schema tenant, a few times from a ready schema (tenants.operations.spare_schemas, what a
  running installation provisions from) and a few times with none (the template cloned); the new
  tenants are removed afterwards.

Everything lives in a bench database of its own, `pumpjack_bench_tenancy`, on the embedded
PostgreSQL server (or the DATABASE_URL server), with a Redis key prefix of its own so registry
changes of other processes (tests, `make run`) never clear the worker's tenant directory. The
tenants are made once (about 12 minutes for 1,000 on two cores) and reused by later runs, which
make only the missing ones; their secrets are kept in .pumpjack/bench-tenancy/. `--reset` drops
all of it first.

Database tenants: PostgreSQL databases on the same server; when MARIADB_URL is set, every
second one is a MariaDB database on that server instead. Setup only: the tenants' first ADMIN
passwords are hashed with the test suite's light Argon2 (accounts.hashers.TestArgon2PasswordHasher);
tenant secrets are hashed as configured, since the worker verifies them. The provisioning figure
uses the configured hashers.

    .venv/bin/python bench/tenancy_scale.py [--tenants 1000] [--db-tenants 5] [--requests 3000] [--reset]
    make bench-tenancy BENCH_ARGS="--tenants 50"
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench._gunicorn import GunicornWorker  # noqa: E402  (standard library only)
from config import embedded  # noqa: E402  (standard library only; used before Django is configured)

BENCH_DB = "pumpjack_bench_tenancy"
BENCH_DIR = embedded.data_dir() / "bench-tenancy"
SETTINGS_MODULE = "bench_tenancy_settings"
SETTINGS = f'''"""Written by bench/tenancy_scale.py: the development settings on the bench's own database,
Redis key prefix (also the registry-change channel) and Celery queue."""

from config.settings.development import *  # noqa: F403
from config.settings.redis import cache_settings

DATABASES["default"]["NAME"] = "{BENCH_DB}"  # noqa: F405
CACHES = cache_settings(REDIS_URL, key_prefix="pjbenchtenancy")  # noqa: F405
CELERY_TASK_DEFAULT_QUEUE = "pumpjack-bench-tenancy"
'''
BENCH_DIR.mkdir(parents=True, exist_ok=True)
(BENCH_DIR / f"{SETTINGS_MODULE}.py").write_text(SETTINGS)
sys.path.insert(0, str(BENCH_DIR))
os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
os.environ["DJANGO_DEBUG"] = "0"  # no query log, as in production

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test import override_settings  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from accounts.tokens import access_token_issue  # noqa: E402
from config.database_urls import parse_source_url  # noqa: E402
from tenants.databases import tenant_databases  # noqa: E402
from tenants.directory import bump_generation  # noqa: E402
from tenants.models import Tenant  # noqa: E402
from tenants.secrets import secret_hash, secret_matches  # noqa: E402
from accounts.tenant_secrets import tenant_secret_rotate  # noqa: E402
from tenants.operations.provisioning import tenant_create  # noqa: E402
from wells.models import Well  # noqa: E402

PASSWORD = "Bench-Password-For-Local-Use-1"
SETUP_PASSWORD_HASHERS = ["accounts.hashers.TestArgon2PasswordHasher"]
WELLS_PER_TENANT = 20
REQUEST_PATH = "/api/v1/wells/?page_size=20"
LEDGER = BENCH_DIR / "tenants.jsonl"  # slug, public ID and secret of every tenant made (secrets are shown once)
TARGETS = {"ratio": 1.1, "migrate_s": 60.0, "provision_s": 2.0, "rss_mb": 150.0}


# --------------------------------------------------------------------------- the bench's databases


def pg_admin():
    db = settings.DATABASES["default"]
    return psycopg.connect(host=db["HOST"], port=db.get("PORT") or None, user=db["USER"],
                           password=db.get("PASSWORD") or None, dbname="postgres", autocommit=True)


def pg_url(name: str) -> str:
    """A postgresql:// URL for database ``name`` on the bench's PostgreSQL server."""
    db = settings.DATABASES["default"]
    password = db.get("PASSWORD") or ""
    auth = quote(db["USER"], safe="") + (f":{quote(password, safe='')}" if password else "")
    if db["HOST"].startswith("/"):
        return f"postgresql://{auth}@/{name}?host={db['HOST']}"
    return f"postgresql://{auth}@{db['HOST']}:{db.get('PORT') or 5432}/{name}"


def mariadb_admin():
    import pymysql

    parsed = parse_source_url(os.environ["MARIADB_URL"].rstrip("/") + "/mysql")
    return pymysql.connect(host=parsed.host, port=parsed.port or 3306, user=parsed.username,
                           password=parsed.password, autocommit=True)


def databases_reset() -> None:
    """Drop the bench database, the tenant databases made for it and the ledger of secrets."""
    with pg_admin() as admin:
        names = [row[0] for row in admin.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s)",
                                                 [BENCH_DB])]
        for name in names:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    if os.environ.get("MARIADB_URL"):
        with mariadb_admin() as admin, admin.cursor() as cursor:
            cursor.execute("SHOW DATABASES")
            for (name,) in cursor.fetchall():
                if name.startswith(BENCH_DB):
                    cursor.execute(f"DROP DATABASE `{name}`")
    LEDGER.unlink(missing_ok=True)


def bench_database_ensure() -> None:
    with pg_admin() as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone():
            admin.execute(f'CREATE DATABASE "{BENCH_DB}"')


def tenant_database_fresh(engine: str, name: str) -> str:
    """An empty database for a new tenant (one left by an interrupted run is dropped first)."""
    if engine == "postgresql":
        with pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        return pg_url(name)
    with mariadb_admin() as admin, admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    return os.environ["MARIADB_URL"].rstrip("/") + f"/{name}"


# --------------------------------------------------------------------------- the tenants


@dataclass(frozen=True)
class Spec:
    slug: str
    name: str
    engine: str  # "schema", "postgresql" or "mariadb"

    @property
    def database(self) -> str:
        return f"{BENCH_DB}_{self.slug.replace('-', '_')}"


@dataclass
class BenchTenant:
    spec: Spec
    tenant: Tenant
    secret: str
    token: str = ""

    def headers(self) -> dict[str, str]:
        return {"X-Tenant-ID": self.tenant.public_id, "X-Tenant-Secret": self.secret,
                "Authorization": f"Bearer {self.token}", "Host": "localhost"}


def specs(schema_tenants: int, db_tenants: int) -> list[Spec]:
    with_mariadb = bool(os.environ.get("MARIADB_URL"))
    out = [Spec(f"scale-{n:04d}", f"Scale {n:04d} Oil", "schema") for n in range(1, schema_tenants + 1)]
    for n in range(1, db_tenants + 1):
        engine = "mariadb" if with_mariadb and n % 2 == 0 else "postgresql"
        out.append(Spec(f"scale-db-{'my' if engine == 'mariadb' else 'pg'}-{n}", f"Scale Db {n} Oil", engine))
    return out


def ledger_read() -> dict[str, tuple[str, str]]:
    """slug -> (public ID, secret); later lines win."""
    known = {}
    if LEDGER.exists():
        for line in LEDGER.read_text().splitlines():
            row = json.loads(line)
            known[row["slug"]] = (row["public_id"], row["secret"])
    return known


def ledger_add(slug: str, public_id: str, secret: str) -> None:
    with LEDGER.open("a") as handle:
        handle.write(json.dumps({"slug": slug, "public_id": public_id, "secret": secret}) + "\n")


def wells_seed() -> None:
    Well.objects.bulk_create([
        Well(api_number=f"42{n:03d}{n:05d}0000", name=f"Bench {n:02d}", lease=f"Lease {n % 4}", field="Scale",
             state="TX", latitude=31 + n / 100, longitude=-102 - n / 100)
        for n in range(WELLS_PER_TENANT)
    ])


def tenant_make(spec: Spec) -> BenchTenant:
    database_url = "" if spec.engine == "schema" else tenant_database_fresh(spec.engine, spec.database)
    created = tenant_create(name=spec.name, slug=spec.slug, admin_email=f"admin@{spec.slug}.bench",
                            admin_password=PASSWORD, database_url=database_url, actor="bench")
    with schema_context(created.tenant.schema_name):
        wells_seed()
    ledger_add(spec.slug, created.tenant.public_id, created.secret)
    return BenchTenant(spec, created.tenant, created.secret)


def tenants_ensure(wanted: list[Spec]) -> tuple[list[BenchTenant], dict]:
    """The wanted tenants, making the missing ones; returns them and what it took."""
    existing = {t.slug: t for t in Tenant.objects.filter(slug__in=[s.slug for s in wanted], deleted_at__isnull=True)}
    known = ledger_read()
    out, made, reissued = [], 0, 0
    started = time.perf_counter()
    last_report = started
    # Setup only: the first ADMIN's password is hashed with light Argon2 costs (not measured).
    with override_settings(PASSWORD_HASHERS=SETUP_PASSWORD_HASHERS):
        for index, spec in enumerate(wanted, start=1):
            tenant = existing.get(spec.slug)
            if tenant is None:
                out.append(tenant_make(spec))
                made += 1
                # A fresh database session for each tenant: tenant_create replaces the clone_schema
                # function before every clone, and a session that does that over and over grows by
                # about 10 MB per clone and slows down (24 s a clone after ~190 in one session).
                connection.close()
            elif known.get(spec.slug, ("", ""))[0] == tenant.public_id:
                out.append(BenchTenant(spec, tenant, known[spec.slug][1]))
            else:  # made elsewhere, or the ledger was lost: a new secret (the old ones expire)
                secret = tenant_secret_rotate(tenant=tenant, actor="bench", label="bench")
                ledger_add(spec.slug, tenant.public_id, secret)
                out.append(BenchTenant(spec, tenant, secret))
                reissued += 1
            if time.perf_counter() - last_report > 30:
                last_report = time.perf_counter()
                print(f"  setup: {index}/{len(wanted)} tenants ({made} made, "
                      f"{last_report - started:.0f} s)", flush=True)
    tenant_databases.clear()  # this process is done with the tenant databases for now
    connection.set_schema_to_public()
    return out, {"made": made, "reissued": reissued, "seconds": time.perf_counter() - started}


def tokens_issue(tenants: list[BenchTenant]) -> None:
    """An access token (15 minutes) for each tenant's first ADMIN, signed here: no login needed."""
    from django.utils import timezone

    now = timezone.now()
    for bench_tenant in tenants:
        with schema_context(bench_tenant.tenant.schema_name):
            admin = User.objects.get(email=f"admin@{bench_tenant.spec.slug}.bench", role=Role.ADMIN)
        bench_tenant.token = access_token_issue(user=admin, tenant_public_id=bench_tenant.tenant.public_id, now=now)
    tenant_databases.clear()
    connection.set_schema_to_public()


# --------------------------------------------------------------------------- the web worker


def subprocess_env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(BENCH_DIR), str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return dict(os.environ, DJANGO_SETTINGS_MODULE=SETTINGS_MODULE, DJANGO_DEBUG="0", PYTHONPATH=path)


def start_worker(production_like: bool) -> GunicornWorker:
    """One gunicorn sync worker with the bench settings, in its own process group."""
    return GunicornWorker(subprocess_env(), log=BENCH_DIR / "worker.log", production_like=production_like)


def request(port: int, headers: dict) -> float:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", REQUEST_PATH, headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise SystemExit(f"GET {REQUEST_PATH} as {headers['X-Tenant-ID']} answered {response.status}: {body[:300]!r}"
                         f"\n(worker log: {BENCH_DIR / 'worker.log'}; a secret lost? run again with --reset)")
    if json.loads(body)["count"] != WELLS_PER_TENANT:
        raise SystemExit(f"tenant {headers['X-Tenant-ID']} does not hold {WELLS_PER_TENANT} wells")
    return elapsed


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def serve(tenants: list[BenchTenant], requests: int, rounds: int, production_like: bool) -> dict:
    """Latency one tenant vs. all tenants, the worker's memory along the way, and what one
    registry change costs the next requests."""
    rng = random.Random(7)
    one = tenants[0]
    # The first 200 tenants the worker meets hold every database tenant (their backends, pools and
    # connection aliases count in the 200-tenant figure); the rest in random order.
    schema_rest = [t for t in tenants[1:] if t.spec.engine == "schema"]
    rng.shuffle(schema_rest)
    sweep = [one] + [t for t in tenants if t.spec.engine != "schema"] + schema_rest
    worker = start_worker(production_like)
    out: dict = {}
    try:
        out["rss_start"] = worker.rss_mb()
        for _ in range(200):  # warm-up of the one-tenant mix
            request(worker.port, one.headers())
        out["rss_one"] = worker.rss_mb()
        swept_at = time.monotonic()
        cold = []
        for index, bench_tenant in enumerate(sweep, start=1):  # warm-up of the all-tenant mix
            cold.append(request(worker.port, bench_tenant.headers()))
            if index == min(200, len(sweep)):
                out["rss_200"], out["rss_200_tenants"] = worker.rss_mb(), index
        out["rss_sweep"], out["cold"] = worker.rss_mb(), cold

        one_lat, all_lat, all_engine = [], [], []
        per_round = max(1, requests // rounds)
        order: list[BenchTenant] = []
        for _ in range(rounds):  # short alternating rounds: both mixes see the same background load
            for _ in range(per_round):
                one_lat.append(request(worker.port, one.headers()))
            for _ in range(per_round):
                if not order:  # every tenant once per pass, each pass in a new random order
                    order = tenants[:]
                    rng.shuffle(order)
                bench_tenant = order.pop()
                all_lat.append(request(worker.port, bench_tenant.headers()))
                all_engine.append(bench_tenant.spec.engine)
        out["one"], out["all"], out["all_engine"] = one_lat, all_lat, all_engine
        # A verified secret stays trusted while it is used (renewed on use, forgotten after
        # TENANT_SECRET_CACHE_SECONDS unused).
        out["measured_after"] = time.monotonic() - swept_at
        out["rss_end"] = worker.rss_mb()

        # One registry change anywhere (what tenant_create, a secret rotation or a user's role
        # change publish) makes every process reload every tenant: the next request of each pays.
        bump_generation()
        time.sleep(0.5)
        again = tenants[:]
        rng.shuffle(again)
        out["after_change"] = [request(worker.port, t.headers()) for t in again[:200]]
        out["served"] = 200 + len(sweep) + len(one_lat) + len(all_lat) + len(out["after_change"])
    finally:
        worker.stop()
    return out


# --------------------------------------------------------------------------- migrate, provisioning


def migrate_timed() -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "manage.py", "migrate_schemas", "--noinput"], cwd=REPO,
                            env=subprocess_env(), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"migrate_schemas failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return seconds, result.stdout


def provisioning_timed(times: int, *, ready: bool) -> list[float]:
    """tenant_create of new schema tenants with the configured hashers, then removed again. With
    ``ready``, a ready schema is made first (what the beat job spare_schemas_fill keeps, untimed),
    as in a running installation; without, there is none and the template is cloned."""
    from tenants.operations.spare_schemas import spare_schemas, spare_schemas_fill

    seconds = []
    run = f"{int(time.time()) % 100000:05d}"
    for n in range(times):
        slug = f"scale-new-{run}-{'r' if ready else 'c'}{n}"
        connection.close()  # as a new request or command would: a session that made no tenant before
        for spare in spare_schemas():
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA "{spare}" CASCADE')
        if ready:
            spare_schemas_fill(1)
            connection.close()
        started = time.perf_counter()
        created = tenant_create(name=f"Scale New {n} Oil", slug=slug, admin_email=f"admin@{slug}.bench",
                                admin_password=PASSWORD, actor="bench")
        seconds.append(time.perf_counter() - started)
        tenant_remove(created.tenant)
    return seconds


def tenant_remove(tenant: Tenant) -> None:
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{tenant.schema_name}" CASCADE')
    Tenant.objects.filter(pk=tenant.pk).delete()  # its domain and secrets with it
    bump_generation()


def secret_check_ms() -> float:
    """One Argon2 verification of a tenant secret, with the configured costs."""
    secret = "0" * 64
    hashed = secret_hash(secret)
    started = time.perf_counter()
    secret_matches(hashed, secret)
    return (time.perf_counter() - started) * 1000


# --------------------------------------------------------------------------- report


def verdict(value: float, target: float) -> str:
    return "PASS" if value <= target else "MISS"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=1000, help="schema tenants (default 1000)")
    parser.add_argument("--db-tenants", type=int, default=5,
                        help="tenants with a database of their own (default 5; MariaDB for every second one "
                             "when MARIADB_URL is set)")
    parser.add_argument("--requests", type=int, default=3000,
                        help="measured requests per mix (one tenant / all tenants), over --rounds rounds")
    parser.add_argument("--rounds", type=int, default=10, help="alternating rounds of the two mixes (default 10)")
    parser.add_argument("--provision", type=int, default=3, help="new schema tenants to time (default 3)")
    parser.add_argument("--reset", action="store_true", help="drop the bench database and tenant databases first")
    parser.add_argument("--production-like", action="store_true",
                        help="hide packages only the test extras install (see bench/_production_like.py)")
    args = parser.parse_args()
    if args.tenants < 1:
        parser.error("--tenants must be at least 1")

    if args.reset:
        databases_reset()
    bench_database_ensure()
    started = time.perf_counter()
    from django.core.management import call_command

    call_command("migrate_schemas", "--noinput", verbosity=0)  # public schema and template (first run)
    first_migrate = time.perf_counter() - started

    wanted = specs(args.tenants, args.db_tenants)
    tenants, setup = tenants_ensure(wanted)
    tokens_issue(tenants)
    connections.close_all()
    in_registry = Tenant.objects.filter(deleted_at__isnull=True).count()
    engines = {e: sum(1 for s in wanted if s.engine == e) for e in ("schema", "postgresql", "mariadb")}

    served = serve(tenants, args.requests, args.rounds, args.production_like)
    migrate_seconds, migrate_output = migrate_timed()
    provision = provisioning_timed(args.provision, ready=True) if args.provision else []
    provision_cold = provisioning_timed(args.provision, ready=False) if args.provision else []
    argon2_ms = secret_check_ms()

    one, every = served["one"], served["all"]
    p50_ratio, p99_ratio = pct(every, 50) / pct(one, 50), pct(every, 99) / pct(one, 99)
    kind = "production-like install" if args.production_like else "this virtualenv, test extras included"
    print()
    print(f"tenants: {engines['schema']} schema, {engines['postgresql']} own PostgreSQL database, "
          f"{engines['mariadb']} own MariaDB database ({len(tenants)} in all; the registry holds {in_registry})")
    print(f"setup: {setup['made']} tenants made, {setup['reissued']} secrets re-issued, {setup['seconds']:.1f} s "
          f"(+ {first_migrate:.1f} s migrate_schemas before it); ADMIN passwords hashed with light Argon2 "
          "for the setup only")
    print(f"request: GET {REQUEST_PATH} (tenant ID + secret + JWT, {WELLS_PER_TENANT} wells per tenant), "
          f"one gunicorn sync worker ({kind}), one client, back to back")
    print(f"warm-up: 200 requests to the one tenant, then one request to each of the {len(tenants)} tenants "
          f"(first request of a tenant: p50 {pct(served['cold'], 50):.1f} ms, p99 {pct(served['cold'], 99):.1f} ms, "
          f"max {max(served['cold']) * 1000:.1f} ms)")
    print(f"measured: {len(one)} requests per mix in {args.rounds} alternating rounds; 'all' visits every tenant "
          "once per pass, each pass in a new random order")
    print()
    print(f"{'':24} {'p50 ms':>8} {'p99 ms':>8}")
    print(f"{'one tenant':24} {pct(one, 50):8.2f} {pct(one, 99):8.2f}")
    print(f"{f'all {len(tenants)} tenants':24} {pct(every, 50):8.2f} {pct(every, 99):8.2f}")
    for engine, label in (("schema", "  of which schema"), ("postgresql", "  own PostgreSQL db"),
                          ("mariadb", "  own MariaDB db")):
        part = [v for v, e in zip(every, served["all_engine"]) if e == engine]
        if part:
            print(f"{label:24} {pct(part, 50):8.2f} {pct(part, 99):8.2f}   ({len(part)} requests)")
    print(f"{'ratio all/one':24} {p50_ratio:8.2f} {p99_ratio:8.2f}   target <= {TARGETS['ratio']}: "
          f"p50 {verdict(p50_ratio, TARGETS['ratio'])}, p99 {verdict(p99_ratio, TARGETS['ratio'])}")
    print()
    after = served["after_change"]
    print(f"after one registry change (bump_generation), the next request of {len(after)} tenants: "
          f"p50 {pct(after, 50):.1f} ms, p99 {pct(after, 99):.1f} ms (each tenant is reloaded from the registry; "
          "its verified secret is not checked with Argon2 again)")
    print(f"tenant secret check with Argon2: {argon2_ms:.0f} ms, paid once per secret and worker while the "
          f"secret is in use (unused for TENANT_SECRET_CACHE_SECONDS = {settings.TENANT_SECRET_CACHE_SECONDS} s, "
          "it is forgotten)")
    print()
    print(f"worker RSS after {served['rss_200_tenants']} different tenants: {served['rss_200']:.1f} MB  "
          f"target <= {TARGETS['rss_mb']:.0f} MB: {verdict(served['rss_200'], TARGETS['rss_mb'])}")
    print(f"worker RSS at start {served['rss_start']:.1f} MB, after 200 requests to one tenant "
          f"{served['rss_one']:.1f} MB, after all {len(tenants)} tenants {served['rss_sweep']:.1f} MB, after "
          f"the measured requests {served['rss_end']:.1f} MB")
    skipped = next((line for line in migrate_output.splitlines() if "up to date" in line and "schemas" in line), "")
    databases = sum(1 for line in migrate_output.splitlines() if "tenant database of" in line)
    print(f"migrate_schemas --noinput, nothing to apply: {migrate_seconds:.1f} s  target <= "
          f"{TARGETS['migrate_s']:.0f} s: {verdict(migrate_seconds, TARGETS['migrate_s'])}  "
          f"({skipped.strip() or 'no skip line'} {databases} tenant databases checked)")
    if provision:
        print(f"tenant_create of a new schema tenant (from a ready schema, as the beat job keeps them): "
              f"{', '.join(f'{s:.2f}' for s in provision)} s, max {max(provision):.2f} s  target <= "
              f"{TARGETS['provision_s']:.0f} s: {verdict(max(provision), TARGETS['provision_s'])}")
        print(f"tenant_create with no ready schema (the template cloned): "
              f"{', '.join(f'{s:.2f}' for s in provision_cold)} s, max {max(provision_cold):.2f} s  target <= "
              f"{TARGETS['provision_s']:.0f} s: {verdict(max(provision_cold), TARGETS['provision_s'])}")
    print(json.dumps({"p50_ms": {"one": round(pct(one, 50), 2), "all": round(pct(every, 50), 2)},
                      "p99_ms": {"one": round(pct(one, 99), 2), "all": round(pct(every, 99), 2)},
                      "ratio_p50": round(p50_ratio, 3), "ratio_p99": round(p99_ratio, 3),
                      "rss_mb_200": round(served["rss_200"], 1), "rss_mb_all": round(served["rss_sweep"], 1),
                      "migrate_s": round(migrate_seconds, 1),
                      "provision_s_max": round(max(provision), 2) if provision else None,
                      "provision_cold_s_max": round(max(provision_cold), 2) if provision_cold else None,
                      "after_change_p50_ms": round(pct(after, 50), 1), "argon2_ms": round(argon2_ms),
                      "setup_s": round(setup["seconds"], 1)}))


if __name__ == "__main__":
    main()
