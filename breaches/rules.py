"""The clocks of a breach of protocol, as pure functions (DESIGN 2.5, 3.3).

Haringey 6.1-6.6 sets four working-day deadlines; UK GDPR art. 33(1) sets a fourth in elapsed hours; Haringey
11.1(b) sets the answer to an indemnity notice in (calendar) days. Everything that shows or sweeps a breach's
deadlines computes them here, so a page, the API, the sweep and the tests can never disagree.

Working days come from isp_portal.workdays (weekends and the bank holidays of the partnership's nation, from
the `holidays` package); the start day itself is never counted ("within five working days of the breach having
been identified": the fifth working day after the day it was identified).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from isp_portal.workdays import DEFAULT_NATION, add_working_days, nation_from, working_days_between

# Haringey 6.1: report the breach to the other partners within 5 working days of its being identified.
NOTIFY_PARTNERS_WORKING_DAYS = 5
# Haringey 6.2: the agency in breach distributes a report with the actions taken within 10 working days of it.
BREACH_REPORT_WORKING_DAYS = 10
# Haringey 6.3: the partners meet within 20 working days of the breach.
PARTNERS_MEETING_WORKING_DAYS = 20
# Haringey 6.6: the minutes with the agreed action and sanctions are circulated within 5 working days of the meeting.
MINUTES_WORKING_DAYS = 5
# UK GDPR art. 33(1): "without undue delay and, where feasible, not later than 72 hours after having become aware".
ICO_HOURS = 72
# Haringey 11.1(b): "Within four days of receiving such notice, the Alleged Contributor shall respond". The clause
# says days, where section 6 says working days, so these are calendar days.
INDEMNITY_RESPONSE_DAYS = 4
# DESIGN 3.3 / issue 14: reminders two working days before a due date and on it.
REMINDER_WORKING_DAYS_BEFORE = 2
# The ICO clock is in hours, so its reminders are too: a day before the deadline and four hours before it.
ICO_FIRST_REMINDER_BEFORE = timedelta(hours=24)
ICO_SECOND_REMINDER_BEFORE = timedelta(hours=4)

LONDON = ZoneInfo("Europe/London")


class ObligationKind(StrEnum):
    NOTIFY_PARTNERS = "notify_partners"  # Haringey 6.1
    BREACH_REPORT = "breach_report"  # Haringey 6.2
    PARTNERS_MEETING = "partners_meeting"  # Haringey 6.3
    MINUTES_CIRCULATED = "minutes_circulated"  # Haringey 6.6
    ICO_DECISION = "ico_decision"  # UK GDPR art. 33(1), 33(5): decide (and document) whether to notify
    ICO_NOTIFIED = "ico_notified"  # UK GDPR art. 33(1): notify the ICO within 72 hours of becoming aware
    INDEMNITY_RESPONSE = "indemnity_response"  # Haringey 11.1(b)


class ObligationState(StrEnum):
    OPEN = "open"  # not done; not yet past its due time
    OVERDUE = "overdue"  # not done and past its due time (set by the sweep, which escalates it once)
    DONE = "done"  # completed: the completion time is frozen from here on


# The order obligations are shown in, on the timeline and in the API.
OBLIGATION_ORDER: tuple[ObligationKind, ...] = (
    ObligationKind.ICO_DECISION,
    ObligationKind.ICO_NOTIFIED,
    ObligationKind.NOTIFY_PARTNERS,
    ObligationKind.BREACH_REPORT,
    ObligationKind.PARTNERS_MEETING,
    ObligationKind.MINUTES_CIRCULATED,
    ObligationKind.INDEMNITY_RESPONSE,
)


def obligation_due_dates(
    occurred_on: date,
    identified_on: date,
    *,
    meeting_held_on: date | None = None,
    nation: str = DEFAULT_NATION,
) -> dict[str, date]:
    """The due dates of the working-day steps of Haringey 6, keyed by ObligationKind value.

    Keys: `notify_partners` (identified + 5 working days, 6.1), `breach_report` (occurred + 10, 6.2),
    `partners_meeting` (occurred + 20, 6.3) and, once the meeting date is known, `minutes_circulated`
    (meeting + 5, 6.6). Working days skip weekends and `nation`'s bank holidays (isp_portal.workdays).

    Raises ValueError when the breach was identified before it occurred, when the meeting is dated before the
    breach, or for an unknown nation."""
    checked = nation_from(nation)
    if identified_on < occurred_on:
        raise ValueError("A breach cannot be identified before it occurred.")
    dates = {
        ObligationKind.NOTIFY_PARTNERS.value: add_working_days(
            identified_on, NOTIFY_PARTNERS_WORKING_DAYS, nation=checked
        ),
        ObligationKind.BREACH_REPORT.value: add_working_days(occurred_on, BREACH_REPORT_WORKING_DAYS, nation=checked),
        ObligationKind.PARTNERS_MEETING.value: add_working_days(
            occurred_on, PARTNERS_MEETING_WORKING_DAYS, nation=checked
        ),
    }
    if meeting_held_on is not None:
        if meeting_held_on < occurred_on:
            raise ValueError("The partners' meeting cannot be held before the breach occurred.")
        dates[ObligationKind.MINUTES_CIRCULATED.value] = add_working_days(
            meeting_held_on, MINUTES_WORKING_DAYS, nation=checked
        )
    return dates


def ico_deadline(aware_at: datetime) -> datetime:
    """When the ICO must have been told of a personal-data breach: 72 elapsed hours after `aware_at` (UK GDPR
    art. 33(1)), in `aware_at`'s time zone.

    Elapsed, not wall-clock: aware-datetime arithmetic in Python adds to the wall clock of its zone, which across
    the change to British Summer Time would give 73 hours (or 71 in October). So the hours are added in UTC and
    the result converted back. Raises ValueError for a naive datetime."""
    if aware_at.tzinfo is None or aware_at.utcoffset() is None:
        raise ValueError("aware_at must be timezone-aware")
    deadline = aware_at.astimezone(UTC) + timedelta(hours=ICO_HOURS)
    return deadline.astimezone(aware_at.tzinfo)


def indemnity_response_due(received_at: datetime) -> datetime:
    """When the alleged contributor's written answer to an indemnity notice is due: the end of the fourth day
    after it was received (Haringey 11.1(b)), in London time. Raises ValueError for a naive datetime."""
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise ValueError("received_at must be timezone-aware")
    received_on = received_at.astimezone(LONDON).date()
    return end_of_day(received_on + timedelta(days=INDEMNITY_RESPONSE_DAYS))


def end_of_day(day: date) -> datetime:
    """The moment a date-based deadline passes: midnight at the end of `day`, London time (an obligation due on a
    day is done in time whenever on that day it is done)."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=LONDON)


def due_day(due_at: datetime) -> date:
    """The London date an obligation falls due on: the day whose end is `due_at` (end_of_day), or the day of an
    hour-based deadline."""
    return (due_at - timedelta(microseconds=1)).astimezone(LONDON).date()


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LONDON)


def done_on(day: date, *, now: datetime) -> datetime:
    """The completion time of a step done on `day` and recorded at `now`: now when that is the same day (or `day` is
    later), else the last second of `day` in London, so a step done on its due date and recorded later is on time
    (a late completion stays late by what the day says, not by when someone got round to recording it)."""
    last_moment = end_of_day(day) - timedelta(seconds=1)
    return min(now, last_moment) if now.astimezone(LONDON).date() > day else now


@dataclass(frozen=True)
class Reminders:
    """When the sweep reminds the people responsible (first, then again) before an obligation is overdue."""

    first_at: datetime
    again_at: datetime


def reminders_for(kind: str, due_at: datetime, *, nation: str = DEFAULT_NATION) -> Reminders:
    """The reminder times of an obligation due at `due_at` (issue 14: two working days before the due date and on
    it; for the hour-based ICO clock, 24 hours and 4 hours before). Never after `due_at`."""
    if kind == ObligationKind.ICO_NOTIFIED or kind == ObligationKind.ICO_DECISION:
        return Reminders(due_at - ICO_FIRST_REMINDER_BEFORE, due_at - ICO_SECOND_REMINDER_BEFORE)
    due_on = due_day(due_at)
    if kind == ObligationKind.INDEMNITY_RESPONSE:
        return Reminders(start_of_day(due_on - timedelta(days=2)), start_of_day(due_on))
    before = add_working_days(due_on, -REMINDER_WORKING_DAYS_BEFORE, nation=nation_from(nation))
    return Reminders(start_of_day(before), start_of_day(due_on))


def text_problem(text: str, *, missing: str, limit: int) -> str | None:
    """Why a required free text (already stripped) cannot be taken: `missing` when it is empty, the bound when it is
    longer than `limit` characters (isp_portal.bounds); None when it can."""
    if not text:
        return missing
    if len(text) > limit:
        return f"Keep this to {limit:,} characters."
    return None


def lateness(due_at: datetime, completed_at: datetime | None, *, now: datetime) -> timedelta | None:
    """How late an obligation is (when done late: frozen at its completion; when open past its due time: so far),
    or None when it is not late. A completion at or before the due time is on time."""
    moment = completed_at if completed_at is not None else now
    if moment <= due_at:
        return None
    return moment - due_at


def working_days_late(due_on: date, done_on: date, *, nation: str = DEFAULT_NATION) -> int:
    """Working days between the due date and the day it was done (0 when on time)."""
    return max(0, working_days_between(due_on, done_on, nation=nation_from(nation)))


def lateness_words(late: timedelta | None) -> str:
    """'On time', or how late in words ('3 days 4 hours late', '5 hours late', '20 minutes late')."""
    if late is None:
        return "On time"
    days, seconds = late.days, late.seconds
    hours, minutes = seconds // 3600, (seconds % 3600) // 60
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if not days and not hours:
        parts.append(f"{max(minutes, 1)} minute{'s' if max(minutes, 1) != 1 else ''}")
    return " ".join(parts) + " late"
