"""Proving the clocks of a breach (issue 14: "Proving the clocks"; Haringey 6.1-6.6; UK GDPR art. 33).

The table's every expected date was counted by hand, day by day, against the bank holidays published on
gov.uk/bank-holidays (England and Wales; Scotland where the row says so), and is written literally: the code's own
calendar (the `holidays` package) is never the oracle here. Counting convention (isp_portal.workdays): the anchor
day itself is never counted; "within 5 working days" is the fifth working day after it.

The hypothesis properties use a hand-written list of the England and Wales bank holidays (gov.uk) as their oracle
too, over anchors in 2026 and 2027.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from breaches import rules

LONDON = ZoneInfo("Europe/London")

# England and Wales bank holidays, from gov.uk/bank-holidays (substitute days as published).
ENGLAND_AND_WALES = frozenset(
    date.fromisoformat(day)
    for day in (
        # 2026: Christmas Day a Friday, Boxing Day a Saturday -> substitute Monday 28 December.
        "2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31", "2026-12-25",
        "2026-12-28",
        # 2027: Christmas Day a Saturday, Boxing Day a Sunday -> substitutes Monday 27 and Tuesday 28 December.
        "2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31", "2027-08-30", "2027-12-27",
        "2027-12-28",
        # 2028: New Year's Day a Saturday -> substitute Monday 3 January.
        "2028-01-03",
    )
)  # fmt: skip

NOTIFY = "notify_partners"  # identified + 5 working days (6.1)
REPORT = "breach_report"  # occurred + 10 (6.2)
MEETING = "partners_meeting"  # occurred + 20 (6.3)
MINUTES = "minutes_circulated"  # meeting + 5 (6.6)

d = date.fromisoformat

# (step, occurred_on, identified_on, meeting_held_on, nation, expected): the reasoning for each in its comment.
TABLE = [
    # A plain week: identified Mon 2 Nov 2026; Tue 3 (1), Wed 4, Thu 5, Fri 6, Mon 9 (5).
    (NOTIFY, "2026-11-02", "2026-11-02", None, "england-and-wales", "2026-11-09"),
    # A weekend: identified Fri 6 Nov 2026; Sat and Sun skipped; Mon 9 (1) ... Fri 13 (5).
    (NOTIFY, "2026-11-05", "2026-11-06", None, "england-and-wales", "2026-11-13"),
    # Identified on a Saturday (7 Nov 2026): counting starts on Monday 9 (1) ... Fri 13 (5).
    (NOTIFY, "2026-11-05", "2026-11-07", None, "england-and-wales", "2026-11-13"),
    # Christmas 2026: identified Wed 23 Dec; Thu 24 (1); Fri 25 Christmas; Mon 28 Boxing Day substitute; Tue 29 (2),
    # Wed 30 (3), Thu 31 (4); Fri 1 Jan 2027 New Year's Day; Mon 4 Jan (5).
    (NOTIFY, "2026-12-22", "2026-12-23", None, "england-and-wales", "2027-01-04"),
    # Christmas 2021 (substitutes): identified Fri 24 Dec; Mon 27 and Tue 28 substitutes for Christmas and Boxing Day;
    # Wed 29 (1), Thu 30 (2), Fri 31 (3); Mon 3 Jan 2022 New Year substitute; Tue 4 (4), Wed 5 (5).
    (NOTIFY, "2021-12-24", "2021-12-24", None, "england-and-wales", "2022-01-05"),
    # Christmas 2022: identified Fri 23 Dec; Mon 26 Boxing Day; Tue 27 Christmas substitute; Wed 28 (1), Thu 29 (2),
    # Fri 30 (3); Mon 2 Jan 2023 New Year substitute; Tue 3 (4), Wed 4 (5).
    (NOTIFY, "2022-12-23", "2022-12-23", None, "england-and-wales", "2023-01-04"),
    # Christmas 2027: identified Fri 24 Dec; Mon 27 and Tue 28 substitutes; Wed 29 (1), Thu 30 (2), Fri 31 (3);
    # Mon 3 Jan 2028 New Year substitute (1 Jan 2028 a Saturday); Tue 4 (4), Wed 5 (5).
    (NOTIFY, "2027-12-24", "2027-12-24", None, "england-and-wales", "2028-01-05"),
    # Easter 2026: identified Thu 2 Apr; Fri 3 Good Friday; Mon 6 Easter Monday; Tue 7 (1) ... Fri 10 (4), Mon 13 (5).
    (NOTIFY, "2026-04-01", "2026-04-02", None, "england-and-wales", "2026-04-13"),
    # Easter 2027, the report: occurred Mon 22 Mar; Tue 23 (1), Wed 24 (2), Thu 25 (3); Fri 26 Good Friday; Mon 29
    # Easter Monday; Tue 30 (4), Wed 31 (5), Thu 1 Apr (6), Fri 2 (7), Mon 5 (8), Tue 6 (9), Wed 7 (10).
    (REPORT, "2027-03-22", "2027-03-22", None, "england-and-wales", "2027-04-07"),
    # Early May 2026: identified Thu 30 Apr; Fri 1 May (1); Mon 4 the early May bank holiday; Tue 5 (2) ... Fri 8 (5).
    (NOTIFY, "2026-04-30", "2026-04-30", None, "england-and-wales", "2026-05-08"),
    # Early May 2027: identified Fri 30 Apr; Mon 3 May bank holiday; Tue 4 (1), Wed 5, Thu 6, Fri 7 (4), Mon 10 (5).
    (NOTIFY, "2027-04-29", "2027-04-30", None, "england-and-wales", "2027-05-10"),
    # Spring bank holiday 2026, the meeting: occurred Mon 11 May; Tue 12 (1) ... Fri 22 (9); Mon 25 spring bank
    # holiday; Tue 26 (10) ... Fri 29 (13); Mon 1 Jun (14) ... Fri 5 (18); Mon 8 (19), Tue 9 (20).
    (MEETING, "2026-05-11", "2026-05-11", None, "england-and-wales", "2026-06-09"),
    # Spring bank holiday 2027: identified Fri 28 May; Mon 31 May holiday; Tue 1 Jun (1) ... Fri 4 (4), Mon 7 (5).
    (NOTIFY, "2027-05-27", "2027-05-28", None, "england-and-wales", "2027-06-07"),
    # Summer bank holiday 2026, the minutes: meeting Thu 27 Aug; Fri 28 (1); Mon 31 Aug holiday; Tue 1 Sep (2),
    # Wed 2 (3), Thu 3 (4), Fri 4 (5).
    (MINUTES, "2026-08-03", "2026-08-04", "2026-08-27", "england-and-wales", "2026-09-04"),
    # Summer bank holiday 2027, the report: occurred Mon 23 Aug; Tue 24 (1) ... Fri 27 (4); Mon 30 Aug holiday;
    # Tue 31 (5), Wed 1 Sep (6), Thu 2 (7), Fri 3 (8), Mon 6 (9), Tue 7 (10).
    (REPORT, "2027-08-23", "2027-08-23", None, "england-and-wales", "2027-09-07"),
    # The meeting across Christmas 2026: occurred Mon 14 Dec; Tue 15 (1) ... Fri 18 (4); Mon 21 (5) ... Thu 24 (8);
    # Fri 25, Mon 28 holidays; Tue 29 (9), Wed 30 (10), Thu 31 (11); Fri 1 Jan holiday; Mon 4 (12) ... Fri 8 (16);
    # Mon 11 (17), Tue 12 (18), Wed 13 (19), Thu 14 (20).
    (MEETING, "2026-12-14", "2026-12-15", None, "england-and-wales", "2027-01-14"),
    # New Year 2027 in England and Wales: identified Thu 31 Dec 2026; Fri 1 Jan holiday; Mon 4 (1) ... Fri 8 (5).
    (NOTIFY, "2026-12-31", "2026-12-31", None, "england-and-wales", "2027-01-08"),
    # New Year 2027 in Scotland: also 2 January, a Saturday, so its substitute Mon 4 Jan is a holiday too; Tue 5 (1),
    # Wed 6 (2), Thu 7 (3), Fri 8 (4), Mon 11 (5).
    (NOTIFY, "2026-12-31", "2026-12-31", None, "scotland", "2027-01-11"),
    # St Andrew's Day 2026 (Mon 30 Nov), Scotland only: identified Fri 27 Nov; Tue 1 Dec (1) ... Fri 4 (4), Mon 7 (5).
    (NOTIFY, "2026-11-26", "2026-11-27", None, "scotland", "2026-12-07"),
    # ... and in England and Wales the same day is a working day: Mon 30 Nov (1) ... Fri 4 Dec (5).
    (NOTIFY, "2026-11-26", "2026-11-27", None, "england-and-wales", "2026-12-04"),
    # Easter Monday is not a Scottish bank holiday: identified Thu 2 Apr 2026; Fri 3 Good Friday; Mon 6 (1), Tue 7 (2),
    # Wed 8 (3), Thu 9 (4), Fri 10 (5).
    (NOTIFY, "2026-04-02", "2026-04-02", None, "scotland", "2026-04-10"),
]  # fmt: skip


@pytest.mark.parametrize(("step", "occurred", "identified", "meeting", "nation", "expected"), TABLE)
def test_due_dates_counted_by_hand(
    step: str, occurred: str, identified: str, meeting: str | None, nation: str, expected: str
) -> None:
    due = rules.obligation_due_dates(
        d(occurred), d(identified), meeting_held_on=d(meeting) if meeting else None, nation=nation
    )
    assert due[step] == d(expected)


def test_the_minutes_are_dated_only_once_the_meeting_is_known() -> None:
    assert MINUTES not in rules.obligation_due_dates(d("2026-11-02"), d("2026-11-03"))
    with pytest.raises(ValueError, match="meeting"):
        rules.obligation_due_dates(d("2026-11-02"), d("2026-11-03"), meeting_held_on=d("2026-11-01"))


def test_an_unknown_nation_is_refused() -> None:
    with pytest.raises(ValueError, match="nation"):
        rules.obligation_due_dates(d("2026-11-02"), d("2026-11-03"), nation="wessex")


def _working(day: date) -> bool:
    return day.weekday() < 5 and day not in ENGLAND_AND_WALES


anchors = st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 11, 30))


@given(occurred=anchors, identified_after=st.integers(0, 30), meeting_after=st.none() | st.integers(0, 60))
def test_a_due_date_is_a_working_day_never_before_its_anchor(
    occurred: date, identified_after: int, meeting_after: int | None
) -> None:
    identified = occurred + timedelta(days=identified_after)
    meeting = occurred + timedelta(days=meeting_after) if meeting_after is not None else None
    due = rules.obligation_due_dates(occurred, identified, meeting_held_on=meeting)
    anchor_of = {NOTIFY: identified, REPORT: occurred, MEETING: occurred, MINUTES: meeting}
    working_days = {NOTIFY: 5, REPORT: 10, MEETING: 20, MINUTES: 5}
    for step, day in due.items():
        anchor = anchor_of[step]
        assert anchor is not None
        assert _working(day), (step, day)
        assert day > anchor, (step, anchor, day)
        # Exactly N working days strictly after the anchor, up to and including the due date (the hand oracle).
        counted = sum(_working(anchor + timedelta(days=n)) for n in range(1, (day - anchor).days + 1))
        assert counted == working_days[step], (step, anchor, day)
    assert due[REPORT] < due[MEETING]


@given(occurred=anchors, before=st.integers(1, 400))
def test_identified_before_it_occurred_is_refused(occurred: date, before: int) -> None:
    with pytest.raises(ValueError, match="identified before"):
        rules.obligation_due_dates(occurred, occurred - timedelta(days=before))


# --- The ICO's 72 hours (UK GDPR art. 33(1)): elapsed hours, across both clock changes --------------------------

ICO_TABLE = [
    # The change to BST, 2026 (01:00 GMT Sun 29 Mar): aware Sat 28 Mar 10:00 GMT + 72 h = Tue 31 Mar 10:00 UTC,
    # which is 11:00 BST on the wall clock.
    (datetime(2026, 3, 28, 10, 0, tzinfo=LONDON), datetime(2026, 3, 31, 11, 0, tzinfo=LONDON)),
    # The change back to GMT, 2026 (02:00 BST Sun 25 Oct): aware Sat 24 Oct 10:00 BST (09:00 UTC) + 72 h = Tue 27 Oct
    # 09:00 UTC = 09:00 GMT.
    (datetime(2026, 10, 24, 10, 0, tzinfo=LONDON), datetime(2026, 10, 27, 9, 0, tzinfo=LONDON)),
    # 2027 (BST from Sun 28 Mar): aware Fri 26 Mar 23:30 GMT + 72 h = Mon 29 Mar 23:30 UTC = Tue 30 Mar 00:30 BST.
    (datetime(2027, 3, 26, 23, 30, tzinfo=LONDON), datetime(2027, 3, 30, 0, 30, tzinfo=LONDON)),
    # 2027 (GMT from Sun 31 Oct): aware Sun 31 Oct 00:30 BST (Sat 30 Oct 23:30 UTC) + 72 h = Tue 2 Nov 23:30 UTC =
    # 23:30 GMT on Tue 2 Nov.
    (datetime(2027, 10, 31, 0, 30, tzinfo=LONDON), datetime(2027, 11, 2, 23, 30, tzinfo=LONDON)),
    # No change inside the window: aware Mon 2 Nov 2026 14:15 GMT -> Thu 5 Nov 14:15 GMT.
    (datetime(2026, 11, 2, 14, 15, tzinfo=LONDON), datetime(2026, 11, 5, 14, 15, tzinfo=LONDON)),
    # Given in UTC, answered in UTC.
    (datetime(2026, 3, 28, 10, 0, tzinfo=UTC), datetime(2026, 3, 31, 10, 0, tzinfo=UTC)),
]


@pytest.mark.parametrize(("aware", "expected"), ICO_TABLE)
def test_ico_deadline_is_72_elapsed_hours_across_the_clock_changes(aware: datetime, expected: datetime) -> None:
    deadline = rules.ico_deadline(aware)
    assert deadline == expected
    # Both the instant and the wall clock: the result is in the zone it was given in.
    assert deadline.utcoffset() == expected.utcoffset() and deadline.tzinfo == aware.tzinfo
    assert deadline.astimezone(UTC) - aware.astimezone(UTC) == timedelta(hours=72)


def test_ico_deadline_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        rules.ico_deadline(datetime(2026, 3, 28, 10, 0))


@given(moment=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(LONDON)))
def test_ico_deadline_is_always_72_elapsed_hours_and_aware(moment: datetime) -> None:
    deadline = rules.ico_deadline(moment)
    assert deadline.tzinfo is not None and deadline.utcoffset() is not None
    assert deadline.astimezone(UTC) - moment.astimezone(UTC) == timedelta(hours=72)


# --- Reminders never after the due time ---------------------------------------------------------------------------


@given(kind=st.sampled_from(list(rules.ObligationKind)), day=anchors, minutes=st.integers(0, 24 * 60 - 1))
def test_reminders_are_never_after_the_due_time(kind: rules.ObligationKind, day: date, minutes: int) -> None:
    hour_clock = kind in (rules.ObligationKind.ICO_DECISION, rules.ObligationKind.ICO_NOTIFIED)
    due_at = (
        datetime.combine(day, datetime.min.time(), tzinfo=LONDON) + timedelta(minutes=minutes)
        if hour_clock
        else rules.end_of_day(day)
    )
    reminders = rules.reminders_for(kind, due_at)
    assert reminders.first_at <= reminders.again_at <= due_at
    if hour_clock:
        assert due_at - reminders.first_at == timedelta(hours=24)
        assert due_at - reminders.again_at == timedelta(hours=4)
    else:
        # The second reminder on the due day itself, at its start.
        assert reminders.again_at == rules.start_of_day(day)


def test_working_day_reminders_come_two_working_days_before_across_a_bank_holiday() -> None:
    # Due Wed 7 Apr 2027 (the Easter row): two working days back, Tue 6 (1), Mon 5 (2) -> the first reminder at the
    # start of Mon 5 Apr; the second at the start of Wed 7.
    reminders = rules.reminders_for("breach_report", rules.end_of_day(d("2027-04-07")))
    assert reminders.first_at == datetime(2027, 4, 5, 0, 0, tzinfo=LONDON)
    assert reminders.again_at == datetime(2027, 4, 7, 0, 0, tzinfo=LONDON)
    # Due Tue 30 Mar 2027, after Easter: back over Mon 29 (Easter Monday) and Fri 26 (Good Friday): Thu 25 (1),
    # Wed 24 (2).
    reminders = rules.reminders_for("breach_report", rules.end_of_day(d("2027-03-30")))
    assert reminders.first_at == datetime(2027, 3, 24, 0, 0, tzinfo=LONDON)
