"""The range of dates and times on the wire (API.md section 1): from 1900-01-01 to 10 minutes from
now (server clock), unless a field says otherwise (a well's spud date may go back to 1850).

A time outside it is not only implausible: 0001-01-01T00:00:00+14:00 is a valid RFC 3339 time
that PostgreSQL stores but psycopg cannot read back ("timestamp too small") and that no time zone
conversion survives, so one such row once broke every list it appeared in. Plain Python, no
Django: the shared event schemas (sync.schemas) and the field client use it as they are.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

EARLIEST_DATE = date(1900, 1, 1)
EARLIEST_SPUD_DATE = date(1850, 1, 1)
EARLIEST_TIME = datetime(1900, 1, 1, tzinfo=timezone.utc)
# For a check of the lower bound alone (a parser that does not know "now").
NO_LATER_BOUND_DATE = date.max
NO_LATER_BOUND_TIME = datetime.max.replace(tzinfo=timezone.utc)
FUTURE_TOLERANCE = timedelta(minutes=10)
# The offsets of the world's time zones (UTC-12:00 to UTC+14:00). Python takes any offset under 24
# hours, PostgreSQL none beyond 15:59 ("time zone displacement out of range": a 500 once).
EARLIEST_OFFSET = timedelta(hours=-12)
LATEST_OFFSET = timedelta(hours=14)
# The zone furthest ahead of UTC (Kiribati, UTC+14): a date later than today there is in the
# future everywhere. Used for bare dates when no time zone is known.
_AHEAD_OF_UTC = timedelta(hours=14)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def latest_time(now: datetime | None = None) -> datetime:
    return (now or utc_now()) + FUTURE_TOLERANCE


def latest_date(now: datetime | None = None) -> date:
    """Today somewhere on Earth: the latest date that is not in the future in every time zone."""
    return (latest_time(now) + _AHEAD_OF_UTC).date()


def date_bound_problem(value: date, *, earliest: date = EARLIEST_DATE, latest: date | None = None,
                       now: datetime | None = None) -> str | None:
    """Why the date ``value`` is outside [earliest, latest] (latest: ``latest_date(now)``), or None."""
    latest = latest or latest_date(now)
    if value < earliest:
        return f"must be on or after {earliest.isoformat()}"
    if value > latest:
        return f"must not be in the future (after {latest.isoformat()})"
    return None


def time_bound_problem(value: datetime, *, latest: datetime | None = None,
                       now: datetime | None = None) -> str | None:
    """Why the aware time ``value`` is outside [1900-01-01T00:00Z, latest] (latest: now + 10
    minutes), or None."""
    offset = value.utcoffset()
    if offset is None:
        return "needs a time zone offset (e.g. Z or -06:00)"
    if not EARLIEST_OFFSET <= offset <= LATEST_OFFSET:
        return "needs a time zone offset between -12:00 and +14:00"
    if value.year < EARLIEST_TIME.year or value < EARLIEST_TIME:
        return "must be on or after 1900-01-01T00:00:00Z"
    if value > (latest or latest_time(now)):
        return "is more than 10 minutes in the future"
    return None


# ------------------------------------------------------------------ the bounds as schema patterns
# JSON Schema's "format: date" has no bounds; the OpenAPI schema states them as patterns, so that
# clients and fuzzers send what the server takes (sync.openapi, wells.serializers).


def digits_range(low: int, high: int, width: int) -> str:
    """A regex for the zero-padded ``width``-digit numbers from ``low`` to ``high`` inclusive."""
    lo, hi = f"{low:0{width}d}", f"{high:0{width}d}"
    if width == 1:
        return f"[{lo}-{hi}]" if lo != hi else lo
    if lo[0] == hi[0]:
        return lo[0] + digits_range(int(lo[1:]), int(hi[1:]), width - 1)
    rest = width - 1
    parts = [lo[0] + digits_range(int(lo[1:]), 10**rest - 1, rest)]
    if int(hi[0]) - int(lo[0]) > 1:
        parts.append(f"[{int(lo[0]) + 1}-{int(hi[0]) - 1}][0-9]{{{rest}}}")
    parts.append(hi[0] + digits_range(0, int(hi[1:]), rest))
    return "(" + "|".join(parts) + ")"


def date_not_after_pattern(today, earliest_year: int = 1) -> str:
    """YYYY-MM-DD dates from January 1st of ``earliest_year`` to ``today`` (the format, date,
    rules out 02-30)."""
    any_month, any_day = digits_range(1, 12, 2), digits_range(1, 31, 2)
    y, m = f"{today.year:04d}", f"{today.month:02d}"
    spans = [f"{y}-{m}-{digits_range(1, today.day, 2)}"]
    if today.month > 1:
        spans.append(f"{y}-{digits_range(1, today.month - 1, 2)}-{any_day}")
    if today.year > earliest_year:
        spans.append(f"{digits_range(earliest_year, today.year - 1, 4)}-{any_month}-{any_day}")
    return "^(" + "|".join(spans) + ")$"


def date_from_pattern(earliest_year: int) -> str:
    """YYYY-MM-DD dates from January 1st of ``earliest_year`` on (no upper bound)."""
    return f"^{digits_range(earliest_year, 9999, 4)}-{digits_range(1, 12, 2)}-{digits_range(1, 31, 2)}$"
