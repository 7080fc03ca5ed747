"""Working days: weekdays that are not bank holidays in the partnership's nation (DESIGN 2.5).

The protocol's deadlines are counted in working days (Haringey 6.1-6.6: 5, 10 and 20 working days;
request response times). These are pure functions of dates and a nation; the bank holidays come from the
`holidays` package (England & Wales by default; Scotland and Northern Ireland selectable).

Counting convention: the start day itself is never counted. "5 working days after Friday 1st" is the
fifth working day strictly after it; a deadline set on a Saturday starts counting on Monday.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Literal, get_args

import holidays

Nation = Literal["england-and-wales", "scotland", "northern-ireland"]
NATIONS: tuple[Nation, ...] = get_args(Nation)
DEFAULT_NATION: Nation = "england-and-wales"

# England and Wales share their bank holidays; the holidays package names them by subdivision.
_SUBDIVISION: dict[Nation, str] = {"england-and-wales": "ENG", "scotland": "SCT", "northern-ireland": "NIR"}


def nation_from(value: str) -> Nation:
    """A configured nation name (e.g. settings.BANK_HOLIDAY_NATION), checked."""
    return _checked(value)


def _checked(nation: str) -> Nation:
    if nation not in _SUBDIVISION:
        raise ValueError(f"unknown nation {nation!r}; expected one of {', '.join(NATIONS)}")
    return nation


@lru_cache(maxsize=256)
def bank_holidays(nation: Nation, year: int) -> frozenset[date]:
    """The bank holidays of `nation` in `year`, substitute days included."""
    calendar = holidays.country_holidays("GB", subdiv=_SUBDIVISION[_checked(nation)], years=year)
    return frozenset(calendar.keys())


def is_working_day(day: date, *, nation: Nation = DEFAULT_NATION) -> bool:
    return day.weekday() < 5 and day not in bank_holidays(_checked(nation), day.year)


def add_working_days(start: date, days: int, *, nation: Nation = DEFAULT_NATION) -> date:
    """The date `days` working days after `start` (before it, when `days` is negative).

    `start` itself is not counted, so the result is always a working day unless `days` is 0, in which
    case `start` is returned unchanged."""
    _checked(nation)
    step = 1 if days >= 0 else -1
    remaining = abs(days)
    day = start
    while remaining:
        day += timedelta(days=step)
        if is_working_day(day, nation=nation):
            remaining -= 1
    return day


def working_days_between(a: date, b: date, *, nation: Nation = DEFAULT_NATION) -> int:
    """How many working days there are after `a` up to and including `b`; when b is before a, minus the
    number from `b` up to but not including `a` (counting back, as add_working_days does).

    The inverse of add_working_days in both directions: working_days_between(a, add_working_days(a, n)) == n.
    (So it is antisymmetric only between working days: from a bank holiday, one day back is the working day
    before it, but one day forward from that working day is the next working day after the holiday.)"""
    _checked(nation)
    if b == a:
        return 0
    if b < a:
        one = timedelta(days=1)
        return -working_days_between(b - one, a - one, nation=nation)
    # Whole weeks contribute five weekdays each; walk only the remainder, then take out bank holidays.
    total_days = (b - a).days
    weeks, extra = divmod(total_days, 7)
    count = weeks * 5
    day = a + timedelta(days=weeks * 7)
    for _ in range(extra):
        day += timedelta(days=1)
        if day.weekday() < 5:
            count += 1
    for year in range(a.year, b.year + 1):
        count -= sum(1 for holiday in bank_holidays(nation, year) if a < holiday <= b and holiday.weekday() < 5)
    return count
