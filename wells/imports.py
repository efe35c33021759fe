"""CSV imports of wells, equipment and tanks (API.md section 16; docs/imports.md).

A file is read whole (UTF-8, with or without a BOM, CRLF or LF line ends), its header row checked
(the representation's field names; unknown and missing key columns named), then every row is
validated with the API's own rules before anything is written: the input serializer of the
resource (``parse``, as ``POST``/``PATCH`` use it) and the service's domain checks
(``well_problems``, ``well_changes``, ``equipment_problems``, ``tank_changes``, ...). Rows are
keyed: a well by its API number, equipment by its well's API number and its serial number, a tank
by its lease's name and its own. A key already in the tenant updates that row (only the fields
that differ: a row with nothing new is "unchanged", counted apart); any other row creates one.

``import_run`` does it all in one transaction on the tenant's database, through the services
(``well_create``, ``well_update``, ...), so every change is versioned and logged for the pull
feed exactly as an API write. Any error in any row writes nothing: ``ImportInvalid`` carries
every row's errors, by row number as a spreadsheet shows them (the header is row 1).
``ImportPlan.digest`` fingerprints what an import would do, so that the portal applies exactly
the preview its user confirmed (``ImportStale`` when the data changed in between).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from rest_framework import serializers

from config.api_errors import ApiError
from config.text import text_is_bad
from tenants import databases as tenant_db

from . import lease_services, services
from .domain import api_number_normalise
from .lease_serializers import TankInput
from .leases import Lease, Tank
from .models import Equipment, Well
from .serializers import EquipmentInput, WellInput, parse, service_error_details

log = logging.getLogger("pumpjack.imports")

MAX_BYTES = 10 * 1024 * 1024
MAX_REPORTED_ROWS = 100  # rows with errors listed in details; the message gives the total
_LOOKUP_CHUNK = 2000
_READ_ONLY = ("id", "version", "updatedAt")


class ImportInvalid(Exception):
    """The file or some of its rows are not right; nothing was written. ``details``:
    ``{"row 3": {"apiNumber": ["..."]}}`` (``"file"`` for what is no row's fault)."""

    def __init__(self, message: str, details: dict):
        super().__init__(message)
        self.message = message
        self.details = details


class ImportStale(Exception):
    """The rows would now do something other than the preview that was confirmed."""

    def __init__(self, plan: ImportPlan):
        super().__init__("The data changed since the preview.")
        self.plan = plan


@dataclass
class Change:
    field: str  # the wire name, e.g. spudDate
    old: str
    new: str


@dataclass
class PlannedRow:
    row: int  # as a spreadsheet numbers it: the header is row 1
    action: str  # "create", "update" or "unchanged"
    key: str  # the row's key in words, e.g. "42-329-00001-00-00"
    data: dict  # validated, model field names: what the service is given
    target: object | None = None  # the existing well, equipment or tank (update, unchanged)
    parent: object | None = None  # the well (equipment) or lease (tank) a new row goes on
    changes: list[Change] = field(default_factory=list)  # update: what differs; create: what is set


@dataclass
class ImportPlan:
    kind: str
    rows: list[PlannedRow]

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    def result(self) -> dict:
        """The API's answer: ``created`` and ``updated`` (API.md), and ``unchanged`` (rows whose
        key exists with every value as given: they count as neither)."""
        return {"created": self.count("create"), "updated": self.count("update"),
                "unchanged": self.count("unchanged")}

    @property
    def digest(self) -> str:
        """What the import would do, as a fingerprint: every row's action, key and changes."""
        summary = [[r.row, r.action, r.key, [[c.field, c.old, c.new] for c in r.changes]] for r in self.rows]
        return hashlib.sha256(json.dumps([self.kind, summary]).encode()).hexdigest()


# ------------------------------------------------------------------ reading the file


def csv_text(raw: bytes) -> str:
    """The file as text: UTF-8, a leading BOM dropped; ImportInvalid otherwise."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # Strict UTF-8 also refuses an encoded lone surrogate (ED A0 80): no such text is stored.
        message = f"The file is not UTF-8 text (byte {exc.start + 1} is not valid UTF-8); save it as CSV UTF-8."
        raise ImportInvalid(message, {"file": [message]}) from None


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) for each record; a quoted cell may span lines, so a row number is the
    record's, as a spreadsheet shows it, not a line's."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, cells
    except csv.Error as exc:
        where = f"row {number + 1}"
        raise ImportInvalid(f"The file is not valid CSV at {where}: {exc}.",
                            {where: {"file": [f"Not valid CSV: {exc}."]}}) from None


def _blank(cells: list[str]) -> bool:
    return all(not cell.strip() for cell in cells)


# ------------------------------------------------------------------ what each kind's file holds


@dataclass(frozen=True)
class Kind:
    name: str
    serializer: type[serializers.Serializer]
    key_columns: tuple[str, ...]
    extra_columns: tuple[str, ...]  # columns that are no field of the serializer (the keys' parents)
    hidden_fields: tuple[str, ...]  # serializer fields a file does not carry (set from a key)
    refused: dict[str, str]  # columns of the representation an import does not take, and why
    row: Callable  # (context, row number, values) -> PlannedRow
    load: Callable  # (records of values) -> context

    @cached_property
    def fields(self) -> dict:
        """The serializer's bound fields, made once (a serializer per row would cost more than the row)."""
        return dict(self.serializer().fields)

    @cached_property
    def wire_names(self) -> dict[str, str]:
        """Model field name → wire name."""
        return {**_WIRE_NAMES, **{(f.source or name): name for name, f in self.fields.items()}}

    @cached_property
    def columns(self) -> list[str]:
        fields = [name for name, f in self.fields.items()
                  if not f.read_only and name not in self.hidden_fields and name not in self.refused]
        return [*self.extra_columns, *fields]


def _input(kind: Kind, values: dict[str, str]) -> dict:
    """The serializer's input from a row's cells: an empty cell is null for a nullable field
    (it clears it), empty text for a text field (so required text says "may not be blank"), and
    absent for the rest (a choice or a number: the default on create, unchanged on update)."""
    fields = kind.fields
    data = {}
    for name, cell in values.items():
        if name in kind.extra_columns:
            continue
        f = fields[name]
        if cell.strip():
            data[name] = cell
        elif f.allow_null:
            data[name] = None
        elif isinstance(f, serializers.CharField):
            data[name] = cell
    return data


def _validated(kind: Kind, data: dict, *, partial: bool, domain=None) -> tuple[dict, dict]:
    """(validated data, {}) or ({}, details): the serializer with the service's domain checks."""
    try:
        return parse(kind.serializer, data, partial=partial, domain=domain), {}
    except ApiError as exc:
        return {}, exc.details


def _domain(problems: Callable[[dict], dict]) -> Callable[[dict], dict]:
    def check(valid: dict) -> dict[str, list[str]]:
        found = problems(valid)
        return service_error_details(ValidationError(found)) if found else {}

    return check


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


_WIRE_NAMES = {"lease_ref_id": "leaseId", "lease_ref": "leaseId"}


def _wire(kind: Kind, model_field: str) -> str:
    return kind.wire_names.get(model_field, model_field)


def _changes(kind: Kind, target, changed: dict) -> list[Change]:
    return [Change(_wire(kind, key), _shown(getattr(target, key)), _shown(value)) for key, value in changed.items()]


def _set(kind: Kind, data: dict) -> list[Change]:
    return [Change(_wire(kind, key), "", _shown(value)) for key, value in data.items()]


def _changed(kind: Kind, number: int, key: str, target, data: dict, changes: Callable[[], dict]) -> PlannedRow | dict:
    try:
        changed = changes()
    except ValidationError as exc:
        return service_error_details(exc)
    return PlannedRow(number, "update" if changed else "unchanged", key, data, target=target,
                      changes=_changes(kind, target, changed))


def _chunks(values: list) -> Iterator[list]:
    for start in range(0, len(values), _LOOKUP_CHUNK):
        yield values[start:start + _LOOKUP_CHUNK]


def _wells_by_api(numbers) -> dict[str, Well]:
    numbers = sorted({n for n in numbers if n})
    found = {}
    for chunk in _chunks(numbers):
        found.update((w.api_number, w) for w in Well.objects.filter(api_number__in=chunk, deleted_at__isnull=True))
    return found


def _api_words(api: str) -> str:
    return f"{api[:2]}-{api[2:5]}-{api[5:10]}-{api[10:12]}-{api[12:]}" if len(api) == 14 else api


# wells ---------------------------------------------------------------


def _wells_load(rows: list[dict]) -> dict:
    return {"wells": _wells_by_api(api_number_normalise(r.get("apiNumber", "")) for r in rows), "seen": {}}


def _well_row(context: dict, number: int, values: dict[str, str]) -> PlannedRow | dict:
    api = api_number_normalise(values["apiNumber"])
    existing = context["wells"].get(api) if len(api) == 14 else None
    kind, given = KINDS["wells"], _input(KINDS["wells"], values)
    domain = _domain(lambda v: services.well_problems(data=v, instance=existing))
    key = _api_words(api)
    if existing is None:
        data, details = _validated(kind, given, partial=False, domain=domain)
        return details or PlannedRow(number, "create", key, data, changes=_set(kind, data))
    # An update: the types first; well_changes then applies the domain rules (one query per row,
    # not two). A row failing its types is checked again with the domain rules, so that its
    # errors are listed together, as the API's PATCH lists them.
    data, details = _validated(kind, given, partial=True)
    if details:
        return _validated(kind, given, partial=True, domain=domain)[1]
    # The API number is the key this row matched the well by: it cannot change here, and leaving
    # it out spares the uniqueness query (its format has passed the serializer's pattern).
    data.pop("api_number", None)
    return _changed(kind, number, key, existing, data, lambda: services.well_changes(well=existing, data=data))


def _well_key(values: dict[str, str]):
    api = api_number_normalise(values["apiNumber"])
    return api if len(api) == 14 else None


# equipment -----------------------------------------------------------


def _equipment_load(rows: list[dict]) -> dict:
    wells = _wells_by_api(api_number_normalise(r.get("wellApiNumber", "")) for r in rows)
    pieces = defaultdict(list)
    ids = [w.pk for w in wells.values()]
    for chunk in _chunks(ids):
        for piece in Equipment.objects.filter(well_id__in=chunk, deleted_at__isnull=True):
            pieces[(piece.well_id, piece.serial_number)].append(piece)
    return {"wells": wells, "equipment": pieces}


def _api_number_problems(value: str) -> list[str]:
    """Why ``value`` is not written as an API number: the wells serializer's own apiNumber field
    (a letter or a dot is a typo, never dropped to match some well)."""
    try:
        KINDS["wells"].fields["apiNumber"].run_validation(value)
    except serializers.ValidationError as exc:
        return [str(message) for message in exc.detail]
    return []


def _equipment_row(context: dict, number: int, values: dict[str, str]) -> PlannedRow | dict:
    kind = KINDS["equipment"]
    written = values["wellApiNumber"]
    well_problems = _api_number_problems(written) if written.strip() else ["Name the equipment's well."]
    well = None if well_problems else context["wells"].get(api_number_normalise(written))
    serial = values["serialNumber"].strip()
    problems = {}
    if well_problems:
        problems["wellApiNumber"] = well_problems
    elif well is None:
        problems["wellApiNumber"] = ["No well has this API number (import the wells first)."]
    if not serial:
        problems["serialNumber"] = ["The serial number is the row's key (with wellApiNumber): it may not be empty."]
    if problems:
        return problems
    matches = context["equipment"].get((well.pk, serial), [])
    if len(matches) > 1:
        return {"serialNumber": [f"{len(matches)} pieces of equipment on this well have this serial number; "
                                 "give each its own before importing."]}
    existing = matches[0] if matches else None
    data = {**_input(kind, values), "wellId": str(well.pk)}
    data, details = _validated(kind, data, partial=existing is not None, domain=_domain(
        lambda v: services.equipment_problems(data={k: x for k, x in v.items() if k != "well_id"}, instance=existing)))
    if details:
        return details
    data.pop("well_id", None)
    key = f"{serial} on {well.name} ({_api_words(well.api_number)})"
    if existing is None:
        return PlannedRow(number, "create", key, data, parent=well, changes=_set(kind, data))
    return _changed(kind, number, key, existing, data,
                    lambda: services.equipment_changes(equipment=existing, data=data))


def _equipment_key(values: dict[str, str]):
    api, serial = api_number_normalise(values["wellApiNumber"]), values["serialNumber"].strip()
    return (api, serial) if len(api) == 14 and serial else None


# tanks ---------------------------------------------------------------


def _tanks_load(rows: list[dict]) -> dict:
    leases = defaultdict(list)
    names = sorted({r.get("lease", "").strip() for r in rows} - {""})
    for chunk in _chunks(names):
        for lease in Lease.objects.filter(name__in=chunk, deleted_at__isnull=True):
            leases[lease.name].append(lease)
    tanks = {}
    ids = [lease.pk for found in leases.values() for lease in found]
    for chunk in _chunks(ids):
        for tank in Tank.objects.filter(lease_id__in=chunk, deleted_at__isnull=True):
            tanks[(tank.lease_id, tank.name)] = tank
    return {"leases": leases, "tanks": tanks}


def _tank_row(context: dict, number: int, values: dict[str, str]) -> PlannedRow | dict:
    kind = KINDS["tanks"]
    lease_name, name = values["lease"].strip(), values["name"].strip()
    leases = context["leases"].get(lease_name, [])
    problems = {}
    if not lease_name:
        problems["lease"] = ["Name the tank's lease."]
    elif not leases:
        problems["lease"] = ["No lease has this name (add the lease first: POST /api/v1/leases/)."]
    elif len(leases) > 1:
        problems["lease"] = [f"{len(leases)} leases have this name; rename one before importing its tanks."]
    if not name:
        problems["name"] = ["The tank's name is the row's key (with lease): it may not be empty."]
    if problems:
        return problems
    lease = leases[0]
    existing = context["tanks"].get((lease.pk, name))
    data = {**_input(kind, values), "leaseId": str(lease.pk)}
    data, details = _validated(kind, data, partial=existing is not None,
                               domain=None if existing is not None else _domain(
                                   lambda v: lease_services.tank_problems(data=v) if _complete_tank(v) else {}))
    if details:
        return details
    data.pop("lease_id", None)
    key = f"{name} on {lease.name}"
    if existing is None:
        return PlannedRow(number, "create", key, data, parent=lease, changes=_set(kind, data))
    return _changed(kind, number, key, existing, data, lambda: lease_services.tank_changes(tank=existing, data=data))


def _complete_tank(valid: dict) -> bool:
    # The serializer has named a missing field already; the service would only repeat it.
    return all(k in valid for k in ("name", "capacity_bbl", "height_inches"))


def _tank_key(values: dict[str, str]):
    lease_name, name = values["lease"].strip(), values["name"].strip()
    return (lease_name, name) if lease_name and name else None


KINDS: dict[str, Kind] = {
    "wells": Kind("wells", WellInput, key_columns=("apiNumber",), extra_columns=(), hidden_fields=(),
                  refused={}, row=_well_row, load=_wells_load),
    "equipment": Kind("equipment", EquipmentInput, key_columns=("wellApiNumber", "serialNumber"),
                      extra_columns=("wellApiNumber",), hidden_fields=("wellId",),
                      refused={"wellId": "Name the well by its API number, in the column wellApiNumber."},
                      row=_equipment_row, load=_equipment_load),
    "tanks": Kind("tanks", TankInput, key_columns=("lease", "name"), extra_columns=("lease",),
                  hidden_fields=("leaseId",),
                  refused={"leaseId": "Name the lease by its name, in the column lease.",
                           "strapping": "A tank's strapping table goes in a second call: "
                                        "PUT /api/v1/tanks/{id}/strapping."},
                  row=_tank_row, load=_tanks_load),
}
_KEYS = {"wells": _well_key, "equipment": _equipment_key, "tanks": _tank_key}
_KEY_WORDS = {"wells": "API number", "equipment": "well API number and serial number",
              "tanks": "lease and tank name"}


# ------------------------------------------------------------------ the header and the rows


def _header(kind: Kind, cells: list[str]) -> list[str]:
    names = [cell.strip() for cell in cells]
    allowed = kind.columns
    problems: dict[str, list[str]] = {}
    unknown, missing = [], []
    for position, name in enumerate(names, start=1):
        if not name:
            problems[f"column {position}"] = ["A column has no name."]
        elif names.index(name) != position - 1:
            problems[name[:100]] = ["This column appears more than once."]
        elif name in _READ_ONLY:
            problems[name] = ["The server sets this; leave the column out."]
            unknown.append(name)
        elif name in kind.refused:
            problems[name] = [kind.refused[name]]
            unknown.append(name)
        elif name not in allowed:
            problems[name[:100]] = [f"Unknown column; the columns of a {kind.name} import are: {', '.join(allowed)}."]
            unknown.append(name[:100])
    for name in kind.key_columns:
        if name not in names:
            problems[name] = ["Required column missing: it is the rows' key."]
            missing.append(name)
    if problems:
        parts = []
        if unknown:
            parts.append(f"columns it does not take: {', '.join(unknown[:20])}")
        if missing:
            parts.append(f"required columns missing: {', '.join(missing)}")
        words = "; ".join(parts) or "see details"
        raise ImportInvalid(f"The header row (row 1) is not right: {words}.", {"row 1": problems})
    return names


def import_plan(*, kind: str, text: str) -> ImportPlan:
    """What importing ``text`` (a CSV of ``kind``) would do, row by row; nothing is written.
    ImportInvalid with every row's errors if any row (or the header) is not right."""
    spec = KINDS[kind]
    records = _records(text)
    first = next(records, None)
    if first is None or _blank(first[1]):
        message = f"The file is empty: its first row names the columns ({', '.join(spec.columns)})."
        raise ImportInvalid(message, {"row 1": {"file": [message]}})
    names = _header(spec, first[1])
    errors: dict[str, dict[str, list[str]]] = {}
    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in records:
        if _blank(cells):
            continue  # an empty line (or a row of empty cells), as spreadsheets leave at the end
        if len(cells) != len(names):
            errors[f"row {number}"] = {"file": [f"This row has {len(cells)} cells; the header has {len(names)}."]}
            continue
        values = dict(zip(names, cells))
        bad = [name for name, cell in values.items() if text_is_bad(cell)]
        if bad:
            errors[f"row {number}"] = {name: ["Must not contain NUL characters."] for name in bad}
            continue
        rows.append((number, values))
    if not rows and not errors:
        message = "The file has a header row but no rows below it."
        raise ImportInvalid(message, {"row 2": {"file": [message]}})
    context = spec.load([values for _, values in rows])
    seen: dict = {}
    planned: list[PlannedRow] = []
    for number, values in rows:
        key = _KEYS[kind](values)
        if key is not None and key in seen:
            column = spec.key_columns[-1] if kind != "wells" else "apiNumber"
            errors[f"row {number}"] = {column: [f"Row {seen[key]} has the same {_KEY_WORDS[kind]}: one row per "
                                                f"{'well' if kind == 'wells' else kind.rstrip('s')}."]}
            continue
        if key is not None:
            seen[key] = number
        outcome = spec.row(context, number, values)
        if isinstance(outcome, PlannedRow):
            planned.append(outcome)
        else:
            errors[f"row {number}"] = outcome
    if errors:
        raise _invalid(errors)
    return ImportPlan(kind=kind, rows=planned)


def _invalid(errors: dict) -> ImportInvalid:
    ordered = sorted(errors, key=lambda name: int(name.split()[1]))
    shown = {name: errors[name] for name in ordered[:MAX_REPORTED_ROWS]}
    count = len(errors)
    message = f"{count} row{'s' if count != 1 else ''} {'have' if count != 1 else 'has'} errors; nothing was imported."
    if count > MAX_REPORTED_ROWS:
        message += f" The first {MAX_REPORTED_ROWS} are listed."
    return ImportInvalid(message, shown)


# ------------------------------------------------------------------ writing


def _write(plan: ImportPlan, actor) -> None:
    for row in plan.rows:
        try:
            if plan.kind == "wells":
                if row.action == "create":
                    services.well_create(data=row.data, actor=actor)
                elif row.action == "update":
                    services.well_update(well=row.target, data=row.data, actor=actor)
            elif plan.kind == "equipment":
                if row.action == "create":
                    services.equipment_create(well=row.parent, data=row.data, actor=actor)
                elif row.action == "update":
                    services.equipment_update(equipment=row.target, data=row.data, actor=actor)
            elif row.action == "create":
                lease_services.tank_create(lease=row.parent, data=row.data, actor=actor)
            elif row.action == "update":
                lease_services.tank_update(tank=row.target, data=row.data, actor=actor)
        except ValidationError as exc:  # changed by someone else since the check: the whole import stops
            raise _invalid({f"row {row.row}": service_error_details(exc)}) from None


def import_run(*, kind: str, raw: bytes, actor=None, dry_run: bool = False,
               expected_digest: str | None = None) -> ImportPlan:
    """Check every row of the CSV ``raw`` and, unless ``dry_run``, apply them all in one
    transaction of the tenant's database. ``expected_digest``: the preview's ``ImportPlan.digest``;
    if the rows would now do anything else, ImportStale (with the new plan) and nothing is written.
    ImportInvalid (nothing written) when the file or any row is not right."""
    if kind not in KINDS:
        raise ImportInvalid(f"Unknown import kind {kind!r}.", {"kind": [f"One of {', '.join(KINDS)}."]})
    if len(raw) > MAX_BYTES:
        message = f"An import file may be at most {MAX_BYTES:,} bytes."
        raise ImportInvalid(message, {"file": [message]})
    text = csv_text(raw)
    with tenant_db.atomic():
        plan = import_plan(kind=kind, text=text)
        if expected_digest is not None and plan.digest != expected_digest:
            raise ImportStale(plan)
        if not dry_run:
            _write(plan, actor)
    if not dry_run:
        # Not "created" as a key: a log record has that attribute (the time) and refuses the extra.
        result = plan.result()
        log.info("import of %s: %s created, %s updated, %s unchanged", kind, result["created"], result["updated"],
                 result["unchanged"], extra={
                     "importKind": kind, "importCreated": result["created"], "importUpdated": result["updated"],
                     "importUnchanged": result["unchanged"], "userId": str(actor.pk) if actor is not None else None})
    return plan
