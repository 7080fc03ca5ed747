"""Leaving the age scope and retention (Southampton 5, 8, 11): the pure rules, by hand and by hypothesis."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sharing.retention_rules import (
    ClosedUnder,
    Keep,
    birthday_in,
    closing_date,
    erasure_due_on,
    erasure_is_due,
    latest_birth_date_older_than,
    retention_on,
    scope_ends_on,
)
from sharing.rules import AgeScope, age_on

SCOPE = AgeScope(age_min=0, age_max=18, extended_age_max=25, extended_conditions=frozenset({"care_leaver"}))
LEAP = date(2008, 2, 29)

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31))


@pytest.mark.parametrize(
    ("born", "years", "expected"),
    [
        (date(2008, 2, 29), 18, date(2026, 3, 1)),  # a common year: 1 March, as age_on counts it
        (date(2008, 2, 29), 20, date(2028, 2, 29)),  # a leap year: the day itself
        (date(2007, 6, 15), 19, date(2026, 6, 15)),
    ],
)
def test_birthday_in(born: date, years: int, expected: date) -> None:
    assert birthday_in(born, years) == expected
    assert age_on(born, expected) == years
    assert age_on(born, expected - timedelta(days=1)) == years - 1


@given(born=days, on=days, age=st.integers(min_value=0, max_value=30))
def test_the_sweeps_birth_date_bound_is_exactly_older_than(born: date, on: date, age: int) -> None:
    assert (age_on(born, on) > age) == (born <= latest_birth_date_older_than(age, on))


def test_the_bound_on_29_february() -> None:
    assert latest_birth_date_older_than(18, date(2028, 2, 29)) == date(2009, 2, 28)
    assert age_on(date(2009, 2, 28), date(2028, 2, 29)) == 19
    assert age_on(date(2009, 3, 1), date(2028, 2, 29)) == 18


@pytest.mark.parametrize(
    ("on", "in_scope"),
    [
        (date(2027, 2, 28), True),  # the day before: 18, within "0-18"
        (date(2027, 3, 1), False),  # 19 in a common year: out on 1 March
    ],
)
def test_a_29_february_child_leaves_the_scope_on_1_march(on: date, in_scope: bool) -> None:
    outcome = retention_on(SCOPE, LEAP, on, additional_needs=False, care_leaver=False, live_consent=False)
    assert outcome.in_scope is in_scope
    if not in_scope:
        assert outcome.left_on == date(2027, 3, 1) == scope_ends_on(SCOPE, LEAP)
        assert outcome.closed_under == ClosedUnder.AGE_SCOPE


def test_on_the_birthday_itself_the_child_has_left() -> None:
    born = date(2007, 6, 15)
    day_before = retention_on(
        SCOPE, born, date(2026, 6, 14), additional_needs=False, care_leaver=False, live_consent=False
    )
    birthday = retention_on(
        SCOPE, born, date(2026, 6, 15), additional_needs=False, care_leaver=False, live_consent=False
    )
    assert day_before.in_scope
    assert not birthday.in_scope and birthday.closed_under == ClosedUnder.AGE_SCOPE


def test_an_extending_condition_keeps_to_the_extended_age_then_consent_or_close() -> None:
    born = date(2000, 5, 1)
    kept = retention_on(SCOPE, born, date(2026, 4, 30), additional_needs=False, care_leaver=True, live_consent=False)
    assert kept.kept == Keep.EXTENDING_CONDITION
    past = retention_on(SCOPE, born, date(2026, 5, 1), additional_needs=False, care_leaver=True, live_consent=False)
    assert past.closed_under == ClosedUnder.EXTENDED_AGE_SCOPE and past.kept is None
    consented = retention_on(SCOPE, born, date(2026, 5, 1), additional_needs=False, care_leaver=True, live_consent=True)
    assert consented.kept == Keep.CONSENT


def test_a_condition_the_version_does_not_list_does_not_keep() -> None:
    born = date(2005, 1, 10)
    outcome = retention_on(SCOPE, born, date(2024, 6, 1), additional_needs=True, care_leaver=False, live_consent=False)
    assert outcome.closed_under == ClosedUnder.AGE_SCOPE


def test_consent_keeps_a_young_person_past_18() -> None:
    # Southampton 11: consent "to retain records for young people past 18".
    outcome = retention_on(
        SCOPE, date(2005, 1, 10), date(2024, 6, 1), additional_needs=False, care_leaver=False, live_consent=True
    )
    assert outcome.kept == Keep.CONSENT and outcome.closed_under is None


@given(
    born=st.dates(min_value=date(1995, 1, 1), max_value=date(2030, 12, 31)),
    on=days,
    needs=st.booleans(),
    leaver=st.booleans(),
    consent=st.booleans(),
)
def test_every_outcome_is_exactly_one_of_in_scope_kept_or_closed(
    born: date, on: date, needs: bool, leaver: bool, consent: bool
) -> None:
    outcome = retention_on(SCOPE, born, on, additional_needs=needs, care_leaver=leaver, live_consent=consent)
    assert sum([outcome.in_scope, outcome.kept is not None, outcome.closed_under is not None]) == 1
    assert outcome.in_scope == (age_on(born, on) <= SCOPE.age_max)
    if outcome.closed_under is not None:
        assert not consent
    if consent and not outcome.in_scope:
        assert outcome.kept is not None


@pytest.mark.parametrize(
    ("closed", "months", "due"),
    [
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 3, 15), 24, date(2028, 3, 15)),
    ],
)
def test_erasure_is_due_the_retention_period_after_closing(closed: date, months: int, due: date) -> None:
    assert erasure_due_on(closed, months) == due
    assert not erasure_is_due(closed, months, due - timedelta(days=1))
    assert erasure_is_due(closed, months, due)


@given(closed=days, months=st.integers(min_value=1, max_value=600))
def test_erasure_is_never_before_closing_plus_the_whole_months(closed: date, months: int) -> None:
    due = erasure_due_on(closed, months)
    assert due > closed
    assert (due.year - closed.year) * 12 + due.month - closed.month == months


def test_the_closing_date_is_the_grace_period_in_working_days() -> None:
    # Friday 18 December 2026: 20 working days later skips the weekends, Christmas Day, Boxing Day's substitute
    # (Monday 28) and New Year's Day (England and Wales).
    assert closing_date(date(2026, 12, 18), 20) == date(2027, 1, 20)
    assert closing_date(date(2026, 6, 1), 5) == date(2026, 6, 8)
    assert closing_date(date(2026, 6, 1), 0) == date(2026, 6, 2)  # never the day itself
