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
    if value.tzinfo is None:
        return "needs a time zone offset (e.g. Z or -06:00)"
    if value.year < EARLIEST_TIME.year or value < EARLIEST_TIME:
        return "must be on or after 1900-01-01T00:00:00Z"
    if value > (latest or latest_time(now)):
        return "is more than 10 minutes in the future"
    return None
