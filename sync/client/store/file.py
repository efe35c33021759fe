"""The store's file: opened private to its owner, in WAL mode with every write a transaction,
brought to the latest schema on open, and its ``meta`` key-value table (device id, user, cursor)."""

from __future__ import annotations

import functools
import os
import sqlite3
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Self

from .schema import MIGRATIONS, SCHEMA, SCHEMA_VERSION, statements


class StoreFile:
    """One SQLite file: opening, transactions, migrations and ``meta``. The concepts kept in it
    (sync.client.store.outbox, .reference, .reporting) build on ``db`` and ``transaction``."""

    FILE = "field.db"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Owner-only from the start; SQLite gives the -wal and -shm files the same mode.
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        # isolation_level=None: autocommit; transactions are explicit (BEGIN IMMEDIATE) below.
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = FULL")  # a recorded event survives a power cut too
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute("PRAGMA busy_timeout = 30000")
        self._migrate()

    @classmethod
    def in_folder(cls, folder: Path) -> Self:
        return cls(folder / cls.FILE)

    def close(self) -> None:
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT: all or nothing, and one writer at a time."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(f"{self.path} was written by a newer pumpjack-field (schema {version})")
        if version == SCHEMA_VERSION:
            return
        with self.transaction() as db:
            if version:  # an older file: its tables exist, in an older shape
                for step in range(version, SCHEMA_VERSION):
                    for statement in MIGRATIONS[step]:
                        db.execute(statement)
            for statement in statements(SCHEMA):
                db.execute(statement)
            if db.execute("SELECT 1 FROM meta WHERE key = 'device_id'").fetchone() is None:
                # Stable per profile: the server keys its Device row on it.
                db.execute("INSERT INTO meta (key, value) VALUES ('device_id', ?)", (f"cli-{uuid.uuid4()}",))
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def integrity_ok(self) -> bool:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    # ------------------------------------------------------------------ meta

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, values: dict[str, str | None], db: sqlite3.Connection | None = None) -> None:
        def write(conn):
            for key, value in values.items():
                if value is None:
                    conn.execute("DELETE FROM meta WHERE key = ?", (key,))
                else:
                    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, str(value)))

        if db is not None:
            write(db)
        else:
            with self.transaction() as conn:
                write(conn)

    @functools.cached_property
    def device_id(self) -> str:
        """Made with the file (``_migrate``) and never changed: read once per opening."""
        return self.meta("device_id")
