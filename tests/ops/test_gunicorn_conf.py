"""config/gunicorn_conf.py as gunicorn reads it: workers from the cores unless WEB_CONCURRENCY says,
every knob from the environment, the metrics folder emptied at start unless make run keeps it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from config import run

READ = """
import json
from gunicorn.config import Config
from gunicorn.app.base import Application
cfg = Config()
for name, value in Application.get_config_from_filename(None, {conf!r}).items():
    if name in cfg.settings:
        cfg.set(name, value)
print(json.dumps({{k: cfg.settings[k].get() for k in ("workers", "worker_class", "threads", "keepalive",
    "timeout", "graceful_timeout", "bind", "max_requests", "max_requests_jitter", "preload_app")}}))
"""


def gunicorn_settings(**env: str) -> dict:
    import json

    full = {k: v for k, v in os.environ.items() if not k.startswith(("WEB_CONCURRENCY", "GUNICORN_", "PORT"))}
    full.update(env)
    result = subprocess.run([sys.executable, "-c", READ.format(conf=str(run.GUNICORN_CONF))], env=full,
                            capture_output=True, text=True, timeout=60, cwd=run.BASE_DIR)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_workers_come_from_the_cores_by_default():
    got = gunicorn_settings(PORT="8123")
    cores = len(os.sched_getaffinity(0))
    assert got["workers"] == min(2 * cores + 1, 8)
    assert got["bind"] == ["0.0.0.0:8123"] and got["preload_app"] is False
    assert got["worker_class"] == "sync" and got["threads"] == 1


def test_every_knob_is_read_from_the_environment():
    got = gunicorn_settings(WEB_CONCURRENCY="5", GUNICORN_WORKER_CLASS="gthread", GUNICORN_THREADS="2",
                            GUNICORN_KEEPALIVE="9", GUNICORN_TIMEOUT="45", GUNICORN_GRACEFUL_TIMEOUT="11",
                            GUNICORN_MAX_REQUESTS="1000", GUNICORN_BIND="127.0.0.1:9999")
    assert got == {"workers": 5, "worker_class": "gthread", "threads": 2, "keepalive": 9, "timeout": 45,
                   "graceful_timeout": 11, "bind": ["127.0.0.1:9999"], "max_requests": 1000,
                   "max_requests_jitter": 100, "preload_app": False}


@pytest.mark.parametrize("keep", [None, "true"])
def test_the_metrics_folder_is_emptied_at_start_unless_kept(tmp_path, keep):
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_123.db").write_bytes(b"old")
    code = (f"import runpy; conf = runpy.run_path({str(run.GUNICORN_CONF)!r}); conf['on_starting'](None); "
            f"import os; print(sorted(os.listdir({str(folder)!r})))")
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    if keep:
        env["METRICS_DIR_KEEP"] = keep
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("['counter_123.db']" if keep else "[]")


def test_make_run_gives_web_and_worker_one_metrics_folder(monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    env = run.child_environment(8123, "localhost")
    assert env["PROMETHEUS_MULTIPROC_DIR"].endswith("metrics") and env["METRICS_DIR_KEEP"] == "true"


def test_a_workers_exit_drops_its_live_gauges_and_imports_nothing(tmp_path):
    """child_exit runs in gunicorn's SIGCHLD handler: it must import nothing there (an import,
    re-entered by the next worker's exit at shutdown, failed half-done), only remove the dead
    worker's live-gauge files."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    for name in ("gauge_livesum_4242.db", "gauge_livesum_4343.db", "counter_4242.db"):
        (folder / name).write_bytes(b"")
    code = (f"import runpy, sys, types; conf = runpy.run_path({str(run.GUNICORN_CONF)!r}); "
            "before = set(sys.modules); conf['child_exit'](None, types.SimpleNamespace(pid=4242)); "
            f"import os; print(sorted(set(sys.modules) - before), sorted(os.listdir({str(folder)!r})))")
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[] ['counter_4242.db', 'gauge_livesum_4343.db']"


APP = '''
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
'''


def _served_while_a_connection_idles(tmp_path, **env: str) -> float:
    """One sync worker under config/gunicorn_conf.py; a client connects and sends nothing for 1.5 s
    while another asks for a page: seconds until the page was answered."""
    import socket
    import time

    (tmp_path / "idle_app.py").write_text(APP)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    full = {k: v for k, v in os.environ.items() if not k.startswith(("WEB_CONCURRENCY", "GUNICORN_", "PORT",
                                                                     "PROMETHEUS_"))}
    full |= {"WEB_CONCURRENCY": "1", "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_LOG_LEVEL": "warning", **env}
    log = tmp_path / "gunicorn.log"
    with log.open("w") as stderr:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(run.GUNICORN_CONF), "--chdir",
                                   str(tmp_path), "idle_app:application"], env=full, cwd=run.BASE_DIR,
                                  stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
    try:
        for _ in range(100):  # up: a page answered
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as probe:
                    probe.sendall(b"GET / HTTP/1.0\r\n\r\n")
                    if probe.recv(64).startswith(b"HTTP/1.0 200"):
                        break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError(f"gunicorn did not answer: {log.read_text()[-2000:]}")
        idle = socket.create_connection(("127.0.0.1", port), timeout=5)
        time.sleep(0.2)  # the idle connection is the worker's next to accept
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            client.sendall(b"GET / HTTP/1.0\r\n\r\n")
            client.settimeout(0.05)
            answer = b""
            while not answer and time.monotonic() - started < 10:
                if time.monotonic() - started > 1.5 and idle is not None:
                    idle.close()  # an idle client that gives up: the worker it held is freed
                    idle = None
                try:
                    answer = client.recv(64)
                except TimeoutError:
                    continue
            seconds = time.monotonic() - started
        assert answer.startswith(b"HTTP/1.0 200"), answer
        if idle is not None:
            idle.close()
        return seconds
    finally:
        os.killpg(server.pid, 15)
        server.wait(20)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="TCP_DEFER_ACCEPT is Linux's")
def test_a_connection_that_sends_nothing_does_not_hold_a_sync_worker(tmp_path):
    """The worker is handed a connection only once its request arrived (GUNICORN_DEFER_ACCEPT): the
    page is answered at once while the idle client waits. Off, the worker sat on the idle
    connection until that client gave up."""
    assert _served_while_a_connection_idles(tmp_path) < 1.0
    assert _served_while_a_connection_idles(tmp_path, GUNICORN_DEFER_ACCEPT="0") >= 1.4
