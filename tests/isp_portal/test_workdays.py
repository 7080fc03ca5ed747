"""Working days (DESIGN 2.5; Haringey 6.1-6.6 count deadlines in working days).

The parametrized cases were worked out by hand from the UK bank-holiday calendars (each checked against
`holidays.country_holidays("GB", subdiv=...)` for 2025-2027 before it was written down); the counting
convention is the module's: the start day is never counted. The properties are checked by hypothesis against
the `holidays` package directly and against a naive day-by-day count written here."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isp_portal.workdays import (
    NATIONS,
    Nation,
    add_working_days,
    bank_holidays,
    is_working_day,
    nation_from,
    working_days_between,
)

EW: Nation = "england-and-wales"
SCOT: Nation = "scotland"
NI: Nation = "northern-ireland"


# --- add_working_days, by hand ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "nation", "expected"),
    [
        # Christmas 2026: Fri 25 Christmas Day, Sat 26 Boxing Day, so Mon 28 is Boxing Day's substitute.
        # Thu 24 + 1: Fri 25 (hol), Sat, Sun, Mon 28 (hol), Tue 29.
        (date(2026, 12, 24), 1, EW, date(2026, 12, 29)),
        (date(2026, 12, 24), 1, SCOT, date(2026, 12, 29)),
        (date(2026, 12, 24), 1, NI, date(2026, 12, 29)),
        # ... and on over New Year's Day (Fri 1 Jan 2027): Thu 24, Tue 29, Wed 30, Thu 31, Mon 4.
        (date(2026, 12, 23), 5, EW, date(2027, 1, 4)),
        # In Scotland 2 January 2027 is a Saturday, so Mon 4 is its substitute and the fifth day is Tue 5.
        (date(2026, 12, 23), 5, SCOT, date(2027, 1, 5)),
        # Starting on Boxing Day itself (a Saturday): Sun 27, Mon 28 (substitute), Tue 29.
        (date(2026, 12, 26), 1, EW, date(2026, 12, 29)),
        # Christmas 2027 falls on Sat/Sun: both substitute days, Mon 27 and Tue 28.
        (date(2027, 12, 23), 1, EW, date(2027, 12, 24)),
        (date(2027, 12, 23), 2, EW, date(2027, 12, 29)),
        (date(2027, 12, 24), 1, SCOT, date(2027, 12, 29)),
        (date(2027, 12, 24), 1, NI, date(2027, 12, 29)),
        # Easter 2026: Good Friday 3 April and Easter Monday 6 April in England and Wales (and NI) ...
        (date(2026, 4, 2), 1, EW, date(2026, 4, 7)),
        (date(2026, 4, 2), 1, NI, date(2026, 4, 7)),
        (date(2026, 4, 2), 3, EW, date(2026, 4, 9)),
        # ... but Scotland has no Easter Monday.
        (date(2026, 4, 2), 1, SCOT, date(2026, 4, 6)),
        (date(2026, 4, 2), 3, SCOT, date(2026, 4, 8)),
        # 2 January (Fri 2 Jan 2026) is a bank holiday in Scotland only.
        (date(2025, 12, 31), 1, SCOT, date(2026, 1, 5)),
        (date(2025, 12, 31), 1, EW, date(2026, 1, 2)),
        (date(2025, 12, 31), 1, NI, date(2026, 1, 2)),
        # St Patrick's Day (Tue 17 March 2026) in Northern Ireland only.
        (date(2026, 3, 16), 1, NI, date(2026, 3, 18)),
        (date(2026, 3, 16), 1, EW, date(2026, 3, 17)),
        (date(2026, 3, 16), 1, SCOT, date(2026, 3, 17)),
        # The Twelfth: Mon 12 July 2027 is a holiday in Northern Ireland only ...
        (date(2027, 7, 9), 1, NI, date(2027, 7, 13)),
        (date(2027, 7, 9), 1, EW, date(2027, 7, 12)),
        # ... and in 2026 it falls on a Sunday, so Northern Ireland has Mon 13 July instead.
        (date(2026, 7, 10), 1, NI, date(2026, 7, 14)),
        (date(2026, 7, 10), 1, EW, date(2026, 7, 13)),
        # A plain fortnight, no holidays anywhere.
        (date(2026, 11, 9), 5, EW, date(2026, 11, 16)),
        (date(2026, 11, 9), 10, EW, date(2026, 11, 23)),
        (date(2026, 11, 9), 10, NI, date(2026, 11, 23)),
        # Haringey's 20 working days from Mon 2 Nov 2026; in Scotland St Andrew's Day (Mon 30 Nov) pushes it on.
        (date(2026, 11, 2), 20, EW, date(2026, 11, 30)),
        (date(2026, 11, 2), 20, SCOT, date(2026, 12, 1)),
        # Starting on a Saturday or Sunday: counting starts on the Monday.
        (date(2026, 11, 21), 1, EW, date(2026, 11, 23)),
        (date(2026, 11, 21), 5, EW, date(2026, 11, 27)),
        (date(2026, 11, 22), 1, EW, date(2026, 11, 23)),
        # Negative: counting back. From Sat 21 Nov one back is Fri 20; from Mon 16 Nov five back is Mon 9.
        (date(2026, 11, 21), -1, EW, date(2026, 11, 20)),
        (date(2026, 11, 16), -5, EW, date(2026, 11, 9)),
        # Back over Christmas 2026: Tue 29 -> (Mon 28 hol, Sun, Sat, Fri 25 hol) Thu 24.
        (date(2026, 12, 29), -1, EW, date(2026, 12, 24)),
        # Back from Mon 4 Jan 2027 five: Thu 31, Wed 30, Tue 29, Thu 24, Wed 23.
        (date(2027, 1, 4), -5, EW, date(2026, 12, 23)),
        # Back over Easter 2026 (Tue 7 April): England and Wales skip both days, Scotland only Good Friday.
        (date(2026, 4, 7), -1, EW, date(2026, 4, 2)),
        (date(2026, 4, 7), -1, SCOT, date(2026, 4, 6)),
        # Zero days is the start itself, even on a Saturday or a bank holiday.
        (date(2026, 11, 21), 0, EW, date(2026, 11, 21)),
        (date(2026, 12, 25), 0, EW, date(2026, 12, 25)),
        (date(2026, 11, 18), 0, SCOT, date(2026, 11, 18)),
    ],
)
def test_add_working_days(start: date, days: int, nation: Nation, expected: date) -> None:
    assert add_working_days(start, days, nation=nation) == expected


def test_the_default_nation_is_england_and_wales() -> None:
    # Thu 31 Dec 2025 + 1: Fri 2 Jan 2026 in England and Wales, Mon 5 Jan in Scotland.
    assert add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 2)
    assert working_days_between(date(2026, 4, 2), date(2026, 4, 7)) == 1


# --- working_days_between, by hand ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "nation", "expected"),
    [
        # Across Christmas 2026: after Thu 24 up to Tue 29 only Tue 29 is a working day.
        (date(2026, 12, 24), date(2026, 12, 29), EW, 1),
        # Reversed: from Thu 24 up to but not including Tue 29: only Thu 24.
        (date(2026, 12, 29), date(2026, 12, 24), EW, -1),
        # Wed 23 Dec 2026 to Mon 4 Jan 2027: 24, 29, 30, 31 Dec and 4 Jan; backwards 23, 24, 29, 30, 31 Dec.
        (date(2026, 12, 23), date(2027, 1, 4), EW, 5),
        (date(2027, 1, 4), date(2026, 12, 23), EW, -5),
        # Scotland over the same span: 4 Jan 2027 is the substitute for Sat 2 Jan.
        (date(2026, 12, 23), date(2027, 1, 4), SCOT, 4),
        # Christmas 2027 (both days substituted): Fri 24 to Wed 29 is one working day.
        (date(2027, 12, 24), date(2027, 12, 29), EW, 1),
        (date(2027, 12, 24), date(2027, 12, 29), NI, 1),
        # From a bank holiday: counting back from Christmas Day reaches Christmas Eve, forward from
        # Christmas Eve to Christmas Day there is none yet (so it is not antisymmetric off working days).
        (date(2026, 12, 25), date(2026, 12, 24), EW, -1),
        (date(2026, 12, 24), date(2026, 12, 25), EW, 0),
        # Weekends: Friday to Sunday has none; Sunday back to Friday counts the Friday.
        (date(2026, 11, 20), date(2026, 11, 22), EW, 0),
        (date(2026, 11, 22), date(2026, 11, 20), EW, -1),
        (date(2026, 11, 20), date(2026, 11, 20), EW, 0),
        # Haringey's 20 days in November 2026; Scotland loses St Andrew's Day (Mon 30).
        (date(2026, 11, 2), date(2026, 11, 30), EW, 20),
        (date(2026, 11, 2), date(2026, 11, 30), SCOT, 19),
        # April 2026 has 22 weekdays: two of them are Easter in England and Wales, one in Scotland.
        (date(2026, 3, 31), date(2026, 4, 30), EW, 20),
        (date(2026, 3, 31), date(2026, 4, 30), SCOT, 21),
        (date(2026, 3, 31), date(2026, 4, 30), NI, 20),
        # March 2026 (22 weekdays, 1 Mar is a Sunday): St Patrick's Day only in Northern Ireland.
        (date(2026, 2, 28), date(2026, 3, 31), NI, 21),
        (date(2026, 2, 28), date(2026, 3, 31), EW, 22),
        # The whole of 2027: 261 weekdays (it starts on a Friday), less its weekday bank holidays:
        # E&W 8 (1 Jan, 26 & 29 Mar, 3 & 31 May, 30 Aug, 27 & 28 Dec); Scotland 9 (1 & 4 Jan, 26 Mar,
        # 3 & 31 May, 2 Aug, 30 Nov, 27 & 28 Dec); NI 10 (1 Jan, 17, 26 & 29 Mar, 3 & 31 May, 12 Jul,
        # 30 Aug, 27 & 28 Dec).
        (date(2026, 12, 31), date(2027, 12, 31), EW, 253),
        (date(2026, 12, 31), date(2027, 12, 31), SCOT, 252),
        (date(2026, 12, 31), date(2027, 12, 31), NI, 251),
        # Backwards over the same year: Thu 31 Dec 2026 is in, Fri 31 Dec 2027 is out; both working days.
        (date(2027, 12, 31), date(2026, 12, 31), EW, -253),
    ],
)
def test_working_days_between(a: date, b: date, nation: Nation, expected: int) -> None:
    assert working_days_between(a, b, nation=nation) == expected


@pytest.mark.parametrize(
    ("day", "nation", "expected"),
    [
        (date(2026, 11, 21), EW, False),  # a Saturday
        (date(2026, 11, 22), EW, False),  # a Sunday
        (date(2026, 11, 23), EW, True),
        (date(2026, 12, 28), EW, False),  # Boxing Day's substitute
        (date(2026, 1, 2), SCOT, False),
        (date(2026, 1, 2), EW, True),
        (date(2026, 4, 6), SCOT, True),  # Easter Monday is not a Scottish bank holiday
        (date(2026, 4, 6), NI, False),
        (date(2026, 7, 13), NI, False),  # the Twelfth's substitute
        (date(2026, 7, 13), EW, True),
    ],
)
def test_is_working_day(day: date, nation: Nation, expected: bool) -> None:
    assert is_working_day(day, nation=nation) is expected


def test_bank_holidays_include_the_substitute_days() -> None:
    assert bank_holidays(EW, 2027) == {
        date(2027, 1, 1),
        date(2027, 3, 26),
        date(2027, 3, 29),
        date(2027, 5, 3),
        date(2027, 5, 31),
        date(2027, 8, 30),
        date(2027, 12, 25),
        date(2027, 12, 26),
        date(2027, 12, 27),
        date(2027, 12, 28),
    }
    scottish = bank_holidays(SCOT, 2027)
    assert {date(2027, 1, 2), date(2027, 1, 4), date(2027, 11, 30)} <= scottish
    assert date(2027, 3, 29) not in scottish  # no Easter Monday
    assert {date(2027, 3, 17), date(2027, 7, 12)} <= bank_holidays(NI, 2027)


# --- Nations -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["england-and-wales", "scotland", "northern-ireland"])
def test_nation_from_accepts_the_three_nations(value: str) -> None:
    assert nation_from(value) == value


@pytest.mark.parametrize("value", ["wales", "england", "Scotland", "england_and_wales", "", "GB"])
def test_nation_from_refuses_an_unknown_nation(value: str) -> None:
    with pytest.raises(ValueError, match="unknown nation"):
        nation_from(value)


def test_the_calculations_refuse_an_unknown_nation() -> None:
    with pytest.raises(ValueError, match="unknown nation"):
        add_working_days(date(2026, 1, 5), 0, nation="france")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown nation"):
        working_days_between(date(2026, 1, 5), date(2026, 1, 5), nation="france")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown nation"):
        is_working_day(date(2026, 1, 5), nation="france")  # type: ignore[arg-type]


# --- Properties -------------------------------------------------------------------------------------------

_SUBDIVISION: dict[Nation, str] = {EW: "ENG", SCOT: "SCT", NI: "NIR"}
# Straight from the holidays package, wide enough for 60 working days either side of 2020-2032.
_CALENDARS = {
    nation: frozenset(holidays.country_holidays("GB", subdiv=subdivision, years=range(2019, 2034)).keys())
    for nation, subdivision in _SUBDIVISION.items()
}

dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31))
nations = st.sampled_from(NATIONS)


def is_holiday(day: date, nation: Nation) -> bool:
    assert 2019 <= day.year <= 2033, day
    return day in _CALENDARS[nation]


def working(day: date, nation: Nation) -> bool:
    return day.weekday() < 5 and not is_holiday(day, nation)


def naive_count(a: date, b: date, nation: Nation) -> int:
    """Working days after a up to and including b; when b is before a, minus those from b up to but not
    including a. Walks one day at a time."""
    if b >= a:
        return sum(1 for n in range(1, (b - a).days + 1) if working(a + timedelta(days=n), nation))
    return -sum(1 for n in range((a - b).days) if working(b + timedelta(days=n), nation))


def test_the_reference_calendar_is_the_real_one() -> None:
    """Guards the properties' reference: a few known dates."""
    assert is_holiday(date(2026, 12, 28), EW) and is_holiday(date(2026, 1, 2), SCOT)
    assert not is_holiday(date(2026, 1, 2), EW) and not is_holiday(date(2026, 4, 6), SCOT)
    assert naive_count(date(2026, 12, 24), date(2026, 12, 29), EW) == 1
    assert naive_count(date(2026, 12, 29), date(2026, 12, 24), EW) == -1


@settings(max_examples=200, deadline=None)
@given(start=dates, days=st.integers(min_value=1, max_value=60), nation=nations)
def test_the_result_is_never_a_weekend_or_a_bank_holiday(start: date, days: int, nation: Nation) -> None:
    result = add_working_days(start, days, nation=nation)
    assert result > start
    assert result.weekday() < 5
    assert not is_holiday(result, nation)
    back = add_working_days(start, -days, nation=nation)
    assert back < start
    assert back.weekday() < 5
    assert not is_holiday(back, nation)


@settings(max_examples=200, deadline=None)
@given(start=dates, days=st.integers(min_value=1, max_value=60), nation=nations)
def test_exactly_that_many_working_days_are_skipped(start: date, days: int, nation: Nation) -> None:
    """The result is the days-th working day after start: days of them in (start, result], none missed."""
    result = add_working_days(start, days, nation=nation)
    assert naive_count(start, result, nation) == days
    assert working(result, nation)


@settings(max_examples=200, deadline=None)
@given(start=dates, days=st.integers(min_value=0, max_value=60), nation=nations)
def test_adding_is_monotonic_in_days(start: date, days: int, nation: Nation) -> None:
    assert add_working_days(start, days, nation=nation) < add_working_days(start, days + 1, nation=nation)
    assert add_working_days(start, -days - 1, nation=nation) < add_working_days(start, -days, nation=nation)


@settings(max_examples=200, deadline=None)
@given(start=dates, days=st.integers(min_value=-60, max_value=60), nation=nations)
def test_between_is_the_inverse_of_adding(start: date, days: int, nation: Nation) -> None:
    assert working_days_between(start, add_working_days(start, days, nation=nation), nation=nation) == days


@settings(max_examples=200, deadline=None)
@given(a=dates, gap=st.integers(min_value=-120, max_value=120), nation=nations)
def test_between_agrees_with_a_day_by_day_count(a: date, gap: int, nation: Nation) -> None:
    b = a + timedelta(days=gap)
    assert working_days_between(a, b, nation=nation) == naive_count(a, b, nation)


@settings(max_examples=200, deadline=None)
@given(a=dates, gap=st.integers(min_value=-120, max_value=120), nation=nations)
def test_between_is_antisymmetric_between_working_days(a: date, gap: int, nation: Nation) -> None:
    """Swapping the ends negates the count exactly when both ends are working days (or both are not); in
    general, for a <= b the difference is whether b is a working day minus whether a is (as documented)."""
    b = a + timedelta(days=gap)
    forward, backward = working_days_between(a, b, nation=nation), working_days_between(b, a, nation=nation)
    if working(a, nation) == working(b, nation):
        assert forward == -backward
    early, late = min(a, b), max(a, b)
    assert working_days_between(early, late, nation=nation) + working_days_between(late, early, nation=nation) == (
        int(working(late, nation)) - int(working(early, nation))
    )


@settings(max_examples=200, deadline=None)
@given(day=dates, nation=nations)
def test_is_working_day_matches_the_calendar(day: date, nation: Nation) -> None:
    assert is_working_day(day, nation=nation) is working(day, nation)
