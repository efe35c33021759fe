"""PRODUCTION_LOGGED: one current record per well, production date and product.
Default HIGHEST_VALUE (compared after unit conversion: never under-report); NEWEST_WINS or
MANUAL_REVIEW when the tenant ADMIN chooses. The loser stays as a superseded record.

Decided set-based (``KEYED``); the ETL loader uses ``KEY_OF``, ``FIELDS`` and ``same`` too."""

from collections import defaultdict

from wells.domain import normalise_volume
from wells.models import ProductionRecord

from ..schemas import SCHEMAS
from .base import (Decision, Keyed, Outcome, Rule, Strategy, new_record, records_with_values,
                   stored_decimals)

FIELDS = ("production_date", "product", "volume", "unit", "volume_normalized", "downtime_hours",
          "downtime_reason", "recorded_at")


def key(payload: dict, time_zone: str = "") -> tuple:
    return (payload["well_id"], payload["production_date"], payload["product"])


def key_of(record: ProductionRecord) -> tuple:
    return (record.well_id, record.production_date, record.product)


def load_current(keys: list[tuple], time_zone: str = "") -> dict:
    days_of_well = defaultdict(set)
    for well_id, day, _product in keys:
        days_of_well[well_id].add(day)
    found = defaultdict(list)
    for record in records_with_values(ProductionRecord, "well", "production_date", days_of_well):
        found[key_of(record)].append(record)
    return found


def key_records(key: tuple):
    well_id, day, product = key
    return ProductionRecord.objects.filter(well_id=well_id, production_date=day, product=product)


def build(event, payload: dict, equipment: dict) -> ProductionRecord:
    record = new_record(
        ProductionRecord,
        well_id=payload["well_id"], production_date=payload["production_date"], product=payload["product"],
        volume=payload["volume"], unit=payload["unit"],
        volume_normalized=normalise_volume(payload["product"], payload["volume"], payload["unit"]),
        downtime_hours=payload.get("downtime_hours"), downtime_reason=payload.get("downtime_reason", ""),
        recorded_at=payload.get("recorded_at"), recorded_by_id=event.user_id, source_event_id=event.event_id,
    )
    stored_decimals(record)
    return record


def same(current: ProductionRecord, incoming: ProductionRecord) -> bool:
    """The same production again: nothing changes, it is no conflict."""
    return (current.volume_normalized == incoming.volume_normalized
            and current.downtime_hours == incoming.downtime_hours)


def decide(currents: list, incoming, *, strategy: str, incoming_order: tuple, order_of) -> Decision:
    if not currents:
        return Decision(Outcome.APPLIED)
    current = currents[0]
    current_order = order_of(current)
    if same(current, incoming):  # kept, so the event's record exists, but nothing changes
        return Decision(Outcome.APPLIED, current)
    if strategy == Strategy.MANUAL_REVIEW:
        return Decision(Outcome.PENDING_REVIEW, current, stored=False, conflict_status="PENDING_REVIEW",
                        reason="Production for this well, day and product was already recorded with another volume.")
    if strategy == Strategy.NEWEST_WINS:
        wins = incoming_order > current_order
        reason = "Newest record wins (later occurredAt)."
    else:
        wins = (incoming.volume_normalized, incoming_order) > (current.volume_normalized, current_order)
        reason = "Highest volume wins (compared in base units; production is never under-reported)."
    return Decision(Outcome.AUTO_RESOLVED, current, incoming_wins=wins, conflict_status="AUTO_RESOLVED",
                    reason=reason + (" The incoming value replaced the server's." if wins
                                     else " The server's value was kept."))


RULE = Rule(
    event_type="PRODUCTION_LOGGED",
    default_strategy=Strategy.HIGHEST_VALUE,
    strategies=(Strategy.HIGHEST_VALUE, Strategy.NEWEST_WINS, Strategy.MANUAL_REVIEW),
    apply=None,
    schema=SCHEMAS["PRODUCTION_LOGGED"],
    model=ProductionRecord,
    fields=FIELDS,
    actions=("USE_LOCAL", "USE_SERVER", "IGNORE"),  # one current record per key: never both
    single_current=True,
    keyed=Keyed(key=key, load_current=load_current, build=build, decide=decide, key_records=key_records,
                record_key=key_of),
)
