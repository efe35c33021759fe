"""Production settings refuse to start half-configured; the embedded servers restart on the
same data and are shared by several processes."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ENCRYPTION_KEY = "3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="  # a well-formed Fernet key (32 bytes)


def run_python(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE",
                        "PUMPJACK_ENCRYPTION_KEY", "METRICS_TOKEN"}}
    env.update(extra)
    return env


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "PUMPJACK_ENCRYPTION_KEY",
                                     "METRICS_TOKEN"])
def test_production_settings_refuse_to_start_without_required_variables(missing):
    values = {"SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "pumpjack.example", "REDIS_URL": "redis://127.0.0.1:1/0",
              "DATABASE_URL": "postgres://u:p@127.0.0.1:1/pumpjack", "PUMPJACK_ENCRYPTION_KEY": ENCRYPTION_KEY,
              "METRICS_TOKEN": "m" * 32}
    values.pop(missing)
    env = clean_env(DJANGO_SETTINGS_MODULE="config.settings.production", **values)
    result = run_python("import django; django.setup()", env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and missing in result.stderr


def test_production_settings_start_when_configured():
    env = clean_env(DJANGO_SETTINGS_MODULE="config.settings.production", SECRET_KEY="x" * 50,
                    ALLOWED_HOSTS="pumpjack.example,.pumpjack.example", REDIS_URL="redis://127.0.0.1:1/0",
                    DATABASE_URL="postgres://u:p@127.0.0.1:1/pumpjack", PUMPJACK_ENCRYPTION_KEY=ENCRYPTION_KEY,
                    METRICS_TOKEN="m" * 32)
    result = run_python(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.ALLOWED_HOSTS)", env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "False"
    assert "tenants.backends.postgresql" in result.stdout  # django-tenants' backend, one round trip per switch


PROBE = """
import json, sys
from config import embedded
pg = embedded.ensure_postgres()
redis_info = embedded.ensure_redis()
import psycopg, redis
with psycopg.connect(host=pg.socket_dir, user="postgres", dbname="pumpjack", autocommit=True) as conn:
    if sys.argv[1] == "write":
        conn.execute("CREATE TABLE IF NOT EXISTS probe (v text)")
        conn.execute("INSERT INTO probe VALUES ('kept')")
    rows = [r[0] for r in conn.execute("SELECT v FROM probe")]
client = redis.Redis(unix_socket_path=redis_info.socket_path)
if sys.argv[1] == "write":
    client.set("probe", "kept")
    client.save()
print(json.dumps({"pg_pid": pg.pid, "pg_started": pg.started_here, "redis_started": redis_info.started_here,
                  "rows": rows, "redis": (client.get("probe") or b"").decode()}))
"""


def test_embedded_servers_are_shared_and_restart_on_the_same_data(tmp_path):
    import json

    env = clean_env(PUMPJACK_DATA_DIR=str(tmp_path / "data"))
    probe = lambda mode: run_python(PROBE.replace("sys.argv[1]", repr(mode)), env)  # noqa: E731
    stop = "from config import embedded; embedded.stop_postgres(); embedded.stop_redis()"
    try:
        first = probe("write")
        assert first.returncode == 0, first.stderr
        first = json.loads(first.stdout)
        assert first["pg_started"] and first["redis_started"]
        second = json.loads(probe("read").stdout)  # another process finds the same servers
        assert not second["pg_started"] and not second["redis_started"]
        assert second["pg_pid"] == first["pg_pid"] and second["rows"] == ["kept"]
        assert run_python(stop, env).returncode == 0
        third = json.loads(probe("read").stdout)  # restarted on the same data
        assert third["pg_started"] and third["redis_started"]
        assert third["pg_pid"] != first["pg_pid"]
        assert third["rows"] == ["kept"] and third["redis"] == "kept"
    finally:
        run_python(stop, env)
    assert (tmp_path / "data" / "pg" / "PG_VERSION").exists()
