"""wells.volumes against published table values of Tables 6A and 5A (generalized crude oils) and
against the 1980 edition's procedure over the range pumpers meet (20-60 °API, 0-150 °F).

Sources (the printed 2004 tables themselves are API's licensed adjunct; what could be found in
public is below, each value quoted as published):

- [Calc 6A] "ASTM Tables Calc", Baltic Crew (scribd.com/document/192833803/ASTM-Tables-Calc),
  Table 6A, crude oils: 93.5 °API at 60 °F observed at 92 °F, VCF to 60 °F = 0.97213. That figure
  is the 1980 edition's (Volume X procedure: ρ60 = 141.5 × 999.012 / (API + 131.5), α60 = K0 / ρ60²,
  K0 = 341.0957, CTL = exp(−α60 Δt (1 + 0.8 α60 Δt)), Δt = t − 60, the temperature taken as is):
  that procedure gives 0.972131, the 2004 one (ITS-90 temperatures shifted to IPTS-68, water at
  999.016 kg/m³, ρ* and δ60) 0.972124 → 0.97212. The 2004 revision moved factors by up to 2 in the
  5th decimal at the far temperatures (API MPMS 11.1-2004, 11.1.1.5 "Changes to previous
  standards"): the 1980 value is held within that.
- [WV 110-14-4] W. Va. Code R. § 110-14-4 (the worked use of the 1952 Table 6, "Reduction of
  volume to 60 °F against API gravity at 60 °F", 4 decimals): 64 °API at 34 °F → 1.0168,
  65 °API at 34 °F → 1.0170. The 1952 table is an older correlation: held within 1 in the 4th decimal.
- Examined and not used: an "Appendix I, volume conversion" gauge-worksheet guide
  (online.documentine.com, "appendix-i-volume-conversion-astm-api-ip-table-5a-b") reads Table 5A
  as 40.5 °API at 83.0 °F → 38.7 °API at 60 °F. Neither edition's procedure gives that: 2004
  38.54 (38.59 with the glass hydrometer's correction), 1980 38.54 (38.59): 38.5 / 38.6 once
  rounded. A value neither procedure reproduces is not evidence against the implementation.

The grid checks then hold every factor of the 20-60 °API × 0-150 °F grid to the 1980 procedure
(an independent implementation written here from the equations above, in Decimal) within the
2004 revision's own change: any real fault (a coefficient, a sign, the 0.8 term, the rounding
step, the iteration of 5A) shows as a difference of many units in the 5th decimal.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal as D, localcontext

import pytest

from wells.volumes import ctl, gravity_at_60f

K0 = D("341.0957")
WATER_1980 = D("999.012")
FIFTH = D("0.00001")
TENTH = D("0.1")


def ctl_1980(api: D, t: D) -> D:
    """Table 6A of 1980, unrounded."""
    with localcontext() as context:
        context.prec = 28
        rho60 = D("141.5") * WATER_1980 / (api + D("131.5"))
        alpha = K0 / (rho60 * rho60)
        dt = t - 60
        return (-alpha * dt * (1 + D("0.8") * alpha * dt)).exp()


def gravity_60f_1980(api: D, t: D) -> D:
    """Table 5A of 1980 (no hydrometer correction), to 0.1 °API: ρ60 = ρ / CTL(ρ60), iterated."""
    with localcontext() as context:
        context.prec = 28
        rho = D("141.5") * WATER_1980 / (api + D("131.5"))
        rho60 = rho
        for _ in range(100):
            alpha = K0 / (rho60 * rho60)
            dt = t - 60
            following = rho / (-alpha * dt * (1 + D("0.8") * alpha * dt)).exp()
            if abs(following - rho60) < D("1e-12"):
                rho60 = following
                break
            rho60 = following
        return (D("141.5") * WATER_1980 / rho60 - D("131.5")).quantize(TENTH, rounding=ROUND_HALF_UP)


def test_the_published_table_6a_value_and_the_editions():
    # [Calc 6A]: 0.97213 is the 1980 procedure's, to the digit; 2004 is one unit below.
    assert ctl_1980(D("93.5"), D("92")).quantize(FIFTH, rounding=ROUND_HALF_UP) == D("0.97213")
    assert ctl(D("93.5"), D("92")) == D("0.97212")
    assert abs(ctl(D("93.5"), D("92")) - D("0.97213")) <= D("0.00002")


@pytest.mark.parametrize(("api", "published"), [(D(64), D("1.0168")), (D(65), D("1.0170"))])
def test_the_1952_table_6_values_of_the_west_virginia_rule(api, published):
    # [WV 110-14-4]: at 34 °F.
    assert abs(ctl(api, D(34)) - published) <= D("0.0001")


GRAVITIES = [D(g) for g in range(20, 61)]
TEMPERATURES = [D(t) for t in range(0, 151, 5)]


@pytest.mark.parametrize("api", GRAVITIES, ids=str)
def test_table_6a_over_20_to_60_api_and_0_to_150_f_matches_the_1980_table_within_the_revision(api):
    for t in TEMPERATURES:
        expected = ctl_1980(api, t).quantize(FIFTH, rounding=ROUND_HALF_UP)
        assert abs(ctl(api, t) - expected) <= D("0.00002"), (api, t, ctl(api, t), expected)
        if 40 <= t <= 80:  # near 60 °F the editions differ by a rounding at most
            assert abs(ctl(api, t) - expected) <= FIFTH, (api, t)


@pytest.mark.parametrize("api", GRAVITIES[::2], ids=str)
def test_table_5a_over_20_to_60_api_and_0_to_150_f_matches_the_1980_table_within_its_rounding(api):
    for t in TEMPERATURES:
        expected = gravity_60f_1980(api, t)
        got = gravity_at_60f(api, t)
        assert abs(got - expected) <= TENTH, (api, t, got, expected)
        assert (got < api) == (t > 60) or t == 60  # warm oil reads lighter than it is at 60 °F
