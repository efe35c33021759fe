"""Run test suites with every connection of the test run going through PgBouncer in transaction
pooling mode (issue 12; docs/deployment.md): `make test-pgbouncer`, which .ci/run calls after
`make test`. By default the tenancy, authentication, wells and sync suites; pytest options may be
given, and test paths instead of those suites.

    .venv/bin/python tests/ops/through_pgbouncer.py [pytest arguments]

Debian's PgBouncer (tests/ops/pgbouncer.py, a pool of 4 server connections: fewer than the
suites' clients, so server connections really are shared) is started in front of the test
PostgreSQL (the embedded server, or DATABASE_URL's), and pytest runs with DATABASE_URL naming the
PgBouncer and DATABASE_POOLER=pgbouncer, as a deployment behind one would (the databases the tests
create for tenants of their own database stay on the server itself: tests/servers.py). The test database is
created through PgBouncer and kept at the end (`--reuse-db`: PgBouncer still holds server
connections to it, which a plain DROP DATABASE would refuse), then dropped here directly.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

REPO = Path(__file__).resolve().parents[2]
SUITES = ["tests/tenants", "tests/accounts", "tests/wells", "tests/sync"]


def _server() -> tuple[str, int | None, str]:
    """(host or socket folder, port, user) of the PostgreSQL server the tests would use."""
    url = os.environ.get("DATABASE_URL", "")
    if url:
        parts = urlsplit(url)
        return unquote(parts.hostname or "localhost"), parts.port, unquote(parts.username or "postgres")
    from config import embedded

    info = embedded.ensure_postgres()
    return info.socket_dir, None, "postgres"


def _drop(database: str, host: str, port: int | None, user: str) -> None:
    import psycopg

    with psycopg.connect(host=host, port=port, user=user, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(REPO))
    from tests.ops.pgbouncer import BINARY, PgBouncer

    if not os.path.exists(BINARY):
        print("through_pgbouncer: pgbouncer is not installed (sudo apt-get install -y pgbouncer; .ci/run "
              "installs it)", file=sys.stderr)
        return 0 if os.environ.get("CI", "").lower() not in ("1", "true", "yes") else 1
    host, port, user = _server()
    bouncer = PgBouncer(host=host, port=port, user=user, pool_size=4)
    run_id = f"pgb{os.getpid()}"
    # The other databases the tests make stand for tenants' own database servers, which a
    # deployment's PgBouncer does not front: tests/servers.py reaches them on the server itself.
    env = dict(os.environ, DATABASE_URL=bouncer.url("pumpjack", user), DATABASE_POOLER="pgbouncer",
               PUMPJACK_TEST_RUN=run_id, PUMPJACK_TEST_SERVER_HOST=host, PUMPJACK_TEST_SERVER_PORT=str(port or ""))
    print(f"through_pgbouncer: PgBouncer (transaction pooling, 4 server connections) on port {bouncer.port} "
          f"in front of {host}{f':{port}' if port else ''}", flush=True)
    try:
        paths = [arg for arg in argv if not arg.startswith("-") and (REPO / arg.split("::")[0]).exists()]
        code = subprocess.call([sys.executable, "-m", "pytest", "--reuse-db", *argv, *([] if paths else SUITES)],
                               env=env, cwd=REPO)
        # Proof that the run went through PgBouncer: its log names every client login.
        logins = sum(1 for line in bouncer.log.read_text(errors="replace").splitlines()
                     if "login attempt" in line and f"test_pumpjack_{run_id}" in line)
        print(f"through_pgbouncer: {logins} client logins to the test database went through PgBouncer", flush=True)
        return code if logins else (code or 1)
    finally:
        bouncer.stop()
        _drop(f"test_pumpjack_{run_id}", host, port, user)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
