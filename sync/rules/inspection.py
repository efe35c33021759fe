"""EQUIPMENT_INSPECTED: safety-critical. Another status for the same equipment on the same day
(tenant's time zone) goes to MANUAL_REVIEW; the field's value waits in the conflict record.
Decided set-based; ``same_day`` is shared with repairs."""

from collections import defaultdict
from dataclasses import dataclass

from wells.models import EquipmentInspection

from ..schemas import SCHEMAS
from .base import Decision, Keyed, Outcome, Rule, Strategy, day_bounds, new_record, records_in_spans

FIELDS = ("equipment_id", "inspection_type", "status", "inspected_at", "notes")


@dataclass(frozen=True)
class SameDay:
    """The safety-critical rule of inspections and repairs: a current record of the same
    equipment on the same tenant day with another ``differs_on`` value sends the incoming one to
    review (it waits in the conflict record); otherwise it is stored, beside the others."""

    model: type
    moment: str
    differs_on: str
    reason: str

    def key(self, payload: dict, time_zone: str) -> tuple:
        start, _ = day_bounds(time_zone, payload[self.moment])
        return (payload["equipment_id"], start)

    def load_current(self, keys: list[tuple], time_zone: str) -> dict:
        days = defaultdict(list)
        for equipment_id, start in keys:
            days[equipment_id].append(start)
        spans = {equipment_id: (min(starts), day_bounds(time_zone, max(starts))[1])
                 for equipment_id, starts in days.items()}
        wanted, found = set(keys), defaultdict(list)
        for record in records_in_spans(self.model, "equipment", self.moment, spans):
            record_key = (record.equipment_id, day_bounds(time_zone, getattr(record, self.moment))[0])
            if record_key in wanted:
                found[record_key].append(record)
        return found

    def decide(self, currents: list, incoming, *, strategy: str, incoming_order: tuple, order_of) -> Decision:
        value = getattr(incoming, self.differs_on)
        clashes = [r for r in currents if getattr(r, self.differs_on) != value]
        if not clashes:
            return Decision(Outcome.APPLIED)
        clash = min(clashes, key=lambda r: getattr(r, self.moment))
        return Decision(
            Outcome.PENDING_REVIEW, clash, stored=False, conflict_status="PENDING_REVIEW",
            reason=self.reason.format(equipment=incoming.equipment.name, server=getattr(clash, self.differs_on),
                                      field=value) + " Safety-critical: a manager decides.")

    def keyed(self, build) -> Keyed:
        return Keyed(key=self.key, load_current=self.load_current, build=build, decide=self.decide)


def build(event, payload: dict, equipment: dict) -> EquipmentInspection:
    record = new_record(
        EquipmentInspection,
        well_id=payload["well_id"], inspection_type=payload["inspection_type"], status=payload["status"],
        inspected_at=payload["inspected_at"], notes=payload.get("notes", ""), recorded_by_id=event.user_id,
        source_event_id=event.event_id,
    )
    record.equipment = equipment[payload["equipment_id"]]  # its name is shown in a conflict's reason
    return record


SAME_DAY = SameDay(EquipmentInspection, "inspected_at", "status",
                   "Equipment {equipment} was already inspected that day with status {server}; "
                   "the field reports {field}.")

RULE = Rule(
    event_type="EQUIPMENT_INSPECTED",
    default_strategy=Strategy.MANUAL_REVIEW,
    strategies=(Strategy.MANUAL_REVIEW,),
    apply=None,
    configurable=False,
    schema=SCHEMAS["EQUIPMENT_INSPECTED"],
    model=EquipmentInspection,
    fields=FIELDS,
    keyed=SAME_DAY.keyed(build),
)
