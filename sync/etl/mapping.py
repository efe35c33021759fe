"""The mapping from a source's tables to wells, equipment and production (README: "ETL from a
tenant's own database" has the full format and an example).

    {
      "time_zone": "America/Chicago",              optional: zone of naive source timestamps
      "wells": {
        "table": "well_master",                    or "query": "SELECT ... FROM ..." (read-only)
        "columns": {"api_number": "api_no", "name": "well_name", "status": "status_code"},
        "constants": {"state": "TX"},              optional fixed values
        "transforms": {"status": {"MAP": {"A": "ACTIVE", "SI": "SHUT_IN"}}, "state": "UPPERCASE"},
        "incremental": "updated_at"                optional: only rows past the stored cursor are read
      },
      "equipment": {...}, "production": {..., "store_unit": "source" | "base"}
    }

``mapping_parse`` checks the structure and names every problem by its JSON path;
``mapping_check_against_source`` checks that tables and columns exist in the source.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .drivers import PARAM, Dialect, SourceConnection, SourceError

ENTITIES = ("wells", "equipment", "production")
TARGETS: dict[str, tuple[str, ...]] = {
    "wells": ("api_number", "name", "lease", "field", "county", "state", "latitude", "longitude", "status",
              "spud_date"),
    "equipment": ("api_number", "name", "type", "serial_number", "status"),
    "production": ("api_number", "production_date", "product", "volume", "unit", "downtime_hours",
                   "downtime_reason", "recorded_at"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "wells": ("api_number",),
    "equipment": ("api_number", "name"),
    "production": ("api_number", "production_date", "product", "volume", "unit"),
}
KEYS = {"table", "query", "columns", "constants", "transforms", "incremental", "store_unit"}
CASE_TRANSFORMS = ("UPPERCASE", "LOWERCASE")
# Units a source may use beyond ours: converted to one of ours (factor, our unit) before checks.
FOREIGN_UNITS: dict[str, tuple[Decimal, str]] = {
    "GAL": (Decimal(1) / Decimal(42), "BBL"),  # US gallons
    "L": (Decimal("0.001"), "M3"),
    "E3M3": (Decimal(1000), "M3"),
    "MMCF": (Decimal(1000), "MCF"),
    "CF": (Decimal("0.001"), "MCF"),
    "SCF": (Decimal("0.001"), "MCF"),
}
_IDENTIFIER_MAX = 128
_READ_ONLY_START = re.compile(r"^\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*(select|with)\b", re.IGNORECASE | re.DOTALL)
# A courtesy check with a clear message: what really keeps a query from writing is the read-only
# transaction (PostgreSQL, MySQL) or read-only file mode (SQLite) it runs in (and, for SQL Server,
# a login that may only read).
_WRITE_WORDS = re.compile(r"\b(insert|update|delete|merge|drop|alter|create|truncate|grant|revoke|exec|execute|"
                          r"attach|pragma|into)\b", re.IGNORECASE)


class MappingInvalid(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Transform:
    kind: str  # MAP, UPPERCASE, LOWERCASE
    table: dict = field(default_factory=dict)

    def apply(self, value: Any) -> Any:
        if value is None:
            return None
        if self.kind == "MAP":
            key = str(value).strip()
            return self.table.get(key, value)
        if isinstance(value, str):
            return value.upper() if self.kind == "UPPERCASE" else value.lower()
        return value


@dataclass
class EntityMapping:
    entity: str
    columns: dict[str, str]
    table: str = ""
    query: str = ""
    constants: dict[str, Any] = field(default_factory=dict)
    transforms: dict[str, list[Transform]] = field(default_factory=dict)
    incremental: str = ""
    store_unit: str = "source"

    @property
    def label(self) -> str:
        return f"table {self.table}" if self.table else "query"

    def source_columns(self) -> list[str]:
        names = list(dict.fromkeys(self.columns.values()))
        if self.incremental and self.incremental not in names:
            names.append(self.incremental)
        return names

    def relation_sql(self, dialect: Dialect) -> str:
        if self.table:
            return dialect.quote_table(self.table)
        return f"({self.query}) AS pj_src"

    def select_sql(self, dialect: Dialect, *, after_cursor: bool) -> str:
        columns = ", ".join(dialect.quote(name) for name in self.source_columns())
        sql = f"SELECT {columns} FROM {self.relation_sql(dialect)}"
        if self.incremental:
            if after_cursor:
                sql += f" WHERE {dialect.quote(self.incremental)} > {PARAM}"
            sql += f" ORDER BY {dialect.quote(self.incremental)}"
        return sql

    def values_of(self, row: dict[str, Any]) -> dict[str, Any]:
        """Target field -> value: the mapped column (transformed), or the constant."""
        values = dict(self.constants)
        for target, column in self.columns.items():
            value = row.get(column)
            for transform in self.transforms.get(target, ()):
                value = transform.apply(value)
            values[target] = value
        return values


@dataclass
class Mapping:
    entities: dict[str, EntityMapping]
    time_zone: str = ""


def _identifier(value: Any, path: str, problems: list[str], *, dotted: bool = False) -> str:
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{path}: must be a non-empty string (a {'table' if dotted else 'column'} name).")
        return ""
    parts = value.split(".") if dotted else [value]
    if any(not part or len(part) > _IDENTIFIER_MAX or "\x00" in part for part in parts):
        problems.append(f"{path}: {value[:60]!r} is not a valid name (at most {_IDENTIFIER_MAX} characters"
                        + (" per dotted part" if dotted else "") + ", no NUL).")
        return ""
    return value


def _query(value: Any, path: str, problems: list[str]) -> str:
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{path}: must be a SELECT statement.")
        return ""
    text = value.strip().rstrip(";").strip()
    if ";" in text:
        problems.append(f"{path}: one statement only (no ';').")
    elif not _READ_ONLY_START.match(text):
        problems.append(f"{path}: must be a read-only SELECT (or WITH ... SELECT).")
    elif _WRITE_WORDS.search(re.sub(r"'(?:[^']|'')*'", "''", text)):
        problems.append(f"{path}: must only read (found a word such as INSERT, UPDATE, DELETE, INTO or DROP).")
    return text


def _transforms(value: Any, path: str, problems: list[str]) -> list[Transform]:
    steps = value if isinstance(value, list) else [value]
    out = []
    for index, step in enumerate(steps):
        here = f"{path}[{index}]" if isinstance(value, list) else path
        if isinstance(step, str) and step.upper() in CASE_TRANSFORMS:
            out.append(Transform(step.upper()))
        elif isinstance(step, dict) and set(step) == {"MAP"} and isinstance(step["MAP"], dict):
            table = step["MAP"]
            bad = [k for k, v in table.items() if not isinstance(v, (str, int, float)) or isinstance(v, bool)]
            if bad:
                problems.append(f"{here}.MAP: each value must be a string or a number (see {bad[0][:40]!r}).")
            out.append(Transform("MAP", {str(k).strip(): v for k, v in table.items()}))
        else:
            problems.append(f"{here}: a transform is \"UPPERCASE\", \"LOWERCASE\" or "
                            "{\"MAP\": {\"source value\": \"our value\"}} (or a list of these, applied in order).")
    return out


def _entity(name: str, spec: Any, problems: list[str]) -> EntityMapping | None:
    path = name
    if not isinstance(spec, dict):
        problems.append(f"{path}: must be an object with \"table\" (or \"query\") and \"columns\".")
        return None
    unknown = sorted(set(spec) - KEYS)
    if unknown:
        problems.append(f"{path}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(KEYS))}.")
    table = query = ""
    if ("table" in spec) == ("query" in spec):
        problems.append(f"{path}: give exactly one of \"table\" and \"query\".")
    elif "table" in spec:
        table = _identifier(spec["table"], f"{path}.table", problems, dotted=True)
    else:
        query = _query(spec["query"], f"{path}.query", problems)

    columns: dict[str, str] = {}
    raw_columns = spec.get("columns")
    if not isinstance(raw_columns, dict) or not raw_columns:
        problems.append(f"{path}.columns: must be an object of target field -> source column.")
        raw_columns = {}
    for target, column in raw_columns.items():
        if target not in TARGETS[name]:
            problems.append(f"{path}.columns.{target}: not a field of {name}; one of {', '.join(TARGETS[name])}.")
            continue
        if _identifier(column, f"{path}.columns.{target}", problems):
            columns[target] = column

    constants = spec.get("constants", {})
    if not isinstance(constants, dict):
        problems.append(f"{path}.constants: must be an object of target field -> fixed value.")
        constants = {}
    for target, value in list(constants.items()):
        if target not in TARGETS[name]:
            problems.append(f"{path}.constants.{target}: not a field of {name}; one of {', '.join(TARGETS[name])}.")
        elif target in columns:
            problems.append(f"{path}.constants.{target}: also mapped in columns; use one or the other.")
        elif not isinstance(value, (str, int, float)) or isinstance(value, bool):
            problems.append(f"{path}.constants.{target}: must be a string or a number.")
    for target in REQUIRED[name]:
        if target not in columns and target not in constants:
            problems.append(f"{path}.columns.{target}: required (map a source column"
                            + (", or give a fixed value in constants" if target not in ("api_number",) else "")
                            + ").")

    transforms: dict[str, list[Transform]] = {}
    raw_transforms = spec.get("transforms", {})
    if not isinstance(raw_transforms, dict):
        problems.append(f"{path}.transforms: must be an object of target field -> transform(s).")
        raw_transforms = {}
    for target, value in raw_transforms.items():
        if target not in columns:
            problems.append(f"{path}.transforms.{target}: transforms apply to mapped columns; {target!r} is not "
                            "in columns.")
            continue
        transforms[target] = _transforms(value, f"{path}.transforms.{target}", problems)

    incremental = ""
    if spec.get("incremental") not in (None, ""):
        incremental = _identifier(spec["incremental"], f"{path}.incremental", problems)
    store_unit = spec.get("store_unit", "source")
    if name != "production" and "store_unit" in spec:
        problems.append(f"{path}.store_unit: only production has units.")
    elif store_unit not in ("source", "base"):
        problems.append(f"{path}.store_unit: \"source\" (keep the source's unit) or \"base\" (BBL for oil and "
                        "water, MCF for gas).")
    return EntityMapping(entity=name, columns=columns, table=table, query=query, constants=dict(constants),
                         transforms=transforms, incremental=incremental, store_unit=store_unit)


def mapping_parse(data: Any) -> Mapping:
    """The mapping, checked for structure; MappingInvalid lists every problem with its JSON path."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise MappingInvalid(["(top level): the mapping is a JSON object with wells, equipment and/or production."])
    unknown = sorted(set(data) - set(ENTITIES) - {"time_zone"})
    if unknown:
        problems.append(f"(top level): unknown key(s) {', '.join(str(u)[:40] for u in unknown)}; known: "
                        f"{', '.join(ENTITIES)}, time_zone.")
    time_zone = data.get("time_zone", "") or ""
    if time_zone:
        try:
            zoneinfo.ZoneInfo(str(time_zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            problems.append(f"time_zone: {str(time_zone)[:60]!r} is not a time zone name (e.g. America/Chicago).")
    entities = {}
    for name in ENTITIES:
        if name in data:
            entity = _entity(name, data[name], problems)
            if entity is not None:
                entities[name] = entity
    if not entities and not unknown:
        problems.append("(top level): map at least one of wells, equipment, production.")
    if problems:
        raise MappingInvalid(problems)
    return Mapping(entities=entities, time_zone=str(time_zone))


def mapping_check_against_source(mapping: Mapping, connection: SourceConnection) -> list[str]:
    """Problems of the mapping in this source: missing tables and columns (with a hint when only the
    case differs), queries the source refuses. Empty when everything is there."""
    problems = []
    for name, entity in mapping.entities.items():
        try:
            present = connection.columns(entity.relation_sql(connection.dialect))
        except SourceError as exc:
            where = f"{name}.table" if entity.table else f"{name}.query"
            if exc.kind == SourceError.TABLE_MISSING and entity.table:
                problems.append(f"{where}: table {entity.table!r} does not exist in the source ({exc.message}).")
            else:
                problems.append(f"{where}: {exc.message}")
            continue
        lowered = {p.lower(): p for p in present}
        wanted = [(f"{name}.columns.{target}", column) for target, column in entity.columns.items()]
        if entity.incremental:
            wanted.append((f"{name}.incremental", entity.incremental))
        for path, column in wanted:
            if column in present:
                continue
            hint = f"; did you mean {lowered[column.lower()]!r}?" if column.lower() in lowered else ""
            problems.append(f"{path}: column {column!r} does not exist in {entity.label}{hint} "
                            f"(columns: {', '.join(present[:40])}).")
    return problems
