"""Value domains of API.md section 7, shared by the models, the API, the sync rules and the field
client: one definition, imported everywhere. Units are converted to one base unit per quantity so
that values recorded in different units compare (HIGHEST_VALUE) and add up (dashboards)."""

from __future__ import annotations

import enum
from decimal import Decimal


class _ChoicesType(enum.EnumMeta):
    @property
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]

    @property
    def values(cls) -> list[str]:
        return [member.value for member in cls]

    @property
    def labels(cls) -> list[str]:
        return [member.label for member in cls]

    @property
    def names(cls) -> list[str]:
        return [member.name for member in cls]


class TextChoices(str, enum.Enum, metaclass=_ChoicesType):
    """A value domain whose members are their own values (``Product.OIL == "OIL"``), with what a
    Django field or form takes (``choices``, ``values``, ``label``) as Django's TextChoices gives it
    (the label is the name in words), but plain Python: the field client imports the domain, and
    sync.schemas with it, where Django is not installed."""

    do_not_call_in_templates = enum.nonmember(True)

    def __str__(self) -> str:
        return self.value

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").title()


class WellStatus(TextChoices):
    ACTIVE = "ACTIVE"
    SHUT_IN = "SHUT_IN"
    INACTIVE = "INACTIVE"
    PLUGGED = "PLUGGED"


class EquipmentType(TextChoices):
    PUMP_JACK = "PUMP_JACK"
    SEPARATOR = "SEPARATOR"
    TANK = "TANK"
    COMPRESSOR = "COMPRESSOR"
    METER = "METER"
    HEATER_TREATER = "HEATER_TREATER"
    OTHER = "OTHER"


class EquipmentStatus(TextChoices):
    IN_SERVICE = "IN_SERVICE"
    OUT_OF_SERVICE = "OUT_OF_SERVICE"
    REMOVED = "REMOVED"


class Product(TextChoices):
    OIL = "OIL"
    GAS = "GAS"
    WATER = "WATER"


class ReadingType(TextChoices):
    PRESSURE = "PRESSURE"
    TEMPERATURE = "TEMPERATURE"
    TANK_LEVEL = "TANK_LEVEL"
    FLOW_RATE = "FLOW_RATE"


class InspectionType(TextChoices):
    ROUTINE = "ROUTINE"
    SAFETY = "SAFETY"
    REPAIR = "REPAIR"


class InspectionStatus(TextChoices):
    PASS = "PASS"
    FAIL = "FAIL"
    NEEDS_ATTENTION = "NEEDS_ATTENTION"


# product -> allowed units; the first is the base unit volumes are normalised to.
PRODUCT_UNITS: dict[str, tuple[str, ...]] = {
    Product.OIL: ("BBL", "M3"),
    Product.GAS: ("MCF", "M3"),
    Product.WATER: ("BBL", "M3"),
}
# reading type -> allowed units; the first is the base unit.
READING_UNITS: dict[str, tuple[str, ...]] = {
    ReadingType.PRESSURE: ("PSI", "KPA", "BAR"),
    ReadingType.TEMPERATURE: ("F", "C"),
    ReadingType.TANK_LEVEL: ("IN", "FT", "M"),
    ReadingType.FLOW_RATE: ("BBL_D", "MCF_D", "M3_D"),
}
ALL_PRODUCTION_UNITS = sorted({u for units in PRODUCT_UNITS.values() for u in units})
ALL_READING_UNITS = sorted({u for units in READING_UNITS.values() for u in units})

_BBL_PER_M3 = Decimal("6.289810770")
_MCF_PER_M3 = Decimal("0.0353146667")
_FACTORS: dict[tuple[str, str], Decimal] = {
    # (quantity, unit) -> factor to the base unit (temperature is affine, handled apart)
    ("OIL", "BBL"): Decimal(1), ("OIL", "M3"): _BBL_PER_M3,
    ("WATER", "BBL"): Decimal(1), ("WATER", "M3"): _BBL_PER_M3,
    ("GAS", "MCF"): Decimal(1), ("GAS", "M3"): _MCF_PER_M3,
    ("PRESSURE", "PSI"): Decimal(1), ("PRESSURE", "KPA"): Decimal("0.1450377377"),
    ("PRESSURE", "BAR"): Decimal("14.503773773"),
    ("TANK_LEVEL", "IN"): Decimal(1), ("TANK_LEVEL", "FT"): Decimal(12), ("TANK_LEVEL", "M"): Decimal("39.37007874"),
    # Flow rates of different products do not convert into one another; M3_D converts to BBL_D.
    ("FLOW_RATE", "BBL_D"): Decimal(1), ("FLOW_RATE", "M3_D"): _BBL_PER_M3, ("FLOW_RATE", "MCF_D"): Decimal(1),
}


def production_unit_valid(product: str, unit: str) -> bool:
    return unit in PRODUCT_UNITS.get(product, ())


def reading_unit_valid(reading_type: str, unit: str) -> bool:
    return unit in READING_UNITS.get(reading_type, ())


def normalise_volume(product: str, volume: Decimal, unit: str) -> Decimal:
    """A production volume in its product's base unit (BBL for oil and water, MCF for gas)."""
    return (Decimal(volume) * _FACTORS[(product, unit)]).quantize(Decimal("0.001"))


def normalise_reading(reading_type: str, value: Decimal, unit: str) -> Decimal:
    """A reading in its type's base unit (PSI, F, IN, BBL_D; MCF_D stays MCF_D)."""
    value = Decimal(value)
    if reading_type == ReadingType.TEMPERATURE:
        return (value * 9 / 5 + 32).quantize(Decimal("0.001")) if unit == "C" else value
    return (value * _FACTORS[(reading_type, unit)]).quantize(Decimal("0.001"))


# US state postal codes, and API (American Petroleum Institute) state codes in well numbers:
# 01-50 for the states in the API's alphabetical list, 55-61 for federal offshore areas.
US_STATES = (
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY "
    "NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"
).split()
API_STATE_CODES = {f"{n:02d}" for n in list(range(1, 51)) + list(range(55, 62))}


def api_number_normalise(raw: str) -> str:
    """Digits only: '42-501-20130-03-00' -> '42501201300300'."""
    return "".join(ch for ch in str(raw) if ch.isdigit()) if raw is not None else ""


def api_number_problem(value: str) -> str | None:
    """Why ``value`` (already normalised) is not a valid 14-digit API/UWI number, or None."""
    if len(value) != 14 or not value.isdigit():
        return "An API number has 14 digits (state, county, well, sidetrack, event), e.g. 42-501-20130-03-00."
    if value[:2] not in API_STATE_CODES:
        return f"{value[:2]} is not an API state code (01-50, 55-61)."
    if value[2:5] == "000":
        return "The county code (digits 3-5) cannot be 000."
    if value[5:10] == "00000":
        return "The unique well identifier (digits 6-10) cannot be 00000."
    return None


# Plausibility bounds (API.md section 7): what one well can produce in a day, and what a gauge in
# the field can read, in base units (see normalise_volume / normalise_reading). A value beyond
# them is a typing error (a volume in litres, a pressure in pascals), refused invalid_payload.
PRODUCTION_MAX_PER_DAY: dict[str, Decimal] = {
    Product.OIL: Decimal(50_000),  # BBL
    Product.GAS: Decimal(500_000),  # MCF
    Product.WATER: Decimal(50_000),  # BBL
}
# (reading type, base unit) -> (lowest, highest)
READING_BOUNDS: dict[tuple[str, str], tuple[Decimal, Decimal]] = {
    (ReadingType.PRESSURE, "PSI"): (Decimal(-15), Decimal(20_000)),  # gauge pressure; -15: a vacuum
    (ReadingType.TEMPERATURE, "F"): (Decimal(-60), Decimal(400)),
    (ReadingType.TANK_LEVEL, "IN"): (Decimal(0), Decimal(720)),  # 60 ft, above the tallest lease tank
    (ReadingType.FLOW_RATE, "BBL_D"): (Decimal(0), Decimal(50_000)),
    (ReadingType.FLOW_RATE, "MCF_D"): (Decimal(0), Decimal(500_000)),
}


def _base_reading_unit(reading_type: str, unit: str) -> str:
    if reading_type == ReadingType.FLOW_RATE:
        return "MCF_D" if unit == "MCF_D" else "BBL_D"
    return READING_UNITS[reading_type][0]


def _in_unit(quantity: str, base_value: Decimal, unit: str) -> Decimal:
    """A base-unit bound expressed in ``unit`` (for messages), to one decimal."""
    if quantity == ReadingType.TEMPERATURE and unit == "C":
        value = (base_value - 32) * 5 / 9
    else:
        value = base_value / _FACTORS[(quantity, unit)]
    return value.quantize(Decimal("0.1"))


def _shown(value: Decimal) -> str:
    return f"{value.normalize():,f}"


def production_volume_problem(product: str, volume: Decimal, unit: str) -> str | None:
    """Why ``volume`` (in ``unit``) is more than one well produces in a day, or None."""
    if not production_unit_valid(product, unit):
        return None  # the unit check reports it
    highest = PRODUCTION_MAX_PER_DAY[product]
    if normalise_volume(product, volume, unit) <= highest:
        return None
    base = PRODUCT_UNITS[product][0]
    shown = f"{_shown(highest)} {base}"
    if unit != base:
        shown = f"{_shown(_in_unit(product, highest, unit))} {unit} ({shown})"
    return f"must be at most {shown} per well and day"


def reading_value_problem(reading_type: str, value: Decimal, unit: str) -> str | None:
    """Why ``value`` (in ``unit``) is beyond what a field gauge of this type reads, or None."""
    if not reading_unit_valid(reading_type, unit):
        return None
    base = _base_reading_unit(reading_type, unit)
    lowest, highest = READING_BOUNDS[(reading_type, base)]
    if lowest <= normalise_reading(reading_type, value, unit) <= highest:
        return None
    shown = f"{_shown(lowest)} and {_shown(highest)} {base}"
    if unit != base:
        shown = (f"{_shown(_in_unit(reading_type, lowest, unit))} and {_shown(_in_unit(reading_type, highest, unit))} "
                 f"{unit} ({_shown(lowest)} to {_shown(highest)} {base})")
    return f"must be between {shown}"
