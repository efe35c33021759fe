"""Which change rows a reader has seen, in commit order (API.md section 9: no settle delay).

A change row's ``seq`` is given at insert, not at commit, so a transaction that began earlier may
commit a lower ``seq`` after a reader moved past it. A reader is therefore never positioned by
``seq`` alone:

- PostgreSQL (schema tenants, and DATABASE tenants on PostgreSQL): every row carries the id of the
  transaction that wrote it (``Change.xid``, a database default). A reader takes the database's
  snapshot (``pg_current_snapshot()``: xmin, xmax and the ids still in progress); it has seen the
  rows whose transaction is visible in it. A transaction still open when the snapshot was taken
  (in its in-progress list, or at or past its xmax) is unseen however long it stays open.
- MySQL/MariaDB (DATABASE tenants): no transaction ids to compare, so the rows are put in commit
  order after the fact: a reader first stamps every committed, unstamped row with the next numbers
  of a counter (``commit_seq``; ``ChangeRetention.stamped_through``, updated under its row lock,
  so stamps are handed out one reader at a time), skipping rows still locked by their open
  transaction (``FOR UPDATE SKIP LOCKED``), which the first reader after their commit stamps. A
  position is a commit position.

A position is a plain dict (the feed signs it into its cursors):

- ``{"k": "pg", "n": xmin, "x": xmax, "i": [ids in progress], "o": own id, "os": own last seq}``:
  a PostgreSQL snapshot; a row was seen when its transaction is visible in it. A reader that wrote
  in its own transaction (only tests do) sees its own rows up to "os".
- ``{"k": "my", "c": commit position}``: MySQL/MariaDB, rows stamped up to "c".
- both with ``"d"``: a tag of the database they belong to;
- ``{"k": "seq", "s": seq}``: an old-format cursor (the settle-delay feed's), rows up to "s".
"""

from __future__ import annotations

import hashlib

from django.db import IntegrityError, connections
from django.db.models import F, Max, Q

from tenants import databases as tenant_db

from .models import Change, ChangeRetention

STAMP_BATCH = 5_000


def on_postgres() -> bool:
    return connections[tenant_db.current_db()].vendor == "postgresql"


def _database_tag() -> str:
    """Which database a position belongs to (transaction ids and commit positions mean nothing in
    another one: a tenant moved between databases gets 410 and re-snapshots). Hashed: a cursor is
    signed, not encrypted, and must not name servers."""
    db = connections[tenant_db.current_db()].settings_dict
    where = f"{db.get('ENGINE')}|{db.get('HOST')}|{db.get('PORT')}|{db.get('NAME')}"
    return hashlib.sha256(where.encode()).hexdigest()[:12]


def current_position() -> dict:
    """Where the log stands for a reader starting now (every committed row is seen by it)."""
    if not on_postgres():
        return {"k": "my", "c": stamp_committed(), "d": _database_tag()}
    with connections[tenant_db.current_db()].cursor() as cursor:
        cursor.execute("SELECT pg_current_snapshot()::text, pg_current_xact_id_if_assigned()::text")
        snapshot, own = cursor.fetchone()
    xmin, xmax, xip = snapshot.split(":")
    position = {"k": "pg", "n": int(xmin), "x": int(xmax), "i": [int(x) for x in xip.split(",") if x],
                "d": _database_tag()}
    if own is not None:
        position["o"] = int(own)
        position["os"] = Change.objects.filter(xid=int(own)).aggregate(m=Max("seq"))["m"] or 0
    return position


def stamp_committed() -> int:
    """MySQL/MariaDB: give every committed, unstamped row the next commit positions; the highest
    position handed out so far. Stamps are handed out under the counter row's lock, so a reader
    that sees position p sees every position below it; a row whose transaction is still open is
    locked by it and skipped, and stamped by the first reader after it commits."""
    if not Change.objects.filter(commit_seq__isnull=True).exists():
        return ChangeRetention.objects.filter(pk=1).values_list("stamped_through", flat=True).first() or 0
    if not ChangeRetention.objects.filter(pk=1).exists():
        try:
            with tenant_db.atomic():
                ChangeRetention.objects.create(pk=1)
        except IntegrityError:  # another reader made it first
            pass
    while True:
        with tenant_db.atomic():
            counter = ChangeRetention.objects.select_for_update().values_list("stamped_through", flat=True).get(pk=1)
            pending = list(Change.objects.select_for_update(skip_locked=True).filter(commit_seq__isnull=True)
                           .order_by("seq").values_list("seq", flat=True)[:STAMP_BATCH])
            if not pending:
                return counter
            offset = counter - pending[0] + 1  # in seq order, above everything stamped before
            Change.objects.filter(seq__in=pending).update(commit_seq=F("seq") + offset)
            counter = pending[-1] + offset
            ChangeRetention.objects.filter(pk=1).update(stamped_through=counter)
        if len(pending) < STAMP_BATCH:
            return counter


def seen(position: dict) -> Q:
    """The rows a reader at ``position`` has seen."""
    kind = position["k"]
    if kind == "seq":
        return Q(seq__lte=position["s"])
    if kind == "my":
        return Q(commit_seq__lte=position["c"])
    rule = Q(xid__lt=position["n"]) | (Q(xid__lt=position["x"]) & ~Q(xid__in=position["i"])) if position["i"] \
        else Q(xid__lt=position["x"])
    if position.get("o") is not None:
        rule = Q(xid=position["o"], seq__lte=position["os"]) | (~Q(xid=position["o"]) & rule)
    return rule


def unseen(position: dict) -> Q:
    """The rows a reader at ``position`` had not seen (the complement of ``seen``, written so an
    index answers it: every such row has seq, xid or commit position past a bound)."""
    kind = position["k"]
    if kind == "seq":
        return Q(seq__gt=position["s"])
    if kind == "my":
        return Q(commit_seq__gt=position["c"])
    rule = Q(xid__gte=position["x"]) | Q(xid__in=position["i"]) if position["i"] else Q(xid__gte=position["x"])
    if position.get("o") is not None:
        rule = Q(xid=position["o"], seq__gt=position["os"]) | (~Q(xid=position["o"]) & rule)
    return Q(xid__gte=position["n"]) & rule


def unstamped_exist() -> bool:
    """MySQL/MariaDB: committed rows wait for their commit position (the next reader stamps them)."""
    return Change.objects.filter(commit_seq__isnull=True).exists()


def order_field(position: dict) -> str:
    """The field that puts rows in commit order for readers of this kind of position."""
    return "commit_seq" if position["k"] == "my" else "seq"


def position_valid(value) -> bool:
    """``value`` has the shape of a position (as read back from a cursor)."""
    if not isinstance(value, dict):
        return False
    ints = lambda *keys: all(isinstance(value.get(k), int) and value.get(k) >= 0 for k in keys)  # noqa: E731
    if value.get("k") == "seq":
        return ints("s")
    if value.get("k") == "my":
        return ints("c")
    if value.get("k") == "pg":
        own_ok = value.get("o") is None or ints("o", "os")
        return ints("n", "x") and isinstance(value.get("i"), list) and all(
            isinstance(x, int) for x in value["i"]) and own_ok
    return False


def position_comparable(position: dict) -> bool:
    """False for a position of another engine or database (the tenant moved between databases)."""
    return position["k"] == "seq" or ((position["k"] == "pg") == on_postgres()
                                      and position.get("d") == _database_tag())


def _retention() -> dict:
    row = ChangeRetention.objects.filter(pk=1).values("pruned_through", "pruned_xid", "pruned_commit_seq").first()
    return row or {"pruned_through": 0, "pruned_xid": 0, "pruned_commit_seq": 0}


def position_pruned(position: dict) -> bool:
    """Rows this reader had not seen may have been pruned (its cursor is older than the log)."""
    pruned = _retention()
    return (position["k"] == "seq" and position["s"] < pruned["pruned_through"]) or (
        position["k"] == "pg" and pruned["pruned_xid"] >= position["n"]) or (
        position["k"] == "my" and pruned["pruned_commit_seq"] > position["c"])
