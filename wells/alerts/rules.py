"""The five rules of API.md section 15: their params, defaults and bounds, and the tenant's
setting of each (a rule without an AlertRule row is on with its defaults)."""

from __future__ import annotations

from dataclasses import dataclass

from .models import AlertRule, AlertType


@dataclass(frozen=True)
class Param:
    name: str
    default: int
    minimum: int
    maximum: int
    label: str


@dataclass(frozen=True)
class RuleDefinition:
    type: str
    description: str
    params: tuple[Param, ...] = ()


DEFINITIONS: dict[str, RuleDefinition] = {d.type: d for d in (
    RuleDefinition(AlertType.WELL_DOWN, "An ACTIVE well reports zero oil and gas, or 24 downtime hours, for "
                   "`days` days in a row.", (Param("days", 1, 1, 30, "days in a row"),)),
    RuleDefinition(AlertType.PRODUCTION_DROP, "A well's oil for a day is below `percent` % of its average over the "
                   "7 days before.", (Param("percent", 50, 1, 100, "percent of the 7-day average"),)),
    RuleDefinition(AlertType.TANK_HIGH, "A tank's last gauge is at or above `percent` % of its capacity.",
                   (Param("percent", 90, 1, 100, "percent of capacity"),)),
    RuleDefinition(AlertType.MISSED_VISIT, "A route well has no event for `days` days.",
                   (Param("days", 2, 1, 60, "days without an event"),)),
    RuleDefinition(AlertType.INSPECTION_FAILED, "An inspection reports FAIL (until a later inspection of that "
                   "equipment does not)."),
)}


@dataclass(frozen=True)
class RuleSetting:
    type: str
    enabled: bool
    params: dict


def rule_settings() -> dict[str, RuleSetting]:
    """Every rule as the tenant has it: stored params over the defaults."""
    stored = {rule.type: rule for rule in AlertRule.objects.all()}
    settings = {}
    for type_, definition in DEFINITIONS.items():
        rule = stored.get(type_)
        params = {p.name: p.default for p in definition.params}
        if rule is not None:
            params.update({k: v for k, v in rule.params.items() if k in params})
        settings[type_] = RuleSetting(type_, rule.enabled if rule is not None else True, params)
    return settings


def params_problems(type_: str, params) -> dict[str, list[str]]:
    """{"params.name": [messages]} for params that are unknown or out of bounds (empty: fine)."""
    if not isinstance(params, dict):
        return {"params": ["Must be an object."]}
    known = {p.name: p for p in DEFINITIONS[type_].params}
    problems: dict[str, list[str]] = {}
    for key, value in params.items():
        param = known.get(key)
        if param is None:
            problems[f"params.{str(key)[:50]}"] = ["Unknown parameter for this rule."]
        elif isinstance(value, bool) or not isinstance(value, int):
            problems[f"params.{key}"] = ["Must be a whole number."]
        elif not param.minimum <= value <= param.maximum:
            problems[f"params.{key}"] = [f"Must be between {param.minimum} and {param.maximum}."]
    return problems


def rule_save(*, type_: str, enabled: bool, params: dict, user) -> RuleSetting:
    definition = DEFINITIONS[type_]
    full = {p.name: p.default for p in definition.params}
    full.update(params)
    AlertRule.objects.update_or_create(type=type_, defaults={"enabled": enabled, "params": full, "updated_by": user})
    return rule_settings()[type_]
