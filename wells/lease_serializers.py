"""Wire shapes of leases, tanks and gauges (API.md section 13): camelCase over the models.

As in wells.serializers, input serializers check types and shapes (unknown fields refused) and
wells.lease_services the domain rules; a strapping table's rows are checked by wells.strapping,
whose messages name the row ("Row 3: heights must strictly increase ...")."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.text_fields import NOT_BLANK, StrictCharField

from .leases import RRC_DISTRICTS, LeaseKind, LevelUnit, RunTicketKind, TankProduct
from .serializers import StrictDateField, StrictInput, _DateRangeQuery, _pattern_field, enum_field
from .strapping import MAX_ROWS, MIN_ROWS, StrappingInvalid, strapping_validate

LeaseKindField = enum_field(LeaseKind, "LeaseKind")
TankProductField = enum_field(TankProduct, "TankProduct")
LevelUnitField = enum_field(LevelUnit, "LevelUnit")

# District as written on RRC forms ("08", "7C"); a lone digit ("8") is taken as "08".
RRC_DISTRICT_PATTERN = "(|[1-9]|" + "|".join(RRC_DISTRICTS) + "|6e|7b|7c|8a)"

_ROW_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["heightInches", "barrels"],
    "properties": {
        "heightInches": {"type": "number", "minimum": 0, "maximum": 1200, "description": "Inches above the tank bottom."},
        "barrels": {"type": "number", "minimum": 0, "maximum": 1000000, "description": "Barrels at that height."},
    },
}
STRAPPING_SCHEMA = {
    "type": "array", "minItems": MIN_ROWS, "maxItems": MAX_ROWS, "items": _ROW_SCHEMA,
    "description": "The strapping table, bottom first: heights strictly increasing from 0 (rounded to 4 "
                   "decimals), barrels non-decreasing (rounded to 3 decimals), at least 2 rows.",
}


@extend_schema_field(STRAPPING_SCHEMA)
class StrappingField(serializers.Field):
    """A list of {"heightInches", "barrels"} rows → checked wells.strapping rows."""

    default_error_messages = {"invalid": "Send the strapping table as a JSON list of rows, each with heightInches and barrels."}

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("invalid")
        problems, pairs = [], []
        for index, row in enumerate(data[: MAX_ROWS + 1]):
            if not isinstance(row, Mapping):
                problems.append(f"Row {index + 1}: a row is an object {{heightInches, barrels}}.")
                continue
            unknown = [str(k)[:40] for k in row if k not in ("heightInches", "barrels")]
            missing = [k for k in ("heightInches", "barrels") if k not in row]
            if unknown or missing:
                problems.append(f"Row {index + 1}: a row has exactly heightInches and barrels"
                                + (f" (unknown: {', '.join(unknown[:3])})" if unknown else "")
                                + (f" (missing: {', '.join(missing)})" if missing else "") + ".")
                continue
            pairs.append((row["heightInches"], row["barrels"]))
            if len(problems) >= 20:
                break
        if problems:
            raise serializers.ValidationError(problems[:20])
        try:
            return strapping_validate(pairs)
        except StrappingInvalid as exc:
            raise serializers.ValidationError(exc.problems) from None

    def to_representation(self, rows):
        return [{"heightInches": float(row.height_inches), "barrels": float(row.barrels)} for row in rows]


class PositiveNumberField(serializers.Field):
    """A number (JSON number or numeric string) from ``10^-places`` to ``limit``, kept exact and
    rounded half up to ``places`` decimals (the stored precision); NaN and infinities refused."""

    default_error_messages = {"invalid": "Send a number.",
                              "range": "Must be from {low} to {high}."}

    def __init__(self, *, limit: int, places: int, **kwargs):
        self.limit, self.places = Decimal(limit), Decimal(1).scaleb(-places)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (str, int, float, Decimal)):
            self.fail("invalid")
        try:
            value = Decimal(str(data).strip())
        except ArithmeticError:
            self.fail("invalid")
        if not value.is_finite():
            self.fail("invalid")
        if not self.places <= value <= self.limit:  # compared before rounding: no huge quantize
            self.fail("range", low=f"{self.places:f}", high=f"{self.limit:f}")
        return value.quantize(self.places, rounding=ROUND_HALF_UP)

    def to_representation(self, value):
        return float(value)


def _positive_schema(limit: int, places: int, description: str) -> dict:
    return {"type": "number", "minimum": float(Decimal(1).scaleb(-places)), "maximum": limit,
            "description": description}


CapacityField = extend_schema_field(_positive_schema(99_999_999, 2, "Capacity in barrels, from 0.01 (rounded to 2 "
                                                    "decimals)."))(type("CapacityField", (PositiveNumberField,), {}))
TankHeightField = extend_schema_field(_positive_schema(1200, 4, "Height of the shell in inches, from 0.0001 (rounded "
                                                       "to 4 decimals); the strapping table may not reach above it."))(
    type("TankHeightField", (PositiveNumberField,), {}))


# ------------------------------------------------------------------ leases


class LeaseInput(StrictInput):
    """A lease as written by a client (PATCH: any subset). Unknown fields are refused."""

    name = StrictCharField(max_length=200, validators=[NOT_BLANK])
    rrcDistrict = _pattern_field(RRC_DISTRICT_PATTERN, max_length=2, source="rrc_district", required=False,
                                 allow_blank=True, help_text="Texas RRC district: 01-06, 6E, 7B, 7C, 08, 8A, 09, 10 "
                                 "(a lone digit such as 8 is taken as 08), or empty.")
    rrcLeaseNumber = _pattern_field("[0-9]{0,10}", max_length=10, source="rrc_lease_number", required=False,
                                    allow_blank=True, help_text="The RRC lease (or gas well) number: digits, "
                                    "unique in its district (409 conflict otherwise), or empty.")
    kind = LeaseKindField(required=False, help_text="OIL (default) or GAS.")


class LeaseOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    rrcDistrict = serializers.CharField(source="rrc_district")
    rrcLeaseNumber = serializers.CharField(source="rrc_lease_number")
    kind = LeaseKindField()
    version = serializers.IntegerField(help_text="Increases by one on every change.")
    updatedAt = serializers.DateTimeField(source="updated_at")


# ------------------------------------------------------------------ tanks


class TankInput(StrictInput):
    """A tank as written by a client (PATCH: any subset; a tank stays on its lease)."""

    leaseId = serializers.UUIDField(source="lease_id", help_text="A lease you may see; PATCH accepts only its own.")
    name = StrictCharField(max_length=100, validators=[NOT_BLANK])
    product = TankProductField(required=False, help_text="OIL (default) or WATER.")
    capacityBbl = CapacityField(source="capacity_bbl", limit=99_999_999, places=2)
    heightInches = TankHeightField(source="height_inches", limit=1200, places=4)
    strapping = StrappingField(required=False)


class TankOutput(serializers.Serializer):
    id = serializers.UUIDField()
    leaseId = serializers.UUIDField(source="lease_id")
    name = serializers.CharField()
    product = TankProductField()
    capacityBbl = serializers.FloatField(source="capacity_bbl")
    heightInches = serializers.FloatField(source="height_inches")
    strapping = serializers.SerializerMethodField()
    version = serializers.IntegerField(help_text="Increases by one on every change (the strapping table's too).")
    updatedAt = serializers.DateTimeField(source="updated_at")

    @extend_schema_field({**STRAPPING_SCHEMA, "minItems": 0,
                          "description": "The strapping table, bottom first (empty until one is written)."})
    def get_strapping(self, tank) -> list:
        rows = getattr(tank, "prefetched_rows", None)
        if rows is None:
            rows = tank.strapping_rows.order_by("height_inches")
        return [{"heightInches": float(row.height_inches), "barrels": float(row.barrels)} for row in rows]


class TankListQuery(serializers.Serializer):
    leaseId = serializers.UUIDField(source="lease_id", required=False,
                                    error_messages={"invalid": "Use a lease id (a UUID)."})


class StrappingOutput(serializers.Serializer):
    tankId = serializers.UUIDField()
    version = serializers.IntegerField()
    strapping = serializers.ListField(child=serializers.DictField())


# ------------------------------------------------------------------ gauges


class TankGaugeOutput(serializers.Serializer):
    """A tank gauge (current or superseded); barrels from the tank's strapping table (null when the
    table does not cover the level)."""

    id = serializers.UUIDField()
    tankId = serializers.UUIDField(source="tank_id")
    level = serializers.FloatField()
    unit = LevelUnitField()
    levelInches = serializers.FloatField(source="level_inches")
    barrels = serializers.SerializerMethodField()
    temperatureF = serializers.FloatField(source="temperature_f", allow_null=True)
    bswPercent = serializers.FloatField(source="bsw_percent", allow_null=True)
    gaugedAt = serializers.DateTimeField(source="gauged_at")
    notes = serializers.CharField()
    recordedBy = serializers.UUIDField(source="recorded_by_id", allow_null=True, help_text="The user's id.")
    sourceEventId = serializers.UUIDField(source="source_event_id", allow_null=True)
    supersededBy = serializers.UUIDField(source="superseded_by_id", allow_null=True,
                                         help_text="null for the current gauge of its tank and minute.")

    strapping: list = []  # the tank's table (wells.lease_services.strapping_rows); see ``for_tank``

    @classmethod
    def for_tank(cls, rows: list) -> type[TankGaugeOutput]:
        return type(cls.__name__, (cls,), {"strapping": rows})

    @extend_schema_field({"type": "number", "nullable": True})
    def get_barrels(self, gauge) -> float | None:
        from .lease_selectors import gauge_barrels

        rows = self.strapping
        value = gauge_barrels(gauge, rows) if rows else None
        return float(value) if value is not None else None


GaugeQuery = type("GaugeQuery", (_DateRangeQuery,), {
    "from": StrictDateField(source="date_from", required=False, future=True),
    "to": StrictDateField(source="date_to", required=False, future=True),
})


# ------------------------------------------------------------------ run tickets and daily production


RunTicketKindField = enum_field(RunTicketKind, "RunTicketKind")


def _number_or_null(value):
    return float(value) if value is not None else None


class RunTicketOutput(serializers.Serializer):
    """A run ticket (current or superseded) with the volumes computed when it was recorded: gross
    observed (TANK: barrels at the opening gauge − at the closing gauge by the tank's strapping
    table; LACT: (closing − opening totalizer) × meter factor), gross standard = gross observed ×
    CTL (API MPMS 11.1, the gravity first corrected to 60 °F), net = gross standard × (1 − BS&W/100)."""

    id = serializers.UUIDField()
    ticketNumber = serializers.CharField(source="ticket_number")
    leaseId = serializers.UUIDField(source="lease_id")
    tankId = serializers.UUIDField(source="tank_id")
    kind = RunTicketKindField()
    closedAt = serializers.DateTimeField(source="closed_at")
    observedGravityApi = serializers.FloatField(source="observed_gravity_api")
    observedTemperatureF = serializers.FloatField(source="observed_temperature_f")
    bswPercent = serializers.FloatField(source="bsw_percent")
    disposition = serializers.CharField(help_text="RRC disposition code: 0 pipeline, 1 truck, ...")
    openingLevel = serializers.FloatField(source="opening_level", allow_null=True, help_text="TANK tickets.")
    closingLevel = serializers.FloatField(source="closing_level", allow_null=True, help_text="TANK tickets.")
    unit = serializers.SerializerMethodField()
    openingTotalizerBbl = serializers.FloatField(source="opening_totalizer_bbl", allow_null=True,
                                                 help_text="LACT tickets.")
    closingTotalizerBbl = serializers.FloatField(source="closing_totalizer_bbl", allow_null=True,
                                                 help_text="LACT tickets.")
    meterFactor = serializers.FloatField(source="meter_factor", allow_null=True, help_text="LACT tickets.")
    purchaser = serializers.CharField()
    sealsRemoved = serializers.ListField(source="seals_removed", child=serializers.CharField())
    sealsInstalled = serializers.ListField(source="seals_installed", child=serializers.CharField())
    notes = serializers.CharField()
    grossObservedBbl = serializers.FloatField(source="gross_observed_bbl", help_text="2 decimals.")
    grossStandardBbl = serializers.FloatField(source="gross_standard_bbl", help_text="At 60 °F, 2 decimals.")
    netBbl = serializers.FloatField(source="net_bbl", help_text="Gross standard less BS&W, 2 decimals.")
    ctl = serializers.FloatField(help_text="API MPMS 11.1 correction for temperature of liquid, 5 decimals.")
    recordedBy = serializers.UUIDField(source="recorded_by_id", allow_null=True, help_text="The user's id.")
    sourceEventId = serializers.UUIDField(source="source_event_id", allow_null=True)
    supersededBy = serializers.UUIDField(source="superseded_by_id", allow_null=True,
                                         help_text="null for the current ticket of its number on the lease.")

    @extend_schema_field({"type": "string", "enum": LevelUnit.values, "nullable": True,
                          "description": "The unit of the levels (TANK tickets); null for LACT."})
    def get_unit(self, ticket) -> str | None:
        return ticket.unit or None


RunTicketQuery = type("RunTicketQuery", (_DateRangeQuery,), {
    "leaseId": serializers.UUIDField(source="lease_id", required=False,
                                     error_messages={"invalid": "Use a lease id (a UUID)."}),
    "from": StrictDateField(source="date_from", required=False, future=True),
    "to": StrictDateField(source="date_to", required=False, future=True),
})

DailyQuery = type("DailyQuery", (_DateRangeQuery,), {
    "from": StrictDateField(source="date_from", required=False, future=True),
    "to": StrictDateField(source="date_to", required=False, future=True),
})


class LeaseDayOutput(serializers.Serializer):
    date = serializers.DateField()
    stockBbl = serializers.FloatField(source="stock_bbl", help_text="Sum over the lease's oil tanks of the last "
                                      "gauge of the day (barrels by each tank's strapping table).")
    runsBbl = serializers.FloatField(source="runs_bbl", help_text="Gross observed volume of the current run "
                                     "tickets closed that day.")
    productionBbl = serializers.FloatField(source="production_bbl",
                                           help_text="stock − previous day's stock + runs.")
    estimated = serializers.BooleanField(help_text="true when one of the lease's oil tanks had no gauge that day "
                                         "and its previous stock was carried forward.")


class LeaseDailyOutput(serializers.Serializer):
    leaseId = serializers.UUIDField(source="lease_id")
    timeZone = serializers.CharField(source="time_zone")
    days = LeaseDayOutput(many=True)
