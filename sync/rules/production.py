"""PRODUCTION_LOGGED: one current record per well, production date and product.
Default HIGHEST_VALUE (compared after unit conversion: never under-report); NEWEST_WINS or
MANUAL_REVIEW when the tenant ADMIN chooses. The loser stays as a superseded record."""

from wells.domain import normalise_volume
from wells.models import ProductionRecord

from .base import ApplyContext, ConflictDraft, settle, Outcome, Rule, RuleResult, Strategy, as_json, record_data

FIELDS = ("production_date", "product", "volume", "unit", "volume_normalized", "downtime_hours",
          "downtime_reason", "recorded_at")


def apply(ctx: ApplyContext) -> RuleResult:
    p = ctx.payload
    current = (
        ProductionRecord.objects.select_for_update()
        .filter(well=ctx.well, production_date=p["production_date"], product=p["product"], superseded_by__isnull=True)
        .first()
    )
    incoming = ProductionRecord(
        well=ctx.well, production_date=p["production_date"], product=p["product"], volume=p["volume"],
        unit=p["unit"], volume_normalized=normalise_volume(p["product"], p["volume"], p["unit"]),
        downtime_hours=p.get("downtime_hours"), downtime_reason=p.get("downtime_reason", ""),
        recorded_at=p.get("recorded_at"), recorded_by=ctx.user, source_event_id=ctx.event.event_id,
    )
    if current is None:
        incoming.save()
        return RuleResult(Outcome.APPLIED)
    server = record_data(current, FIELDS)
    if _same(current, incoming):
        incoming.superseded_by = current  # kept, so the event's record exists, but nothing changes
        incoming.save()
        return RuleResult(Outcome.APPLIED)
    local = as_json({name: getattr(incoming, name) for name in FIELDS})
    if ctx.strategy == Strategy.MANUAL_REVIEW:
        return RuleResult(Outcome.PENDING_REVIEW, ConflictDraft(
            "Production for this well, day and product was already recorded with another volume.",
            "PENDING_REVIEW", local, server))
    if ctx.strategy == Strategy.NEWEST_WINS:
        incoming_wins = ctx.order_key > _order_key_of(current)
        reason = "Newest record wins (later occurredAt)."
    else:
        incoming_wins = (incoming.volume_normalized, ctx.order_key) > (current.volume_normalized, _order_key_of(current))
        reason = "Highest volume wins (compared in base units; production is never under-reported)."
    settle(incoming=incoming, current=current, incoming_wins=incoming_wins)
    local["id"] = str(incoming.pk)
    return RuleResult(Outcome.AUTO_RESOLVED, ConflictDraft(
        reason + (" The incoming value replaced the server's." if incoming_wins else " The server's value was kept."),
        "AUTO_RESOLVED", local, server))


def _same(current: ProductionRecord, incoming: ProductionRecord) -> bool:
    return (current.volume_normalized == incoming.volume_normalized
            and current.downtime_hours == incoming.downtime_hours)


def _order_key_of(record: ProductionRecord) -> tuple:
    from sync.models import SyncEvent

    event = SyncEvent.objects.filter(event_id=record.source_event_id).only("occurred_at", "received_at").first()
    if event is None:  # entered on the server, not by sync: treat as received at creation
        return (record.recorded_at or record.created_at, record.created_at, str(record.source_event_id or ""))
    return (event.occurred_at, event.received_at, str(record.source_event_id))


RULE = Rule(
    event_type="PRODUCTION_LOGGED",
    default_strategy=Strategy.HIGHEST_VALUE,
    strategies=(Strategy.HIGHEST_VALUE, Strategy.NEWEST_WINS, Strategy.MANUAL_REVIEW),
    apply=apply,
)
