"""Wire shapes of the month close (API.md section 14): manual dispositions, the lease balance and
Form PR. As elsewhere, input serializers check types and shapes (unknown fields refused) and the
service (wells.disposition_services) the domain rules."""

from __future__ import annotations

import re
from datetime import date

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.text_fields import StrictCharField

from .leases import DispositionProduct
from .lease_serializers import PositiveNumberField
from .rrc import DISPOSITION_CODES
from .serializers import StrictInput, enum_field

DispositionProductField = enum_field(DispositionProduct, "DispositionProduct")
# Years from 1900 (EARLIEST_YEAR) in the pattern itself, so that the schema says what the server takes.
MONTH_PATTERN = r"(19[0-9]{2}|[2-9][0-9]{3})-(0[1-9]|1[0-2])"
EARLIEST_YEAR = 1900
_CODE_TEXT = "; ".join(f"{c.family.lower()} {c.code} {c.name}" for c in DISPOSITION_CODES)


@extend_schema_field({"type": "string", "pattern": f"^{MONTH_PATTERN}$", "example": "2026-11",
                      "description": "A calendar month, YYYY-MM (tenant time zone), from 1900-01 to the current month."})
class MonthField(serializers.Field):
    """YYYY-MM → the month's first day. Not after the current month: checked by the view, which
    knows the tenant's today."""

    default_error_messages = {"invalid": "Use a month written YYYY-MM (e.g. 2026-11).",
                              "early": f"A month from {EARLIEST_YEAR}-01."}
    _FORMAT = re.compile(MONTH_PATTERN)

    def to_internal_value(self, data):
        if isinstance(data, str) and re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", data) and int(data[:4]) < EARLIEST_YEAR:
            self.fail("early")
        if not isinstance(data, str) or not self._FORMAT.fullmatch(data):
            self.fail("invalid")
        year, month = int(data[:4]), int(data[5:])
        if year < EARLIEST_YEAR:
            self.fail("early")
        return date(year, month, 1)

    def to_representation(self, value):
        return f"{value:%Y-%m}"


@extend_schema_field({"type": "string", "pattern": "^[0-9]{1,2}$",
                      "description": f"A Texas RRC disposition code valid for the product: {_CODE_TEXT}. "
                                     "Gas 4 is retired (use 10 flared or 11 vented)."})
class DispositionCodeField(StrictCharField):
    default_error_messages = {"invalid": "Send the code as a string of 1 or 2 digits.",
                              "pattern": "An RRC disposition code is 1 or 2 digits (e.g. \"10\" flared)."}

    def to_internal_value(self, data):
        if isinstance(data, int) and not isinstance(data, bool):
            data = str(data)  # 10 and "10" are the same code
        value = super().to_internal_value(data)
        if not re.fullmatch(r"[0-9]{1,2}", value):
            self.fail("pattern")
        return value


@extend_schema_field({"type": "number", "minimum": 0.01, "maximum": 99999999.99,
                      "description": "Barrels (OIL, CONDENSATE) or MCF (GAS), above 0, rounded to 2 decimals."})
class DispositionVolumeField(PositiveNumberField):
    pass


class DispositionInput(StrictInput):
    leaseId = serializers.UUIDField(source="lease_id", help_text="The lease (an unknown one is 404 not_found).", error_messages={"invalid": "Use a lease id (a UUID)."})
    month = MonthField()
    product = DispositionProductField(help_text="OIL or GAS on an OIL lease; CONDENSATE or GAS on a GAS lease.")
    code = DispositionCodeField(max_length=2)
    volume = DispositionVolumeField(limit=99_999_999, places=2)
    note = StrictCharField(max_length=500, required=False, allow_blank=True, allow_null=True,
                           help_text="Why (e.g. the flaring authority: AR, AE, EP or EX for codes 10 and 11).")


class DispositionOutput(serializers.Serializer):
    id = serializers.UUIDField()
    leaseId = serializers.UUIDField(source="lease_id")
    month = MonthField()
    product = DispositionProductField()
    code = serializers.CharField()
    codeName = serializers.SerializerMethodField()
    volume = serializers.FloatField()
    note = serializers.CharField()
    recordedBy = serializers.UUIDField(source="recorded_by_id", allow_null=True, help_text="The user's id.")
    createdAt = serializers.DateTimeField(source="created_at")

    def get_codeName(self, entry) -> str:
        from .rrc import PRODUCT_FAMILY, code_name

        return code_name(PRODUCT_FAMILY.get(entry.product, ""), entry.code)


class DispositionQuery(serializers.Serializer):
    leaseId = serializers.UUIDField(source="lease_id", required=False,
                                    error_messages={"invalid": "Use a lease id (a UUID)."})
    month = MonthField(required=False)


class LeaseBalanceQuery(serializers.Serializer):
    leaseId = serializers.UUIDField(source="lease_id", error_messages={"invalid": "Use a lease id (a UUID)."})
    month = MonthField()


class FormPrQuery(serializers.Serializer):
    month = MonthField()
    format = serializers.ChoiceField(choices=["json", "csv"], required=False,
                                     error_messages={"invalid_choice": "format is json (default) or csv."})


# ------------------------------------------------------------------ outputs


class CodeVolumeOutput(serializers.Serializer):
    code = serializers.CharField(help_text="RRC disposition code.")
    volume = serializers.IntegerField(help_text="Whole barrels or MCF.")
    name = serializers.CharField(help_text="The code's name on Form PR.")


class LiquidBalanceOutput(serializers.Serializer):
    product = serializers.ChoiceField(choices=["OIL", "CONDENSATE"])
    beginningStock = serializers.IntegerField(source="beginning_stock", help_text="Gauged stock at the end of the "
                                              "previous month, bbl.")
    production = serializers.IntegerField(help_text="The month's daily production (stock − previous stock + runs), "
                                          "as the whole number that makes the row add up, bbl.")
    dispositions = CodeVolumeOutput(many=True, help_text="Run tickets by code plus manual entries, bbl; zero codes "
                                    "left out.")
    endingStock = serializers.IntegerField(source="ending_stock", help_text="beginning + production − dispositions.")
    gaugedStock = serializers.IntegerField(source="gauged_stock", help_text="Gauged stock at the end of the month "
                                           "(today for the month under way); stock_mismatch when more than 1 bbl "
                                           "from the ending stock.")
    estimatedDays = serializers.IntegerField(source="estimated_days", help_text="Days of the month a tank had no "
                                             "gauge (its stock carried forward).")


class GasBalanceOutput(serializers.Serializer):
    product = serializers.ChoiceField(choices=["CASINGHEAD", "GAS_WELL"],
                                      help_text="Casinghead gas (OIL lease) or gas-well gas (GAS lease).")
    production = serializers.IntegerField(help_text="MCF from the PRODUCTION_LOGGED GAS records of the lease's wells.")
    dispositions = CodeVolumeOutput(many=True, help_text="Manual entries by code, MCF.")


class ProblemOutput(serializers.Serializer):
    code = serializers.ChoiceField(choices=["stock_mismatch", "dispositions_exceed_available",
                                            "unknown_disposition_code", "no_rrc_lease_number"])
    product = serializers.CharField(help_text="OIL, CONDENSATE or GAS; empty for a problem of the lease itself.")
    message = serializers.CharField()
    figures = serializers.DictField(help_text="The figures compared (e.g. endingStock, gaugedStock).")


class LeaseBalanceOutput(serializers.Serializer):
    leaseId = serializers.UUIDField(source="lease.pk")
    month = MonthField()
    through = serializers.DateField(help_text="The last day counted: the month's last, or today for the month under way.")
    oil = LiquidBalanceOutput(help_text="Oil (condensate on a GAS lease), whole barrels.")
    gas = GasBalanceOutput(help_text="Casinghead or gas-well gas, whole MCF.")
    problems = ProblemOutput(many=True)


class FormPrRowOutput(serializers.Serializer):
    leaseId = serializers.UUIDField(source="lease.pk")
    district = serializers.CharField(source="lease.rrc_district")
    leaseNumber = serializers.CharField(source="lease.rrc_lease_number")
    leaseName = serializers.CharField(source="lease.name")
    kind = serializers.CharField(source="lease.kind")
    oil = LiquidBalanceOutput()
    gas = GasBalanceOutput()


class FormPrProblemOutput(ProblemOutput):
    leaseId = serializers.UUIDField()
    leaseName = serializers.CharField()
    district = serializers.CharField()
    leaseNumber = serializers.CharField()


class FormPrOutput(serializers.Serializer):
    month = MonthField()
    rows = FormPrRowOutput(many=True, help_text="One per lease, ordered by district and lease number.")
    problems = FormPrProblemOutput(many=True, help_text="Every lease's problems; a lease with "
                                   "dispositions_exceed_available is listed here and not in rows.")


# ------------------------------------------------------------------ Form PR as CSV

def _csv_columns() -> tuple[list[str], list[str]]:
    from .rrc import GAS, LIQUID, codes_of

    liquid = [c.code for c in codes_of(LIQUID, accepted_only=True)]
    gas = [c.code for c in codes_of(GAS, accepted_only=True)]
    return liquid, gas


def form_pr_csv_header() -> list[str]:
    liquid, gas = _csv_columns()
    return ["district", "lease_number", "lease_name", "lease_kind", "liquid_product", "liquid_beginning_stock_bbl",
            "liquid_production_bbl", *[f"liquid_disposition_{c}_bbl" for c in liquid], "liquid_disposition_other_bbl",
            "liquid_ending_stock_bbl", "gas_product", "gas_production_mcf", *[f"gas_disposition_{c}_mcf" for c in gas],
            "gas_disposition_other_mcf"]


def _spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet would take for a formula (=, +, -, @ first) is quoted as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _by_code(entries, codes: list[str]) -> tuple[list[int], int]:
    volumes = {entry.code: entry.volume for entry in entries}
    known = [volumes.pop(code, 0) for code in codes]
    return known, sum(volumes.values())


def form_pr_csv_rows(form) -> list[list]:
    """One list of cells per row of the report (wells.balance_selectors.FormPr), header first."""
    liquid_codes, gas_codes = _csv_columns()
    out = [form_pr_csv_header()]
    for balance in form.rows:
        lease, oil, gas = balance.lease, balance.oil, balance.gas
        liquid, liquid_other = _by_code(oil.dispositions, liquid_codes)
        gas_known, gas_other = _by_code(gas.dispositions, gas_codes)
        out.append([lease.rrc_district, lease.rrc_lease_number, _spreadsheet_safe(lease.name), lease.kind, oil.product,
                    oil.beginning_stock, oil.production, *liquid, liquid_other, oil.ending_stock, gas.product,
                    gas.production, *gas_known, gas_other])
    return out
