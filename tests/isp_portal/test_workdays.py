"""Working days (DESIGN 2.5; Haringey 6.1-6.6 count deadlines in working days).

The parametrized cases were worked out by hand from the published UK bank-holiday calendars (checked against
the `holidays` package's lists for 2025-2027); the properties are checked by hypothesis against the
`holidays` package directly and against a naive day-by-day count written here."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isp_portal.workdays import NATIONS, Nation, add_working_days, is_working_day, nation_from, working_days_between

EW: Nation = "england-and-wales"
SCOT: Nation = "scotland"
NI: Nation = "northern-ireland"


@pytest.mark.parametrize(
    ("start", "days", "nation", "expected"),
    [
        # Christmas 2026: Fri 25 Christmas, Sat 26 Boxing Day, so Mon 28 is the substitute day.
        (date(2026, 12, 24), 1, EW, date(2026, 12, 29)),
        # ... and New Year's Day, Fri 1 Jan 2027: Thu 24, Tue 29, Wed 30, Thu 31, Mon 4.
        (date(2026, 12, 23), 5, EW, date(2027, 1, 4)),
        # Christmas 2027 falls on a weekend: both substitute days, Mon 27 and Tue 28.
        (date(2027, 12, 23), 1, EW, date(2027, 12, 24)),
        (date(2027, 12, 23), 2, EW, date(2027, 12, 29)),
        # Easter 2026: Good Friday 3 April, Easter Monday 6 April in England and Wales ...
        (date(2026, 4, 2), 1, EW, date(2026, 4, 7)),
        # ... but Scotland has no Easter Monday.
        (date(2026, 4, 2), 1, SCOT, date(2026, 4, 6)),
        # 2 January is a bank holiday in Scotland only.
        (date(2025, 12, 31), 1, SCOT, date(2026, 1, 5)),
        (date(2025, 12, 31), 1, EW, date(2026, 1, 2)),
        # St Patrick's Day (Tue 17 March 2026) in Northern Ireland only.
        (date(2026, 3, 16), 1, NI, date(2026, 3, 18)),
        (date(2026, 3, 16), 1, EW, date(2026, 3, 17)),
        # The Twelfth fell on Sunday 12 July 2026: Northern Ireland's substitute day is Mon 13 July.
        (date(2026, 7, 10), 1, NI, date(2026, 7, 14)),
        (date(2026, 7, 10), 1, EW, date(2026, 7, 13)),
        # A plain fortnight, no holidays.
        (date(2026, 11, 9), 5, EW, date(2026, 11, 16)),
        (date(2026, 11, 9), 10, EW, date(2026, 11, 23)),
        # Haringey's 20 working days from Mon 2 Nov 2026; in Scotland St Andrew's Day (Mon 30 Nov) pushes it on.
        (date(2026, 11, 2), 20, EW, date(2026, 11, 30)),
        (date(2026, 11, 2), 20, SCOT, date(2026, 12, 1)),
        # Starting at a weekend: the first working day is Monday.
        (date(2026, 11, 21), 1, EW, date(2026, 11, 23)),
        # Counting back over Christmas 2026.
        (date(2026, 12, 29), -1, EW, date(2026, 12, 24)),
        # Zero days is the start itself, even on a Saturday.
        (date(2026, 11, 21), 0, EW, date(2026, 11, 21)),
    ],
)
def test_add_working_days(start: date, days: int, nation: Nation, expected: date) -> None:
    assert add_working_days(start, days, nation=nation) == expected


@pytest.mark.parametrize(
    ("a", "b", "nation", "expected"),
    [
        (date(2026, 12, 24), date(2026, 12, 29), EW, 1),
        (date(2026, 12, 29), date(2026, 12, 24), EW, -1),
        (date(2026, 12, 25), date(2026, 12, 24), EW, -1),  # back from Christmas Day: Christmas Eve
        (date(2026, 12, 24), date(2026, 12, 25), EW, 0),  # forward to Christmas Day: none yet
        (date(2026, 11, 2), date(2026, 11, 30), EW, 20),
        (date(2026, 11, 2), date(2026, 11, 30), SCOT, 19),
        (date(2026, 11, 20), date(2026, 11, 22), EW, 0),  # Friday to Sunday: only a weekend after it
        (date(2026, 11, 20), date(2026, 11, 20), EW, 0),
        (date(2026, 3, 31), date(2026, 4, 30), EW, 20),  # April 2026 has 22 weekdays, two of them Easter
        (date(2026, 3, 31), date(2026, 4, 30), SCOT, 21),
    ],
)
def test_working_days_between(a: date, b: date, nation: Nation, expected: int) -> None:
    assert working_days_between(a, b, nation=nation) == expected


def test_an_unknown_nation_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown nation"):
        nation_from("wales-only")
    with pytest.raises(ValueError, match="unknown nation"):
        add_working_days(date(2026, 1, 5), 1, nation="france")  # type: ignore[arg-type]
    assert nation_from("scotland") == "scotland"


# --- Properties -----------------------------------------------------------------------------------------------

_SUBDIVISION = {EW: "ENG", SCOT: "SCT", NI: "NIR"}
dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31))
nations = st.sampled_from(NATIONS)


def is_holiday(day: date, nation: Nation) -> bool:
    return day in holidays.country_holidays("GB", subdiv=_SUBDIVISION[nation], years=day.year)


def naive_count(a: date, b: date, nation: Nation) -> int:
    """Working days after a up to and including b; backwards, minus those from b up to but not including a."""
    working = lambda day: day.weekday() < 5 and not is_holiday(day, nation)  # noqa: E731
    if b >= a:
        return sum(1 for n in range(1, (b - a).days + 1) if working(a + timedelta(days=n)))
    return -sum(1 for n in range((a - b).days) if working(b + timedelta(days=n)))


@settings(max_examples=200, deadline=None)
@given(start=dates, days=st.integers(min_value=1, max_value=60), nation=nations)
def test_the_result_is_never_a_weekend_or_a_bank_holiday(start: date, days: int, nation: Nation) -> None:
    result = add_working_days(start, days, nation=nation)
    assert result > start
    assert result.weekday() < 5
    assert not is_holiday(result, nation)


@settings(max_examples=200, deadline=None)
@given(start=dates, days=st.integers(min_value=0, max_value=59), nation=nations)
def test_adding_is_monotonic(start: date, days: int, nation: Nation) -> None:
    assert add_working_days(start, days, nation=nation) < add_working_days(start, days + 1, nation=nation)


@settings(max_examples=200, deadline=None)
@given(start=dates, days=st.integers(min_value=-60, max_value=60), nation=nations)
def test_between_is_the_inverse_of_adding(start: date, days: int, nation: Nation) -> None:
    assert working_days_between(start, add_working_days(start, days, nation=nation), nation=nation) == days


@settings(max_examples=200, deadline=None)
@given(a=dates, gap=st.integers(min_value=-120, max_value=120), nation=nations)
def test_between_agrees_with_a_day_by_day_count(a: date, gap: int, nation: Nation) -> None:
    b = a + timedelta(days=gap)
    assert working_days_between(a, b, nation=nation) == naive_count(a, b, nation)
    if is_working_day(a, nation=nation) and is_working_day(b, nation=nation):
        assert working_days_between(a, b, nation=nation) == -working_days_between(b, a, nation=nation)


@settings(max_examples=100, deadline=None)
@given(day=dates, nation=nations)
def test_is_working_day_matches_the_calendar(day: date, nation: Nation) -> None:
    assert is_working_day(day, nation=nation) == (day.weekday() < 5 and not is_holiday(day, nation))
