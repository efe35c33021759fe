"""Recording events offline: command-line options become an API.md section 7 payload, checked
with the server's own schemas (sync.schemas.validate_event_payload) before it is stored.

Each kind names its options once (OPTIONS): the payload field each fills, and how an error on
that field is shown ("--volume: must be >= 0")."""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import uuid
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path

from config.text import BAD_TEXT_MESSAGE, find_bad_text
from sync.schemas import MAX_PHOTO_BYTES, Invalid, parse_gauge_level, sniff_image_type, validate_event_payload
from wells.domain import PRODUCT_UNITS, READING_UNITS, api_number_normalise
from wells.strapping import level_to_inches

from .errors import NotLoggedIn, UsageError
from .store import Equipment, Store, Well
from .wire import rfc3339, utc_now


EVENT_TYPES = {
    "production": "PRODUCTION_LOGGED",
    "reading": "WELL_READING_RECORDED",
    "inspection": "EQUIPMENT_INSPECTED",
    "repair": "EQUIPMENT_REPAIRED",
    "note": "NOTES_ADDED",
    "photo": "PHOTO_ATTACHED",
    "status": "WELL_STATUS_CHANGED",
    "gauge": "TANK_GAUGED",
    "run-ticket": "RUN_TICKET_RECORDED",
}
TANK_KINDS = {"gauge", "run-ticket"}  # about a tank (``--tank``), not a well
KINDS = {v: k for k, v in EVENT_TYPES.items()}

# kind -> payload field -> command-line option. "--well" and "--equipment" are resolved against
# the cached route; "--at" is the moment the kind is about.
OPTIONS: dict[str, dict[str, str]] = {
    "production": {"wellId": "--well", "productionDate": "--date", "product": "--product", "volume": "--volume",
                   "unit": "--unit", "downtimeHours": "--downtime-hours", "downtimeReason": "--downtime-reason",
                   "recordedAt": "--at"},
    "reading": {"wellId": "--well", "readingType": "--type", "value": "--value", "unit": "--unit",
                "recordedAt": "--at", "equipmentId": "--equipment"},
    "inspection": {"wellId": "--well", "equipmentId": "--equipment", "inspectionType": "--type",
                   "status": "--status", "inspectedAt": "--at", "notes": "--notes"},
    "repair": {"wellId": "--well", "equipmentId": "--equipment", "description": "--description",
               "repairedAt": "--at", "partsReplaced": "--parts"},
    "note": {"wellId": "--well", "notes": "--text", "recordedAt": "--at"},
    "photo": {"wellId": "--well", "photoId": "--file", "takenAt": "--at", "equipmentId": "--equipment",
              "caption": "--caption"},
    "status": {"wellId": "--well", "status": "--status", "changedAt": "--at", "reason": "--reason",
               "baseVersion": "--well"},
    "gauge": {"tankId": "--tank", "level": "--level", "unit": "--unit", "gaugedAt": "--at",
              "temperatureF": "--temperature", "bswPercent": "--bsw", "notes": "--notes"},
    "run-ticket": {"ticketNumber": "--number", "tankId": "--tank", "kind": "--kind", "closedAt": "--at",
                   "observedGravityApi": "--gravity", "observedTemperatureF": "--temperature", "bswPercent": "--bsw",
                   "disposition": "--disposition", "openingLevel": "--opening", "closingLevel": "--closing",
                   "unit": "--unit", "openingTotalizerBbl": "--opening-totalizer",
                   "closingTotalizerBbl": "--closing-totalizer", "meterFactor": "--meter-factor",
                   "purchaser": "--purchaser", "sealsRemoved": "--seals-removed", "sealsInstalled": "--seals-installed",
                   "notes": "--notes"},
}
NUMBERS = {"volume", "downtimeHours", "value", "level", "temperatureF", "bswPercent", "observedGravityApi",
           "observedTemperatureF", "openingLevel", "closingLevel", "openingTotalizerBbl", "closingTotalizerBbl",
           "meterFactor"}
CHOICES = {"product", "unit", "readingType", "inspectionType", "status", "kind"}  # accepted in any case


# --------------------------------------------------------------------------- values


def number(text):
    """A command-line number as JSON will carry it; left as text when it is not one (the schema
    then says "must be a number" naming the option)."""
    if text is None or isinstance(text, (int, float)):
        return text
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        return text
    if not value.is_finite():
        return text
    return int(value) if value == value.to_integral_value() and "." not in str(text) else float(value)


def moment(text: str | datetime | None, *, option: str = "--at") -> str:
    """RFC 3339 in UTC from "2026-11-26T14:03:00Z", "2026-11-26T08:03-06:00", a local
    "2026-11-26 08:03", or a local "08:03" today; now when not given."""
    if text is None:
        return rfc3339(utc_now())
    if isinstance(text, datetime):
        value = text
    else:
        raw = text.strip()
        try:
            if re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", raw):
                value = datetime.combine(date.today(), time.fromisoformat(raw.zfill(5) if len(raw) == 4 else raw))
            else:
                value = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw)
        except ValueError:
            raise UsageError(f"{option} {text!r}: give a time like 2026-11-26T14:03:00Z, "
                             "2026-11-26 08:03 (local) or 08:03 (today, local)") from None
    try:
        if value.tzinfo is None:
            value = value.astimezone()  # the device's local time zone
        return rfc3339(value)  # the schema then checks the bounds, naming the option
    except (OverflowError, ValueError):  # near year 1 or 9999: no time zone conversion survives it
        raise UsageError(f"{option} {text!r}: a time lies between 1900-01-01 and 10 minutes from now") from None


def day(text: str | None) -> str:
    if text is None:
        return date.today().isoformat()
    if text.strip().lower() == "today":
        return date.today().isoformat()
    return text.strip()  # the schema checks the format


# --------------------------------------------------------------------------- the route


def well_resolve(store: Store, ref: str) -> Well:
    """A well of the cached route by id, API number (dashes allowed) or name (any case)."""
    if not ref or not ref.strip():
        raise UsageError("--well is required (API number, id or name; see `pumpjack-field wells`)")
    ref = ref.strip()
    # The usual case, answered by one row instead of the whole route: an exact id or a full API
    # number (each names one well; the searches below give the same answer for them).
    exact = (store.well(ref.lower()) if len(ref) == 36 else None) or (  # an id's canonical text is 36 long
        store.well_by_api_number(api_number_normalise(ref)) if re.fullmatch(r"[0-9 -]+", ref) else None)
    if exact is not None:
        return exact
    wells = store.wells()
    if not wells:
        raise UsageError("no wells cached on this device: run `pumpjack-field pull` (with network) first")
    by_id = [w for w in wells if w.id == ref.lower()]
    digits = api_number_normalise(ref)
    by_api = [w for w in wells if digits and len(digits) >= 10 and w.api_number.startswith(digits)] \
        if re.fullmatch(r"[0-9 -]+", ref) else []
    by_name = [w for w in wells if w.name.casefold() == ref.casefold()]
    for found in (by_id, by_api, by_name):
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            listed = ", ".join(f"{w.name} ({w.api_number})" for w in found[:5])
            raise UsageError(f"--well {ref!r} matches {len(found)} wells: {listed}; give the full API number")
    close = difflib.get_close_matches(ref, [w.name for w in wells], n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise UsageError(f"unknown well {ref!r}: it is not on the route cached on this device{hint}; "
                     "run `pumpjack-field pull` to refresh the route, `pumpjack-field wells` to list it")


def equipment_resolve(store: Store, well: Well, ref: str | None, *, required: bool) -> Equipment | None:
    items = store.equipment(well.id)
    if not ref:
        if required:
            names = ", ".join(f"{e.name} ({e.type})" for e in items) or "none cached"
            raise UsageError(f"--equipment is required: equipment of {well.name}: {names}")
        return None
    ref = ref.strip()
    for match in (lambda e: e.id == ref.lower(), lambda e: e.name.casefold() == ref.casefold(),
                  lambda e: e.serial and e.serial.casefold() == ref.casefold()):
        found = [e for e in items if match(e)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise UsageError(f"--equipment {ref!r} matches several items on {well.name}; use its id")
    names = ", ".join(f"{e.name}" for e in items) or "none cached"
    raise UsageError(f"unknown equipment {ref!r} on {well.name} (equipment: {names}); "
                     "run `pumpjack-field pull` if it is new")


# --------------------------------------------------------------------------- photos




def photo_copy(folder: Path, source: str | Path) -> dict:
    """Copy an image into the profile (fsynced, renamed into place) and describe it."""
    path = Path(source).expanduser()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"--file {str(source)!r}: {exc.strerror or exc}") from None
    if len(data) > MAX_PHOTO_BYTES:
        raise UsageError(f"--file {str(source)!r}: {len(data):,} bytes; a photo may be at most 10 MiB")
    content_type = sniff_image_type(data)
    if content_type is None:
        raise UsageError(f"--file {str(source)!r}: not a JPEG, PNG or HEIC image")
    photo_id = str(uuid.uuid4())
    photos = folder / "photos"
    photos.mkdir(parents=True, exist_ok=True, mode=0o700)
    final = photos / (photo_id + {"image/jpeg": ".jpg", "image/png": ".png", "image/heic": ".heic"}[content_type])
    temp = photos / f".{photo_id}.tmp"
    with open(temp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, final)
    return {"photo_id": photo_id, "path": str(final), "content_type": content_type,
            "sha256": hashlib.sha256(data).hexdigest(), "size_bytes": len(data)}


# --------------------------------------------------------------------------- building events


def _default_unit(kind: str, options: dict) -> str | None:
    if options.get("unit"):
        return str(options["unit"]).upper()
    if kind == "production" and str(options.get("product") or "").upper() in PRODUCT_UNITS:
        return PRODUCT_UNITS[str(options["product"]).upper()][0]
    if kind == "reading" and str(options.get("type") or "").upper() in READING_UNITS:
        return READING_UNITS[str(options["type"]).upper()][0]
    return None


def _upper(value):
    return value.strip().upper().replace("-", "_") if isinstance(value, str) else value


# --------------------------------------------------------------------------- tanks


def tank_ref(ref: str | None, store: Store | None = None) -> str:
    """A tank by its id, or by its name among the tanks of the route's leases cached on this device
    (the pull feed's tanks): "Oil 1", or "Tarzan Unit/Oil 1" when two leases each have an "Oil 1".
    Any id is taken as it is (a tank added since the last pull is still a tank the server knows)."""
    if not ref or not ref.strip():
        raise UsageError("--tank is required: the tank's name (see `pumpjack-field tanks`) or its id")
    ref = ref.strip()
    try:
        return str(uuid.UUID(ref))
    except ValueError:
        pass
    tanks = store.tanks() if store is not None else []
    if not tanks:
        raise UsageError(f"--tank {ref!r}: no tanks cached on this device: run `pumpjack-field pull` (with network) "
                         "first, or give the tank's id")

    def label(tank) -> str:
        return f"{tank.lease_name}/{tank.name}" if tank.lease_name else tank.name

    wanted = ref.casefold()
    by_name = [t for t in tanks if t.name.casefold() == wanted]
    by_label = [t for t in tanks if label(t).casefold() == wanted or
                (t.lease_name and f"{t.lease_name} / {t.name}".casefold() == wanted)]
    for found in (by_label, by_name):
        if len(found) == 1:
            return found[0].id
        if len(found) > 1:
            listed = ", ".join(f"{label(t)} ({t.id})" for t in found[:10])
            raise UsageError(f"--tank {ref!r} matches {len(found)} tanks: {listed}; give \"Lease/Tank\" or the id")
    close = difflib.get_close_matches(ref, [t.name for t in tanks] + [label(t) for t in tanks], n=3)
    hint = f" (did you mean {', '.join(dict.fromkeys(close))}?)" if close else ""
    listed = ", ".join(label(t) for t in tanks[:20]) + (f" and {len(tanks) - 20} more" if len(tanks) > 20 else "")
    raise UsageError(f"unknown tank {ref!r}{hint}: the tanks cached on this device are {listed}; "
                     "run `pumpjack-field pull` if it is new")


def gauge_level(text: str | None, unit: str | None, *, option: str) -> tuple[Decimal, str]:
    """A level as a pumper reads the gauge line ("12ft 4-1/4in" → 148.25 IN), or with a unit
    ("148.25in", "12.5ft", "3.2m", or a bare number and --unit)."""
    if text is None or not str(text).strip():
        raise UsageError(f"{option} is required (e.g. {option} \"12ft 4-1/4in\", 148.25in, 12.5ft or 3.2m)")
    try:
        return parse_gauge_level(str(text), unit=unit)
    except Invalid as exc:
        raise UsageError(f"{option}: {exc}", details={option.lstrip("-"): [str(exc)]}) from None


def _json_number(value: Decimal) -> int | float:
    return number(f"{value.normalize():f}")


def _seals(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [seal.strip() for seal in str(text).split(",") if seal.strip()]


def _tank_payload(kind: str, o: dict, store: Store | None = None) -> dict:
    unit = o["unit"].strip().upper() if o.get("unit") else None
    if kind == "gauge":
        level, level_unit = gauge_level(o.get("level"), unit, option="--level")
        return {"tankId": tank_ref(o.get("tank"), store), "level": _json_number(level), "unit": level_unit,
                "gaugedAt": moment(o.get("at")), "temperatureF": number(o.get("temperature")),
                "bswPercent": number(o.get("bsw")), "notes": o.get("notes")}
    ticket_kind = _upper(o.get("ticket_kind")) or ("LACT" if o.get("opening_totalizer") is not None else "TANK")
    payload = {"ticketNumber": o.get("number"), "tankId": tank_ref(o.get("tank"), store), "kind": ticket_kind,
               "closedAt": moment(o.get("at")), "observedGravityApi": number(o.get("gravity")),
               "observedTemperatureF": number(o.get("temperature")), "bswPercent": number(o.get("bsw")),
               "disposition": o.get("disposition"), "purchaser": o.get("purchaser"),
               "sealsRemoved": _seals(o.get("seals_removed")), "sealsInstalled": _seals(o.get("seals_installed")),
               "notes": o.get("notes")}
    if ticket_kind == "TANK":
        opening, opening_unit = gauge_level(o.get("opening"), unit, option="--opening")
        closing, closing_unit = gauge_level(o.get("closing"), unit, option="--closing")
        if opening_unit != closing_unit:  # "12ft 4in" and "1.5ft": both in inches
            opening, closing = level_to_inches(opening, opening_unit), level_to_inches(closing, closing_unit)
            opening_unit = "IN"
        payload |= {"openingLevel": _json_number(opening), "closingLevel": _json_number(closing), "unit": opening_unit}
    else:
        payload |= {"openingTotalizerBbl": number(o.get("opening_totalizer")),
                    "closingTotalizerBbl": number(o.get("closing_totalizer")),
                    "meterFactor": number(o.get("meter_factor"))}
    return payload


def build_payload(store: Store, kind: str, options: dict) -> tuple[dict, Well | None]:
    """The payload of ``kind`` from command-line style options (strings; None when not given);
    the well it is about (None for a tank's event)."""
    if kind not in EVENT_TYPES:
        raise UsageError(f"unknown kind {kind!r}: one of {', '.join(EVENT_TYPES)}")
    if kind in TANK_KINDS:
        return {k: v for k, v in _tank_payload(kind, options, store).items() if v is not None}, None
    well = well_resolve(store, options.get("well") or "")
    o = options
    if kind == "production":
        payload = {"wellId": well.id, "productionDate": day(o.get("date")), "product": _upper(o.get("product")),
                   "volume": number(o.get("volume")), "unit": _default_unit(kind, o),
                   "downtimeHours": number(o.get("downtime_hours")), "downtimeReason": o.get("downtime_reason"),
                   "recordedAt": moment(o.get("at"))}
    elif kind == "reading":
        equipment = equipment_resolve(store, well, o.get("equipment"), required=False)
        payload = {"wellId": well.id, "readingType": _upper(o.get("type")), "value": number(o.get("value")),
                   "unit": _default_unit(kind, o), "recordedAt": moment(o.get("at")),
                   "equipmentId": equipment.id if equipment else None}
    elif kind == "inspection":
        equipment = equipment_resolve(store, well, o.get("equipment"), required=True)
        payload = {"wellId": well.id, "equipmentId": equipment.id, "inspectionType": _upper(o.get("type") or "ROUTINE"),
                   "status": _upper(o.get("status")), "inspectedAt": moment(o.get("at")), "notes": o.get("notes")}
    elif kind == "repair":
        equipment = equipment_resolve(store, well, o.get("equipment"), required=True)
        payload = {"wellId": well.id, "equipmentId": equipment.id, "description": o.get("description"),
                   "repairedAt": moment(o.get("at")), "partsReplaced": o.get("parts")}
    elif kind == "note":
        payload = {"wellId": well.id, "notes": o.get("text"), "recordedAt": moment(o.get("at"))}
    elif kind == "photo":
        equipment = equipment_resolve(store, well, o.get("equipment"), required=False)
        payload = {"wellId": well.id, "photoId": o.get("photo_id"), "takenAt": moment(o.get("at")),
                   "equipmentId": equipment.id if equipment else None, "caption": o.get("caption")}
    else:  # status
        payload = {"wellId": well.id, "status": _upper(o.get("status")), "changedAt": moment(o.get("at")),
                   "reason": o.get("reason"), "baseVersion": well.version}
    return {k: v for k, v in payload.items() if v is not None}, well


def check(kind: str, payload: dict) -> None:
    """sync.schemas.validate_event_payload, its first problem shown against the option: the
    server's own date and value bounds, with this device's date as "today" for productionDate."""
    bad_text = find_bad_text(payload)
    if bad_text:
        option = OPTIONS[kind].get(bad_text, bad_text)
        raise UsageError(f"{option}: {BAD_TEXT_MESSAGE}", details={bad_text: [BAD_TEXT_MESSAGE]})
    _, errors = validate_event_payload(EVENT_TYPES[kind], payload, today=date.today())
    if not errors:
        return
    problems = []
    for field_name, messages in errors.items():
        option = OPTIONS[kind].get(field_name, field_name)
        problems.append(f"{option}: {'; '.join(messages)}")
    required = [p for p in problems if p.endswith("is required")]
    message = "; ".join(required or problems)
    raise UsageError(message.replace(": is required", " is required"), details=errors)


def record(store: Store, folder: Path, kind: str, options: dict, *, occurred_at: datetime | None = None) -> dict:
    """Validate and append one event (and copy its photo). Works with no network at all."""
    user_id = store.meta("user_id")
    if not user_id:
        raise NotLoggedIn("no user on this device: run `pumpjack-field login` (once, with network) first")
    if kind == "photo" and not options.get("file"):
        raise UsageError("--file is required (a JPEG, PNG or HEIC image)")
    options = dict(options)
    if kind == "photo":
        options["photo_id"] = str(uuid.uuid4())  # placeholder until the file is copied, for validation
    payload, well = build_payload(store, kind, options)
    check(kind, payload)
    photo = None
    if kind == "photo":
        photo = photo_copy(folder, options["file"])
        payload["photoId"] = photo["photo_id"]
    event = store.record(event_type=EVENT_TYPES[kind], payload=payload, user_id=user_id,
                         occurred_at=occurred_at, photo=photo)
    if well is not None:
        event["well"] = {"id": well.id, "name": well.name, "apiNumber": well.api_number}
    else:
        event["tank"] = {"id": payload["tankId"]}
    return event


def edit(store: Store, event_id: str, changes: dict[str, str]) -> dict:
    """Append a corrected copy of an unsent or rejected event (new id); the original is kept,
    marked replaced, and never sent again. An event the server accepted cannot be taken back:
    its edit is a correction (API.md section 6, ``correctsEventId``), a new event sent with the
    next sync that the server applies in its place; editing an event already corrected corrects
    its last correction (the chain). ``changes`` maps option or field names to values."""
    import json

    row = store.event(event_id)
    if row is None:
        matches = store.events(where="id LIKE ?", params=(event_id + "%",), limit=2)
        row = matches[0] if len(matches) == 1 else None
    if row is None:
        raise UsageError(f"no event {event_id!r} on this device (see `pumpjack-field status --rejected`)")
    if row["replaced_by"]:
        raise UsageError(f"event {row['id']} was already replaced by {row['replaced_by']}")
    corrects = row["corrects_event_id"]  # an unsent correction, edited: its copy still corrects
    if row["synced"] and not row["rejected_code"]:
        while row["corrected_by"]:  # the chain's last version is the one corrected
            row = store.event(row["corrected_by"])
        # Its last correction unsent or refused: that one is edited in its place, as any unsent event.
        corrects = row["id"] if row["synced"] and not row["rejected_code"] else row["corrects_event_id"]
    kind = KINDS[row["type"]]
    by_option = {option.lstrip("-"): field_name for field_name, option in OPTIONS[kind].items()
                 if option not in ("--well", "--file")}
    payload = json.loads(row["payload"])
    for name, value in changes.items():
        key = name.lstrip("-")
        field_name = by_option.get(key) or (key if key in OPTIONS[kind] else None)
        if field_name is None:
            raise UsageError(f"--set {name}: not a field of a {kind} event "
                             f"(one of {', '.join(sorted(by_option))})")
        if field_name in NUMBERS:
            payload[field_name] = number(value)
        elif field_name in CHOICES:
            payload[field_name] = _upper(value)
        elif field_name.endswith("At"):
            payload[field_name] = moment(value, option=f"--set {key}")
        else:
            payload[field_name] = value
    if kind == "status":
        well = store.well(payload["wellId"])
        if well is not None:
            payload["baseVersion"] = well.version
    check(kind, payload)
    if corrects is not None and corrects == row["id"]:  # a correction of a synced event
        event = store.record(event_type=row["type"], payload=payload, user_id=row["user_id"], corrects=corrects)
        event["replaces"] = None
        return event
    event = store.record(event_type=row["type"], payload=payload, user_id=row["user_id"], replaces=row["id"],
                         corrects=corrects)
    event["replaces"] = row["id"]
    return event
