"""The aggregate reports' pure rules (reports.aggregates.rules): periods from an April, whole ended months, at most
MAX_MONTHS; the age band at an event; the dimensions each measure has."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.aggregates.rules import (
    MAX_MONTHS,
    Dimension,
    Measure,
    add_months,
    age_band,
    dimension_problem,
    financial_year_of,
    financial_year_period,
    months_between,
    period_problems,
)
from sharing.rules import age_on

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("first", "last", "fields"),
    [
        (date(2026, 4, 1), date(2026, 11, 1), []),
        (date(2025, 4, 1), date(2026, 11, 1), []),
        (date(2026, 4, 1), date(2026, 12, 1), ["month_to"]),  # the month under way
        (date(2026, 5, 1), date(2026, 11, 1), ["month_from"]),  # not an April
        (date(2026, 4, 1), date(2026, 3, 1), ["month_to"]),  # reversed
        (date(2024, 4, 1), date(2026, 4, 1), ["month_to"]),  # 25 months
        (date(1999, 4, 1), date(2000, 3, 1), ["month_from"]),  # before the era
    ],
)
def test_period_problems(first: date, last: date, fields: list[str]) -> None:
    assert [field for field, _ in period_problems(first, last, TODAY)] == fields


@given(st.dates(date(2001, 1, 1), date(2090, 12, 31)), st.integers(-400, 400))
def test_add_months_lands_on_the_first(day: date, count: int) -> None:
    moved = add_months(day, count)
    assert moved.day == 1
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == count
    assert len(months_between(day.replace(day=1), moved)) == (count + 1 if count >= 0 else 0)


@given(st.dates(date(2001, 1, 1), date(2090, 12, 31)))
def test_a_financial_year_period_is_allowed(today: date) -> None:
    year = financial_year_of(add_months(today.replace(day=1), -1))
    period = financial_year_period(year, today)
    assert period is not None and period_problems(period.first, period.last, today) == []
    assert 1 <= len(period.months) <= 12 and period.first.month == 4


@given(st.dates(date(1990, 1, 1), date(2030, 12, 31)), st.dates(date(2000, 1, 1), date(2050, 12, 31)))
def test_age_band_is_the_age_at_the_event(born: date, on: date) -> None:
    band = age_band(born, on)
    age = max(age_on(born, on), 0)
    low, _, high = band.partition("-")
    assert int(low.rstrip("+")) <= age and (not high or age <= int(high))


def test_age_band_leap_day() -> None:
    # Born on 29 February: 4 on 28 February of a common year is still "0-4"; 5 from 1 March.
    assert age_band(date(2020, 2, 29), date(2025, 2, 28)) == "0-4"
    assert age_band(date(2020, 2, 29), date(2025, 3, 1)) == "5-10"


@pytest.mark.parametrize(
    ("measure", "rows", "columns", "field"),
    [
        (Measure.DISCLOSURES, Dimension.LEGAL_BASIS, Dimension.MONTH, None),
        (Measure.REQUESTS, Dimension.LEGAL_BASIS, Dimension.MONTH, "rows"),
        (Measure.BREACHES, Dimension.AGENCY, Dimension.AREA, "columns"),
        (Measure.CONSENTS, Dimension.AREA, Dimension.AREA, "columns"),
    ],
)
def test_dimension_problem(measure: Measure, rows: Dimension, columns: Dimension, field: str | None) -> None:
    found = dimension_problem(measure, rows, columns)
    assert (found[0] if found else None) == field


def test_max_months_is_two_years() -> None:
    assert MAX_MONTHS == 24
