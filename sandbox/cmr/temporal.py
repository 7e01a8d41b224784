"""CMR's temporal parameter: date-times, ISO 8601 intervals with periods, periodic (day-of-year)
ranges.

Sources in nasa/Common-Metadata-Repository:

- ``common-lib/src/cmr/common/date_time_range_parser.clj``: ``start,end`` or an ISO 8601 interval
  ``start/end``, ``start/period``, ``period/end`` parsed by Joda-Time's ``Interval.parse`` (a
  period is calendar arithmetic: Joda adds its fields in the order years, months, weeks, days,
  hours, minutes, seconds, each clamping the day of month, so ``2020-02-29 + P1Y1M`` is
  2021-03-28, not 03-29);
- ``search-app/src/cmr/search/services/parameters/converters/temporal.clj``: the parameter is
  ``range[,start_day[,end_day]]``;
- ``search-app/src/cmr/search/data/complex_to_simple_converters/temporal.clj``: a periodic range
  becomes one window per year (:func:`periodic_windows`).

The period arithmetic is :mod:`dateutil.relativedelta`'s, applied field by field in Joda's order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from dateutil.relativedelta import relativedelta

EARLIEST_START = datetime(1582, 10, 15, tzinfo=UTC)
"""``cmr.elastic-utils.datetime-helper/earliest-start-date``: a periodic range's default start."""

_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)
_PERIOD = re.compile(
    r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
    r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$",
    re.IGNORECASE,
)


class TemporalError(ValueError):
    """A temporal value CMR refuses: ``status`` and its message."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def parse_local(text: str) -> datetime | None:
    """A CMR date-time in its own UTC offset (UTC when it has none), or None if invalid."""
    match = _DATETIME.match(text.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    offset = timedelta(0)
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0")[:3].ljust(3, "0")) * 1000,  # CMR truncates to milliseconds
            tzinfo=timezone(offset) if offset else UTC,
        )
    except ValueError:
        return None


def parse_datetime(text: str) -> datetime | None:
    """A CMR date-time (``2019-06-22``, ``2019-06-22T10:00:01Z``, ...) in UTC, or None."""
    moment = parse_local(text)
    return None if moment is None else moment.astimezone(UTC)


def _period_steps(text: str) -> list[relativedelta] | None:
    """An ISO 8601 period as Joda applies it: one step per field, largest first."""
    match = _PERIOD.match(text.strip())
    if not match or text.strip().upper() in ("P", "PT") or text.strip().upper().endswith("T"):
        return None
    years, months, weeks, days, hours, minutes = (int(g or 0) for g in match.groups()[:6])
    seconds = float((match.group(7) or "0").replace(",", "."))
    steps = [
        relativedelta(years=years),
        relativedelta(months=months),
        relativedelta(weeks=weeks),
        relativedelta(days=days),
        relativedelta(hours=hours),
        relativedelta(minutes=minutes),
        relativedelta(microseconds=round(seconds * 1_000_000)),
    ]
    return [s for s in steps if s]


def _shift(moment: datetime, steps: list[relativedelta], sign: int) -> datetime:
    for step in steps:
        moment = moment + step if sign > 0 else moment - step
    return moment


def parse_interval(text: str) -> tuple[datetime | None, datetime | None]:
    """``start/end``, ``start/period``, ``period/end``, ``/end`` or ``start/`` (UTC datetimes).

    Raises :class:`TemporalError` (422, CMR's ``[...] is not a valid date-range``) when invalid.
    """
    start_text, _, end_text = text.rpartition("/")  # CMR's regex ^(.*)(,|/)(.*)$ is greedy
    if not start_text.strip() or not end_text.strip():
        lone = end_text if not start_text.strip() else start_text
        moment = parse_datetime(lone)
        if moment is None:
            raise TemporalError(
                f"temporal datetime is invalid: [{lone.strip()}] is not a valid datetime."
            )
        return (None, moment) if not start_text.strip() else (moment, None)
    left, _, right = text.partition("/")  # Joda's Interval.parse splits at the first '/'

    def refuse(reason: str) -> TemporalError:
        return TemporalError(f"[{text}] is not a valid date-range : {reason}", status=422)

    if left.strip().upper().startswith("P"):
        steps = _period_steps(left)
        end = parse_local(right)
        if steps is None or end is None:
            raise refuse(f'Invalid format: "{left if steps is None else right}"')
        start = _shift(end, steps, -1)
    else:
        start = parse_local(left)
        if start is None:
            raise refuse(f'Invalid format: "{left}"')
        if right.strip().upper().startswith("P"):
            steps = _period_steps(right)
            if steps is None:
                raise refuse(f'Invalid format: "{right}"')
            end = _shift(start, steps, +1)
        else:
            end = parse_local(right)
            if end is None:
                raise refuse(f'Invalid format: "{right}"')
    if end < start:
        raise refuse("The end instant must be greater than the start instant")
    return start.astimezone(UTC), end.astimezone(UTC)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _day_of_year(year: int, day: int, clock: datetime) -> datetime:
    """CMR's ``adjust-day``: day N is Jan 1 + N-1 days, but in a leap year days >= 59 are
    Jan 1 + N days (so day 60 is always March 1, and Feb 28 is unreachable in leap years). The
    result keeps ``year`` even when the day runs past Dec 31 (day 366 of a common year is Jan 1
    of that year), and the time of day of ``clock``, as ``t/date-time`` builds it."""
    adjusted = day if _is_leap(year) and day >= 59 else day - 1
    moved = datetime(year, 1, 1, tzinfo=UTC) + timedelta(days=adjusted)
    return datetime(
        year,
        moved.month,
        moved.day,
        clock.hour,
        clock.minute,
        clock.second,
        clock.microsecond // 1000 * 1000,
        tzinfo=UTC,
    )


def periodic_windows(
    start: datetime | None,
    end: datetime | None,
    start_day: int | None,
    end_day: int | None,
    now: datetime,
) -> list[tuple[datetime, datetime]]:
    """The [start, end] windows CMR searches for a periodic temporal range, one per year.

    Years run from the start's year (default 1582-10-15) to the end's year (default this year).
    In each year the window opens on ``start_day`` (default 1) at the start's time of day, not
    before the start; it closes on ``end_day`` at the end's time of day, not after the end; in
    the next year when ``end_day < start_day``; without ``end_day`` at the end of the year (the
    end itself in the end's year). A year whose window closes before it opens is left out.

    Raises :class:`TemporalError` when no window is left (CMR: 400), or when ``end_day`` is given
    without an end date (CMR reads the end's time of day there and fails with a 500).
    """
    start = start or EARLIEST_START
    end_year = end.year if end is not None else now.year
    start_day = start_day or 1
    if end_day is not None and end is None:
        raise TemporalError(
            "An Internal Error has occurred. (The sandbox: live CMR answers 500 here, because it "
            "reads the end date's time of day for end_day; give an end date with end_day.)",
            status=500,
        )
    windows: list[tuple[datetime, datetime]] = []
    for year in range(start.year, end_year + 1):
        opens = max(_day_of_year(year, start_day, start), start)
        if end_day is None:
            closes = (
                end
                if year == end_year and end is not None
                else datetime(year + 1, 1, 1, tzinfo=UTC) - timedelta(seconds=1)
            )
        else:
            assert end is not None
            closes = _day_of_year(year, end_day, end)
            if end_day < start_day:
                closes += relativedelta(years=1)
            closes = min(closes, end)
        if closes >= opens:
            windows.append((opens, closes))
    if not windows:
        raise TemporalError(
            "Periodic temporal search produced no searchable ranges and is invalid."
        )
    return windows


@dataclass(frozen=True)
class TemporalRange:
    """A closed or open-ended time range; periodic ranges carry their yearly windows."""

    start: datetime | None
    end: datetime | None
    windows: tuple[tuple[datetime, datetime], ...] = ()
    """Non-empty for a periodic range (start_day or end_day given): the windows to intersect."""

    @property
    def periodic(self) -> bool:
        """Whether this is a periodic (day-of-year) range."""
        return bool(self.windows)
