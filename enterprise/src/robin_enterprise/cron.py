"""Cron expressions for periodic jobs: parse once, then ask for the next run time.

    >>> cron = Cron.parse("*/5 9-17 * * MON-FRI")
    >>> cron.next_after(datetime(2026, 3, 27, 17, 58, tzinfo=UTC), "UTC")
    datetime.datetime(2026, 3, 30, 9, 0, tzinfo=zoneinfo.ZoneInfo(key='UTC'))

The syntax is the standard five fields, ``minute hour day-of-month month day-of-week``:

- minute 0-59, hour 0-23, day of month 1-31, month 1-12 (or JAN-DEC), day of week 0-7
  (or SUN-SAT; 0 and 7 are both Sunday).  Names are case-insensitive.
- Each field is a comma-separated list of items; an item is ``*``, a value ``a``, a range
  ``a-b``, or any of those with a step: ``*/n``, ``a-b/n``, ``a/n`` (from a to the field's
  maximum; for day of week that maximum is 6, Saturday).
- A day-of-week range may end on Sunday: ``FRI-SUN`` (or ``5-0``) means Friday to Sunday.
- Aliases: ``@yearly`` (= ``@annually``), ``@monthly``, ``@weekly``, ``@daily``
  (= ``@midnight``) and ``@hourly``.

Day matching follows Vixie cron (and cronie), so schedules copied from a crontab behave the
same here: when day-of-month and day-of-week are *both* restricted, a day matches if
*either* matches (``0 0 13 * FRI`` runs on every 13th and on every Friday).  A field counts
as unrestricted when it starts with ``*``; then the two combine with AND, which for a plain
``*`` means only the other field restricts (``0 0 */2 * MON`` runs on Mondays that are odd
days of the month, exactly as in Vixie cron).

An expression that can never match (``0 0 30 2 *``) is refused by :meth:`Cron.parse`: a
periodic job that silently never runs is worse than an error at start-up.

Time zones and daylight saving time
-----------------------------------
Run times are wall-clock times in the zone given to :meth:`Cron.next_after` (UTC by default):
``0 9 * * *`` in ``Europe/Berlin`` runs at 09:00 Berlin time all year round.  Where the wall
clock jumps, two rules apply:

- Spring forward: a local time that does not exist is skipped; that run does not happen.
  (In Berlin, 2026-03-29 02:30 does not exist, so ``30 2 * * *`` does not run that day.)
  This is the one rule that keeps every run at a time the wall clock really shows, and it
  never piles several runs from the gap onto the same instant.
- Fall back: a local time that occurs twice runs once, at its first occurrence (fold=0).
  (In Berlin, 2026-10-25 02:00-02:59 happens twice; ``*/15 * * * *`` runs at 02:00, 02:15,
  02:30 and 02:45 summer time, then 03:00 winter time — an hour and a quarter later.)

Run times carry the zone as their tzinfo.  Python compares and subtracts two datetimes with
the *same* tzinfo by their wall clocks, ignoring DST; convert to UTC first when measuring the
time between runs (the code here compares in UTC for that reason).
"""

from __future__ import annotations

import calendar
import re
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timezone
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from robin.errors import ConfigurationError

__all__ = ["Cron", "CronError", "Zone", "resolve_tz"]

Zone = ZoneInfo | timezone | str
"""A time zone: a ``ZoneInfo``, a fixed ``datetime.timezone``, or an IANA name such as 'Europe/Berlin'."""

FIELD_NAMES: Final = ("minute", "hour", "day-of-month", "month", "day-of-week")

ALIASES: Final = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

MONTH_NAMES: Final = tuple(calendar.month_name)  # index 1-12; month_name[0] is ""
DAY_NAMES: Final = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")

# The longest each month can be (February in a leap year), for the "never runs" check.
_MAX_DAYS: Final = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# The Gregorian calendar repeats every 400 years, so a day that matches at all matches
# within that many months of any starting point.  Reaching the bound means a bug.
_MAX_MONTHS_SEARCHED: Final = 12 * 401

_DIGITS = re.compile(r"[0-9]+")


class CronError(ConfigurationError):
    """A cron expression is invalid or can never match.

    ``expression`` is the text as given, ``reason`` says what is wrong with it.
    """

    def __init__(self, expression: str, reason: str) -> None:
        super().__init__(f'cron "{expression}": {reason}')
        self.expression = expression
        self.reason = reason

    def __reduce__(self) -> tuple[type[CronError], tuple[str, str]]:
        # Errors cross process boundaries (worker processes); the default pickling would
        # call CronError(message) and fail on the missing argument.
        return type(self), (self.expression, self.reason)


def resolve_tz(tz: Zone) -> ZoneInfo | timezone:
    """Return the time zone ``tz`` names; raise ConfigurationError for an unknown name.

    Call it where a periodic job is declared, so a typo fails at start-up, not at the first run.
    """
    given: object = tz  # typed callers cannot pass anything else, untyped ones can
    if isinstance(given, ZoneInfo | timezone):
        return given
    if not isinstance(given, str):
        # Other tzinfo classes (pytz above all) give wrong offsets with datetime.replace().
        raise TypeError(f"tz must be a zoneinfo.ZoneInfo, a datetime.timezone or a name, not {type(given).__name__}")
    try:
        return ZoneInfo(given)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ConfigurationError(
            f"unknown time zone {given!r}: expected an IANA name such as 'Europe/Berlin' or 'UTC'"
        ) from None


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True, slots=True)
class _Field:
    """How one of the five fields is written: its name, bounds and value names."""

    name: str
    low: int
    high: int
    star_high: int  # where `*` and `a/n` stop: 6 for day-of-week, so Sunday is not counted twice
    names: dict[str, int]


def _names(words: list[str], first: int) -> dict[str, int]:
    return {word[:3].upper(): number for number, word in enumerate(words, start=first)}


_FIELDS: Final = (
    _Field("minute", 0, 59, 59, {}),
    _Field("hour", 0, 23, 23, {}),
    _Field("day-of-month", 1, 31, 31, {}),
    _Field("month", 1, 12, 12, _names(list(MONTH_NAMES[1:]), 1)),
    _Field("day-of-week", 0, 7, 6, _names(list(DAY_NAMES), 0)),
)


class _ParseError(Exception):
    """A field is wrong; carries the reason, which parse() wraps in a CronError with the expression."""


def _parse_value(spec: _Field, token: str, item: str) -> int:
    if not token:
        raise _ParseError(f"{spec.name} value is missing in '{item}'")
    if _DIGITS.fullmatch(token):
        value = int(token)
        if not spec.low <= value <= spec.high:
            raise _ParseError(f"{spec.name} {value} is out of range {spec.low}-{spec.high}")
        return value
    if not spec.names:
        raise _ParseError(f"{spec.name} '{token}' is not a number")
    if token.isalpha():
        try:
            return spec.names[token.upper()]
        except KeyError:
            raise _ParseError(f"unknown {spec.name} name '{token}'") from None
    raise _ParseError(f"{spec.name} '{token}' is not a number or a {spec.name} name")


def _parse_step(spec: _Field, token: str) -> int:
    if not _DIGITS.fullmatch(token):
        shown = f"'{token}' is not a number" if token else "is missing after '/'"
        raise _ParseError(f"{spec.name} step {shown}")
    step = int(token)
    if step < 1:
        raise _ParseError(f"{spec.name} step must be at least 1, got {step}")
    return step


def _parse_item(spec: _Field, item: str) -> range:
    """One list item (``*``, ``a``, ``a-b``, optionally ``/n``) as the range of values it means."""
    base, slash, step_text = item.partition("/")
    if "/" in step_text:
        raise _ParseError(f"{spec.name} '{item}' has more than one '/'")
    step = _parse_step(spec, step_text) if slash else 1
    if base == "*":
        return range(spec.low, spec.star_high + 1, step)
    start_text, dash, end_text = base.partition("-")
    if "-" in end_text:
        raise _ParseError(f"{spec.name} range '{base}' has more than one '-'")
    start = _parse_value(spec, start_text, item)
    if not dash:
        # `a/n` runs from a to the maximum (7/n, Sunday, is just 7); a plain `a` is just a.
        return range(start, (max(start, spec.star_high) if slash else start) + 1, step)
    end = _parse_value(spec, end_text, item)
    if spec.name == "day-of-week" and end == 0 and start > 0:
        end = 7  # FRI-SUN: Sunday is also 7, the end of the week
    if start > end:
        raise _ParseError(f"{spec.name} range {start_text}-{end_text} is reversed; write the smaller value first")
    return range(start, end + 1, step)


def _parse_field(spec: _Field, text: str) -> tuple[int, ...]:
    values: set[int] = set()
    for item in text.split(","):
        if not item:
            raise _ParseError(f"{spec.name} has an empty list item in '{text}'")
        values.update(_parse_item(spec, item))
    if spec.name == "day-of-week" and 7 in values:
        values.discard(7)
        values.add(0)
    return tuple(sorted(values))


def _expand_alias(fields: list[str]) -> list[str]:
    if len(fields) != 1:
        raise _ParseError(f"an alias such as {fields[0]} stands alone, got {len(fields)} fields")
    try:
        return ALIASES[fields[0].lower()].split()
    except KeyError:
        known = ", ".join(ALIASES)
        raise _ParseError(f"unknown alias '{fields[0]}' (expected one of {known})") from None


def _join(words: list[str], last: str = "and") -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"


# --------------------------------------------------------------------------- the schedule


@dataclass(frozen=True, slots=True)
class Cron:
    """A parsed cron expression.  Create one with :meth:`Cron.parse`.

    The value tuples are sorted; ``days_of_week`` uses 0-6 with Sunday as 0.  ``days_or`` is
    True when day-of-month and day-of-week are both restricted, so a day matches if either
    does.  Two Crons are equal when they describe the same schedule (``@daily`` equals
    ``0 0 * * *``), whatever their text.
    """

    text: str = field(compare=False)
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days_of_month: tuple[int, ...]
    months: tuple[int, ...]
    days_of_week: tuple[int, ...]
    days_or: bool
    # Sets for the day-by-day search, which tests membership more than anything else.
    _dom_set: frozenset[int] = field(init=False, repr=False, compare=False)
    _dow_set: frozenset[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_dom_set", frozenset(self.days_of_month))
        object.__setattr__(self, "_dow_set", frozenset(self.days_of_week))

    @classmethod
    def parse(cls, text: str) -> Cron:
        """Parse a five-field expression or an @alias; raise CronError saying what is wrong."""
        fields = text.split()
        try:
            if fields and fields[0].startswith("@"):
                fields = _expand_alias(fields)
            if len(fields) != 5:
                raise _ParseError(f"expected 5 fields ({' '.join(FIELD_NAMES)}), got {len(fields)}")
            minutes, hours, dom, months, dow = (_parse_field(s, f) for s, f in zip(_FIELDS, fields, strict=True))
            # Vixie cron: a field that starts with `*` does not count as a restriction.
            days_or = not fields[2].startswith("*") and not fields[4].startswith("*")
            cron = cls(text, minutes, hours, dom, months, dow, days_or)
            cron._check_can_run(fields[2])
        except _ParseError as exc:
            raise CronError(text, str(exc)) from None
        return cron

    def _check_can_run(self, dom_text: str) -> None:
        """Refuse a day-of-month that none of the months has (``0 0 30 2 *``).

        That is the only way a valid expression can never match: with OR semantics any
        restricted day-of-week matches some day; with AND, every (month, day) pair that
        exists falls on every weekday in some year (within the 400-year Gregorian cycle).
        """
        if self.days_or or self.days_of_month[0] <= max(_MAX_DAYS[m] for m in self.months):
            return
        months = _join([MONTH_NAMES[m] for m in self.months], "or")
        raise _ParseError(f"never runs: day-of-month {dom_text} does not exist in {months}")

    def __repr__(self) -> str:
        return f"Cron.parse({self.text!r})"

    # ------------------------------------------------------------------ run times

    def next_after(self, when: datetime, tz: Zone = "UTC") -> datetime:
        """The first run time strictly after ``when`` (which must be aware), as an aware time in ``tz``."""
        zone = resolve_tz(tz)
        after = _utc(when, "when")
        wall = after.astimezone(zone).replace(tzinfo=None)
        while True:
            wall = self._next_wall(wall)
            run = wall.replace(tzinfo=zone).astimezone(UTC)
            local = run.astimezone(zone)
            if local.replace(tzinfo=None) != wall:
                continue  # the wall clock skips this time (spring forward): the run does not happen
            if run > after:
                # Compared in UTC: two times with the same ZoneInfo compare by wall clock,
                # ignoring fold, which is wrong in the hour that repeats.
                return local
            # `when` is in the second pass of a repeated hour; this wall time's first
            # occurrence (the one that runs) is already over.

    def ticks_between(self, start: datetime, end: datetime, tz: Zone = "UTC") -> Iterator[datetime]:
        """Every run time ``t`` with ``start < t <= end``, in order, as aware times in ``tz``.

        The arguments are checked now, not when the iteration starts.
        """
        zone = resolve_tz(tz)
        last = _utc(end, "end")
        first = _utc(start, "start")
        return self._ticks(first, last, zone)

    def _ticks(self, start: datetime, end: datetime, zone: ZoneInfo | timezone) -> Iterator[datetime]:
        run = self.next_after(start, zone)
        while run <= end:
            yield run
            run = self.next_after(run, zone)

    def _next_wall(self, after: datetime) -> datetime:
        """The first matching wall-clock minute strictly after the naive time ``after``."""
        day = after.date()
        clock = self._time_from(after.hour, after.minute + 1)
        if clock is None or not self._day_matches(day):
            day = self._next_day(day)
            clock = (self.hours[0], self.minutes[0])
        return datetime.combine(day, time(*clock))

    def _time_from(self, hour: int, minute: int) -> tuple[int, int] | None:
        """The first matching (hour, minute) at or after hour:minute on the same day, if any."""
        i = bisect_left(self.hours, hour)
        if i < len(self.hours) and self.hours[i] == hour:
            j = bisect_left(self.minutes, minute)
            if j < len(self.minutes):
                return hour, self.minutes[j]
            i += 1
        return (self.hours[i], self.minutes[0]) if i < len(self.hours) else None

    def _day_matches(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        dom = day.day in self._dom_set
        dow = day.isoweekday() % 7 in self._dow_set
        return (dom or dow) if self.days_or else (dom and dow)

    def _next_day(self, day: date) -> date:
        """The first matching day strictly after ``day``: month by month, never day by day over years."""
        year, month, first = day.year, day.month, day.day + 1
        for _ in range(_MAX_MONTHS_SEARCHED):
            i = bisect_left(self.months, month)
            if i == len(self.months):
                year, month, first = year + 1, self.months[0], 1
            elif self.months[i] != month:
                month, first = self.months[i], 1
            if year > datetime.max.year:
                raise ValueError(f'cron "{self.text}": no run time after {day} before the year 10000')
            found = self._day_in_month(year, month, first)
            if found is not None:
                return date(year, month, found)
            month, first = month + 1, 1
        raise AssertionError(f'cron "{self.text}": no matching day in 400 years after {day}')  # pragma: no cover

    def _day_in_month(self, year: int, month: int, first: int) -> int | None:
        """The first matching day of the month that is ``first`` or later, if any."""
        weekday_of_1st, last = calendar.monthrange(year, month)  # Monday is 0 there
        # The cron weekday (Sunday 0) of day d is (weekday_of_1st + d) % 7.
        if not self.days_or:
            # AND: only listed days can match, so walk those instead of every day.
            for d in self.days_of_month[bisect_left(self.days_of_month, first) :]:
                if d > last:
                    return None
                if (weekday_of_1st + d) % 7 in self._dow_set:
                    return d
            return None
        for d in range(first, last + 1):
            if d in self._dom_set or (weekday_of_1st + d) % 7 in self._dow_set:
                return d
        return None

    # ------------------------------------------------------------------ description

    def describe(self) -> str:
        """A short English description, e.g. 'every 5 minutes, 09:00-17:59, Monday to Friday'.

        Best effort, for logs and dashboards; :attr:`text` is the exact schedule.
        """
        parts = [self._describe_time(), *self._describe_days()]
        return ", ".join(part for part in parts if part)

    def _describe_time(self) -> str:
        minutes, hours = self.minutes, self.hours
        every_hour = len(hours) == 24
        if len(minutes) == 1:
            if every_hour:
                return f"every hour at minute {minutes[0]}"
            if len(hours) <= 4:
                return "at " + _join([f"{h:02d}:{minutes[0]:02d}" for h in hours])
            if step := _step_from_low(hours, 0, 23):
                return f"every {step} hours at minute {minutes[0]}"
        if len(minutes) == 60:
            what = "every minute"
        elif step := _step_from_low(minutes, 0, 59):
            what = f"every {step} minutes"
        else:
            what = "at minute" + ("s " if len(minutes) > 1 else " ") + _join(_runs(minutes))
        if every_hour:
            return what
        if step := _step_from_low(hours, 0, 23):
            return f"{what}, every {step} hours"
        runs = _runs(hours, lambda h: f"{h:02d}:00", lambda h: f"{h:02d}:59")
        return f"{what}, {_join(runs)}"

    def _describe_days(self) -> list[str]:
        dom, months = self.days_of_month, self.months
        every_weekday = len(self.days_of_week) == 7
        if len(dom) == 1 and len(months) == 1 and every_weekday:
            return [f"on {dom[0]} {MONTH_NAMES[months[0]]}"]
        dom_text = ""
        if len(dom) < 31:
            step = _step_from_low(dom, 1, 31)
            dom_text = (
                f"on every {_ordinal(step)} day of the month"
                if step
                else "on day" + ("s " if len(dom) > 1 else " ") + _join(_runs(dom)) + " of the month"
            )
        if dom_text and not every_weekday:
            if self.days_or:
                days = f"{dom_text} or on {_describe_weekdays(self.days_of_week, 'and')}"
            else:
                days = f"{dom_text} if it falls on {_describe_weekdays(self.days_of_week, 'or')}"
        else:
            days = dom_text or ("" if every_weekday else _describe_weekdays(self.days_of_week, "and"))
        month_text = "" if len(months) == 12 else "in " + _join(_runs(months, lambda m: MONTH_NAMES[m], sep=" to "))
        return [days, month_text]


def _utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (with a tzinfo), got the naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def _step_from_low(values: tuple[int, ...], low: int, high: int) -> int:
    """n when values are exactly low, low+n, ... up to high (n > 1, at least 3 values), else 0."""
    if len(values) < 3 or values[0] != low:
        return 0
    step = values[1] - values[0]
    return step if step > 1 and values == tuple(range(low, high + 1, step)) else 0


def _runs(
    values: Sequence[int],
    label: Callable[[int], str] = str,
    last_label: Callable[[int], str] | None = None,
    sep: str = "-",
) -> list[str]:
    """Sorted values as words: runs of 3 or more as 'a-b', others one by one.

    With ``last_label`` every run is a span, even of one value (hour 9 is '09:00-09:59').
    """
    words: list[str] = []
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        if last_label is not None:
            words.append(f"{label(values[i])}{sep}{last_label(values[j])}")
        elif j - i >= 2:
            words.append(f"{label(values[i])}{sep}{label(values[j])}")
        else:
            words.extend(label(v) for v in values[i : j + 1])
        i = j + 1
    return words


def _describe_weekdays(days: Sequence[int], last: str) -> str:
    # Counted from Monday (0) to Sunday (6), so that a weekend reads as one run.
    from_monday = sorted((d - 1) % 7 for d in days)
    return _join(_runs(from_monday, lambda d: DAY_NAMES[(d + 1) % 7], sep=" to "), last)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
