"""Reading a source database with its own DB-API driver: sqlite3 (standard library), psycopg
(PostgreSQL), PyMySQL (MySQL and MariaDB), pymssql (SQL Server, only if installed).

Everything is read-only (a READ ONLY transaction, or SQLite opened with mode=ro), parameterised
(values are never put into SQL text) and streamed in batches (a server-side cursor for
PostgreSQL, an unbuffered cursor for MySQL) so memory stays bounded whatever the table size.
Identifiers are quoted per engine. Errors become ``SourceError`` with a kind a person can act on
and a message scrubbed of the password.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from config.database_urls import ENGINE_LABELS, SourceUrl, scrub

CONNECT_TIMEOUT_SECONDS = 10
# Stands for a bound parameter while SQL is assembled; replaced per driver at execution.
PARAM = "\x00param\x00"


class SourceError(Exception):
    UNREACHABLE = "unreachable"
    AUTH = "bad_credentials"
    DATABASE_MISSING = "database_missing"
    TABLE_MISSING = "table_missing"
    COLUMN_MISSING = "column_missing"
    DRIVER_MISSING = "driver_missing"
    QUERY = "query_failed"

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class Dialect:
    engine: str

    def quote(self, name: str) -> str:
        if self.engine == "mysql":
            return "`" + name.replace("`", "``") + "`"
        if self.engine == "mssql":
            return "[" + name.replace("]", "]]") + "]"
        return '"' + name.replace('"', '""') + '"'

    def quote_table(self, dotted: str) -> str:
        """``schema.table`` (or ``database.schema.table`` on SQL Server) quoted part by part."""
        return ".".join(self.quote(part) for part in dotted.split("."))

    def sql_for_driver(self, sql: str, params: tuple) -> tuple[str, tuple | None]:
        if self.engine == "sqlite":
            return sql.replace(PARAM, "?"), params
        if not params:  # no %-formatting at all: a % in the SQL stays as it is
            return sql, None
        return sql.replace("%", "%%").replace(PARAM, "%s"), params


class SourceConnection:
    """One open, read-only connection to a source. Use as a context manager."""

    def __init__(self, url: SourceUrl, raw, *, driver):
        self.url = url
        self.raw = raw
        self.driver = driver
        self.dialect = Dialect(url.engine)

    def __enter__(self) -> SourceConnection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        try:
            if self.url.engine in ("postgresql", "mysql", "mssql"):
                self.raw.rollback()  # end the read-only transaction; nothing was written
            self.raw.close()
        except Exception:  # the connection is gone already
            pass

    def columns(self, relation_sql: str) -> list[str]:
        """The column names of a table or a ``(SELECT ...) AS x`` relation (reads no row)."""
        cursor = self.raw.cursor()
        try:
            self._execute(cursor, f"SELECT * FROM {relation_sql} WHERE 1 = 0", ())
            names = [d[0] for d in cursor.description or []]
            cursor.fetchall()
            return names
        except Exception as exc:
            if self.url.engine == "postgresql":
                self.raw.rollback()  # an error aborts a PostgreSQL transaction: the next probe needs a new one
            raise self.error(exc) from None
        finally:
            _close_quietly(cursor)

    def stream(self, sql: str, params: tuple, *, batch_size: int) -> Iterator[tuple[list[str], list[tuple]]]:
        """Yield (column names, rows) batch by batch from a server-side / unbuffered cursor."""
        cursor = self._streaming_cursor()
        try:
            try:
                self._execute(cursor, sql, params)
                names = [d[0] for d in cursor.description or []]
            except Exception as exc:
                raise self.error(exc) from None
            while True:
                try:
                    rows = cursor.fetchmany(batch_size)
                except Exception as exc:
                    raise self.error(exc) from None
                if not rows:
                    return
                yield names, [tuple(row) for row in rows]
        finally:
            _close_quietly(cursor)

    def _streaming_cursor(self):
        if self.url.engine == "postgresql":
            return self.raw.cursor(name="pumpjack_etl")
        if self.url.engine == "mysql":
            import pymysql.cursors

            return self.raw.cursor(pymysql.cursors.SSCursor)
        return self.raw.cursor()

    def _execute(self, cursor, sql: str, params: tuple) -> None:
        text, bound = self.dialect.sql_for_driver(sql, tuple(params))
        if bound is None and self.url.engine != "sqlite":
            cursor.execute(text)
        else:
            cursor.execute(text, bound)

    def error(self, exc: Exception) -> SourceError:
        return classify(exc, self.url)


def _close_quietly(cursor) -> None:
    try:
        cursor.close()
    except Exception:
        pass


# --------------------------------------------------------------------------- connecting


def connect(url: SourceUrl, *, timeout: int = CONNECT_TIMEOUT_SECONDS) -> SourceConnection:
    try:
        opener = {"postgresql": _postgresql, "mysql": _mysql, "sqlite": _sqlite, "mssql": _mssql}[url.engine]
    except KeyError:
        raise SourceError(SourceError.DRIVER_MISSING, f"No driver for {url.engine!r} sources.") from None
    try:
        return opener(url, timeout)
    except SourceError:
        raise
    except Exception as exc:
        raise classify(exc, url, connecting=True) from None


def _postgresql(url: SourceUrl, timeout: int) -> SourceConnection:
    import psycopg

    params: dict[str, Any] = {"dbname": url.database, "host": url.host, "connect_timeout": timeout,
                              "application_name": "pumpjack-etl", **url.options}
    if url.port:
        params["port"] = url.port
    if url.username:
        params["user"] = url.username
    if url.password:
        params["password"] = url.password
    raw = psycopg.connect(**params)
    raw.read_only = True  # every transaction of this connection is READ ONLY
    return SourceConnection(url, raw, driver=psycopg)


def _mysql(url: SourceUrl, timeout: int) -> SourceConnection:
    try:
        import pymysql
    except ImportError:
        raise SourceError(SourceError.DRIVER_MISSING, "MySQL/MariaDB sources need the PyMySQL package, which "
                                                      "is not installed on this server (pip install PyMySQL).") from None
    options = dict(url.options)
    ssl = {}
    if options.get("ssl_ca"):
        ssl["ca"] = options["ssl_ca"]
    raw = pymysql.connect(
        host=url.host, port=url.port or 3306, user=url.username or None, password=url.password,
        database=url.database, connect_timeout=timeout, charset=options.get("charset", "utf8mb4"),
        ssl=ssl or None, ssl_verify_cert=options.get("ssl_verify_cert", "").lower() in ("1", "true", "yes") or None,
        ssl_disabled=options.get("ssl_disabled", "").lower() in ("1", "true", "yes") or None,
        autocommit=False,
    )
    with raw.cursor() as cursor:
        cursor.execute("START TRANSACTION READ ONLY")
    return SourceConnection(url, raw, driver=pymysql)


def _sqlite(url: SourceUrl, timeout: int) -> SourceConnection:
    path = Path(url.database)
    if not path.is_file():
        raise SourceError(SourceError.DATABASE_MISSING, f"The SQLite file {url.database} does not exist "
                                                        "(on the machine that runs the ETL workers).")
    raw = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=timeout)
    try:
        raw.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raw.close()
        raise SourceError(SourceError.DATABASE_MISSING, f"{url.database} is not a SQLite database ({exc}).") from None
    return SourceConnection(url, raw, driver=sqlite3)


def _mssql(url: SourceUrl, timeout: int) -> SourceConnection:
    try:
        import pymssql
    except ImportError:
        raise SourceError(SourceError.DRIVER_MISSING, "SQL Server sources need the pymssql package, which is "
                                                      "not installed on this server (pip install pymssql).") from None
    raw = pymssql.connect(server=url.host, port=str(url.port or 1433), user=url.username, password=url.password,
                          database=url.database, login_timeout=timeout, appname="pumpjack-etl",
                          **{k: v for k, v in url.options.items() if k in ("tds_version", "charset")})
    return SourceConnection(url, raw, driver=pymssql)


# --------------------------------------------------------------------------- errors


_UNREACHABLE = ("connection refused", "could not translate host name", "name or service not known",
                "timeout expired", "timed out", "no route to host", "can't connect", "could not connect",
                "network is unreachable", "nodename nor servname", "temporary failure in name resolution",
                "no such file or directory", "unable to connect", "adaptive server is unavailable")
_AUTH = ("password authentication failed", "access denied for user", "login failed", "authentication failed",
         "no password supplied", "role \"", "pg_hba.conf")
_DATABASE = ("does not exist", "unknown database", "cannot open database")
_TABLE = ("no such table", "undefined table", "doesn't exist", "invalid object name", "relation \"")
_COLUMN = ("no such column", "unknown column", "invalid column name", "column \"")


def classify(exc: Exception, url: SourceUrl, *, connecting: bool = False) -> SourceError:
    """A driver's exception as a SourceError with a kind and a password-free message."""
    label = ENGINE_LABELS.get(url.engine, url.engine)
    raw = " ".join(str(exc).split()) or type(exc).__name__
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None  # PyMySQL / pymssql error numbers
    detail = scrub(raw, url.secrets)[:500]
    text = raw.lower()
    where = f"{url.host}:{url.port}" if url.port else (url.host or url.database)
    if connecting:
        if code in (1045, 18456) or any(s in text for s in _AUTH):
            return SourceError(SourceError.AUTH, f"Bad credentials: the {label} server at {where} refused user "
                                                 f"{url.username!r} ({detail}).")
        if code in (1049, 4060) or any(s in text for s in _DATABASE):
            return SourceError(SourceError.DATABASE_MISSING, f"The database {url.database!r} does not exist on the "
                                                             f"{label} server at {where} ({detail}).")
        if code in (2003, 2005, 2006, 2013, 20009) or any(s in text for s in _UNREACHABLE):
            return SourceError(SourceError.UNREACHABLE, f"The {label} server at {where} cannot be reached "
                                                        f"({detail}).")
        return SourceError(SourceError.UNREACHABLE, f"Could not connect to the {label} server at {where} ({detail}).")
    if code in (1146, 208) or any(s in text for s in _TABLE) and "column" not in text:
        return SourceError(SourceError.TABLE_MISSING, f"Table not found in {url.database!r}: {detail}")
    if code in (1054, 207) or any(s in text for s in _COLUMN):
        return SourceError(SourceError.COLUMN_MISSING, f"Column not found: {detail}")
    if code in (2006, 2013) or "server closed the connection" in text or "connection" in text and "lost" in text:
        return SourceError(SourceError.UNREACHABLE, f"The connection to the {label} server was lost ({detail}).")
    return SourceError(SourceError.QUERY, f"The {label} source refused the query: {detail}")
