"""RUN_TICKET_RECORDED (API.md section 13): one current run ticket per ticket number on a lease.
The same number with the same content again is no conflict (a re-sent ticket); with other
content it goes to MANUAL_REVIEW, always (money: a purchaser pays on it), and the field's ticket
waits in the conflict record. Decided set-based. The ticket's volumes (gross observed from the
tank's strapping table or the LACT totalizers, gross standard by API MPMS 11.1, net) are computed
when it is built (wells.lease_services.run_ticket_build); intake has already refused a ticket
whose levels lie above the tank's table or whose gravity or temperature the standard does not
cover (``scope``), so the device hears at once."""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import ValidationError

from wells.leases import RunTicket, Tank

from ..schemas import SCHEMAS, seals_list
from . import tank_gauge
from .base import Decision, EventRejected, Keyed, Outcome, Rule, Strategy, records_with_values, stored_decimals

OBSERVED = ("tank_id", "ticket_number", "kind", "closed_at", "observed_gravity_api", "observed_temperature_f",
            "bsw_percent", "disposition", "opening_level", "closing_level", "unit", "opening_totalizer_bbl",
            "closing_totalizer_bbl", "meter_factor", "purchaser", "seals_removed", "seals_installed", "notes")
FIELDS = ("lease_id", *OBSERVED, "gravity_60f", "ctl", "gross_observed_bbl", "gross_standard_bbl", "net_bbl")
_VOLUME_FIELDS = {"opening_level": "openingLevel", "closing_level": "closingLevel",
                  "opening_totalizer_bbl": "openingTotalizerBbl", "closing_totalizer_bbl": "closingTotalizerBbl",
                  "meter_factor": "meterFactor", "observed_gravity_api": "observedGravityApi",
                  "observed_temperature_f": "observedTemperatureF", "bsw_percent": "bswPercent"}


def _data(payload: dict) -> dict:
    data = dict(payload)
    data["seals_removed"] = seals_list(payload.get("seals_removed"))
    data["seals_installed"] = seals_list(payload.get("seals_installed"))
    return data


def scope(payloads: list[dict], user) -> list:
    """tank_gauge.scope for the ticket's levels, then its volumes computed once: a gravity or
    temperature outside API MPMS 11.1 is ``invalid_payload`` naming the field."""
    from wells.lease_services import run_ticket_volumes, strapping_rows

    problems = tank_gauge.scope(payloads, user, levels=("opening_level", "closing_level"))
    tanks = Tank.objects.in_bulk({p["tank_id"] for p, problem in zip(payloads, problems) if problem is None})
    rows: dict = {}
    for index, (payload, problem) in enumerate(zip(payloads, problems)):
        if problem is not None:
            continue
        tank = tanks[payload["tank_id"]]
        if payload["kind"] == "TANK" and tank.pk not in rows:
            rows[tank.pk] = strapping_rows(tank)
        try:
            run_ticket_volumes(tank=tank, rows=rows.get(tank.pk, []), **{
                name: payload.get(name) for name in ("kind", "observed_gravity_api", "observed_temperature_f",
                                                     "bsw_percent", "opening_level", "closing_level", "unit",
                                                     "opening_totalizer_bbl", "closing_totalizer_bbl", "meter_factor")})
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            code = "level_out_of_range" if any(e.code == "level_out_of_range" for e in exc.error_dict[field]) \
                else "invalid_payload"
            payload.pop("well_id", None)
            problems[index] = (code, messages[0], {f"payload.{_VOLUME_FIELDS.get(field, field)}": messages})
    return problems


def key(payload: dict, time_zone: str = "") -> tuple:
    return (payload["lease_id"], payload["ticket_number"])


def load_current(keys: list[tuple], time_zone: str = "") -> dict:
    numbers = defaultdict(set)
    for lease_id, number in keys:
        numbers[lease_id].add(number)
    wanted, found = set(keys), defaultdict(list)
    for record in records_with_values(RunTicket, "lease", "ticket_number", numbers):
        if (record.lease_id, record.ticket_number) in wanted:
            found[(record.lease_id, record.ticket_number)].append(record)
    return found


def key_of(record: RunTicket) -> tuple:
    return (record.lease_id, record.ticket_number)


def key_records(key: tuple):
    lease_id, number = key
    return RunTicket.objects.filter(lease_id=lease_id, ticket_number=number)


def build(event, payload: dict, equipment: dict) -> RunTicket:
    from wells.lease_services import run_ticket_build

    tank = Tank.objects.filter(pk=payload["tank_id"]).first()
    if tank is None:
        raise EventRejected(tank_gauge.UNKNOWN_TANK, "The tank no longer exists.")
    try:
        record = run_ticket_build(tank=tank, data=_data(payload), recorded_by_id=event.user_id,
                                  source_event_id=event.event_id)
    except ValidationError as exc:  # the strapping table changed since intake checked the levels
        raise EventRejected("level_out_of_range", "; ".join(m for ms in exc.message_dict.values() for m in ms)) \
            from None
    stored_decimals(record)
    return record


def same_content(a: RunTicket, b: RunTicket) -> bool:
    return all(getattr(a, name) == getattr(b, name) for name in OBSERVED)


def decide(currents: list, incoming, *, strategy: str, incoming_order: tuple, order_of) -> Decision:
    if not currents:
        return Decision(Outcome.APPLIED)
    current = currents[0]
    if same_content(current, incoming):
        return Decision(Outcome.APPLIED, current)
    return Decision(Outcome.PENDING_REVIEW, current, stored=False, conflict_status="PENDING_REVIEW",
                    reason=f"Run ticket {incoming.ticket_number} is already recorded on this lease with other "
                           "content. Money: a manager decides.")


RULE = Rule(
    event_type="RUN_TICKET_RECORDED",
    default_strategy=Strategy.MANUAL_REVIEW,
    strategies=(Strategy.MANUAL_REVIEW,),
    apply=None,
    configurable=False,
    schema=SCHEMAS["RUN_TICKET_RECORDED"],
    model=RunTicket,
    fields=FIELDS,
    actions=("USE_LOCAL", "USE_SERVER", "IGNORE"),
    single_current=True,
    keyed=Keyed(key=key, load_current=load_current, build=build, decide=decide, key_records=key_records,
                record_key=key_of),
    extra={"scope": scope},
)
