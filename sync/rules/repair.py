"""EQUIPMENT_REPAIRED: safety-critical. Another description for the same equipment on the same
day goes to MANUAL_REVIEW. Decided set-based, by the inspections' same-day rule."""

from wells.models import EquipmentRepair

from ..schemas import SCHEMAS
from .base import Rule, Strategy, new_record
from .inspection import SameDay

FIELDS = ("equipment_id", "description", "parts_replaced", "repaired_at")


def build(event, payload: dict, equipment: dict) -> EquipmentRepair:
    record = new_record(
        EquipmentRepair,
        well_id=payload["well_id"], description=payload["description"],
        parts_replaced=payload.get("parts_replaced", ""), repaired_at=payload["repaired_at"],
        recorded_by_id=event.user_id, source_event_id=event.event_id,
    )
    record.equipment = equipment[payload["equipment_id"]]
    return record


SAME_DAY = SameDay(EquipmentRepair, "repaired_at", "description",
                   "Equipment {equipment} already has another repair recorded that day.")

RULE = Rule(
    event_type="EQUIPMENT_REPAIRED",
    default_strategy=Strategy.MANUAL_REVIEW,
    strategies=(Strategy.MANUAL_REVIEW,),
    apply=None,
    configurable=False,
    schema=SCHEMAS["EQUIPMENT_REPAIRED"],
    model=EquipmentRepair,
    fields=FIELDS,
    keyed=SAME_DAY.keyed(build),
)
