"""Writes of leases, tanks, strapping tables and tank gauges (API.md section 13).

Like wells.services: each function validates what it is given (a ValidationError keyed by model
field name), ``version`` goes up by one on every change, and deletes are soft (the row stays,
``deleted_at`` set). A strapping table is replaced whole, in one transaction, after
wells.strapping has checked every row. ``tank_gauge_record`` and ``run_ticket_record`` store a gauge
or a ticket made on the server (the seed, tests); the TANK_GAUGED and RUN_TICKET_RECORDED rules
(sync.rules.tank_gauge, sync.rules.run_ticket) write theirs set-based, a ticket built by
``run_ticket_build`` either way. Every change of a lease or tank is logged for the pull feed.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone as dt_timezone
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import F
from django.utils import timezone

from tenants import databases as tenant_db

from .leases import (RRC_DISTRICTS, Lease, LeaseKind, LevelUnit, RunTicket, RunTicketKind, StrappingRow, Tank, TankGauge,
                     TankProduct)
from .lease_selectors import strapping_rows
from .models import Well
from .strapping import StrappingInvalid, level_to_inches, strapping_validate

DUPLICATE_RRC_NUMBER = "Another lease in this RRC district has this lease number."
DUPLICATE_TANK_NAME = "Another tank on this lease has this name."
LEVEL_OUT_OF_RANGE = "level_out_of_range"  # API.md section 13: the code a gauge beyond the table gets
_DIGITS = re.compile(r"[0-9]{1,10}")


def _text(data: dict, key: str, limit: int, errors: dict, *, required_message: str = "") -> str:
    value = (data[key] or "").strip()
    if required_message and not value:
        errors[key] = [required_message]
    elif len(value) > limit:
        errors[key] = [f"At most {limit} characters."]
    return value


def _positive(value, label: str, *, limit: Decimal, places: int) -> tuple[Decimal | None, str]:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None, f"{label} must be a number."
    if not number.is_finite() or number <= 0 or number > limit:
        return None, f"{label} must be above 0 and at most {limit}."
    if number != round(number, places):
        return None, f"{label} has at most {places} decimals."
    return number, ""


# ------------------------------------------------------------------ the pull feed


def feed_record(*, entity: str, entity_id, lease_id, version: int, op: str = "upsert") -> None:
    """Log a lease's or tank's change for the pull feed (API.md section 9): one row per well of
    the lease (an OPERATOR hears of it through a well on their route), or one under the lease's
    own id when it has none (MANAGERs and ADMINs still do). In the writing transaction."""
    from .services import change_record

    well_ids = list(Well.objects.filter(lease_ref_id=lease_id, deleted_at__isnull=True).values_list("pk", flat=True))
    for well_id in well_ids or [lease_id]:
        change_record(entity=entity, entity_id=entity_id, well_id=well_id, op=op, version=version)


# ------------------------------------------------------------------ leases


def _clean_lease(data: dict, *, instance: Lease | None) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    if "name" in data:
        cleaned["name"] = _text(data, "name", 200, errors, required_message="A lease needs a name.")
    if "rrc_district" in data:
        district = (data["rrc_district"] or "").strip().upper()
        if len(district) == 1 and district.isdigit():
            district = "0" + district  # "8" is how people write district 08
        if district and district not in RRC_DISTRICTS:
            errors["rrc_district"] = [f"An RRC district is one of {', '.join(RRC_DISTRICTS)}."]
        cleaned["rrc_district"] = district
    if "rrc_lease_number" in data:
        number = (data["rrc_lease_number"] or "").strip()
        if number and not _DIGITS.fullmatch(number):
            errors["rrc_lease_number"] = ["An RRC lease number is 1 to 10 digits."]
        cleaned["rrc_lease_number"] = number
    if "kind" in data:
        if data["kind"] not in LeaseKind.values:
            errors["kind"] = [f"Kind must be one of {', '.join(LeaseKind.values)}."]
        cleaned["kind"] = data["kind"]
    if instance is None and "name" not in data:
        errors.setdefault("name", ["This field is required."])
    district = cleaned.get("rrc_district", getattr(instance, "rrc_district", ""))
    number = cleaned.get("rrc_lease_number", getattr(instance, "rrc_lease_number", ""))
    if number and not errors and Lease.objects.filter(
            rrc_district=district, rrc_lease_number=number, deleted_at__isnull=True).exclude(
            pk=getattr(instance, "pk", None)).exists():
        errors["rrc_lease_number"] = [DUPLICATE_RRC_NUMBER]
    if errors:
        raise ValidationError(errors)
    return cleaned


def lease_create(*, data: dict, actor=None) -> Lease:
    cleaned = _clean_lease(data, instance=None)
    try:
        with tenant_db.atomic():
            lease = Lease.objects.create(**cleaned)
            feed_record(entity="lease", entity_id=lease.pk, lease_id=lease.pk, version=lease.version)
            return lease
    except IntegrityError as exc:  # a concurrent create took the number
        raise ValidationError({"rrc_lease_number": [DUPLICATE_RRC_NUMBER]}) from exc


def lease_update(*, lease: Lease, data: dict, actor=None) -> Lease:
    """A partial change; a new name is also written to the text ``lease`` of its wells."""
    cleaned = _clean_lease(data, instance=lease)
    changed = {key: value for key, value in cleaned.items() if getattr(lease, key) != value}
    if not changed:
        return lease
    now = timezone.now()
    try:
        with tenant_db.atomic():
            Lease.objects.filter(pk=lease.pk).update(**changed, version=F("version") + 1, updated_at=now)
            if "name" in changed:
                _wells_lease_name(Well.objects.filter(lease_ref=lease, deleted_at__isnull=True), changed["name"])
            feed_record(entity="lease", entity_id=lease.pk, lease_id=lease.pk, version=lease.version + 1)
    except IntegrityError as exc:
        raise ValidationError({"rrc_lease_number": [DUPLICATE_RRC_NUMBER]}) from exc
    lease.refresh_from_db()
    return lease


def _wells_lease_name(wells, name: str) -> None:
    from .services import change_record

    for well_id, version in wells.exclude(lease=name).values_list("pk", "version"):
        Well.objects.filter(pk=well_id).update(lease=name, version=F("version") + 1, updated_at=timezone.now())
        change_record(entity="well", entity_id=well_id, well_id=well_id, version=version + 1)


def lease_delete(*, lease: Lease, actor=None) -> None:
    """Soft delete: the lease and its tanks leave every list; its wells keep their lease name but
    no longer point at it; gauges and strapping tables are kept."""
    from .services import change_record

    now = timezone.now()
    with tenant_db.atomic():
        for tank_id, version in Tank.objects.filter(lease=lease, deleted_at__isnull=True).values_list("pk", "version"):
            feed_record(entity="tank", entity_id=tank_id, lease_id=lease.pk, version=version + 1, op="delete")
        feed_record(entity="lease", entity_id=lease.pk, lease_id=lease.pk, version=lease.version + 1, op="delete")
        Lease.objects.filter(pk=lease.pk).update(deleted_at=now, version=F("version") + 1, updated_at=now)
        Tank.objects.filter(lease=lease, deleted_at__isnull=True).update(
            deleted_at=now, version=F("version") + 1, updated_at=now)
        for well_id, version in Well.objects.filter(lease_ref=lease).values_list("pk", "version"):
            Well.objects.filter(pk=well_id).update(lease_ref=None, version=F("version") + 1, updated_at=now)
            change_record(entity="well", entity_id=well_id, well_id=well_id, version=version + 1)


# ------------------------------------------------------------------ tanks and strapping tables


def _clean_tank(data: dict, *, instance: Tank | None) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    if "name" in data:
        cleaned["name"] = _text(data, "name", 100, errors, required_message="A tank needs a name.")
    if "product" in data:
        if data["product"] not in TankProduct.values:
            errors["product"] = [f"Product must be one of {', '.join(TankProduct.values)}."]
        cleaned["product"] = data["product"]
    for key, label, limit, places in (("capacity_bbl", "Capacity", Decimal("99999999"), 2),
                                      ("height_inches", "Height", Decimal("1200"), 4)):
        if key in data:
            cleaned[key], problem = _positive(data[key], label, limit=limit, places=places)
            if problem:
                errors[key] = [problem]
    if instance is None:
        for required in ("name", "capacity_bbl", "height_inches"):
            if required not in data:
                errors.setdefault(required, ["This field is required."])
    if errors:
        raise ValidationError(errors)
    return cleaned


def _strapping_rows(strapping) -> list:
    try:
        return strapping_validate((row.get("height_inches"), row.get("barrels")) if isinstance(row, dict)
                                  else (None, None) for row in strapping)
    except StrappingInvalid as exc:
        raise ValidationError({"strapping": exc.problems}) from None


def _strapping_fits(rows, height_inches: Decimal) -> None:
    if rows and rows[-1].height_inches > height_inches:
        raise ValidationError({"strapping": [f"The table reaches {rows[-1].height_inches.normalize():f} in, "
                                             f"above the tank's height ({height_inches.normalize():f} in)."]})


def _strapping_write(tank: Tank, rows) -> None:
    StrappingRow.objects.filter(tank=tank).delete()
    StrappingRow.objects.bulk_create([StrappingRow(tank=tank, height_inches=r.height_inches, barrels=r.barrels)
                                      for r in rows], batch_size=2000)


def tank_problems(*, data: dict) -> dict[str, list[str]]:
    """The domain errors (model field names) ``tank_create`` would raise for ``data``, without
    raising or writing (an import's check of a new tank)."""
    try:
        cleaned = _clean_tank(data, instance=None)
        rows = _strapping_rows(data["strapping"]) if data.get("strapping") is not None else []
        _strapping_fits(rows, cleaned["height_inches"])
    except ValidationError as exc:
        return exc.message_dict
    return {}


def tank_create(*, lease: Lease, data: dict, actor=None) -> Tank:
    """A tank on ``lease``; ``data["strapping"]``: rows as dicts (height_inches, barrels), or absent."""
    strapping = data.get("strapping")
    cleaned = _clean_tank(data, instance=None)
    rows = _strapping_rows(strapping) if strapping is not None else []
    _strapping_fits(rows, cleaned["height_inches"])
    try:
        with tenant_db.atomic():
            tank = Tank.objects.create(lease=lease, **cleaned)
            _strapping_write(tank, rows)
            feed_record(entity="tank", entity_id=tank.pk, lease_id=lease.pk, version=tank.version)
    except IntegrityError as exc:
        raise ValidationError({"name": [DUPLICATE_TANK_NAME]}) from exc
    return tank


def _tank_changes(tank: Tank, data: dict) -> tuple[dict, list | None]:
    cleaned = _clean_tank(data, instance=tank)
    rows = _strapping_rows(data["strapping"]) if data.get("strapping") is not None else None
    height = cleaned.get("height_inches", tank.height_inches)
    _strapping_fits(rows if rows is not None else strapping_rows(tank), height)
    return {key: value for key, value in cleaned.items() if getattr(tank, key) != value}, rows


def tank_changes(*, tank: Tank, data: dict) -> dict:
    """What a partial change (without ``strapping``) would change on ``tank``: {model field name:
    new value}, only the fields whose value differs; ValidationError as ``tank_update`` (a new
    height below the tank's strapping table included)."""
    return _tank_changes(tank, {key: value for key, value in data.items() if key != "strapping"})[0]


def tank_update(*, tank: Tank, data: dict, actor=None) -> Tank:
    changed, rows = _tank_changes(tank, data)
    if not changed and rows is None:
        return tank
    try:
        with tenant_db.atomic():
            Tank.objects.filter(pk=tank.pk).update(**changed, version=F("version") + 1, updated_at=timezone.now())
            if rows is not None:
                _strapping_write(tank, rows)
            feed_record(entity="tank", entity_id=tank.pk, lease_id=tank.lease_id, version=tank.version + 1)
    except IntegrityError as exc:
        raise ValidationError({"name": [DUPLICATE_TANK_NAME]}) from exc
    tank.refresh_from_db()
    return tank


def tank_strapping_replace(*, tank: Tank, rows, actor=None) -> Tank:
    """Replace the whole table with checked rows (wells.strapping.StrappingRow); version + 1."""
    _strapping_fits(rows, tank.height_inches)
    with tenant_db.atomic():
        _strapping_write(tank, rows)
        Tank.objects.filter(pk=tank.pk).update(version=F("version") + 1, updated_at=timezone.now())
        feed_record(entity="tank", entity_id=tank.pk, lease_id=tank.lease_id, version=tank.version + 1)
    tank.refresh_from_db()
    return tank


def tank_delete(*, tank: Tank, actor=None) -> None:
    now = timezone.now()
    with tenant_db.atomic():
        Tank.objects.filter(pk=tank.pk).update(deleted_at=now, version=F("version") + 1, updated_at=now)
        feed_record(entity="tank", entity_id=tank.pk, lease_id=tank.lease_id, version=tank.version + 1, op="delete")




# ------------------------------------------------------------------ gauges


def tank_gauge_record(*, tank: Tank, level, unit: str, gauged_at: datetime, temperature_f=None,
                      bsw_percent=None, notes: str = "", recorded_by=None, source_event_id=None) -> TankGauge:
    """Store a gauge as the current one of its tank and minute, superseding the one it replaces
    (the NEWEST_WINS outcome of TANK_GAUGED; its rule decides before calling this). A level above
    the tank's strapping table (or, without one, its height) is a ValidationError on ``level``
    with code ``level_out_of_range`` (the rejection code the event will carry)."""
    errors: dict[str, list[str]] = {}
    if unit not in LevelUnit.values:
        errors["unit"] = [f"Unit must be one of {', '.join(LevelUnit.values)}."]
    try:
        level = Decimal(str(level))
        if not level.is_finite() or level < 0:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["level"] = ["A level is a number of 0 or more."]
    if errors:
        raise ValidationError(errors)
    inches = level_to_inches(level, unit)
    rows = strapping_rows(tank)
    top = rows[-1].height_inches if rows else tank.height_inches
    if inches > top:
        where = "the tank's strapping table" if rows else "the tank's height"
        raise ValidationError({"level": [ValidationError(
            f"The level ({inches.normalize():f} in) is above {where} ({top.normalize():f} in).",
            code=LEVEL_OUT_OF_RANGE)]})
    minute = gauged_at.astimezone(dt_timezone.utc).replace(second=0, microsecond=0)
    with tenant_db.atomic():
        current = TankGauge.objects.select_for_update().filter(
            tank=tank, gauged_minute=minute, superseded_by__isnull=True).first()
        if current is not None:
            TankGauge.objects.filter(pk=current.pk).update(superseded_by=current.pk)  # off the unique key first
        gauge = TankGauge.objects.create(
            tank=tank, level=level, unit=unit, level_inches=inches, temperature_f=temperature_f,
            bsw_percent=bsw_percent, gauged_at=gauged_at, gauged_minute=minute, notes=notes or "",
            recorded_by=recorded_by, source_event_id=source_event_id)
        if current is not None:
            TankGauge.objects.filter(pk=current.pk).update(superseded_by=gauge.pk)
    return gauge


# ------------------------------------------------------------------ run tickets


def run_ticket_volumes(*, tank: Tank, kind: str, observed_gravity_api, observed_temperature_f, bsw_percent,
                       opening_level=None, closing_level=None, unit: str = "", opening_totalizer_bbl=None,
                       closing_totalizer_bbl=None, meter_factor=None, rows=None) -> dict:
    """The computed fields of a ticket (model field names): TANK gross observed from the tank's
    strapping table at the opening and closing levels, LACT (closing − opening totalizer) × meter
    factor; then wells.volumes.ticket_volumes (API MPMS 11.1). A ValidationError keyed by model
    field name otherwise; a level beyond the table carries the code ``level_out_of_range``."""
    from .strapping import LevelOutOfRange, barrels_at
    from .volumes import VolumeOutOfRange, gross_observed_lact, gross_observed_tank, ticket_volumes

    fields = {"openingLevel": "opening_level", "closingLevel": "closing_level",
              "openingTotalizerBbl": "opening_totalizer_bbl", "closingTotalizerBbl": "closing_totalizer_bbl",
              "meterFactor": "meter_factor", "observedGravityApi": "observed_gravity_api",
              "observedTemperatureF": "observed_temperature_f", "bswPercent": "bsw_percent",
              "grossObservedBbl": "gross_observed_bbl"}
    try:
        if kind == RunTicketKind.TANK:
            rows = strapping_rows(tank) if rows is None else rows
            barrels = {}
            for name, level in (("opening_level", opening_level), ("closing_level", closing_level)):
                try:
                    barrels[name] = barrels_at(rows, level_to_inches(Decimal(level), unit))
                except LevelOutOfRange as exc:
                    raise ValidationError({name: [ValidationError(str(exc), code=LEVEL_OUT_OF_RANGE)]}) from None
            gross = gross_observed_tank(opening_barrels=barrels["opening_level"],
                                        closing_barrels=barrels["closing_level"])
        elif kind == RunTicketKind.LACT:
            gross = gross_observed_lact(opening_totalizer_bbl=opening_totalizer_bbl,
                                        closing_totalizer_bbl=closing_totalizer_bbl, meter_factor=meter_factor)
        else:
            raise ValidationError({"kind": [f"Kind must be one of {', '.join(RunTicketKind.values)}."]})
        volumes = ticket_volumes(gross_observed_bbl=gross, observed_gravity_api=observed_gravity_api,
                                 observed_temperature_f=observed_temperature_f, bsw_percent=bsw_percent)
    except VolumeOutOfRange as exc:
        raise ValidationError({fields.get(exc.field, exc.field): [str(exc)]}) from None
    return {"gravity_60f": volumes.gravity_60f, "ctl": volumes.ctl, "gross_observed_bbl": volumes.gross_observed_bbl,
            "gross_standard_bbl": volumes.gross_standard_bbl, "net_bbl": volumes.net_bbl}


RUN_TICKET_OBSERVED = ("ticket_number", "kind", "closed_at", "observed_gravity_api", "observed_temperature_f",
                       "bsw_percent", "disposition", "opening_level", "closing_level", "unit",
                       "opening_totalizer_bbl", "closing_totalizer_bbl", "meter_factor", "purchaser",
                       "seals_removed", "seals_installed", "notes")


def run_ticket_build(*, tank: Tank, data: dict, recorded_by_id=None, source_event_id=None, rows=None) -> RunTicket:
    """The unsaved ticket ``data`` (model field names, as a cleaned RUN_TICKET_RECORDED payload
    has them) describes, with its volumes computed; ValidationError as run_ticket_volumes."""
    values = {name: data.get(name) for name in RUN_TICKET_OBSERVED}
    for name in ("purchaser", "notes", "unit"):
        values[name] = values[name] or ""
    for name in ("seals_removed", "seals_installed"):
        values[name] = list(values[name] or [])
    if values["kind"] == RunTicketKind.LACT:
        values.update(opening_level=None, closing_level=None, unit="")
    else:
        values.update(opening_totalizer_bbl=None, closing_totalizer_bbl=None, meter_factor=None)
    computed = run_ticket_volumes(
        tank=tank, rows=rows, **{k: values[k] for k in (
            "kind", "observed_gravity_api", "observed_temperature_f", "bsw_percent", "opening_level",
            "closing_level", "unit", "opening_totalizer_bbl", "closing_totalizer_bbl", "meter_factor")})
    return RunTicket(lease_id=tank.lease_id, tank=tank, **values, **computed, recorded_by_id=recorded_by_id,
                     source_event_id=source_event_id)


def run_ticket_record(*, tank: Tank, data: dict, recorded_by=None, source_event_id=None, rows=None) -> RunTicket:
    """Store a ticket as the current one of its number on the lease, superseding the one it
    replaces (the RUN_TICKET_RECORDED rule decides before calling this: another content is a
    conflict for review)."""
    ticket = run_ticket_build(tank=tank, data=data, recorded_by_id=getattr(recorded_by, "pk", None),
                              source_event_id=source_event_id, rows=rows)
    with tenant_db.atomic():
        # The lease's row is the lock: the rule holds without a partial unique index (MySQL/MariaDB).
        Lease.objects.select_for_update().filter(pk=tank.lease_id).first()
        current = RunTicket.objects.select_for_update().filter(
            lease_id=tank.lease_id, ticket_number=ticket.ticket_number, superseded_by__isnull=True).first()
        if current is not None:
            RunTicket.objects.filter(pk=current.pk).update(superseded_by=current.pk)
        ticket.save()
        if current is not None:
            RunTicket.objects.filter(pk=current.pk).update(superseded_by=ticket.pk)
    return ticket
