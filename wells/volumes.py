"""Crude-oil volumes of a run ticket (API.md section 13): gross observed, gross standard, net.

The temperature correction is API MPMS chapter 11.1 (2004, adjunct to ASTM D1250-04), crude oil
(commodity group A: K0 = 341.0957, K1 = 0, K2 = 0), at atmospheric pressure (0 psig, so CPL = 1):

1. the observed API gravity becomes a density, ρ = 141.5 × 999.016 / (API + 131.5) kg/m³, and the
   observed temperature (ITS-90) is taken to the IPTS-68 scale the correlation was fitted on;
2. the density at 60 °F follows by iteration: ρ60 = ρ / CTL(ρ60, t) (11.1.6.2, "observed");
3. the API gravity at 60 °F (rounded to 0.1 °API, as Table 5A prints it) gives CTL at the observed
   temperature (11.1.6.1, "base"), rounded to 5 decimals (the 2004 tables; API.md says so too);
4. gross standard = gross observed × CTL, net = gross standard × (1 − BS&W / 100), 2 decimals.

CTL = exp(−α60 Δt (1 + 0.8 α60 (Δt + δ60))), α60 = K0 / ρ*², with Δt the IPTS-68 temperature
minus 60.0068749 °F, δ60 = 0.01374979547 °F and ρ* the density shifted to the IPTS-68 basis.
Everything is Decimal at 28 digits (``Decimal.exp``): no binary floating point between the inputs
and the rounded outputs, so the same inputs give the same factor on every machine.

Inputs are rounded as the standard says before use (API gravity and temperature to 0.1) and must
lie inside its limits for crude oil (−58 to 302 °F; ρ60 610.6 to 1163.5 kg/m³, about 100 to
−10 °API), else ``VolumeOutOfRange``. A glass hydrometer's own expansion (MPMS 9.1; the 1980
Table 5A had it built in) is applied only when asked (``hydrometer=True``).

No Django here: the module is imported by the run-ticket rule, the API and the tests alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

# ------------------------------------------------------------------ constants of the standard

K0 = Decimal("341.0957")  # crude oil (2004); K1 = K2 = 0
WATER_DENSITY_60F = Decimal("999.016")  # kg/m³, the 2004 value
DELTA_60 = Decimal("0.01374979547")  # °F: 60 °F on ITS-90 against IPTS-68, in the CTL equation
T60_IPTS68 = Decimal("60.0068749")  # °F
# ITS-90 → IPTS-68 (11.1.5.3): Δ = (a1 + (a2 + ... + a8 τ) τ) τ with τ = t°C / 630.
_ITS90_COEFFICIENTS = tuple(Decimal(a) for a in (
    "-0.148759", "-0.267408", "1.080760", "1.269056", "-4.089591", "-1.871251", "7.438081", "-3.536296"))

TEMPERATURE_RANGE_F = (Decimal("-58.0"), Decimal("302.0"))
DENSITY_RANGE_60F = (Decimal("610.6"), Decimal("1163.5"))  # kg/m³, crude oil
_ITERATION_TOLERANCE = Decimal("1e-12")
_MAX_ITERATIONS = 50

TENTH = Decimal("0.1")
CTL_PLACES = Decimal("0.00001")
VOLUME_PLACES = Decimal("0.01")


class VolumeOutOfRange(ValueError):
    """An input outside what the standard covers (``field`` names it, e.g. "observedTemperatureF")."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _round(value: Decimal, places: Decimal) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)


def _decimal(value, field: str) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except ArithmeticError:
        raise VolumeOutOfRange(field, f"{field} must be a number.") from None
    if not number.is_finite():
        raise VolumeOutOfRange(field, f"{field} must be a finite number.")
    return number


# ------------------------------------------------------------------ the correlation


def api_to_density(api: Decimal) -> Decimal:
    """kg/m³ at the same temperature as the gravity."""
    return Decimal(141.5) * WATER_DENSITY_60F / (api + Decimal("131.5"))


def density_to_api(density: Decimal) -> Decimal:
    return Decimal(141.5) * WATER_DENSITY_60F / density - Decimal("131.5")


def its90_to_ipts68_f(temperature_f: Decimal) -> Decimal:
    celsius = (temperature_f - 32) / Decimal("1.8")
    tau = celsius / 630
    shift = Decimal(0)
    for coefficient in reversed(_ITS90_COEFFICIENTS):
        shift = (shift + coefficient) * tau
    return (celsius - shift) * Decimal("1.8") + 32


def alpha60(rho60: Decimal) -> Decimal:
    """α60 on the IPTS-68 basis: ρ60 shifted by δ60 first (11.1.5.2), then K0 / ρ*² (K1 = K2 = 0)."""
    a = DELTA_60 / 2 * (K0 / rho60) / rho60
    b = 2 * K0 / K0  # (2 K0 + K1 ρ) / (K0 + (K1 + K2 ρ) ρ) with K1 = K2 = 0
    rho_star = rho60 * (1 + ((a * (1 + Decimal("0.8") * a)).exp() - 1) / (1 + a * (1 + Decimal("1.6") * a) * b))
    return K0 / (rho_star * rho_star)


def ctl_unrounded(rho60: Decimal, temperature_ipts68_f: Decimal) -> Decimal:
    """CTL of crude oil of density ``rho60`` (kg/m³ at 60 °F, ITS-90) at an IPTS-68 temperature
    (°F), unrounded: the step the standard's worked examples (11.1.6.1) print to 12 digits."""
    alpha = alpha60(rho60)
    delta_t = temperature_ipts68_f - T60_IPTS68
    return (-alpha * delta_t * (1 + Decimal("0.8") * alpha * (delta_t + DELTA_60))).exp()


def _checked_temperature(temperature_f) -> Decimal:
    t = _round(_decimal(temperature_f, "observedTemperatureF"), TENTH)
    low, high = TEMPERATURE_RANGE_F
    if not low <= t <= high:
        raise VolumeOutOfRange("observedTemperatureF", f"The temperature must be between {low} and {high} °F "
                               "(the range of API MPMS 11.1 for crude oil).")
    return t


def _checked_gravity(api) -> Decimal:
    """Rounded to 0.1 °API (11.1.5); below -131.5 °API a gravity names no density at all."""
    value = _round(_decimal(api, "observedGravityApi"), TENTH)
    if value <= Decimal("-131.5"):
        raise VolumeOutOfRange("observedGravityApi", "The gravity is outside the range of API MPMS 11.1.")
    return value


def _checked_density_60(rho60: Decimal, field: str) -> None:
    low, high = DENSITY_RANGE_60F
    if not low <= rho60 <= high:
        raise VolumeOutOfRange(field, "The gravity is outside the range of API MPMS 11.1 for crude oil "
                               f"(a density at 60 °F of {low} to {high} kg/m³, about 100 to -10 °API).")


def hydrometer_correction(temperature_f: Decimal) -> Decimal:
    """The thermal expansion of a soda-lime glass hydrometer (MPMS 9.1), × the reading's density."""
    d = temperature_f - 60
    return 1 - Decimal("0.00001278") * d - Decimal("0.0000000062") * d * d


def gravity_at_60f(observed_api, observed_temperature_f, *, hydrometer: bool = False) -> Decimal:
    """API gravity at 60 °F from a gravity observed at a temperature (what Table 5A tabulates), to 0.1 °API."""
    with localcontext() as context:
        context.prec = 28
        api, t = _checked_gravity(observed_api), _checked_temperature(observed_temperature_f)
        rho_observed = api_to_density(api)
        if hydrometer:
            rho_observed *= hydrometer_correction(t)
        t68 = its90_to_ipts68_f(t)
        rho60 = rho_observed
        for _ in range(_MAX_ITERATIONS):
            _checked_density_60(rho60, "observedGravityApi")
            following = rho_observed / ctl_unrounded(rho60, t68)
            if abs(following - rho60) < _ITERATION_TOLERANCE:
                rho60 = following
                break
            rho60 = following
        _checked_density_60(rho60, "observedGravityApi")
        return _round(density_to_api(rho60), TENTH)


def ctl(api_60f, temperature_f) -> Decimal:
    """The volume correction factor to 60 °F of crude oil of ``api_60f`` at ``temperature_f``
    (what Table 6A tabulates), to 5 decimals."""
    with localcontext() as context:
        context.prec = 28
        api, t = _checked_gravity(api_60f), _checked_temperature(temperature_f)
        rho60 = api_to_density(api)
        _checked_density_60(rho60, "observedGravityApi")
        return _round(ctl_unrounded(rho60, its90_to_ipts68_f(t)), CTL_PLACES)


# ------------------------------------------------------------------ a run ticket's volumes


def gross_observed_tank(*, opening_barrels, closing_barrels) -> Decimal:
    """TANK ticket: barrels at the opening gauge − barrels at the closing gauge (from the strapping
    table, wells.strapping.barrels_at), 2 decimals. A closing level above the opening is refused."""
    opening = _decimal(opening_barrels, "openingLevel")
    closing = _decimal(closing_barrels, "closingLevel")
    if closing > opening:
        raise VolumeOutOfRange("closingLevel", "The closing gauge is above the opening gauge: nothing left the tank.")
    return _round(opening - closing, VOLUME_PLACES)


def gross_observed_lact(*, opening_totalizer_bbl, closing_totalizer_bbl, meter_factor) -> Decimal:
    """LACT ticket: (closing − opening totalizer) × meter factor, 2 decimals."""
    opening = _decimal(opening_totalizer_bbl, "openingTotalizerBbl")
    closing = _decimal(closing_totalizer_bbl, "closingTotalizerBbl")
    factor = _decimal(meter_factor, "meterFactor")
    if closing < opening:
        raise VolumeOutOfRange("closingTotalizerBbl", "The closing totalizer reads less than the opening one.")
    # A proved meter's factor sits close to 1 (API MPMS 4.8 flags anything beyond ±0.25 %·n);
    # outside 0.9..1.1 it is a typing error, not a meter.
    if not Decimal("0.9") <= factor <= Decimal("1.1"):
        raise VolumeOutOfRange("meterFactor", "A meter factor lies between 0.9 and 1.1.")
    return _round((closing - opening) * factor, VOLUME_PLACES)


@dataclass(frozen=True)
class TicketVolumes:
    gravity_60f: Decimal
    ctl: Decimal
    gross_observed_bbl: Decimal
    gross_standard_bbl: Decimal
    net_bbl: Decimal


def ticket_volumes(*, gross_observed_bbl, observed_gravity_api, observed_temperature_f, bsw_percent,
                   hydrometer: bool = False) -> TicketVolumes:
    """Gross standard and net volumes of a ticket from its gross observed volume.

    The gravity is corrected to 60 °F (Table 5A), CTL follows from it at the observed temperature
    (Table 6A, 5 decimals), GSV = GOV × CTL and net = GSV × (1 − BS&W / 100), each to 2 decimals
    (the rounded CTL is the one on the ticket, so anyone can redo the sum from the ticket)."""
    gross = _round(_decimal(gross_observed_bbl, "grossObservedBbl"), VOLUME_PLACES)
    bsw = _decimal(bsw_percent, "bswPercent")
    if not 0 <= bsw <= 100:
        raise VolumeOutOfRange("bswPercent", "BS&W is a percentage from 0 to 100.")
    gravity = gravity_at_60f(observed_gravity_api, observed_temperature_f, hydrometer=hydrometer)
    factor = ctl(gravity, observed_temperature_f)
    standard = _round(gross * factor, VOLUME_PLACES)
    net = _round(standard * (1 - bsw / 100), VOLUME_PLACES)
    return TicketVolumes(gravity_60f=gravity, ctl=factor, gross_observed_bbl=gross, gross_standard_bbl=standard,
                         net_bbl=net)
