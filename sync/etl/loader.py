"""One pull of one ETL source into the tenant's tables (run in the tenant's schema).

- Wells (matched by normalised API number) and equipment (by well and serial number, or name
  when there is no serial number) are written through wells.services, so versions go up and the
  pull feed sees every change.
- Production (by well, production date and product) follows the PRODUCTION_LOGGED rules of
  sync.schemas; an ETL value replaces an earlier ETL value as a new current record (the old one
  stays, superseded), but a value recorded in the field (``recorded_by`` or ``source_event_id``
  set) is never overwritten: a different source value becomes a PENDING_REVIEW conflict whose
  local_data is the source's value and server_data the field's.
- A well status set by the field (its latest applied WELL_STATUS_CHANGED) is protected the same way.
- One bad row never fails the run: it is rejected with its reason (the first 200 are kept).
- With an incremental column, only rows past the stored cursor are read; the cursor is saved
  after each batch at a value all of whose rows are done, so a run stopped half-way resumes.
"""

from __future__ import annotations

import logging
import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import DatabaseError, OperationalError, connection
from django.utils import timezone

from config.crypto import DecryptionFailed, decrypt
from config.database_urls import InvalidSourceUrl, SourceUrl, parse_source_url, scrub
from tenants import databases as tenant_db
from wells.changelog.models import Change
from wells.changelog.services import change_record
from wells.domain import PRODUCT_UNITS, api_number_normalise, api_number_problem, normalise_volume
from wells.models import Equipment, ProductionRecord, Well
from wells.services import equipment_create, equipment_update, well_create, well_update

from ..models import Conflict, EtlRun, EtlSource, SyncEvent
from ..rules import production as production_rule
from ..rules.base import as_json, record_data, settle
from .drivers import SourceConnection, SourceError, connect
from .mapping import FOREIGN_UNITS, EntityMapping, MappingInvalid, mapping_check_against_source, mapping_parse

log = logging.getLogger(__name__)

BATCH_SIZE = 500
LOCK_SECONDS = 1800  # the run task's hard time limit: a lock never outlives its run by much
PRODUCTION_FIELDS = production_rule.FIELDS
KEY_FIELDS = {
    "wells": ("api_number",),
    "equipment": ("api_number", "serial_number", "name"),
    "production": ("api_number", "production_date", "product"),
}


class RowRejected(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class RunContext:
    source: EtlSource
    run: EtlRun
    time_zone: zoneinfo.ZoneInfo
    conflict_source: str = ""

    def reject(self, entity: str, key: dict, reason: str) -> None:
        self.run.rows_rejected += 1
        if len(self.run.rejected_rows) < EtlRun.REJECTED_ROWS_KEPT:
            self.run.rejected_rows.append({"entity": entity, "key": key, "reason": reason[:500]})


# --------------------------------------------------------------------------- running


def lock_key(source_id) -> str:
    return f"etl-source-lock:{connection.schema_name}:{source_id}"


def etl_source_run(*, source_id, trigger: str = EtlRun.Trigger.SCHEDULE) -> EtlRun | None:
    """Pull one source now, in the current tenant's schema. None (and nothing recorded) when
    another run of the same source holds its lock, or the source no longer exists."""
    key, token = lock_key(source_id), uuid.uuid4().hex
    if not cache.add(key, token, timeout=LOCK_SECONDS):
        log.info("etl: source %s is being pulled already; this run is skipped", source_id)
        return None
    try:
        source = EtlSource.objects.filter(pk=source_id).first()
        if source is None:
            return None
        now = timezone.now()
        # No run holds the lock, so a RUNNING run is one whose worker died: it is over.
        EtlRun.objects.filter(source=source, status=EtlRun.Status.RUNNING).update(
            status=EtlRun.Status.FAILED, finished_at=now, error="Interrupted: the worker stopped before the run finished.")
        run = EtlRun.objects.create(source=source, trigger=trigger, started_at=now)
        secrets: list[str] = []
        try:
            url = parse_source_url(decrypt(source.url_encrypted))
            secrets = url.secrets
            _pull(source, run, url)
            run.status = EtlRun.Status.SUCCEEDED
        except SourceError as exc:
            run.status, run.error = EtlRun.Status.FAILED, scrub(exc.message, secrets)
        except MappingInvalid as exc:
            run.status, run.error = EtlRun.Status.FAILED, "The mapping does not fit: " + "; ".join(exc.problems)
        except (DecryptionFailed, InvalidSourceUrl) as exc:
            run.status, run.error = EtlRun.Status.FAILED, str(exc)
        except Exception as exc:  # kept on the run (scrubbed); the traceback goes to the log without values
            run.status = EtlRun.Status.FAILED
            run.error = scrub(f"Unexpected error ({type(exc).__name__}): {exc}", secrets)[:2000]
            log.error("etl: run %s of source %s failed: %s", run.pk, source.pk, run.error)
        run.finished_at = timezone.now()
        run.save()
        log.info("etl: source %s run %s %s: read %s, inserted %s, updated %s, rejected %s, conflicts %s",
                 source.pk, run.pk, run.status, run.rows_read, run.rows_inserted, run.rows_updated,
                 run.rows_rejected, run.conflicts_created)
        return run
    finally:
        if cache.get(key) == token:
            cache.delete(key)


def _tenant_zone(mapping_zone: str) -> zoneinfo.ZoneInfo:
    from tenants.context import current_time_zone

    return zoneinfo.ZoneInfo(mapping_zone) if mapping_zone else current_time_zone()


def _pull(source: EtlSource, run: EtlRun, url: SourceUrl) -> None:
    mapping = mapping_parse(source.mapping)
    ctx = RunContext(source=source, run=run, time_zone=_tenant_zone(mapping.time_zone),
                     conflict_source=f"etl:{source.pk}")
    with connect(url) as source_db:
        problems = mapping_check_against_source(mapping, source_db)
        if problems:
            raise MappingInvalid(problems)
        for name, entity in mapping.entities.items():
            _pull_entity(source_db, entity, ctx)


def _pull_entity(source_db: SourceConnection, entity: EntityMapping, ctx: RunContext) -> None:
    handler = HANDLERS[entity.entity]
    stored = ctx.source.cursor.get(entity.entity) if entity.incremental else None
    after = cursor_decode(stored) if stored else None
    sql = entity.select_sql(source_db.dialect, after_cursor=after is not None)
    last = safe = None
    for names, rows in source_db.stream(sql, (after,) if after is not None else (), batch_size=BATCH_SIZE):
        for row in rows:
            record = dict(zip(names, row))
            ctx.run.rows_read += 1
            _load_row(entity, handler, record, ctx)
            if entity.incremental:
                value = record.get(entity.incremental)
                if value is not None:
                    if last is not None and value != last:
                        safe = last  # every row of that value has been read
                    last = value
        if safe is not None:
            _save_cursor(ctx.source, entity.entity, safe)
        ctx.run.save(update_fields=["rows_read", "rows_inserted", "rows_updated", "rows_unchanged",
                                    "rows_rejected", "conflicts_created", "rejected_rows"])
    if last is not None:
        _save_cursor(ctx.source, entity.entity, last)


def _load_row(entity: EntityMapping, handler, record: dict, ctx: RunContext) -> None:
    values = entity.values_of(record)
    key = {name: _short(values.get(name)) for name in KEY_FIELDS[entity.entity] if values.get(name) not in (None, "")}
    if entity.incremental:
        key[entity.incremental] = _short(record.get(entity.incremental))
    try:
        with tenant_db.atomic():
            outcome = handler(values, entity, ctx)
    except RowRejected as exc:
        ctx.reject(entity.entity, key, exc.reason)
        return
    except ValidationError as exc:
        ctx.reject(entity.entity, key, _validation_text(exc))
        return
    except OperationalError:
        raise  # our own database went away: the run fails and the next one retries
    except DatabaseError as exc:  # a constraint the checks did not foresee: this row only
        ctx.reject(entity.entity, key, f"The database refused the row: {str(exc).splitlines()[0][:300]}")
        return
    setattr(ctx.run, f"rows_{outcome}", getattr(ctx.run, f"rows_{outcome}") + 1)


def _save_cursor(source: EtlSource, entity: str, value) -> None:
    source.cursor = {**source.cursor, entity: cursor_encode(value)}
    EtlSource.objects.filter(pk=source.pk).update(cursor=source.cursor)


# --------------------------------------------------------------------------- cursor values


def cursor_encode(value) -> dict:
    if isinstance(value, bool):
        return {"type": "int", "value": int(value)}
    if isinstance(value, int):
        return {"type": "int", "value": value}
    if isinstance(value, Decimal):
        return {"type": "decimal", "value": str(value)}
    if isinstance(value, float):
        return {"type": "float", "value": value}
    if isinstance(value, datetime):
        return {"type": "datetime", "value": value.isoformat()}
    if isinstance(value, date):
        return {"type": "date", "value": value.isoformat()}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"type": "bytes", "value": bytes(value).hex()}
    return {"type": "str", "value": str(value)}


def cursor_decode(data: dict):
    kind, value = data.get("type"), data.get("value")
    return {
        "int": int, "decimal": Decimal, "float": float, "datetime": datetime.fromisoformat,
        "date": date.fromisoformat, "bytes": bytes.fromhex, "str": str,
    }.get(kind, str)(value)


# --------------------------------------------------------------------------- values


def _short(value) -> str:
    return str(value)[:100] if value is not None else ""


def _validation_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items())
    return " ".join(exc.messages)


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    return value if isinstance(value, str) else str(value)


def _date(value, name: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise RowRejected(f"{name}: {text[:40]!r} is not a date (YYYY-MM-DD).") from None


def _datetime(value, name: str, zone: zoneinfo.ZoneInfo) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        text = _text(value).strip()
        try:
            moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            raise RowRejected(f"{name}: {text[:40]!r} is not a timestamp.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)  # naive: the mapping's (or tenant's) zone


def _number(value, name: str) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise RowRejected(f"{name}: {value!r} is not a number.")
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise RowRejected(f"{name}: {_short(value)[:40]!r} is not a number.") from None
    if not number.is_finite():
        raise RowRejected(f"{name}: {value!r} is not a finite number.")
    return number


def _api_number(raw) -> str:
    """The normalised API number, or RowRejected naming the source value and what is wrong."""
    if raw is None or raw == "":
        raise RowRejected("api_number: empty; every row needs the well's API number.")
    if isinstance(raw, int) and not isinstance(raw, bool):
        text = str(raw)
        text = text.zfill(14) if len(text) == 13 else text  # a numeric column drops a leading zero
    else:
        text = _text(raw).strip()
    api = api_number_normalise(text)
    problem = None if all(ch.isdigit() or ch in " -" for ch in text) else (
        "An API number holds digits, optionally grouped with hyphens or spaces.")
    problem = problem or api_number_problem(api)
    if problem:
        raise RowRejected(f"api_number: bad API number {text[:40]!r}: {problem}")
    return api


def _well_of(raw_api) -> Well:
    api = _api_number(raw_api)
    well = Well.objects.filter(api_number=api).first()
    if well is None:
        raise RowRejected(f"api_number: no well with API number {api} in Pumpjack (load wells first, "
                          "or map the wells table too).")
    if well.deleted_at is not None:
        raise RowRejected(f"api_number: the well {api} was deleted in Pumpjack; its rows are not loaded.")
    return well


# --------------------------------------------------------------------------- conflicts


def _conflict(ctx: RunContext, *, well: Well, event_type: str, reason: str, local: dict, server: dict,
              same_when: dict) -> bool:
    """Record a PENDING_REVIEW conflict unless this disagreement was raised before (by the
    same source, with the same values). True when a new conflict was created."""
    local = as_json(local)
    if Conflict.objects.filter(source=ctx.conflict_source, well=well, event_type=event_type, local_data=local,
                               **same_when).exists():
        return False
    conflict = Conflict.objects.create(
        event=None, source=ctx.conflict_source, well=well, event_type=event_type, reason=reason,
        strategy="MANUAL_REVIEW", status=Conflict.Status.PENDING_REVIEW, local_data=local,
        server_data=as_json(server))
    change_record(entity=Change.Entity.CONFLICT, entity_id=conflict.pk, well_id=well.pk)
    ctx.run.conflicts_created += 1
    return True


def _status_set_in_field(well: Well) -> datetime | None:
    """When the well's current status was recorded in the field (an applied WELL_STATUS_CHANGED
    event, or a status conflict resolved for the field's side), or None if it was not."""
    event = (SyncEvent.objects.filter(type="WELL_STATUS_CHANGED", outcome=SyncEvent.Outcome.APPLIED,
                                      payload__wellId=str(well.pk))
             .order_by("-processed_at").values_list("payload", "processed_at").first())
    resolved = (Conflict.objects.filter(well=well, event_type="WELL_STATUS_CHANGED", event__isnull=False,
                                        resolution_action="USE_LOCAL")
                .order_by("-resolved_at").values_list("local_data", "resolved_at").first())
    candidates = [c for c in (event, resolved) if c is not None and c[1] is not None]
    if not candidates:
        return None
    payload, moment = max(candidates, key=lambda c: c[1])
    return moment if payload.get("status") == well.status else None


# --------------------------------------------------------------------------- entities


def _well_row(values: dict, entity: EntityMapping, ctx: RunContext) -> str:
    api = _api_number(values.get("api_number"))
    data: dict[str, Any] = {"api_number": api}
    for name in ("name", "lease", "field", "county", "state", "status"):
        if name in values:
            data[name] = _text(values[name])
    for name in ("latitude", "longitude"):
        if name in values:
            data[name] = _number(values[name], name)
    if "spud_date" in values:
        data["spud_date"] = _date(values["spud_date"], "spud_date")
    for name in ("name", "status"):  # a NULL here means "not given", not "blank it"
        if data.get(name) is None:
            data.pop(name, None)
    well = Well.objects.select_for_update().filter(api_number=api).first()
    if well is None:
        well_create(data=data)
        return "inserted"
    if well.deleted_at is not None:
        raise RowRejected(f"api_number: the well {api} was deleted in Pumpjack; it is not loaded again.")
    status = data.get("status")
    if status is not None and status != well.status:
        set_at = _status_set_in_field(well)
        if set_at is not None:
            data.pop("status")
            _conflict(ctx, well=well, event_type="WELL_STATUS_CHANGED",
                      reason=(f"ETL source “{ctx.source.name}” has status {status} for this well, but its status "
                              f"{well.status} was recorded in the field ({set_at:%Y-%m-%d %H:%M} UTC). The field's "
                              "value is kept until someone decides."),
                      local={"status": status, "etlSource": ctx.source.name},
                      server={"status": well.status, "version": well.version, "updatedAt": well.updated_at},
                      same_when={"server_data__status": well.status})
    version = well.version
    well = well_update(well=well, data=data)
    return "updated" if well.version != version else "unchanged"


def _equipment_row(values: dict, entity: EntityMapping, ctx: RunContext) -> str:
    well = _well_of(values.get("api_number"))
    data: dict[str, Any] = {}
    for name in ("type", "name", "serial_number", "status"):
        if name in values and values[name] is not None:
            data[name] = _text(values[name])
    serial = (data.get("serial_number") or "").strip()
    name = (data.get("name") or "").strip()
    alive = Equipment.objects.filter(well=well).order_by("created_at")
    if serial:
        match = alive.filter(serial_number=serial)
        label = f"serial number {serial!r}"
    elif name:
        match = alive.filter(name=name)
        label = f"name {name!r}"
    else:
        raise RowRejected("serial_number, name: a piece of equipment needs a serial number or a name.")
    current = match.filter(deleted_at__isnull=True).first()
    if current is None:
        if match.exists():
            raise RowRejected(f"The equipment with {label} on well {well.api_number} was deleted in Pumpjack; "
                              "it is not loaded again.")
        equipment_create(well=well, data=data)
        return "inserted"
    version = current.version
    current = equipment_update(equipment=current, data=data)
    return "updated" if current.version != version else "unchanged"


def _production_row(values: dict, entity: EntityMapping, ctx: RunContext) -> str:
    from ..schemas import validate_event_payload

    well = _well_of(values.get("api_number"))
    volume = _number(values.get("volume"), "volume")
    unit = (_text(values.get("unit")) or "").strip().upper()
    product = (_text(values.get("product")) or "").strip()
    source_unit = unit
    if unit in FOREIGN_UNITS and volume is not None:
        factor, unit = FOREIGN_UNITS[unit]
        volume = volume * factor
    if volume is not None:
        volume = volume.quantize(Decimal("0.001"))
    payload = {"wellId": str(well.pk), "productionDate": None, "product": product, "unit": unit,
               "volume": str(volume) if volume is not None else None}
    production_date = _date(values.get("production_date"), "production_date")
    payload["productionDate"] = production_date.isoformat() if production_date else None
    downtime = _number(values.get("downtime_hours"), "downtime_hours")
    if downtime is not None:
        payload["downtimeHours"] = str(downtime)
    if values.get("downtime_reason") not in (None, ""):
        payload["downtimeReason"] = _text(values["downtime_reason"])
    recorded_at = _datetime(values.get("recorded_at"), "recorded_at", ctx.time_zone)
    if recorded_at is not None:
        payload["recordedAt"] = recorded_at.isoformat()
    cleaned, errors = validate_event_payload("PRODUCTION_LOGGED", payload, now=timezone.now())
    if errors:
        names = {"productionDate": "production_date", "downtimeHours": "downtime_hours",
                 "downtimeReason": "downtime_reason", "recordedAt": "recorded_at"}
        shown = payload | {"unit": source_unit}  # the unit as the source has it, before any conversion
        raise RowRejected("; ".join(
            f"{names.get(k, k)}: {' '.join(v)}" + (f" (got {_short(shown.get(k))[:40]!r})" if k in shown else "")
            for k, v in errors.items()))
    product, unit, volume = cleaned["product"], cleaned["unit"], cleaned["volume"]
    if entity.store_unit == "base":
        volume, unit = normalise_volume(product, volume, unit), PRODUCT_UNITS[product][0]
    incoming = ProductionRecord(
        well=well, production_date=cleaned["production_date"], product=product, volume=volume, unit=unit,
        volume_normalized=normalise_volume(product, volume, unit), downtime_hours=cleaned.get("downtime_hours"),
        downtime_reason=cleaned.get("downtime_reason", ""), recorded_at=cleaned.get("recorded_at"),
    )
    Well.objects.select_for_update().filter(pk=well.pk).first()  # same lock order as sync processing
    key = production_rule.key(cleaned)
    current = next(iter(production_rule.load_current([key]).get(key, [])), None)
    if current is None:
        incoming.save()
        return "inserted"
    if current.recorded_by_id or current.source_event_id:  # recorded in the field: never overwritten
        if production_rule.same(current, incoming):
            return "unchanged"
        local = {name: getattr(incoming, name) for name in PRODUCTION_FIELDS} | {"etlSource": ctx.source.name}
        server = record_data(current, PRODUCTION_FIELDS)
        _conflict(ctx, well=well, event_type="PRODUCTION_LOGGED",
                  reason=(f"ETL source “{ctx.source.name}” has {incoming.volume} {incoming.unit} of {product} for "
                          f"{incoming.production_date}, but {current.volume} {current.unit} was recorded in the "
                          "field. The field's value is kept until someone decides."),
                  local=local, server=server, same_when={"server_data__id": str(current.pk)})
        return "unchanged"
    if all(getattr(current, name) == getattr(incoming, name) for name in PRODUCTION_FIELDS):
        return "unchanged"
    settle(incoming=incoming, current=current, incoming_wins=True)  # the earlier ETL value stays, superseded
    return "updated"


HANDLERS = {"wells": _well_row, "equipment": _equipment_row, "production": _production_row}
