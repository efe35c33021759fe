"""The conflict rules, one module per event type, registered in one table. Adding an event type
means one module here and one schema in sync.schemas."""

from . import inspection, note, photo, production, reading, repair, run_ticket, tank_gauge, well_status
from .base import Rule

RULES: dict[str, Rule] = {
    module.RULE.event_type: module.RULE
    for module in (reading, production, inspection, repair, note, photo, well_status, tank_gauge, run_ticket)
}
