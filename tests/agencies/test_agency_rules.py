"""Every pure function of agencies/rules.py, against values worked out by hand on a calendar, plus the
properties that must hold for any date: month arithmetic, ICO status and reminder bands (Haringey 4.1-4.2),
training validity (Buckinghamshire 4), the yearly signatory checklist (Southampton 18) and the training CSV.

Fixed "today": Sunday 22 November 2026. Counting from it: 30 days on is 22 December 2026, 60 days on is
21 January 2027 (8 days left in November, 31 in December, 21 in January)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from agencies.rules import (
    CHECKLIST_RENEWAL_WARNING_DAYS,
    REMINDER_DAYS,
    ChecklistStatus,
    IcoStatus,
    RowError,
    add_months,
    agency_may_share,
    checklist_status,
    confirmation_expires_on,
    ico_number_is_valid,
    ico_status,
    normalise_ico_number,
    parse_training_csv,
    phone_is_valid,
    reminder_band,
    training_expiry,
    training_is_valid,
)

TODAY = date(2026, 11, 22)
DAY = timedelta(days=1)

any_date = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


def test_the_partnership_numbers_are_the_ones_the_protocols_name() -> None:
    # Haringey 4.1-4.2 reminders, Southampton 18 yearly renewal with a month's warning.
    assert REMINDER_DAYS == (60, 30, 7)
    assert CHECKLIST_RENEWAL_WARNING_DAYS == 30


# --- add_months ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # no 31 February: the last day
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2026, 5, 31), 1, date(2026, 6, 30)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),  # over the year end
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2028, 2, 29), 48, date(2032, 2, 29)),  # four years on, a leap day again
        (date(2026, 11, 22), 0, date(2026, 11, 22)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),  # backwards, clamped too
        (date(2026, 1, 15), -1, date(2025, 12, 15)),
        (date(2026, 7, 31), -13, date(2025, 6, 30)),
        (date(2026, 11, 22), 120, date(2036, 11, 22)),
    ],
)
def test_add_months_by_hand(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


@given(start=any_date, months=st.integers(min_value=-240, max_value=240))
def test_add_months_lands_in_the_right_month_on_the_same_day_or_the_last_one(start: date, months: int) -> None:
    result = add_months(start, months)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months
    if result.day != start.day:
        # Clamped: only because the target month is too short, and then to its last day.
        assert result.day < start.day
        assert (result + DAY).day == 1


@given(start=any_date, months=st.integers(min_value=-240, max_value=240))
def test_add_months_is_undone_by_going_back_when_no_day_was_clamped(start: date, months: int) -> None:
    assume(start.day <= 28)
    assert add_months(add_months(start, months), -months) == start


# --- ICO numbers and phone numbers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [(" za 123 456 ", "ZA123456"), ("z1234567\n", "Z1234567"), ("Z 1234 567", "Z1234567"), ("", "")],
)
def test_normalise_ico_number(raw: str, normalised: str) -> None:
    assert normalise_ico_number(raw) == normalised


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("Z1234567", True),  # Z and seven digits (the older form)
        ("ZA123456", True),  # Z, a letter and six digits (the newer form)
        ("ZB654321", True),
        (" z123 4567 ", True),  # as typed: case and spaces do not matter
        ("A1234567", False),  # ICO numbers begin with Z (issue 8 item 15)
        ("AB123456", False),
        ("ZA1234567", False),  # two letters and seven digits: nine characters
        ("Z123456", False),  # Z and six digits: too short
        ("Z12345", False),  # five digits
        ("Z12345678", False),  # eight digits
        ("ZAB123456", False),  # three letters
        ("1234567", False),  # no letter
        ("Z-1234567", False),
        ("Z1234567X", False),
        ("", False),
    ],
)
def test_ico_number_is_valid(value: str, valid: bool) -> None:
    assert ico_number_is_valid(value) is valid


@given(value=st.text(alphabet="ABZaz019 -", max_size=14))
def test_an_ico_number_is_judged_the_same_before_and_after_normalising(value: str) -> None:
    once = normalise_ico_number(value)
    assert normalise_ico_number(once) == once
    assert ico_number_is_valid(value) is ico_number_is_valid(once)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("020 8489 0000", True),
        ("+44 20 8489 0000", True),
        ("+442084890000", True),
        # As people write them (issue 8 item 15): all refused by the old hand-written pattern.
        ("(020) 7946 0958", True),
        ("+44 (0)20 7946 0958", True),
        ("020-7946-0958", True),
        ("+44 020 8489 0000", True),  # the 0 kept after +44: libphonenumber reads it as meant
        ("07911 123456", True),  # a mobile
        ("0800 123 4567", True),  # freephone
        ("+33 1 42 68 53 00", True),  # abroad, with its country code
        ("  01865 270000  ", True),  # a five-digit area code, with spaces around
        ("07700 900123", False),  # Ofcom's range for drama: not a number anyone has
        ("0208489000", False),  # 0 and only nine more digits
        ("020848900", False),
        ("020848900000", False),
        ("999", False),
        ("phone", False),
        ("", False),
    ],
)
def test_phone_is_valid(value: str, valid: bool) -> None:
    assert phone_is_valid(value) is valid


# --- ICO status and whether an agency may share ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("expires", "expected"),
    [
        (None, IcoStatus.MISSING),
        (date(2020, 1, 1), IcoStatus.LAPSED),
        (date(2026, 11, 21), IcoStatus.LAPSED),  # yesterday
        (date(2026, 11, 22), IcoStatus.EXPIRING),  # the last day still counts
        (date(2026, 12, 22), IcoStatus.EXPIRING),  # 30 days
        (date(2027, 1, 21), IcoStatus.EXPIRING),  # 60 days: the first reminder is due
        (date(2027, 1, 22), IcoStatus.VALID),  # 61 days
        (date(2030, 1, 1), IcoStatus.VALID),
    ],
)
def test_ico_status_by_hand(expires: date | None, expected: IcoStatus) -> None:
    assert ico_status(expires, TODAY) is expected


@given(expires=any_date, first=any_date, second=any_date)
def test_ico_status_only_moves_towards_lapsed_as_time_passes(expires: date, first: date, second: date) -> None:
    order = [IcoStatus.VALID, IcoStatus.EXPIRING, IcoStatus.LAPSED]
    earlier, later = sorted([first, second])
    assert order.index(ico_status(expires, earlier)) <= order.index(ico_status(expires, later))


@pytest.mark.parametrize(
    ("status", "expires", "allowed"),
    [
        ("active", date(2027, 1, 22), True),
        ("active", date(2026, 11, 23), True),  # expiring soon still counts
        ("active", date(2026, 11, 22), True),  # its last day
        ("active", date(2026, 11, 21), False),  # lapsed yesterday
        ("active", None, False),  # never recorded
        ("suspended", date(2030, 1, 1), False),
        ("left", date(2030, 1, 1), False),
        ("", date(2030, 1, 1), False),
    ],
)
def test_agency_may_share_by_hand(status: str, expires: date | None, allowed: bool) -> None:
    assert agency_may_share(status, expires, TODAY) is allowed


@given(status=st.sampled_from(["active", "suspended", "left"]), expires=st.none() | any_date, today=any_date)
def test_an_agency_shares_exactly_while_active_and_registered(status: str, expires: date | None, today: date) -> None:
    in_force = expires is not None and today <= expires
    assert agency_may_share(status, expires, today) is (status == "active" and in_force)


# --- Reminder bands ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expires", "band"),
    [
        (date(2027, 3, 1), None),
        (date(2027, 1, 22), None),  # 61 days: nothing yet
        (date(2027, 1, 21), 60),  # 60 days
        (date(2026, 12, 23), 60),  # 31 days: still the 60-day reminder
        (date(2026, 12, 22), 30),  # 30 days
        (date(2026, 11, 30), 30),  # 8 days
        (date(2026, 11, 29), 7),  # 7 days
        (date(2026, 11, 23), 7),  # tomorrow
        (date(2026, 11, 22), 7),  # today: the last valid day
        (date(2026, 11, 21), 0),  # lapsed yesterday
        (date(2025, 1, 1), 0),
    ],
)
def test_reminder_band_by_hand(expires: date, band: int | None) -> None:
    assert reminder_band(expires, TODAY) == band


@pytest.mark.parametrize(
    ("expires", "band"),
    # From 1 January 2028: 31 days of January and the 29 of a leap February make 1 March 60 days away.
    [(date(2028, 3, 1), 60), (date(2028, 3, 2), None), (date(2028, 1, 31), 30), (date(2028, 1, 8), 7)],
)
def test_reminder_band_across_a_leap_february(expires: date, band: int | None) -> None:
    assert reminder_band(expires, date(2028, 1, 1)) == band


@given(expires=any_date, today=any_date, shift=st.integers(min_value=-3000, max_value=3000))
def test_the_band_depends_only_on_the_days_left(expires: date, today: date, shift: int) -> None:
    assume(date(2000, 1, 1) <= today + timedelta(days=shift) <= date(2099, 1, 1))
    moved = timedelta(days=shift)
    assert reminder_band(expires + moved, today + moved) == reminder_band(expires, today)


@given(expires=any_date, today=any_date)
def test_a_band_is_due_exactly_when_the_ico_status_says_expiring_or_lapsed(expires: date, today: date) -> None:
    band = reminder_band(expires, today)
    status = ico_status(expires, today)
    assert (band is None) is (status is IcoStatus.VALID)
    assert (band == 0) is (status is IcoStatus.LAPSED)


@given(
    expires=st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31)),
    run_days=st.sets(st.integers(min_value=-75, max_value=5), max_size=81),
)
def test_however_irregularly_the_sweep_runs_the_bands_never_go_back(expires: date, run_days: set[int]) -> None:
    """Run the sweep on any subset of days (relative to the expiry; missed days allowed). The bands it sees
    only ever get more urgent (60, 30, 7, lapsed), so each band's days form one unbroken stretch: a
    reminder keyed by (expiry, band) is raised on the first run of its stretch and never again, and a late
    run raises the band that matters that day, never an earlier one."""
    urgency = [None, 60, 30, 7, 0]
    seen = [reminder_band(expires, expires + timedelta(days=day)) for day in sorted(run_days)]
    assert seen == sorted(seen, key=urgency.index)
    stretches = [
        band for index, band in enumerate(seen) if band is not None and (index == 0 or seen[index - 1] != band)
    ]
    assert len(stretches) == len(set(stretches))


@given(expires=st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31)))
def test_when_the_sweep_runs_every_day_each_band_starts_on_its_own_day(expires: date) -> None:
    first_day: dict[int, date] = {}
    for offset in range(-70, 4):
        today = expires + timedelta(days=offset)
        band = reminder_band(expires, today)
        if band is not None:
            first_day.setdefault(band, today)
    assert first_day == {
        60: expires - timedelta(days=60),
        30: expires - timedelta(days=30),
        7: expires - timedelta(days=7),
        0: expires + DAY,
    }


# --- Training ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("completed", "expires", "valid"),
    [
        (date(2026, 11, 22), None, True),  # completed today, no expiry
        (date(2026, 11, 23), None, False),  # not done yet
        (date(2026, 11, 23), date(2027, 11, 23), False),  # a future completion does not count early
        (date(2025, 11, 22), date(2026, 11, 22), True),  # its last day
        (date(2025, 11, 22), date(2026, 11, 21), False),  # ran out yesterday
        (date(2025, 1, 1), date(2027, 1, 1), True),
    ],
)
def test_training_is_valid_by_hand(completed: date, expires: date | None, valid: bool) -> None:
    assert training_is_valid(completed, expires, TODAY) is valid


@pytest.mark.parametrize(
    ("completed", "months", "expires"),
    [
        (date(2026, 11, 22), 36, date(2029, 11, 22)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 24, date(2026, 2, 28)),
        (date(2026, 11, 22), None, None),  # a course that does not expire
    ],
)
def test_training_expiry_by_hand(completed: date, months: int | None, expires: date | None) -> None:
    assert training_expiry(completed, months) == expires


@given(completed=any_date, months=st.integers(min_value=1, max_value=120), today=any_date)
def test_training_counts_from_completion_through_its_expiry(completed: date, months: int, today: date) -> None:
    expires = training_expiry(completed, months)
    assert expires is not None and expires > completed
    assert training_is_valid(completed, expires, today) is (completed <= today <= expires)


# --- The signatory checklist (Southampton 18) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("confirmed", "expires"),
    [(date(2025, 11, 22), date(2026, 11, 22)), (date(2024, 2, 29), date(2025, 2, 28)), (TODAY, date(2027, 11, 22))],
)
def test_confirmation_expires_on(confirmed: date, expires: date) -> None:
    assert confirmation_expires_on(confirmed) == expires


GOOD = date(2026, 6, 1)  # runs to 1 June 2027: far from renewal


@pytest.mark.parametrize(
    ("third", "expected"),
    [
        (GOOD, ChecklistStatus.COMPLETE),
        (TODAY, ChecklistStatus.COMPLETE),  # confirmed today: a whole year to go
        (date(2025, 12, 23), ChecklistStatus.COMPLETE),  # runs out 23 Dec 2026: 31 days, not yet due
        (date(2025, 12, 22), ChecklistStatus.DUE_FOR_RENEWAL),  # runs out 22 Dec 2026: 30 days
        (date(2025, 11, 23), ChecklistStatus.DUE_FOR_RENEWAL),  # runs out tomorrow
        (date(2025, 11, 22), ChecklistStatus.INCOMPLETE),  # a year old today: no longer counts
        (date(2024, 1, 1), ChecklistStatus.INCOMPLETE),
        (date(2026, 11, 23), ChecklistStatus.INCOMPLETE),  # dated tomorrow
        (None, ChecklistStatus.INCOMPLETE),  # never confirmed
    ],
)
def test_checklist_status_by_hand(third: date | None, expected: ChecklistStatus) -> None:
    assert checklist_status([1, 2, 3], {1: GOOD, 2: GOOD, 3: third}, TODAY) is expected


def test_checklist_edge_cases_by_hand() -> None:
    assert checklist_status([1, 2], {1: GOOD}, TODAY) is ChecklistStatus.INCOMPLETE  # 2 missing altogether
    # Confirmations of requirements no longer on the list do not matter.
    assert checklist_status([1], {1: GOOD, 99: None}, TODAY) is ChecklistStatus.COMPLETE
    # Due for renewal and incomplete together: incomplete, whichever comes first.
    due, missing = date(2025, 12, 1), None
    assert checklist_status([1, 2], {1: due, 2: missing}, TODAY) is ChecklistStatus.INCOMPLETE
    assert checklist_status([2, 1], {1: due, 2: missing}, TODAY) is ChecklistStatus.INCOMPLETE
    # A leap-day confirmation runs out on 28 February the next year.
    assert checklist_status([1], {1: date(2024, 2, 29)}, date(2025, 2, 27)) is ChecklistStatus.DUE_FOR_RENEWAL
    assert checklist_status([1], {1: date(2024, 2, 29)}, date(2025, 2, 28)) is ChecklistStatus.INCOMPLETE


RANK = [ChecklistStatus.COMPLETE, ChecklistStatus.DUE_FOR_RENEWAL, ChecklistStatus.INCOMPLETE]

confirmations = st.dictionaries(
    st.integers(min_value=1, max_value=8),
    st.none() | st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 1, 1)),
    max_size=8,
)


@given(requirements=st.lists(st.integers(min_value=1, max_value=8), unique=True), confirmed=confirmations)
def test_a_checklist_is_as_good_as_its_worst_requirement(
    requirements: list[int], confirmed: dict[int, date | None]
) -> None:
    whole = checklist_status(requirements, confirmed, TODAY)
    singles = [checklist_status([number], confirmed, TODAY) for number in requirements]
    assert whole is max(singles, key=RANK.index, default=ChecklistStatus.COMPLETE)
    assert checklist_status(list(reversed(requirements)), confirmed, TODAY) is whole


@given(confirmed=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)), offset=st.integers(-30, 400))
def test_one_confirmation_over_its_year(confirmed: date, offset: int) -> None:
    today = confirmed + timedelta(days=offset)
    ends = add_months(confirmed, 12)
    status = checklist_status([1], {1: confirmed}, today)
    if today < confirmed or today >= ends:
        assert status is ChecklistStatus.INCOMPLETE
    elif today >= ends - timedelta(days=30):
        assert status is ChecklistStatus.DUE_FOR_RENEWAL
    else:
        assert status is ChecklistStatus.COMPLETE


# --- The training CSV ---------------------------------------------------------------------------------------------


def test_row_errors_read_as_line_and_message() -> None:
    assert str(RowError(7, "course is missing")) == "Line 7: course is missing"


def test_a_csv_with_loose_headers_and_uk_dates_parses_and_long_evidence_is_reported() -> None:
    text = (
        " EMAIL , Course ,Completed_On,expires_on,Evidence\n"
        " Pat@Example.ORG ,Safeguarding level 2,1/2/2026,,Certificate 12\n"
        f"sam@example.org,Safeguarding level 2,2026-11-22,22/11/2028,{'x' * 200}\n"
        f"kim@example.org,Safeguarding level 2,2026-11-22,22/11/2028,{'x' * 201}\n"
    )
    rows, errors = parse_training_csv(text, TODAY)
    # Evidence longer than the column is reported, not silently cut (issue 8 item 5).
    assert errors == [RowError(4, "evidence is longer than 200 characters")]
    assert [(r.line, r.email, r.course, r.completed_on, r.expires_on) for r in rows] == [
        (2, "pat@example.org", "Safeguarding level 2", date(2026, 2, 1), None),
        (3, "sam@example.org", "Safeguarding level 2", date(2026, 11, 22), date(2028, 11, 22)),
    ]
    assert rows[0].evidence == "Certificate 12"
    assert rows[1].evidence == "x" * 200


def test_a_row_with_too_few_values_names_the_missing_date() -> None:
    rows, errors = parse_training_csv("email,course,completed_on\npat@example.org,Level 2\n", TODAY)
    assert rows == []
    assert [(e.line, e.message) for e in errors] == [
        (2, "completed_on '' is not a date (use 2026-03-27)"),
    ]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("pat@example.org,Level 2,31/02/2026,", "completed_on '31/02/2026' is not a date (use 2026-03-27)"),
        ("pat@example.org,Level 2,2026-2-1,", "completed_on '2026-2-1' is not a date (use 2026-03-27)"),
        ("pat@example.org,Level 2,2026-11-23,", "completed_on is in the future"),
        ("pat@example.org,Level 2,2026-01-01,2026-01-01", "expires_on must be after completed_on"),
        ("pat@example.org,Level 2,2026-01-01,someday", "expires_on 'someday' is not a date (use 2026-03-27)"),
        ("pat.example.org,Level 2,2026-01-01,", "email address is missing or not valid"),
        (",Level 2,2026-01-01,", "email address is missing or not valid"),
        ("pat@example.org, ,2026-01-01,", "course is missing"),
    ],
)
def test_each_bad_value_is_named(row: str, message: str) -> None:
    rows, errors = parse_training_csv(f"email,course,completed_on,expires_on\n{row}\n", TODAY)
    assert rows == []
    assert [(e.line, e.message) for e in errors] == [(2, message)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "",
            "the header must include email, course, completed_on; the first line, read as values separated by "
            "commas, has nothing",
        ),
        (
            "email,course\npat@example.org,Level 2\n",
            "the header must include completed_on; the first line, read as values separated by commas, has "
            "'email', 'course'",
        ),
        ("email,course,completed_on\n", "the file has no rows"),
        ("email,course,completed_on\n,,\n\n , , \n", "the file has no rows"),  # blank rows only
    ],
)
def test_a_file_without_the_columns_or_any_rows(text: str, message: str) -> None:
    assert parse_training_csv(text, TODAY) == ([], [RowError(1, message)])


def test_a_row_with_more_values_than_the_header_is_reported_not_a_crash() -> None:
    text = "email,course,completed_on,expires_on,evidence\npat@example.org,Level 2,2026-01-01,,Cert 1, page 2\n"
    rows, errors = parse_training_csv(text, TODAY)
    assert rows == []
    assert [error.line for error in errors] == [2]


emails = st.from_regex(r"[a-z]{1,8}\.[a-z]{1,8}@[a-z]{1,8}\.org", fullmatch=True)
courses = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9 ]{0,20}[A-Za-z0-9])?", fullmatch=True)
evidence = st.from_regex(r'([A-Za-z0-9]([A-Za-z0-9 ,"]{0,20}[A-Za-z0-9])?)?', fullmatch=True)
row_values = st.tuples(
    emails,
    courses,
    st.dates(min_value=date(2015, 1, 1), max_value=TODAY),
    st.none() | st.integers(min_value=1, max_value=3000),
    evidence,
    st.booleans(),  # UK date format rather than ISO
    st.integers(min_value=0, max_value=2),  # blank lines before the row
)


@given(records=st.lists(row_values, min_size=1, max_size=12))
def test_any_good_file_round_trips_with_its_physical_line_numbers(
    records: list[tuple[str, str, date, int | None, str, bool, int]],
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["email", "course", "completed_on", "expires_on", "evidence"])
    expected = []
    line = 1
    for email, course, completed, valid_days, note, uk, blanks in records:
        expires = completed + timedelta(days=valid_days) if valid_days else None

        def show(value: date | None, uk: bool = uk) -> str:
            if value is None:
                return ""
            return f"{value.day}/{value.month}/{value.year}" if uk else value.isoformat()

        buffer.write("\n" * blanks)
        line += blanks + 1
        writer.writerow([email.upper() if uk else email, course, show(completed), show(expires), note])
        expected.append((line, email, course, completed, expires, note))
    rows, errors = parse_training_csv(buffer.getvalue(), TODAY)
    assert errors == []
    assert [(r.line, r.email, r.course, r.completed_on, r.expires_on, r.evidence) for r in rows] == expected


# --- CSV as spreadsheets save it; values the database cannot hold (issue 8 items 6, 10, 15) ----------------------


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_a_csv_is_read_whatever_separator_the_spreadsheet_used(separator: str) -> None:
    lines = [
        ["email", "course", "completed_on", "expires_on", "evidence"],
        ["pat@example.org", "Level 2", "2026-03-27", "", "Cert 1, page 2"],
        ["sam@example.org", "Level 2", "27/03/2026", "2028-03-27", ""],
    ]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=separator).writerows(lines)
    rows, errors = parse_training_csv(buffer.getvalue(), TODAY)
    assert errors == []
    assert [(row.email, row.evidence) for row in rows] == [
        ("pat@example.org", "Cert 1, page 2"),
        ("sam@example.org", ""),
    ]


def test_a_header_that_is_not_understood_says_which_separator_was_found() -> None:
    rows, errors = parse_training_csv("e-mail|course|date\npat@example.org|Level 2|2026-03-27\n", TODAY)
    assert rows == [] and errors[0].line == 1
    assert "separated by commas" in errors[0].message and "'e-mail|course|date'" in errors[0].message


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("email,course,completed_on\npat@example.org,Level\x002,2026-03-27\n", "2"),
        ("email\x00,course,completed_on\npat@example.org,Level 2,2026-03-27\n", "1"),
        ("\x00" * 40, "1"),
    ],
)
def test_a_nul_character_is_refused_with_its_line(text: str, lines: str) -> None:
    rows, errors = parse_training_csv(text, TODAY)
    assert rows == []
    assert len(errors) == 1 and f"NUL characters (on line {lines})" in errors[0].message


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("pat@example.org,Level 2,1999-12-31,", "completed_on is before 1 January 2000"),
        ("pat@example.org,Level 2,01/01/0001,", "completed_on is before 1 January 2000"),
        ("pat@example.org,Level 2,2026-01-01,9999-12-31", "expires_on is more than ten years after completed_on"),
        (f"pat@example.org,{'L' * 201},2026-01-01,", "course is longer than 200 characters"),
        (f"pat@example.org,Level 2,2026-01-01,,{'E' * 201}", "evidence is longer than 200 characters"),
        (f"{'p' * 250}@example.org,Level 2,2026-01-01,", "email is longer than 254 characters"),
    ],
)
def test_values_the_database_would_refuse_are_row_errors(row: str, message: str) -> None:
    rows, errors = parse_training_csv(f"email,course,completed_on,expires_on,evidence\n{row}\n", TODAY)
    assert rows == []
    assert [(error.line, error.message) for error in errors] == [(2, message)]
