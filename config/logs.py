"""Structured logs (API.md section 12): one JSON object per line on stderr.

Every record carries ``time``, ``level``, ``logger`` and ``message``, and the ``requestId`` of the
request it belongs to: the one being served (``request_context``, set by the request guard) or,
in a Celery task, the one that enqueued it (sent along as the ``pumpjack_request_id`` message
header, see config.celery). The request line itself (``config.middleware``) adds ``tenantId``,
``userId``, ``route``, ``status``, ``method`` and ``durationMs``.

Only the formatted message is written, never a record's raw arguments, and a message that still
holds something shaped like a credential (a bearer token, a JWT, ``password=...``) has it masked.
Standard library only: the settings import this module.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from datetime import datetime, timezone

REQUEST_ID_HEADER = "pumpjack_request_id"  # the Celery message header

# The id of the request this code serves (None outside requests and tasks).
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("pumpjack_request_id", default=None)

# Fields of the request line (logging's ``extra``), in their order on the line.
REQUEST_FIELDS = ("method", "route", "status", "durationMs", "tenantId", "userId")

_MASKS = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 ***"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), "***jwt***"),
    (re.compile(r"(?i)\b(password|passwd|secret|token|api[_-]?key)(\"?\s*[:=]\s*\"?)[^\s\"',;&]+"), r"\1\2***"),
    (re.compile(r"(?i)(://[^:/@\s]+:)[^@\s]+@"), r"\1***@"),  # credentials in a URL
)


def masked(text: str) -> str:
    """``text`` with anything shaped like a credential replaced by ***."""
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def current_request_id() -> str | None:
    """The request id of this request, or of the request that enqueued the running Celery task."""
    value = request_id_var.get()
    if value is not None:
        return value
    celery_app = sys.modules.get("celery._state")
    if celery_app is None:  # Celery never imported: not a worker, and no task running
        return None
    task = celery_app.get_current_task()
    if task is None or task.request is None:
        return None
    value = getattr(task.request, REQUEST_ID_HEADER, None)
    return value if isinstance(value, str) else None


def record_request_id(record: logging.LogRecord) -> str | None:
    """The record's own requestId, its request's (django.request logs a 4xx/5xx after the request
    guard has returned), or the current one."""
    value = getattr(record, "requestId", None)
    if value is None:
        value = getattr(getattr(record, "request", None), "request_id", None)
    return value if isinstance(value, str) else current_request_id()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "process": record.processName,  # which gunicorn worker or Celery pool process (with the pid)
            "pid": record.process,
            # The request line's message is method, route and status: nothing to mask.
            "message": record.getMessage() if record.name == "pumpjack.request" else masked(record.getMessage()),
            "requestId": record_request_id(record),
        }
        for name in REQUEST_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = masked(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


class PlainFormatter(logging.Formatter):
    """LOG_FORMAT=plain: one readable line, still masked, still with the request id."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = masked(super().format(record))
        request_id = record_request_id(record)
        extra = " ".join(f"{name}={getattr(record, name)}" for name in REQUEST_FIELDS
                         if getattr(record, name, None) is not None)
        return " ".join(part for part in (text, extra, f"requestId={request_id}" if request_id else "") if part)
