"""The device's local state: one SQLite file per profile (WAL mode, every write a transaction).

``Store`` is one profile's file, made of one part per concept:

- ``file`` (with ``schema``): opening the file owner-only, transactions, the tables and the
  migrations that bring an older file up to them, and ``meta`` (device id, user, pull cursor);
- ``outbox``: the append-only log of ``events`` recorded on the device, the ``batches`` that
  carried them (polled until their per-event outcomes are known) and the ``photos`` uploaded
  before their events are pushed;
- ``reference``: the route's ``wells``, ``equipment``, ``conflicts``, ``leases`` and ``tanks`` as
  the pull feed sends them, one table of entity types deciding where each change goes;
- ``reporting``: the summary, conflicts, corrections and rejected events shown to the user.

A crash (kill -9, power loss) at any moment leaves the file consistent: SQLite rolls back an
unfinished transaction, and each step of a sync commits what it learnt together with its mark.
Standard library only: the field client runs on a laptop with no Django.
"""

from __future__ import annotations

from ..wire import PendingEvent, compact, rfc3339, utc_now
from .file import StoreFile
from .outbox import SENDABLE, Outbox
from .reference import DECIDED, ENTITIES, Equipment, ReferenceData, Tank, Well
from .reporting import Reporting, correction_state
from .schema import MIGRATIONS, SCHEMA, SCHEMA_VERSION, statements

_statements = statements  # the name tests written before the split use

__all__ = [
    "DECIDED", "ENTITIES", "MIGRATIONS", "SCHEMA", "SCHEMA_VERSION", "SENDABLE", "Equipment", "PendingEvent", "Store",
    "Tank", "Well", "compact", "correction_state", "rfc3339", "statements", "utc_now",
]


class Store(StoreFile, Outbox, ReferenceData, Reporting):
    """One profile's SQLite store. Not shared between threads; open one per process."""
