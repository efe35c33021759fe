"""The production chart of the well page, laid out on the server.

The portal draws charts as inline SVG (no JavaScript, no CDN): this module turns a
``wells.selectors.production_series`` into coordinates, ticks and a legend, and the template
``wells/_production_chart.html`` writes them out (escaping every text).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .domain import PRODUCT_UNITS, Product

WIDTH, HEIGHT = 880, 320
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 16, 40, 40
# Industry custom: oil green, gas red, water blue.
PRODUCT_STYLE = {
    Product.OIL: ("Oil", "#2e7d32"),
    Product.GAS: ("Gas", "#c62828"),
    Product.WATER: ("Water", "#1565c0"),
}


@dataclass
class Series:
    product: str
    label: str
    unit: str
    color: str
    points: str
    total: float
    legend_x: int = 0


@dataclass
class ProductionChart:
    title: str
    description: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = MARGIN_LEFT
    top: int = MARGIN_TOP
    right: int = WIDTH - MARGIN_RIGHT
    bottom: int = HEIGHT - MARGIN_BOTTOM
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    rows: list[tuple[str, float, float, float]] = field(default_factory=list)
    # One hover/tap/keyboard target per day: its column (x0, width), the day's x and its figures.
    days: list[dict] = field(default_factory=list)
    has_data: bool = False


def _nice_step(span: float, ticks: int = 5) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about ``ticks`` intervals."""
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        if raw <= multiple * power:
            return multiple * power
    return 10 * power


def _tick_label(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == 0 else f"{value:,.1f}"


def _figure(value: float) -> str:
    """A day's volume as stored (trailing zeros dropped, thousands separated), as the table shows it."""
    number = Decimal(str(value))
    return "0" if number == 0 else f"{number.normalize():,f}"


def production_chart(*, series: dict, well_name: str) -> ProductionChart:
    """Lay out a chart of the daily oil, gas and water volumes in ``series`` (see
    ``production_series``): one shared axis, BBL per day for liquids and MCF per day for gas."""
    dates = [date.fromisoformat(d) for d in series["dates"]]
    days = len(dates)
    totals = {product: sum(series[product]) for product in Product.values}
    period = f"{dates[0]:%b} {dates[0].day}, {dates[0].year} to {dates[-1]:%b} {dates[-1].day}, {dates[-1].year}" if dates else ""
    chart = ProductionChart(
        title=f"Daily production of {well_name}, last {days} days",
        description=(
            f"Oil, gas and water volumes per day from {period}. Totals: "
            + ", ".join(f"{PRODUCT_STYLE[p][0]} {totals[p]:,.0f} {PRODUCT_UNITS[p][0]}" for p in Product.values)
            + "."
        ),
    )
    peak = max((max(series[p]) for p in Product.values if series[p]), default=0.0)
    chart.has_data = peak > 0
    if not chart.has_data or days < 2:
        chart.has_data = False
        return chart

    step = _nice_step(peak)
    top_value = step * math.ceil(peak / step)
    plot_height = chart.bottom - chart.top
    plot_width = chart.right - chart.left

    def y_of(value: float) -> float:
        return round(chart.bottom - value / top_value * plot_height, 1)

    def x_of(index: int) -> float:
        return round(chart.left + index * plot_width / (days - 1), 1)

    tick = 0.0
    while tick <= top_value + step / 2:
        chart.y_ticks.append((y_of(tick), _tick_label(tick)))
        tick += step
    for index, day in enumerate(dates):
        if day.day in (1, 15):
            chart.x_ticks.append((x_of(index), f"{day:%b} {day.day}"))

    legend_x = chart.left
    for product in Product.values:
        label, color = PRODUCT_STYLE[product]
        unit = PRODUCT_UNITS[product][0]
        points = " ".join(f"{x_of(i)},{y_of(v)}" for i, v in enumerate(series[product]))
        chart.series.append(Series(product=product, label=label, unit=unit, color=color, points=points,
                                   total=totals[product], legend_x=legend_x))
        legend_x += 150
    for index, day in enumerate(dates):
        x = x_of(index)
        half = plot_width / (days - 1) / 2
        x0 = max(chart.left, x - half)
        figures = ", ".join(f"{PRODUCT_STYLE[p][0].lower()} {_figure(series[p][index])} {PRODUCT_UNITS[p][0]}"
                            for p in Product.values)
        chart.days.append({
            "x": x, "x0": round(x0, 1), "height": plot_height, "width": round(min(chart.right, x + half) - x0, 1),
            "iso": day.isoformat(), "text": f"{day:%b} {day.day}, {day.year}: {figures}",
            "points": [(PRODUCT_STYLE[p][1], y_of(series[p][index])) for p in Product.values],
        })
    chart.rows = [
        (day.isoformat(), series[Product.OIL][i], series[Product.GAS][i], series[Product.WATER][i])
        for i, day in reversed(list(enumerate(dates)))
    ]
    return chart
