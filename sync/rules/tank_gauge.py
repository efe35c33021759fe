"""TANK_GAUGED (API.md section 13): one current gauge per tank and minute of gaugedAt. Another
level in the same minute is a conflict: NEWEST_WINS by default (later occurredAt, then later
receipt), or MANUAL_REVIEW if the tenant's ADMIN chooses it. Decided set-based, like readings.

Tank events name a tank, not a well, and the engine files every event under a well (its lock,
its conflicts, the route check): ``scope`` (called at intake, for this type and for
RUN_TICKET_RECORDED) checks the tank is on a lease the user may see, files the event under the
first well of that lease (the same well whoever sends it, so a manager's correction of a pumper's
gauge names the same well), and refuses a level above the tank's strapping table
(``level_out_of_range``) at once, in the batch response."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from datetime import timezone as dt_timezone

from wells.leases import TankGauge
from wells.strapping import level_to_inches

from ..schemas import SCHEMAS
from .base import (Decision, Keyed, Outcome, Rule, Strategy, new_record, records_in_spans,
                   stored_decimals)

FIELDS = ("tank_id", "level", "unit", "level_inches", "temperature_f", "bsw_percent", "gauged_at", "gauged_minute",
          "notes")
MINUTE = timedelta(minutes=1)
UNKNOWN_TANK = "unknown_tank"
LEVEL_OUT_OF_RANGE = "level_out_of_range"


def minute_of(moment):
    return moment.astimezone(dt_timezone.utc).replace(second=0, microsecond=0)


# ------------------------------------------------------------------ intake: the tank, its lease's well, the level


def scope(payloads: list[dict], user, *, levels=("level",)) -> list:
    """For each cleaned payload: None when it may go on (``well_id`` and ``lease_id`` are added
    to it), else (code, message, details) to reject it with. A few queries for the batch."""
    from wells.lease_selectors import tanks_for_user
    from wells.leases import StrappingRow
    from wells.models import Well

    tanks = tanks_for_user(user=user).filter(pk__in={p["tank_id"] for p in payloads}).in_bulk()
    anchors: dict = {}
    for lease_id, well_id in (Well.objects.filter(lease_ref_id__in={t.lease_id for t in tanks.values()},
                                                  deleted_at__isnull=True)
                              .order_by("lease_ref_id", "pk").values_list("lease_ref_id", "pk")):
        anchors.setdefault(lease_id, well_id)
    tops: dict = {}
    for tank_id, height in StrappingRow.objects.filter(tank_id__in=list(tanks)).values_list("tank_id", "height_inches"):
        tops[tank_id] = max(height, tops.get(tank_id, height))
    out = []
    for payload in payloads:
        tank = tanks.get(payload["tank_id"])
        if tank is None or tank.lease_id not in anchors:
            out.append((UNKNOWN_TANK, "No such tank on your route (unknown, deleted, or its lease has no well you may "
                        "see).", {"payload.tankId": ["unknown or not on your route"]}))
            continue
        top = tops.get(tank.pk, tank.height_inches)
        problem = None
        for name in levels:
            if payload.get(name) is None or payload.get("unit") is None:
                continue
            inches = level_to_inches(payload[name], payload["unit"])
            if inches > top:
                wire = "".join(part.title() if i else part for i, part in enumerate(name.split("_")))
                where = "strapping table" if tank.pk in tops else "height"
                problem = (LEVEL_OUT_OF_RANGE, f"The level ({inches.normalize():f} in) is above the tank's {where} "
                           f"({top.normalize():f} in).", {f"payload.{wire}": [f"above the tank's {where}"]})
                break
        if problem is None:
            payload["well_id"], payload["lease_id"] = anchors[tank.lease_id], tank.lease_id
        out.append(problem)
    return out


# ------------------------------------------------------------------ the keyed rule


def key(payload: dict, time_zone: str = "") -> tuple:
    return (payload["tank_id"], minute_of(payload["gauged_at"]))


def load_current(keys: list[tuple], time_zone: str = "") -> dict:
    span: dict = {}
    for tank_id, minute in keys:
        low, high = span.get(tank_id, (minute, minute))
        span[tank_id] = (min(low, minute), max(high, minute))
    wanted, found = set(keys), defaultdict(list)
    for record in records_in_spans(TankGauge, "tank", "gauged_minute", span, high_inclusive=True):
        record_key = (record.tank_id, record.gauged_minute)
        if record_key in wanted:
            found[record_key].append(record)
    return found


def key_of(record: TankGauge) -> tuple:
    return (record.tank_id, minute_of(record.gauged_minute))


def key_records(key: tuple):
    tank_id, minute = key
    return TankGauge.objects.filter(tank_id=tank_id, gauged_minute=minute)


def build(event, payload: dict, equipment: dict) -> TankGauge:
    record = new_record(
        TankGauge,
        tank_id=payload["tank_id"], level=payload["level"], unit=payload["unit"],
        level_inches=level_to_inches(payload["level"], payload["unit"]), temperature_f=payload.get("temperature_f"),
        bsw_percent=payload.get("bsw_percent"), gauged_at=payload["gauged_at"],
        gauged_minute=minute_of(payload["gauged_at"]), notes=payload.get("notes", ""), recorded_by_id=event.user_id,
        source_event_id=event.event_id,
    )
    stored_decimals(record)
    return record


def decide(currents: list, incoming, *, strategy: str, incoming_order: tuple, order_of) -> Decision:
    if not currents:
        return Decision(Outcome.APPLIED)
    current = max(currents, key=lambda r: r.gauged_at)
    if current.level_inches == incoming.level_inches:
        return Decision(Outcome.APPLIED, current)
    if strategy == Strategy.MANUAL_REVIEW:
        return Decision(Outcome.PENDING_REVIEW, current, stored=False, conflict_status="PENDING_REVIEW",
                        reason="Another level was gauged for this tank in the same minute.")
    return Decision(Outcome.AUTO_RESOLVED, current, incoming_wins=incoming_order > order_of(current),
                    conflict_status="AUTO_RESOLVED", reason="Newest gauge wins (later occurredAt, then later receipt).")


RULE = Rule(
    event_type="TANK_GAUGED",
    default_strategy=Strategy.NEWEST_WINS,
    strategies=(Strategy.NEWEST_WINS, Strategy.MANUAL_REVIEW),
    apply=None,
    schema=SCHEMAS["TANK_GAUGED"],
    model=TankGauge,
    fields=FIELDS,
    actions=("USE_LOCAL", "USE_SERVER", "IGNORE"),
    single_current=True,
    keyed=Keyed(key=key, load_current=load_current, build=build, decide=decide, key_records=key_records,
                record_key=key_of),
    extra={"scope": scope},
)
