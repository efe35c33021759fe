"""The Texas Railroad Commission's Form PR disposition codes: one table, used by the disposition
model's constraint, the API's validation, the lease balance and the Form PR pages and CSV.

A disposition is how a volume left the lease. Oil and condensate share the liquid codes (0 to 9;
9 exists for oil only); casinghead gas and gas-well gas share the gas codes (1 to 11). The names
follow the Form PR instructions and the RRC's production data dictionary (PDQ ``LEASE_OIL_DISPCD00``
... ``LEASE_GAS_DISPCD09``). Gas code 4 ("vented or flared") was retired on 1 September 2021 when
the RRC split it into 10 flared and 11 vented: it is kept here so an old figure has a name, but a
new entry may not use it (``accepted`` is False).

No Django here: the model, the serializers and the tests import it alike.
"""

from __future__ import annotations

from dataclasses import dataclass

LIQUID = "LIQUID"  # oil (OIL lease) and condensate (GAS lease), in barrels
GAS = "GAS"  # casinghead gas (OIL lease) and gas-well gas (GAS lease), in MCF

# What a disposition entry names as its product (API.md section 14), and its family of codes.
PRODUCT_FAMILY = {"OIL": LIQUID, "CONDENSATE": LIQUID, "GAS": GAS}


@dataclass(frozen=True)
class DispositionCode:
    family: str
    code: str
    name: str
    accepted: bool = True  # may a new entry use it
    oil_only: bool = False  # a liquid code condensate does not have

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}"


DISPOSITION_CODES: tuple[DispositionCode, ...] = (
    DispositionCode(LIQUID, "0", "Pipeline"),
    DispositionCode(LIQUID, "1", "Truck"),
    DispositionCode(LIQUID, "2", "Tank car or barge"),
    DispositionCode(LIQUID, "3", "Lease use or adjustment of oil already measured"),
    DispositionCode(LIQUID, "4", "Circulating oil (released to another lease, e.g. as frac liquid)"),
    DispositionCode(LIQUID, "5", "Spill (a loss of 5 bbl or more also needs Form H-8)"),
    DispositionCode(LIQUID, "6", "Tank cleaning, basic sediment and water"),
    DispositionCode(LIQUID, "7", "Stock adjustment, water bleed-off, road oil, theft"),
    DispositionCode(LIQUID, "8", "Saltwater gathering system (disposed of by others)"),
    DispositionCode(LIQUID, "9", "Entrained in casinghead gas to a processing plant", oil_only=True),
    DispositionCode(GAS, "1", "Lease or field fuel (field operations)"),
    DispositionCode(GAS, "2", "Transmission line"),
    DispositionCode(GAS, "3", "Processing plant"),
    DispositionCode(GAS, "4", "Vented or flared (retired September 2021: use 10 or 11)", accepted=False),
    DispositionCode(GAS, "5", "Gas lift"),
    DispositionCode(GAS, "6", "Repressuring or pressure maintenance"),
    DispositionCode(GAS, "7", "Carbon black plant"),
    DispositionCode(GAS, "8", "Underground storage"),
    DispositionCode(GAS, "9", "Shrinkage in lease separation"),
    DispositionCode(GAS, "10", "Flared"),
    DispositionCode(GAS, "11", "Vented"),
)

_BY_KEY = {(c.family, c.code): c for c in DISPOSITION_CODES}


def codes_of(family: str, *, accepted_only: bool = False, product: str | None = None) -> list[DispositionCode]:
    """The codes of a family in order; ``product="CONDENSATE"`` leaves out the oil-only ones."""
    return [c for c in DISPOSITION_CODES if c.family == family and (c.accepted or not accepted_only)
            and not (product == "CONDENSATE" and c.oil_only)]


def code_lookup(family: str, code: str) -> DispositionCode | None:
    return _BY_KEY.get((family, normalise_code(code)))


def normalise_code(code) -> str:
    """ "01" and "1" are the same code (the RRC's data prints two digits, its forms one)."""
    text = str(code).strip()
    return str(int(text)) if text.isdigit() else text


def code_name(family: str, code: str) -> str:
    found = code_lookup(family, code)
    return found.name if found else "Not an RRC code"


def accepted_codes(product: str) -> list[str]:
    """The codes a new entry of ``product`` (OIL, CONDENSATE, GAS) may use."""
    return [c.code for c in codes_of(PRODUCT_FAMILY[product], accepted_only=True, product=product)]


def code_problem(product: str, code: str) -> str:
    """Why ``code`` may not be used for a new entry of ``product``; "" when it may."""
    family = PRODUCT_FAMILY.get(product)
    if family is None:
        return ""
    found = code_lookup(family, code)
    allowed = ", ".join(accepted_codes(product))
    if found is None or (product == "CONDENSATE" and found.oil_only):
        return f"Not an RRC disposition code for {product.lower()}: use one of {allowed}."
    if not found.accepted:
        return f"Code {found.code} is retired: {found.name}."
    return ""
