"""Strapping tables (tank tables): rows of height → barrels, their rules, CSV, and barrels at a level.

A strapping table is the tank's calibration: the barrels it holds at each gauged height, from the
bottom (0 in) up, heights to 0.0001 in and barrels to 0.001 bbl (finer values are rounded half
up). The rules (API.md section 13): at least 2 rows, the first at height 0, heights
strictly increasing, barrels never decreasing. Barrels at a level between two rows are the linear
interpolation between them, in exact Decimal arithmetic, rounded to 2 decimals (half up) once at
the end. A level outside the table (below 0 or above its last row) is refused
(``LevelOutOfRange``, API code ``level_out_of_range``): the table says nothing about it.

Pure Python (no Django): the services, the seed, the API and the volume helpers share it.
"""

from __future__ import annotations

import csv
import io
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

MIN_ROWS = 2
MAX_ROWS = 10_000  # a 50 ft tank in quarter-inch rows is 2,401; and 10,000 rows fit in a 1 MiB body
HEIGHT_PLACES = Decimal("0.0001")  # inches: sixteenths (0.0625) are exact
BARREL_PLACES = Decimal("0.001")
MAX_HEIGHT_INCHES = Decimal("1200")  # 100 ft
MAX_BARRELS = Decimal("1000000")
CSV_HEADER = ("height_inches", "barrels")
LEVEL_UNITS = ("IN", "FT", "M")
_INCHES_PER = {"IN": Decimal(1), "FT": Decimal(12), "M": Decimal(1) / Decimal("0.0254")}
VOLUME_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class StrappingRow:
    height_inches: Decimal
    barrels: Decimal


class StrappingInvalid(ValueError):
    """``problems``: messages naming the row (1-based, as people count; CSV: the file's line)."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


class LevelOutOfRange(ValueError):
    pass


def _number(value, what: str, where: str, places: Decimal, limit: Decimal, problems: list[str]) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        problems.append(f"{where}: {what} must be a number.")
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        problems.append(f"{where}: {what} {str(value)[:40]!r} is not a number.")
        return None
    if not number.is_finite():
        problems.append(f"{where}: {what} must be a finite number.")
        return None
    if number < 0 or number > limit:
        problems.append(f"{where}: {what} must be between 0 and {limit}.")
        return None
    return number.quantize(places, rounding=ROUND_HALF_UP)  # in range: a small quantize


def strapping_validate(rows: Iterable[tuple[object, object]], *, where: Sequence[str] | None = None) -> list[StrappingRow]:
    """Rows (height, barrels) as given → checked StrappingRows, or StrappingInvalid listing every
    problem (at most 20) with the row it is in. ``where``: how to name each row (CSV: its line)."""
    problems: list[str] = []
    checked: list[StrappingRow] = []
    rows = list(rows)
    if len(rows) > MAX_ROWS:
        raise StrappingInvalid([f"A strapping table has at most {MAX_ROWS} rows; this one has {len(rows)}."])
    previous: StrappingRow | None = None
    for index, (height_value, barrels_value) in enumerate(rows):
        label = where[index] if where else f"Row {index + 1}"
        height = _number(height_value, "heightInches", label, HEIGHT_PLACES, MAX_HEIGHT_INCHES, problems)
        barrels = _number(barrels_value, "barrels", label, BARREL_PLACES, MAX_BARRELS, problems)
        if height is None or barrels is None:
            previous = None
            continue
        row = StrappingRow(height, barrels)
        if index == 0 and height != 0:
            problems.append(f"{label}: the first row is the tank bottom, at height 0 (it is at {height}).")
        if previous is not None and height <= previous.height_inches:
            problems.append(f"{label}: heights must strictly increase ({height} in comes after "
                            f"{previous.height_inches} in).")
        if previous is not None and barrels < previous.barrels:
            problems.append(f"{label}: barrels must not decrease ({barrels} bbl at {height} in is less than "
                            f"{previous.barrels} bbl at {previous.height_inches} in).")
        checked.append(row)
        previous = row
        if len(problems) >= 20:
            break
    if len(rows) < MIN_ROWS and not problems:
        problems.append(f"A strapping table needs at least {MIN_ROWS} rows (the bottom and one level above it).")
    if problems:
        raise StrappingInvalid(problems[:20])
    return checked


def strapping_from_csv(text: str) -> list[StrappingRow]:
    """``height_inches,barrels`` with that header row (blank lines ignored), checked like JSON rows;
    a problem names the line of the file it is on."""
    reader = csv.reader(io.StringIO(text))
    rows, lines = [], []
    header_seen = False
    try:
        for record in reader:
            if not record or all(not cell.strip() for cell in record):
                continue
            if not header_seen:
                header = tuple(cell.strip().lower().lstrip("\ufeff") for cell in record)
                if header != CSV_HEADER:
                    raise StrappingInvalid([f"Line {reader.line_num}: the header row must be "
                                            f"{','.join(CSV_HEADER)} (it is {','.join(record)[:80]!r})."])
                header_seen = True
                continue
            if len(record) != 2:
                raise StrappingInvalid([f"Line {reader.line_num}: a row has 2 values, height_inches and barrels "
                                        f"(this one has {len(record)})."])
            rows.append((record[0], record[1]))
            lines.append(f"Line {reader.line_num}")
            if len(rows) > MAX_ROWS:
                raise StrappingInvalid([f"A strapping table has at most {MAX_ROWS} rows."])
    except csv.Error as exc:
        raise StrappingInvalid([f"Line {reader.line_num}: not CSV ({exc})."]) from None
    if not header_seen:
        raise StrappingInvalid([f"The file is empty: send the header row {','.join(CSV_HEADER)} and the rows."])
    return strapping_validate(rows, where=lines)


def strapping_to_csv(rows: Iterable[StrappingRow]) -> str:
    lines = [",".join(CSV_HEADER)] + [f"{row.height_inches.normalize():f},{row.barrels.normalize():f}" for row in rows]
    return "\n".join(lines) + "\n"


def barrels_at(rows: Sequence[StrappingRow], level_inches: Decimal,
               heights: Sequence[Decimal] | None = None) -> Decimal:
    """Barrels at ``level_inches`` by linear interpolation between the rows around it, 2 decimals.
    ``heights``: the rows' heights, when the caller keeps them for many levels of one table."""
    if not rows:
        raise LevelOutOfRange("The tank has no strapping table.")
    top = rows[-1].height_inches
    if level_inches < 0 or level_inches > top:
        raise LevelOutOfRange(f"A level of {level_inches.normalize():f} in is outside the tank's strapping table "
                              f"(0 to {top.normalize():f} in).")
    if heights is None:
        heights = [row.height_inches for row in rows]
    index = bisect_right(heights, level_inches) - 1
    low = rows[index]
    if low.height_inches == level_inches or index == len(rows) - 1:
        return low.barrels.quantize(VOLUME_PLACES, rounding=ROUND_HALF_UP)
    high = rows[index + 1]
    with localcontext() as context:
        context.prec = 34
        value = low.barrels + (high.barrels - low.barrels) * (level_inches - low.height_inches) / (
            high.height_inches - low.height_inches)
        return value.quantize(VOLUME_PLACES, rounding=ROUND_HALF_UP)


def level_to_inches(level: Decimal, unit: str) -> Decimal:
    """A gauged level in IN, FT or M as inches (4 decimals; metres: 1 in = 0.0254 m exactly)."""
    if unit not in _INCHES_PER:
        raise ValueError(f"unit must be one of {', '.join(LEVEL_UNITS)}")
    with localcontext() as context:
        context.prec = 34
        return (level * _INCHES_PER[unit]).quantize(HEIGHT_PLACES, rounding=ROUND_HALF_UP)


_QUARTERS = {Decimal("0.25"): "1/4", Decimal("0.5"): "1/2", Decimal("0.75"): "3/4"}


def feet_and_inches(level_inches: Decimal) -> str:
    """A level as a pumper reads a gauge line: "12 ft 4-1/4 in" (quarters), else decimal inches."""
    feet, rest = divmod(level_inches, 12)
    whole, fraction = divmod(rest, 1)
    if fraction and fraction not in _QUARTERS:
        return f"{level_inches.normalize():f} in"
    inches = f"{int(whole)}-{_QUARTERS[fraction]}" if fraction else f"{int(whole)}"
    return f"{int(feet)} ft {inches} in"
