"""The agencies app's pure rules, with expected values worked out by hand: ICO registration (Haringey
4.1-4.2), reminder bands, training validity (Buckinghamshire 4), the signatory checklist (Southampton 18)
and the training CSV."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agencies.rules import (
    ChecklistStatus,
    IcoStatus,
    add_months,
    checklist_status,
    ico_number_is_valid,
    ico_status,
    parse_training_csv,
    phone_is_valid,
    reminder_band,
    training_expiry,
    training_is_valid,
)

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2027, 12, 31), 2, date(2028, 2, 29)),  # leap year
        (date(2026, 11, 22), 12, date(2027, 11, 22)),
        (date(2026, 11, 22), 2, date(2027, 1, 22)),  # across the year end
        (date(2026, 3, 31), 0, date(2026, 3, 31)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("expires", "expected"),
    [
        (None, IcoStatus.MISSING),
        (TODAY - timedelta(days=1), IcoStatus.LAPSED),
        (TODAY, IcoStatus.EXPIRING),  # the last day still counts
        (TODAY + timedelta(days=60), IcoStatus.EXPIRING),
        (TODAY + timedelta(days=61), IcoStatus.VALID),
    ],
)
def test_ico_status(expires: date | None, expected: IcoStatus) -> None:
    assert ico_status(expires, TODAY) == expected


@pytest.mark.parametrize(
    ("days_left", "band"),
    [(61, None), (60, 60), (31, 60), (30, 30), (8, 30), (7, 7), (0, 7), (-1, 0)],
)
def test_reminder_band(days_left: int, band: int | None) -> None:
    assert reminder_band(TODAY + timedelta(days=days_left), TODAY) == band


@given(expires=st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)))
def test_each_reminder_band_starts_on_exactly_one_day(expires: date) -> None:
    """Walking day by day towards an expiry, the band changes exactly at 60, 30, 7 days and at the lapse,
    and never goes back to an earlier band: so a reminder keyed by its band is sent once."""
    seen: list[int | None] = []
    for days_before in range(70, -3, -1):
        band = reminder_band(expires, expires - timedelta(days=days_before))
        if not seen or seen[-1] != band:
            seen.append(band)
    assert seen == [None, 60, 30, 7, 0]


@pytest.mark.parametrize(
    ("completed", "expires", "valid"),
    [
        (TODAY - timedelta(days=100), None, True),  # no expiry
        (TODAY - timedelta(days=100), TODAY, True),  # valid through its last day
        (TODAY - timedelta(days=100), TODAY - timedelta(days=1), False),
        (TODAY + timedelta(days=1), None, False),  # not yet done
    ],
)
def test_training_is_valid(completed: date, expires: date | None, valid: bool) -> None:
    assert training_is_valid(completed, expires, TODAY) is valid


def test_training_expiry_follows_the_course() -> None:
    assert training_expiry(date(2024, 2, 29), 24) == date(2026, 2, 28)
    assert training_expiry(date(2024, 2, 29), None) is None


@pytest.mark.parametrize(
    ("value", "valid"),
    [("Z1234567", True), ("za123456", True), ("ZA 123 456", True), ("Z12345", False), ("123456Z", False)],
)
def test_ico_numbers(value: str, valid: bool) -> None:
    assert ico_number_is_valid(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [("020 7946 0000", True), ("+44 20 7946 0000", True), ("01865 270 000", True), ("999", False), ("phone", False)],
)
def test_phone_numbers(value: str, valid: bool) -> None:
    assert phone_is_valid(value) is valid


# --- The signatory checklist (Southampton 18) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("confirmations", "expected"),
    [
        ({1: TODAY - timedelta(days=10), 2: TODAY - timedelta(days=100)}, ChecklistStatus.COMPLETE),
        ({1: TODAY - timedelta(days=10)}, ChecklistStatus.INCOMPLETE),  # requirement 2 never confirmed
        ({1: TODAY - timedelta(days=10), 2: None}, ChecklistStatus.INCOMPLETE),
        # Confirmed 22 Nov 2025: runs out 22 Nov 2026, i.e. today, so no longer counts.
        ({1: TODAY - timedelta(days=10), 2: date(2025, 11, 22)}, ChecklistStatus.INCOMPLETE),
        # Confirmed 1 Dec 2025: runs out 1 Dec 2026, 9 days away: complete but due for renewal.
        ({1: TODAY - timedelta(days=10), 2: date(2025, 12, 1)}, ChecklistStatus.DUE_FOR_RENEWAL),
        # 23 Dec 2025 runs out 23 Dec 2026, 31 days away: not yet in the 30-day window.
        ({1: TODAY - timedelta(days=10), 2: date(2025, 12, 23)}, ChecklistStatus.COMPLETE),
        ({1: TODAY + timedelta(days=1), 2: TODAY}, ChecklistStatus.INCOMPLETE),  # dated in the future
    ],
)
def test_checklist_status(confirmations: dict[int, date | None], expected: ChecklistStatus) -> None:
    assert checklist_status([1, 2], confirmations, TODAY) == expected


def test_an_empty_list_of_requirements_is_complete() -> None:
    assert checklist_status([], {}, TODAY) == ChecklistStatus.COMPLETE


# --- The training CSV ---------------------------------------------------------------------------------------


def test_a_good_csv_parses() -> None:
    rows, errors = parse_training_csv(
        "\ufeffEmail,Course,Completed_on,Expires_on,Evidence\n"
        "Pat@Example.org,Safeguarding level 2,2026-03-27,,Cert 1\n"
        "\n"
        "sam@example.org,Safeguarding level 2,27/03/2026,27/03/2028,\n",
        TODAY,
    )
    assert errors == []
    assert [(row.line, row.email, row.completed_on, row.expires_on) for row in rows] == [
        (2, "pat@example.org", date(2026, 3, 27), None),
        (4, "sam@example.org", date(2026, 3, 27), date(2028, 3, 27)),
    ]


def test_every_bad_row_is_reported_with_its_line_number() -> None:
    rows, errors = parse_training_csv(
        "email,course,completed_on,expires_on\n"
        "pat@example.org,Level 2,2026-03-27,\n"
        "not-an-email,Level 2,2026-02-30,\n"
        "sam@example.org,,03/27/2026,\n"
        "kim@example.org,Level 2,2026-12-01,2026-01-01\n",
        TODAY,
    )
    assert [error.line for error in errors] == [3, 4, 5]
    assert "email" in errors[0].message and "2026-02-30" in errors[0].message
    assert "course is missing" in errors[1].message and "03/27/2026" in errors[1].message
    assert "in the future" in errors[2].message and "after completed_on" in errors[2].message
    assert str(errors[0]).startswith("Line 3:")
    assert [row.line for row in rows] == [2]


@pytest.mark.parametrize(
    ("text", "message"),
    [("name,course\nx,y\n", "the header must include email, completed_on"), ("email,course,completed_on\n", "no rows")],
)
def test_a_csv_without_the_columns_or_rows_is_refused(text: str, message: str) -> None:
    rows, errors = parse_training_csv(text, TODAY)
    assert rows == [] and message in errors[0].message and errors[0].line == 1
