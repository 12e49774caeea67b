"""Cron expressions: parsing, error messages, next run times, daylight saving time, speed.

Pure functions: no server, no clock.  Run times are checked both as wall-clock times in the
schedule's zone and, where daylight saving time matters, as UTC instants.
"""

from __future__ import annotations

import itertools
import pickle
import random
import re
import time
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from robin.errors import ConfigurationError, RobinError
from robin_enterprise.cron import Cron, CronError, resolve_tz

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN, fold=fold)


def new_york(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


def walls(runs: list[datetime]) -> list[str]:
    """Runs as local wall-clock text with the UTC offset, which tells the two passes of a repeated hour apart."""
    return [run.isoformat(timespec="minutes") for run in runs]


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "attribute", "expected"),
    [
        ("* * * * *", "minutes", tuple(range(60))),
        ("5 * * * *", "minutes", (5,)),
        ("05 * * * *", "minutes", (5,)),
        ("1-5 * * * *", "minutes", (1, 2, 3, 4, 5)),
        ("*/15 * * * *", "minutes", (0, 15, 30, 45)),
        ("10-30/10 * * * *", "minutes", (10, 20, 30)),
        ("50/5 * * * *", "minutes", (50, 55)),
        ("1,5-7,20/20 * * * *", "minutes", (1, 5, 6, 7, 20, 40)),
        ("3,1,2,1 * * * *", "minutes", (1, 2, 3)),
        ("*/90 * * * *", "minutes", (0,)),
        ("* 9-17 * * *", "hours", tuple(range(9, 18))),
        ("* */6 * * *", "hours", (0, 6, 12, 18)),
        ("* * */10 * *", "days_of_month", (1, 11, 21, 31)),
        ("* * 1,15,31 * *", "days_of_month", (1, 15, 31)),
        ("* * * jan,MAR *", "months", (1, 3)),
        ("* * * Jan-Mar *", "months", (1, 2, 3)),
        ("* * * JAN/4 *", "months", (1, 5, 9)),
        ("* * * 6-dec/3 *", "months", (6, 9, 12)),
        ("* * * * MON-FRI", "days_of_week", (1, 2, 3, 4, 5)),
        ("* * * * mon,wed,fri", "days_of_week", (1, 3, 5)),
        ("* * * * 7", "days_of_week", (0,)),
        ("* * * * 0,7", "days_of_week", (0,)),
        ("* * * * SUN-SAT", "days_of_week", tuple(range(7))),
        ("* * * * 0-7", "days_of_week", tuple(range(7))),
        ("* * * * FRI-SUN", "days_of_week", (0, 5, 6)),
        ("* * * * 5-0", "days_of_week", (0, 5, 6)),
        ("* * * * SUN-SUN", "days_of_week", (0,)),
        ("* * * * */2", "days_of_week", (0, 2, 4, 6)),
        ("* * * * 1/2", "days_of_week", (1, 3, 5)),
        ("* * * * 1-7/2", "days_of_week", (0, 1, 3, 5)),
        ("* * * * 7/2", "days_of_week", (0,)),
        ("* * * * MON-FRI/2", "days_of_week", (1, 3, 5)),
    ],
)
def test_parse_expands_each_field_to_its_values(text: str, attribute: str, expected: tuple[int, ...]) -> None:
    assert getattr(Cron.parse(text), attribute) == expected


def test_parse_keeps_the_text_as_given_and_splits_on_any_whitespace() -> None:
    cron = Cron.parse("  */5\t9-17 *  * MON-FRI ")
    assert cron.text == "  */5\t9-17 *  * MON-FRI "
    assert cron == Cron.parse("*/5 9-17 * * MON-FRI")


@pytest.mark.parametrize(
    ("alias", "expansion"),
    [
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@monthly", "0 0 1 * *"),
        ("@weekly", "0 0 * * 0"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
        ("@DAILY", "0 0 * * *"),
    ],
)
def test_aliases_mean_their_five_field_expansion(alias: str, expansion: str) -> None:
    cron = Cron.parse(alias)
    assert cron == Cron.parse(expansion)
    assert cron.text == alias


@pytest.mark.parametrize(
    ("text", "days_or"),
    [
        ("0 0 13 * FRI", True),  # both restricted: either matches
        ("0 0 1-31 * MON", True),  # restricted as written, even if every day
        ("0 0 13 * *", False),
        ("0 0 * * FRI", False),
        ("0 0 */2 * MON", False),  # starts with `*`: unrestricted, as in Vixie cron
        ("0 0 13 * */2", False),
        ("0 0 * * *", False),
    ],
)
def test_day_fields_combine_with_or_only_when_both_are_restricted(text: str, days_or: bool) -> None:
    assert Cron.parse(text).days_or is days_or


def test_crons_are_equal_by_schedule_hashable_and_repr_shows_the_text() -> None:
    assert Cron.parse("@daily") == Cron.parse("0 0 * * *")
    assert Cron.parse("0 0 * * 7") == Cron.parse("0 0 * * SUN")
    assert Cron.parse("0 0 * * *") != Cron.parse("0 1 * * *")
    assert len({Cron.parse("@hourly"), Cron.parse("0 * * * *")}) == 1
    assert repr(Cron.parse("*/5 * * * *")) == "Cron.parse('*/5 * * * *')"


# --------------------------------------------------------------------------- errors

_ALIASES = "@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("*/5 * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 4"),
        ("", "expected 5 fields (minute hour day-of-month month day-of-week), got 0"),
        ("0 0 * * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 6"),
        ("61 * * * *", "minute 61 is out of range 0-59"),
        ("* 24 * * *", "hour 24 is out of range 0-23"),
        ("* * 0 * *", "day-of-month 0 is out of range 1-31"),
        ("* * 32 * *", "day-of-month 32 is out of range 1-31"),
        ("* * * 13 *", "month 13 is out of range 1-12"),
        ("* * * 0 *", "month 0 is out of range 1-12"),
        ("* * * * 8", "day-of-week 8 is out of range 0-7"),
        ("0-60 * * * *", "minute 60 is out of range 0-59"),
        ("*/5,99 * * * *", "minute 99 is out of range 0-59"),
        ("* * * FOO *", "unknown month name 'FOO'"),
        ("* * * January *", "unknown month name 'January'"),
        ("* * * * FUN", "unknown day-of-week name 'FUN'"),
        ("* * * * JAN", "unknown day-of-week name 'JAN'"),
        ("* * * MON *", "unknown month name 'MON'"),
        ("MON * * * *", "minute 'MON' is not a number"),
        ("5x * * * *", "minute '5x' is not a number"),
        ("* * 1.5 * *", "day-of-month '1.5' is not a number"),
        ("１ * * * *", "minute '１' is not a number"),  # a full-width digit is not a cron digit
        ("* * * 1x *", "month '1x' is not a number or a month name"),
        ("* * * * ?", "day-of-week '?' is not a number or a day-of-week name"),
        ("*/0 * * * *", "minute step must be at least 1, got 0"),
        ("* 1-5/0 * * *", "hour step must be at least 1, got 0"),
        ("*/x * * * *", "minute step 'x' is not a number"),
        ("*/ * * * *", "minute step is missing after '/'"),
        ("1/2/3 * * * *", "minute '1/2/3' has more than one '/'"),
        ("1,,2 * * * *", "minute has an empty list item in '1,,2'"),
        ("1, * * * *", "minute has an empty list item in '1,'"),
        ("* * * ,jan *", "month has an empty list item in ',jan'"),
        ("5-1 * * * *", "minute range 5-1 is reversed; write the smaller value first"),
        ("* * * dec-jan *", "month range dec-jan is reversed; write the smaller value first"),
        ("* * * * FRI-MON", "day-of-week range FRI-MON is reversed; write the smaller value first"),
        ("1-2-3 * * * *", "minute range '1-2-3' has more than one '-'"),
        ("-5 * * * *", "minute value is missing in '-5'"),
        ("5- * * * *", "minute value is missing in '5-'"),
        ("/5 * * * *", "minute value is missing in '/5'"),
        ("@weird", f"unknown alias '@weird' (expected one of {_ALIASES})"),
        ("@reboot", f"unknown alias '@reboot' (expected one of {_ALIASES})"),
        ("@daily 5", "an alias such as @daily stands alone, got 2 fields"),
        ("0 0 30 2 *", "never runs: day-of-month 30 does not exist in February"),
        ("0 0 30,31 feb *", "never runs: day-of-month 30,31 does not exist in February"),
        ("0 0 31 4,6,9,11 *", "never runs: day-of-month 31 does not exist in April, June, September or November"),
        ("0 0 31 2 */7", "never runs: day-of-month 31 does not exist in February"),
    ],
)
def test_a_bad_expression_raises_cron_error_naming_the_field_and_why(text: str, reason: str) -> None:
    with pytest.raises(CronError) as caught:
        Cron.parse(text)
    assert str(caught.value) == f'cron "{text}": {reason}'
    assert caught.value.expression == text
    assert caught.value.reason == reason


def test_cron_error_is_a_configuration_error_and_a_value_error() -> None:
    with pytest.raises(CronError) as caught:
        Cron.parse("61 * * * *")
    assert isinstance(caught.value, ConfigurationError)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, RobinError)


def test_cron_error_survives_pickling_for_worker_processes() -> None:
    error = CronError("61 * * * *", "minute 61 is out of range 0-59")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is CronError
    assert (str(copy), copy.expression, copy.reason) == (str(error), error.expression, error.reason)


@pytest.mark.parametrize("text", ["0 0 29 2 *", "0 0 30 2 MON", "0 0 31 1-2 *", "0 0 30 */2 *", "0 0 31 2 1-7"])
def test_expressions_that_run_only_rarely_are_accepted(text: str) -> None:
    Cron.parse(text)


# --------------------------------------------------------------------------- next_after


@pytest.mark.parametrize(
    ("text", "when", "expected"),
    [
        # strictly after, from a whole minute and from inside one
        ("* * * * *", utc(2026, 5, 4, 10, 0), utc(2026, 5, 4, 10, 1)),
        ("* * * * *", utc(2026, 5, 4, 10, 0, 30), utc(2026, 5, 4, 10, 1)),
        ("* * * * *", datetime(2026, 5, 4, 10, 0, 59, 999999, tzinfo=UTC), utc(2026, 5, 4, 10, 1)),
        ("* * * * *", utc(2026, 12, 31, 23, 59), utc(2027, 1, 1, 0, 0)),
        # steps
        ("*/5 * * * *", utc(2026, 5, 4, 10, 3), utc(2026, 5, 4, 10, 5)),
        ("*/5 * * * *", utc(2026, 5, 4, 10, 5), utc(2026, 5, 4, 10, 10)),
        ("*/5 * * * *", utc(2026, 5, 4, 10, 55), utc(2026, 5, 4, 11, 0)),
        ("50/5 * * * *", utc(2026, 5, 4, 10, 56), utc(2026, 5, 4, 11, 50)),
        ("0 */6 * * *", utc(2026, 5, 4, 18, 0), utc(2026, 5, 5, 0, 0)),
        ("0 0 */10 * *", utc(2026, 4, 21, 0, 0), utc(2026, 5, 1, 0, 0)),  # 31 is not in April
        # ranges and lists
        ("0 9-17 * * *", utc(2026, 5, 4, 12, 30), utc(2026, 5, 4, 13, 0)),
        ("0 9-17 * * *", utc(2026, 5, 4, 17, 0), utc(2026, 5, 5, 9, 0)),
        ("15,45 8,20 * * *", utc(2026, 5, 4, 8, 45), utc(2026, 5, 4, 20, 15)),
        ("0 12 1,15 * *", utc(2026, 5, 2, 0, 0), utc(2026, 5, 15, 12, 0)),
        # names
        ("0 9 * * MON-FRI", utc(2026, 3, 27, 10, 0), utc(2026, 3, 30, 9, 0)),  # Friday after 9 -> Monday
        ("0 0 1 jan,jul *", utc(2026, 2, 1, 0, 0), utc(2026, 7, 1, 0, 0)),
        ("0 0 * * SUN", utc(2026, 3, 2, 0, 0), utc(2026, 3, 8, 0, 0)),
        ("0 0 * * 7", utc(2026, 3, 2, 0, 0), utc(2026, 3, 8, 0, 0)),
        ("30 6 * * FRI-SUN", utc(2026, 3, 2, 0, 0), utc(2026, 3, 6, 6, 30)),
        # month ends and the year's end
        ("0 0 31 * *", utc(2026, 1, 31, 0, 0), utc(2026, 3, 31, 0, 0)),
        ("0 0 31 * *", utc(2026, 3, 31, 0, 0), utc(2026, 5, 31, 0, 0)),
        ("0 0 30 * *", utc(2026, 1, 30, 0, 0), utc(2026, 3, 30, 0, 0)),
        ("59 23 31 12 *", utc(2026, 12, 31, 23, 59), utc(2027, 12, 31, 23, 59)),
        ("@yearly", utc(2026, 6, 1, 0, 0), utc(2027, 1, 1, 0, 0)),
        ("@monthly", utc(2026, 12, 15, 0, 0), utc(2027, 1, 1, 0, 0)),
        # February 29 only in leap years, and not in 2100
        ("0 0 29 2 *", utc(2026, 1, 1, 0, 0), utc(2028, 2, 29, 0, 0)),
        ("0 0 29 2 *", utc(2028, 2, 29, 0, 0), utc(2032, 2, 29, 0, 0)),
        ("0 0 29 2 *", utc(2096, 3, 1, 0, 0), utc(2104, 2, 29, 0, 0)),
        ("0 0 29 2 *", utc(2399, 1, 1, 0, 0), utc(2400, 2, 29, 0, 0)),
        # day-of-month OR day-of-week when both are restricted (Vixie cron)
        ("0 0 13 * FRI", utc(2026, 4, 10, 0, 0), utc(2026, 4, 13, 0, 0)),  # the 13th, a Monday
        ("0 0 13 * FRI", utc(2026, 4, 13, 0, 0), utc(2026, 4, 17, 0, 0)),  # a Friday, not the 13th
        ("0 0 29 2 MON", utc(2026, 1, 1, 0, 0), utc(2026, 2, 2, 0, 0)),  # Mondays of February count
        # AND when one of them starts with `*`
        ("0 0 */2 * MON", utc(2026, 3, 1, 0, 0), utc(2026, 3, 9, 0, 0)),  # Monday the 2nd is even
        ("0 0 */2 * MON", utc(2026, 3, 24, 0, 0), utc(2026, 4, 13, 0, 0)),
        ("0 0 29 2 */7", utc(2026, 1, 1, 0, 0), utc(2032, 2, 29, 0, 0)),  # a Sunday February 29
    ],
)
def test_next_after_finds_the_first_run_strictly_after(text: str, when: datetime, expected: datetime) -> None:
    run = Cron.parse(text).next_after(when)
    assert run == expected
    assert run.tzinfo == ZoneInfo("UTC")


def test_next_after_returns_an_aware_time_in_the_requested_zone() -> None:
    cron = Cron.parse("0 * * * *")
    when = berlin(2026, 6, 1, 0, 30)  # 2026-05-31 22:30 UTC
    assert cron.next_after(when).isoformat() == "2026-05-31T23:00:00+00:00"
    assert cron.next_after(when, "Europe/Berlin").isoformat() == "2026-06-01T01:00:00+02:00"
    assert cron.next_after(when, NEW_YORK).isoformat() == "2026-05-31T19:00:00-04:00"
    assert cron.next_after(when, BERLIN).tzinfo is BERLIN


def test_next_after_accepts_a_fixed_offset_zone() -> None:
    india = timezone(timedelta(hours=5, minutes=30))
    run = Cron.parse("0 9 * * *").next_after(utc(2026, 5, 4, 4, 0), india)
    assert run.isoformat() == "2026-05-05T09:00:00+05:30"


def test_wall_clock_schedule_keeps_its_local_time_across_a_dst_change() -> None:
    runs = list(Cron.parse("0 9 * * *").ticks_between(utc(2026, 3, 6), utc(2026, 3, 10), "America/New_York"))
    assert walls(runs) == [
        "2026-03-06T09:00-05:00",
        "2026-03-07T09:00-05:00",
        "2026-03-08T09:00-04:00",
        "2026-03-09T09:00-04:00",
    ]
    assert [run.astimezone(UTC).hour for run in runs] == [14, 14, 13, 13]


def test_naive_datetimes_are_rejected() -> None:
    cron = Cron.parse("* * * * *")
    with pytest.raises(ValueError, match=r"^when must be an aware datetime"):
        cron.next_after(datetime(2026, 5, 4, 10, 0))
    with pytest.raises(ValueError, match=r"^start must be an aware datetime"):
        cron.ticks_between(datetime(2026, 5, 4), utc(2026, 5, 5))  # raised at once, before iterating
    with pytest.raises(ValueError, match=r"^end must be an aware datetime"):
        cron.ticks_between(utc(2026, 5, 4), datetime(2026, 5, 5))


def test_an_unknown_time_zone_is_a_configuration_error() -> None:
    cron = Cron.parse("* * * * *")
    for name in ("Mars/Base", "Europe", "", "../etc/passwd"):
        expected = re.escape(f"unknown time zone {name!r}: expected an IANA name")
        with pytest.raises(ConfigurationError, match=f"^{expected}"):
            cron.next_after(utc(2026, 5, 4), name)
    with pytest.raises(TypeError, match=r"^tz must be a zoneinfo\.ZoneInfo"):
        cron.next_after(utc(2026, 5, 4), 5)  # type: ignore[arg-type]


def test_resolve_tz_validates_a_zone_up_front() -> None:
    assert resolve_tz("Europe/Berlin") is BERLIN
    assert resolve_tz(UTC) is UTC
    with pytest.raises(ConfigurationError):
        resolve_tz("Europe/Berlni")


def test_no_run_before_the_year_10000_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="no run time after 9999-12-31 before the year 10000"):
        Cron.parse("* * * * *").next_after(datetime(9999, 12, 31, 23, 59, tzinfo=UTC))


def _reference_next(cron: Cron, when: datetime) -> datetime:
    """The next run in UTC by brute force: every day for 9 years, then every time on a matching day."""
    for offset in range(9 * 366):
        day = when.date() + timedelta(days=offset)
        dom = day.day in cron.days_of_month
        dow = day.isoweekday() % 7 in cron.days_of_week
        if day.month not in cron.months or not ((dom or dow) if cron.days_or else (dom and dow)):
            continue
        for hour, minute in itertools.product(cron.hours, cron.minutes):
            run = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
            if run > when:
                return run
    raise AssertionError(f"no run found for {cron.text}")


def _random_field(rng: random.Random, low: int, high: int) -> str:
    items = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        a, b = sorted(rng.sample(range(low, high + 1), 2))
        step = rng.randint(1, 9)
        forms = ["*", f"*/{step}", str(a), f"{a}-{b}", f"{a}-{b}/{step}", f"{a}/{step}"]
        items.append(rng.choice(forms))
    return ",".join(items)


def test_next_after_agrees_with_brute_force_on_random_expressions() -> None:
    rng = random.Random(20260504)
    checked = 0
    while checked < 300:
        text = " ".join(_random_field(rng, low, high) for low, high in [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)])
        try:
            cron = Cron.parse(text)
        except CronError as error:
            assert error.reason.startswith("never runs"), error
            continue
        when = utc(2026, 1, 1) + timedelta(minutes=rng.randrange(4 * 366 * 24 * 60))
        assert cron.next_after(when) == _reference_next(cron, when), text
        checked += 1


# --------------------------------------------------------------------------- ticks_between


def test_ticks_between_excludes_start_and_includes_end() -> None:
    runs = list(Cron.parse("*/5 * * * *").ticks_between(utc(2026, 5, 4, 10, 0), utc(2026, 5, 4, 11, 0)))
    assert len(runs) == 12
    assert runs[0] == utc(2026, 5, 4, 10, 5)
    assert runs[-1] == utc(2026, 5, 4, 11, 0)
    assert runs == sorted(runs)


@pytest.mark.parametrize(
    ("text", "start", "end", "count"),
    [
        ("@daily", utc(2025, 12, 31), utc(2026, 12, 31), 365),
        ("@hourly", utc(2026, 1, 1), utc(2026, 1, 2), 24),
        ("0 9 * * MON-FRI", utc(2026, 2, 28, 23, 0), utc(2026, 3, 31, 23, 0), 22),
        ("0 0 13 * FRI", utc(2026, 3, 31), utc(2026, 4, 30), 5),  # 3, 10, 13, 17, 24 April
        ("0 0 29 2 *", utc(2000, 1, 1), utc(2100, 12, 31), 25),  # 2000 to 2096; 2100 is not a leap year
        ("0 0 1 * *", utc(2026, 1, 1), utc(2026, 1, 1), 0),  # empty: start == end
        ("0 0 1 * *", utc(2026, 6, 1), utc(2026, 1, 1), 0),  # empty: end before start
    ],
)
def test_ticks_between_counts(text: str, start: datetime, end: datetime, count: int) -> None:
    assert sum(1 for _ in Cron.parse(text).ticks_between(start, end, "UTC")) == count


def test_ticks_between_is_lazy() -> None:
    runs = Cron.parse("* * * * *").ticks_between(utc(2026, 1, 1), utc(9999, 1, 1))
    assert list(itertools.islice(runs, 3)) == [utc(2026, 1, 1, 0, m) for m in (1, 2, 3)]


# --------------------------------------------------------------------------- daylight saving time: Berlin


def test_berlin_spring_forward_skips_a_daily_run_in_the_gap() -> None:
    # 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist that day.
    cron = Cron.parse("30 2 * * *")
    assert cron.next_after(berlin(2026, 3, 28, 3, 0), BERLIN) == berlin(2026, 3, 30, 2, 30)
    runs = cron.ticks_between(berlin(2026, 3, 27), berlin(2026, 4, 1), BERLIN)
    assert walls(list(runs)) == [
        "2026-03-27T02:30+01:00",
        "2026-03-28T02:30+01:00",
        "2026-03-30T02:30+02:00",
        "2026-03-31T02:30+02:00",
    ]


def test_berlin_spring_forward_runs_before_and_after_the_gap_only() -> None:
    runs = Cron.parse("*/30 * * * *").ticks_between(berlin(2026, 3, 29, 1, 0), berlin(2026, 3, 29, 4, 0), BERLIN)
    assert walls(list(runs)) == [
        "2026-03-29T01:30+01:00",
        "2026-03-29T03:00+02:00",  # 02:00 and 02:30 do not exist
        "2026-03-29T03:30+02:00",
        "2026-03-29T04:00+02:00",
    ]


def test_berlin_every_minute_jumps_the_gap() -> None:
    run = Cron.parse("* * * * *").next_after(berlin(2026, 3, 29, 1, 59), BERLIN)
    assert run.isoformat() == "2026-03-29T03:00:00+02:00"
    # Subtract in UTC: Python subtracts two times of one ZoneInfo by their wall clocks.
    assert run.astimezone(UTC) - berlin(2026, 3, 29, 1, 59).astimezone(UTC) == timedelta(minutes=1)


def test_berlin_hourly_runs_23_times_on_the_short_day() -> None:
    runs = list(Cron.parse("@hourly").ticks_between(berlin(2026, 3, 28, 23, 59), berlin(2026, 3, 29, 23, 59), BERLIN))
    assert len(runs) == 23
    assert [run.hour for run in runs] == [0, 1, *range(3, 24)]


def test_berlin_fall_back_runs_a_repeated_time_once_at_its_first_occurrence() -> None:
    # 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:00-02:59 happens twice.
    runs = list(Cron.parse("30 2 * * *").ticks_between(berlin(2026, 10, 24, 12), berlin(2026, 10, 26, 12), BERLIN))
    assert walls(runs) == ["2026-10-25T02:30+02:00", "2026-10-26T02:30+01:00"]
    assert runs[0].fold == 0
    assert runs[0].astimezone(UTC) == utc(2026, 10, 25, 0, 30)


def test_berlin_fall_back_every_15_minutes_skips_the_second_pass() -> None:
    runs = list(
        Cron.parse("*/15 * * * *").ticks_between(berlin(2026, 10, 25, 1, 45), berlin(2026, 10, 25, 3, 15), BERLIN)
    )
    assert walls(runs) == [
        "2026-10-25T02:00+02:00",
        "2026-10-25T02:15+02:00",
        "2026-10-25T02:30+02:00",
        "2026-10-25T02:45+02:00",
        "2026-10-25T03:00+01:00",  # an hour and a quarter after 02:45 summer time
        "2026-10-25T03:15+01:00",
    ]
    assert runs[4].astimezone(UTC) - runs[3].astimezone(UTC) == timedelta(minutes=75)


def test_berlin_fall_back_next_after_inside_the_second_pass() -> None:
    cron = Cron.parse("*/15 * * * *")
    first_pass = berlin(2026, 10, 25, 2, 10)  # 00:10 UTC
    second_pass = berlin(2026, 10, 25, 2, 10, fold=1)  # 01:10 UTC
    assert cron.next_after(first_pass, BERLIN).isoformat() == "2026-10-25T02:15:00+02:00"
    # 02:15 summer time is already over at 02:10 winter time; the next run is 03:00.
    assert cron.next_after(second_pass, BERLIN).isoformat() == "2026-10-25T03:00:00+01:00"
    assert cron.next_after(second_pass.astimezone(UTC), BERLIN).isoformat() == "2026-10-25T03:00:00+01:00"


def test_berlin_hourly_runs_24_times_on_the_long_day() -> None:
    runs = list(Cron.parse("@hourly").ticks_between(berlin(2026, 10, 24, 23, 59), berlin(2026, 10, 25, 23, 59), BERLIN))
    assert [run.hour for run in runs] == list(range(24))
    assert len({run.astimezone(UTC) for run in runs}) == 24


def test_results_are_strictly_increasing_instants_through_both_transitions() -> None:
    for start in (berlin(2026, 3, 28), berlin(2026, 10, 24)):
        runs = list(Cron.parse("*/10 * * * *").ticks_between(start, start + timedelta(days=2), BERLIN))
        instants = [run.astimezone(UTC) for run in runs]
        assert all(a < b for a, b in itertools.pairwise(instants))


# --------------------------------------------------------------------------- daylight saving time: New York


def test_new_york_spring_forward_skips_the_run_in_the_gap() -> None:
    # 2026-03-08: 02:00 EST jumps to 03:00 EDT.
    runs = Cron.parse("30 2 * * *").ticks_between(new_york(2026, 3, 7, 12), new_york(2026, 3, 9, 12), NEW_YORK)
    assert walls(list(runs)) == ["2026-03-09T02:30-04:00"]


def test_new_york_fall_back_runs_once_in_the_repeated_hour() -> None:
    # 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:00-01:59 happens twice.
    runs = list(Cron.parse("30 1 * * *").ticks_between(new_york(2026, 10, 31, 12), new_york(2026, 11, 2, 12), NEW_YORK))
    assert walls(runs) == ["2026-11-01T01:30-04:00", "2026-11-02T01:30-05:00"]
    assert runs[0].astimezone(UTC) == utc(2026, 11, 1, 5, 30)


def test_new_york_every_minute_runs_each_repeated_minute_once() -> None:
    start, end = new_york(2026, 11, 1, 0, 59), new_york(2026, 11, 1, 2, 0)
    runs = list(Cron.parse("* * * * *").ticks_between(start, end, NEW_YORK))
    # 01:00-01:59 once (daylight time), then 02:00 EST: 61 runs over 2 hours and 1 minute.
    assert len(runs) == 61
    assert (runs[-2].isoformat(), runs[-1].isoformat()) == ("2026-11-01T01:59:00-04:00", "2026-11-01T02:00:00-05:00")


# --------------------------------------------------------------------------- speed


def test_sparse_expression_is_fast() -> None:
    cron = Cron.parse("0 0 29 2 *")
    start = utc(2026, 1, 1)
    began = time.perf_counter()
    for i in range(10_000):
        cron.next_after(start + timedelta(hours=7 * i))
    assert time.perf_counter() - began < 1.0


def test_rare_weekday_of_february_29_is_fast_in_a_zone() -> None:
    cron = Cron.parse("0 0 29 2 */7")  # Sundays that are February 29: decades apart
    start = berlin(2026, 1, 1)
    began = time.perf_counter()
    for i in range(2_000):
        cron.next_after(start + timedelta(days=i), BERLIN)
    assert time.perf_counter() - began < 1.0


def test_a_year_of_minutes_is_fast() -> None:
    began = time.perf_counter()
    count = sum(1 for _ in Cron.parse("*/5 * * * *").ticks_between(berlin(2026, 1, 1), berlin(2026, 3, 1), BERLIN))
    assert count == 59 * 24 * 12
    assert time.perf_counter() - began < 1.0


# --------------------------------------------------------------------------- describe


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("*/5 9-17 * * MON-FRI", "every 5 minutes, 09:00-17:59, Monday to Friday"),
        ("* * * * *", "every minute"),
        ("@hourly", "every hour at minute 0"),
        ("@daily", "at 00:00"),
        ("@weekly", "at 00:00, Sunday"),
        ("@monthly", "at 00:00, on day 1 of the month"),
        ("@yearly", "at 00:00, on 1 January"),
        ("0 0 29 2 *", "at 00:00, on 29 February"),
        ("30 9,17 * * *", "at 09:30 and 17:30"),
        ("0 */2 * * *", "every 2 hours at minute 0"),
        ("10-20 * * * *", "at minutes 10-20"),
        ("0,30 8-10,14-16 * * SAT,SUN", "at minutes 0 and 30, 08:00-10:59 and 14:00-16:59, Saturday and Sunday"),
        ("5 4 * * FRI-SUN", "at 04:05, Friday to Sunday"),
        ("0 0 1-7 * *", "at 00:00, on days 1-7 of the month"),
        ("*/15 * 1,15 jan-mar *", "every 15 minutes, on days 1 and 15 of the month, in January to March"),
        ("0 0 13 * FRI", "at 00:00, on day 13 of the month or on Friday"),
        ("0 0 */2 * MON,WED", "at 00:00, on every 2nd day of the month if it falls on Monday or Wednesday"),
    ],
)
def test_describe_says_it_in_english(text: str, description: str) -> None:
    assert Cron.parse(text).describe() == description


def test_dates_in_tests_are_what_they_claim() -> None:
    # Guards the expectations above against a wrong calendar assumption.
    assert date(2026, 3, 27).strftime("%A") == "Friday"
    assert date(2026, 4, 13).strftime("%A") == "Monday"
    assert date(2032, 2, 29).strftime("%A") == "Sunday"
