"""config.wsgi's application, each request timed from inside the worker for bench/serve_tail.py:
wall time, this thread's CPU time and the time spent in garbage collection during it, one line
per request in ``$BENCH_TAIL_DIR/<pid>.tsv``. Used only by the bench."""

import gc
import os
import time
from pathlib import Path

from config.wsgi import application as _application

_gc_ns = 0
_gc_started = 0
_full = 0


def _on_gc(phase: str, info: dict) -> None:
    global _gc_ns, _gc_started, _full
    if phase == "start":
        _gc_started = time.perf_counter_ns()
    else:
        _gc_ns += time.perf_counter_ns() - _gc_started
        if info.get("generation") == 2:
            _full += 1


gc.callbacks.append(_on_gc)
_out = None


def application(environ, start_response):
    global _out
    if _out is None:
        _out = Path(os.environ["BENCH_TAIL_DIR"], f"{os.getpid()}.tsv").open("a", buffering=1)  # line-buffered: nothing lost when the worker stops
    gc_before, full_before = _gc_ns, _full
    wall, cpu = time.perf_counter_ns(), time.thread_time_ns()
    body = b"".join(_application(environ, start_response))
    wall, cpu = time.perf_counter_ns() - wall, time.thread_time_ns() - cpu
    _out.write(f"{wall}\t{cpu}\t{_gc_ns - gc_before}\t{_full - full_before}\n")
    return [body]
