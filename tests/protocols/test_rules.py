"""The protocols app's pure rules: the status state machine (DESIGN 2.2, with a hypothesis state machine),
review dates (Haringey 5.1; Southampton 17), reminders (DESIGN 3.3), report dates (Haringey 5.3),
consultation deadlines, tallies and quorum (Buckinghamshire 1-2) and audit notice (Haringey 5.9).

Expected dates were worked out by hand from the rules as the docstrings state them (calendar months clamped
to the month's last day; working days skipping weekends and bank holidays, the start day not counted)."""

from __future__ import annotations

from collections import deque
from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from isp_portal.workdays import nation_from
from protocols.rules import (
    TERMINAL,
    Response,
    ReviewSchedule,
    ScheduleError,
    Status,
    Tally,
    allowed_transitions,
    can_transition,
    consultation_deadline,
    deadline_passed,
    earliest_audit_start,
    next_review_due,
    quorum_met,
    reminder_day,
    report_due,
    review_due_dates,
    review_reminder,
    tally,
)

# --- The state machine (DESIGN 2.2) ------------------------------------------------------------------------

D, C, A, U, S, R = (
    Status.DRAFT,
    Status.CONSULTATION,
    Status.ACTIVE,
    Status.UNDER_REVIEW,
    Status.SUPERSEDED,
    Status.RETIRED,
)


@pytest.mark.parametrize(
    ("current", "in_force", "expected"),
    [
        # A draft goes to consultation, straight into force (agreed by report, Haringey 2.3), or is dropped.
        (D, False, {C, A, R}),
        (D, True, {C, A, R}),
        # A first consultation is adopted or rejected back to draft ...
        (C, False, {A, D}),
        # ... but a protocol that has been in force never returns to draft: it stays active instead.
        (C, True, {A}),
        (A, True, {C, U, S, R}),
        (U, True, {A, C, S, R}),
        # The flag only ever matters for the way back to draft, which is only from a consultation.
        (A, False, {C, U, S, R}),
        (U, False, {A, C, S, R}),
        # Nothing leaves a terminal status, whatever its history.
        (S, True, set()),
        (S, False, set()),
        (R, True, set()),
        (R, False, set()),
    ],
)
def test_allowed_transitions(current: Status, in_force: bool, expected: set[Status]) -> None:
    assert allowed_transitions(current, has_been_in_force=in_force) == expected


@pytest.mark.parametrize(
    ("current", "target", "in_force", "allowed"),
    [
        (D, C, False, True),
        (D, A, False, True),
        (D, U, False, False),  # only an active protocol is reviewed
        (D, S, False, False),  # a draft replaces nothing
        (D, D, False, False),
        (C, D, False, True),  # a rejected first consultation
        (C, D, True, False),  # once in force, never a draft again
        (C, R, False, False),
        (C, S, True, False),
        (A, D, True, False),
        (A, A, True, False),
        (A, U, True, True),
        (U, U, True, False),
        (U, D, True, False),
        (U, S, True, True),
        (S, A, True, False),
        (R, D, False, False),
        (R, A, True, False),
    ],
)
def test_can_transition(current: Status, target: Status, in_force: bool, allowed: bool) -> None:
    assert can_transition(current, target, has_been_in_force=in_force) is allowed


def test_asking_with_in_force_does_not_change_the_table() -> None:
    """allowed_transitions takes DRAFT out of a copy, not of the shared table."""
    assert D not in allowed_transitions(C, has_been_in_force=True)
    assert D in allowed_transitions(C, has_been_in_force=False)
    assert can_transition(C, D, has_been_in_force=False)


def test_terminal_statuses_are_exactly_those_with_no_way_out() -> None:
    assert frozenset({S, R}) == TERMINAL
    for flag in (True, False):
        assert {status for status in Status if not allowed_transitions(status, has_been_in_force=flag)} == TERMINAL


def test_every_status_is_reachable_from_draft_and_only_statuses() -> None:
    """Breadth-first from a new draft, setting in-force on reaching active (the service's rule)."""
    seen: set[tuple[Status, bool]] = {(D, False)}
    queue = deque(seen)
    while queue:
        status, in_force = queue.popleft()
        for target in allowed_transitions(status, has_been_in_force=in_force):
            assert isinstance(target, Status)
            state = (target, in_force or target == A)
            if state not in seen:
                seen.add(state)
                queue.append(state)
    assert {status for status, _ in seen} == set(Status)
    assert (D, True) not in seen  # never a draft once in force


@given(current=st.sampled_from(Status), target=st.sampled_from(Status), in_force=st.booleans())
def test_can_transition_agrees_with_allowed_transitions(current: Status, target: Status, in_force: bool) -> None:
    assert can_transition(current, target, has_been_in_force=in_force) is (
        target in allowed_transitions(current, has_been_in_force=in_force)
    )


@pytest.mark.parametrize("current", list(Status))
def test_in_force_only_ever_removes_the_way_back_to_draft(current: Status) -> None:
    never = allowed_transitions(current, has_been_in_force=False)
    once = allowed_transitions(current, has_been_in_force=True)
    assert once <= never
    assert never - once <= {D}
    assert D not in once


class ProtocolLife(RuleBasedStateMachine):
    """Drive a protocol through random requested moves, applying only those can_transition allows (as
    protocol_transition does); the invariants must hold after every step."""

    def __init__(self) -> None:
        super().__init__()
        self.status = D
        self.been_in_force = False
        self.history = [D]
        self.refused = 0

    @rule(wanted=st.sampled_from(Status))
    def request(self, wanted: Status) -> None:
        allowed = allowed_transitions(self.status, has_been_in_force=self.been_in_force)
        if can_transition(self.status, wanted, has_been_in_force=self.been_in_force):
            assert wanted in allowed
            self.status = wanted
            self.history.append(wanted)
            if wanted == A:
                self.been_in_force = True
        else:
            assert wanted not in allowed
            self.refused += 1

    @rule(wanted=st.sampled_from(Status))
    def request_from_a_terminal_status(self, wanted: Status) -> None:
        """Whatever the machine's state, a terminal protocol refuses every move."""
        for terminal in TERMINAL:
            for flag in (True, False):
                assert not can_transition(terminal, wanted, has_been_in_force=flag)

    @invariant()
    def is_a_status(self) -> None:
        assert isinstance(self.status, Status)
        assert all(isinstance(status, Status) for status in self.history)

    @invariant()
    def never_to_itself(self) -> None:
        assert not can_transition(self.status, self.status, has_been_in_force=self.been_in_force)
        assert all(before != after for before, after in zip(self.history, self.history[1:], strict=False))

    @invariant()
    def no_draft_after_being_in_force(self) -> None:
        if A in self.history:
            first_in_force = self.history.index(A)
            assert D not in self.history[first_in_force:]
            assert not can_transition(self.status, D, has_been_in_force=self.been_in_force)

    @invariant()
    def terminal_is_final(self) -> None:
        terminal_at = [i for i, status in enumerate(self.history) if status in TERMINAL]
        assert terminal_at in ([], [len(self.history) - 1])
        if self.status in TERMINAL:
            assert allowed_transitions(self.status, has_been_in_force=self.been_in_force) == frozenset()

    @invariant()
    def review_and_supersession_only_once_in_force(self) -> None:
        for before, after in zip(self.history, self.history[1:], strict=False):
            if after == U:
                assert before == A
            if after == S:
                assert before in {A, U}
        if self.status in {U, S}:
            assert self.been_in_force


TestProtocolLife = ProtocolLife.TestCase
TestProtocolLife.settings = settings(max_examples=150, stateful_step_count=25, deadline=None)


# --- Review dates (Haringey 5.1; Southampton 17) ---------------------------------------------------------


def fixed(on: date) -> ReviewSchedule:
    return ReviewSchedule(first_months=None, every_months=None, fixed_date=on)


@pytest.mark.parametrize(
    ("completion", "schedule", "expected"),
    [
        # Haringey 5.1: six months after completion, then every twelve.
        (date(2026, 1, 15), ReviewSchedule(6, 12), [date(2026, 7, 15), date(2027, 7, 15), date(2028, 7, 15)]),
        # 31 March + 6, 18, 30 months: September has 30 days, so each is the 30th.
        (date(2026, 3, 31), ReviewSchedule(6, 12), [date(2026, 9, 30), date(2027, 9, 30), date(2028, 9, 30)]),
        # 31 August + 6, 18, 30 months: end of February each year, the 29th in the leap year 2028.
        (date(2025, 8, 31), ReviewSchedule(6, 12), [date(2026, 2, 28), date(2027, 2, 28), date(2028, 2, 29)]),
        # Anchored to completion, not to the previous (clamped) date: 31 Aug 2026 + 6 is 28 Feb 2027, but
        # + 11 is 31 July 2027 (not the 28th) and + 16 is 31 December 2027.
        (date(2026, 8, 31), ReviewSchedule(6, 5), [date(2027, 2, 28), date(2027, 7, 31), date(2027, 12, 31)]),
        # Monthly steps across a year end: 30 Nov 2026 + 3, 15, 27 months.
        (date(2026, 11, 30), ReviewSchedule(3, 12), [date(2027, 2, 28), date(2028, 2, 29), date(2029, 2, 28)]),
        (date(2026, 3, 31), ReviewSchedule(1, 3), [date(2026, 4, 30), date(2026, 7, 31), date(2026, 10, 31)]),
        # A single fixed review date (Southampton 17): only one, however many are asked for.
        (date(2026, 1, 15), fixed(date(2027, 3, 1)), [date(2027, 3, 1)]),
        (date(2026, 1, 15), fixed(date(2026, 1, 16)), [date(2026, 1, 16)]),  # the day after completion
    ],
)
def test_review_due_dates_by_hand(completion: date, schedule: ReviewSchedule, expected: list[date]) -> None:
    assert review_due_dates(schedule, completion, 3) == expected


def test_review_due_dates_returns_as_many_as_asked() -> None:
    assert review_due_dates(ReviewSchedule(6, 12), date(2026, 1, 15), 0) == []
    assert review_due_dates(fixed(date(2027, 3, 1)), date(2026, 1, 15), 0) == []
    assert review_due_dates(ReviewSchedule(6, 12), date(2026, 1, 15), 1) == [date(2026, 7, 15)]
    assert len(review_due_dates(ReviewSchedule(6, 12), date(2026, 1, 15), 10)) == 10


def test_next_review_due_counts_the_reviews_done() -> None:
    schedule = ReviewSchedule(6, 12)
    assert next_review_due(schedule, date(2026, 3, 31), 0) == date(2026, 9, 30)
    assert next_review_due(schedule, date(2026, 3, 31), 1) == date(2027, 9, 30)
    assert next_review_due(schedule, date(2026, 3, 31), 4) == date(2030, 9, 30)  # 6 + 48 months
    assert next_review_due(fixed(date(2027, 3, 1)), date(2026, 1, 15), 0) == date(2027, 3, 1)
    assert next_review_due(fixed(date(2027, 3, 1)), date(2026, 1, 15), 1) is None


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        # A fixed review that falls on or before the completion it reviews: it ends before it starts.
        (fixed(date(2026, 1, 15)), "after the protocol's completion"),
        (fixed(date(2025, 12, 1)), "after the protocol's completion"),
        (ReviewSchedule(6, 12, date(2027, 1, 1)), "not both"),
        (ReviewSchedule(None, 12, date(2027, 1, 1)), "not both"),
        (ReviewSchedule(6, None, date(2027, 1, 1)), "not both"),
        (ReviewSchedule(0, 12), "at least a month"),
        (ReviewSchedule(-6, 12), "at least a month"),
        (ReviewSchedule(None, 12), "at least a month"),
        (ReviewSchedule(6, 0), "at least every month"),
        (ReviewSchedule(6, -12), "at least every month"),
        (ReviewSchedule(6, None), "at least every month"),
        (ReviewSchedule(None, None), "at least a month"),
    ],
)
def test_schedules_that_cannot_work_are_refused(schedule: ReviewSchedule, message: str) -> None:
    completion = date(2026, 1, 15)
    with pytest.raises(ScheduleError, match=message):
        schedule.check(completion)
    with pytest.raises(ScheduleError, match=message):
        review_due_dates(schedule, completion, 3)
    with pytest.raises(ScheduleError, match=message):
        next_review_due(schedule, completion, 0)


def test_a_schedule_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="after the protocol's completion"):
        fixed(date(2026, 1, 1)).check(date(2026, 1, 15))


def test_workable_schedules_pass_the_check() -> None:
    ReviewSchedule(6, 12).check(date(2026, 1, 15))
    ReviewSchedule(1, 1).check(date(2026, 1, 15))
    fixed(date(2026, 1, 16)).check(date(2026, 1, 15))


@given(
    completion=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    first=st.integers(min_value=1, max_value=24),
    every=st.integers(min_value=1, max_value=24),
)
def test_review_dates_are_whole_months_from_completion(completion: date, first: int, every: int) -> None:
    """Each date is in the month first + n * every months on, on the completion's day or that month's last
    day, and the dates strictly increase."""
    dates = review_due_dates(ReviewSchedule(first, every), completion, 4)
    assert dates == sorted(set(dates))
    assert dates[0] > completion
    for n, due in enumerate(dates):
        months = first + n * every
        assert (due.year * 12 + due.month) - (completion.year * 12 + completion.month) == months
        last_day_of_month = (due + timedelta(days=1)).day == 1
        assert due.day == completion.day or (due.day < completion.day and last_day_of_month)


# --- Review reminders (DESIGN 3.3) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        # Due Wed 15 July 2026.
        (date(2025, 7, 15), None),  # a year before
        (date(2026, 3, 1), None),  # 136 days before
        (date(2026, 4, 15), None),  # 91 days before: not yet
        (date(2026, 4, 16), "3 months"),  # exactly 90 days before
        (date(2026, 6, 14), "3 months"),  # 31 days: still in the three-month window
        (date(2026, 6, 15), "1 month"),  # exactly 30 days
        (date(2026, 7, 7), "1 month"),  # 8 days
        (date(2026, 7, 8), "1 week"),  # exactly 7 days
        (date(2026, 7, 14), "1 week"),  # the day before
        (date(2026, 7, 15), "1 week"),  # due today: not yet overdue
        (date(2026, 7, 16), "overdue"),  # the day after
        (date(2027, 1, 1), "overdue"),
    ],
)
def test_review_reminders(today: date, expected: str | None) -> None:
    assert review_reminder(date(2026, 7, 15), today) == expected


# --- Report dates (Haringey 5.3) -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("completed", "meeting", "expected"),
    [
        (date(2026, 3, 10), date(2026, 3, 24), date(2026, 3, 24)),  # the meeting comes first
        (date(2026, 3, 10), date(2026, 4, 9), date(2026, 4, 9)),  # the meeting, by a day
        (date(2026, 3, 10), date(2026, 4, 10), date(2026, 4, 10)),  # both on the same day
        (date(2026, 3, 10), date(2026, 4, 11), date(2026, 4, 10)),  # the month, by a day
        (date(2026, 3, 10), date(2026, 5, 5), date(2026, 4, 10)),  # the month comes first
        (date(2026, 3, 10), None, date(2026, 4, 10)),  # no meeting arranged
        (date(2026, 3, 10), date(2026, 3, 1), date(2026, 4, 10)),  # a meeting before the review is not "next"
        (date(2026, 3, 10), date(2026, 3, 10), date(2026, 3, 10)),  # a meeting the same day
        (date(2026, 12, 15), None, date(2027, 1, 15)),  # across the year end
        # One calendar month from the 31st is the last day of a shorter month.
        (date(2026, 1, 31), None, date(2026, 2, 28)),
        (date(2028, 1, 31), None, date(2028, 2, 29)),
        (date(2026, 1, 31), date(2026, 2, 28), date(2026, 2, 28)),
        (date(2026, 1, 31), date(2026, 3, 1), date(2026, 2, 28)),
        (date(2026, 1, 31), date(2026, 2, 27), date(2026, 2, 27)),
    ],
)
def test_report_due_haringey_5_3(completed: date, meeting: date | None, expected: date) -> None:
    assert report_due(completed, meeting) == expected


# --- Consultations (Buckinghamshire 1-2) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("opened", "working_days", "nation", "deadline", "reminder"),
    [
        # Circulated Mon 21 Dec 2026 for 5: 22, 23, 24, 29, 30 Dec (25 and 28 are bank holidays).
        # Two back from Wed 30: Tue 29, then (28, 27, 26, 25 skipped) Thu 24.
        (date(2026, 12, 21), 5, "england-and-wales", date(2026, 12, 30), date(2026, 12, 24)),
        # For 10: ... 31 Dec, (1 Jan) 4, 5, 6, 7 Jan 2027. Two back: Wed 6, Tue 5.
        (date(2026, 12, 21), 10, "england-and-wales", date(2027, 1, 7), date(2027, 1, 5)),
        # Scotland also has Mon 4 Jan 2027 (2 January's substitute): Fri 8 Jan; two back Thu 7, Wed 6.
        (date(2026, 12, 21), 10, "scotland", date(2027, 1, 8), date(2027, 1, 6)),
        # Easter 2026, circulated Wed 1 April for 5: 2, 7, 8, 9, 10 April; two back Thu 9, Wed 8.
        (date(2026, 4, 1), 5, "england-and-wales", date(2026, 4, 10), date(2026, 4, 8)),
        # In Scotland Easter Monday is a working day: 2, 6, 7, 8, 9 April; two back Wed 8, Tue 7.
        (date(2026, 4, 1), 5, "scotland", date(2026, 4, 9), date(2026, 4, 7)),
        # Circulated Tue 31 Mar for 5: 1, 2, (Easter) 7, 8, 9 April; two back Wed 8, Tue 7.
        (date(2026, 3, 31), 5, "england-and-wales", date(2026, 4, 9), date(2026, 4, 7)),
        # Circulated Fri 27 Mar for 5: 30, 31 Mar, 1, 2, (Easter) 7 April; the reminder goes back over Easter:
        # (6, 5, 4, 3 skipped) Thu 2, Wed 1.
        (date(2026, 3, 27), 5, "england-and-wales", date(2026, 4, 7), date(2026, 4, 1)),
        # Circulated on a Saturday: Mon 23 to Fri 27 Nov; two back Thu 26, Wed 25.
        (date(2026, 11, 21), 5, "england-and-wales", date(2026, 11, 27), date(2026, 11, 25)),
    ],
)
def test_consultation_deadline_and_reminder_by_hand(
    opened: date, working_days: int, nation: str, deadline: date, reminder: date
) -> None:
    checked = nation_from(nation)
    assert consultation_deadline(opened, working_days, nation=checked) == deadline
    assert reminder_day(deadline, nation=checked) == reminder


def test_reminder_day_across_a_bank_holiday_depends_on_the_nation() -> None:
    # Deadline Mon 5 Jan 2026: back over the weekend, Fri 2 Jan (Scotland only) and Thu 1 Jan.
    assert reminder_day(date(2026, 1, 5)) == date(2025, 12, 31)  # Fri 2, Wed 31
    assert reminder_day(date(2026, 1, 5), nation="scotland") == date(2025, 12, 30)  # Wed 31, Tue 30
    # Deadline Wed 8 Apr 2026: Tue 7, then over Easter Monday, the weekend and Good Friday to Thu 2.
    assert reminder_day(date(2026, 4, 8)) == date(2026, 4, 2)


@pytest.mark.parametrize("working_days", [0, -1, -5])
def test_a_consultation_needs_at_least_one_working_day(working_days: int) -> None:
    with pytest.raises(ValueError, match="at least one working day"):
        consultation_deadline(date(2026, 12, 21), working_days)


def test_one_working_day_is_the_next_working_day() -> None:
    assert consultation_deadline(date(2026, 12, 24), 1) == date(2026, 12, 29)
    assert consultation_deadline(date(2026, 11, 20), 1) == date(2026, 11, 23)  # Friday to Monday


@pytest.mark.parametrize(
    ("deadline", "today", "passed"),
    [
        (date(2026, 12, 30), date(2026, 12, 29), False),
        (date(2026, 12, 30), date(2026, 12, 30), False),  # responses are due by the end of the deadline day
        (date(2026, 12, 30), date(2026, 12, 31), True),
        (date(2026, 12, 30), date(2027, 2, 1), True),
    ],
)
def test_deadline_passed(deadline: date, today: date, passed: bool) -> None:
    assert deadline_passed(deadline, today) is passed


def test_tally_counts_each_answer() -> None:
    result = tally(["agree", "object", "comment", "deemed_assent", "deemed_assent", "pending", "agree"])
    assert result == Tally(circulated=7, agree=2, object=1, comment=1, deemed_assent=2, pending=1)
    assert result.assenting == 4  # two agreements and two deemed assents


def test_tally_of_nothing() -> None:
    result = tally([])
    assert result == Tally(circulated=0, agree=0, object=0, comment=0, deemed_assent=0, pending=0)
    assert result.assenting == 0


def test_tally_accepts_enum_members_and_iterators() -> None:
    result = tally(iter([Response.AGREE, Response.PENDING, Response.PENDING]))
    assert (result.circulated, result.agree, result.pending) == (3, 1, 2)


@given(answers=st.lists(st.sampled_from(list(Response)), max_size=40))
def test_tally_accounts_for_every_answer(answers: list[Response]) -> None:
    result = tally(answers)
    assert result.circulated == len(answers)
    assert result.agree + result.object + result.comment + result.deemed_assent + result.pending == len(answers)
    assert result.assenting == sum(1 for a in answers if a in {Response.AGREE, Response.DEEMED_ASSENT})


@pytest.mark.parametrize(
    ("responses", "quorum", "met"),
    [
        (["object", "object"], None, True),  # no quorum set: always met ...
        ([], None, True),  # ... even with nobody consulted
        ([], 50, False),  # nobody consulted: no share can reach a quorum
        ([], 1, False),
        (["agree", "object"], 50, True),  # exactly half
        (["agree", "object"], 51, False),
        (["agree", "object", "object"], 50, False),
        (["deemed_assent", "object"], 50, True),  # silence is assent
        (["comment", "object"], 50, False),  # a comment is not assent
        (["pending"], 1, False),  # nor is a pending answer
        (["agree", "agree", "agree", "comment"], 75, True),  # 3/4 is exactly 75%
        (["agree", "agree", "comment", "comment"], 75, False),
        (["agree", "agree", "object"], 66, True),  # 2/3 = 66.7% reaches 66 ...
        (["agree", "agree", "object"], 67, False),  # ... but not 67
        (["agree", "object", "object"], 33, True),  # 1/3 reaches 33 ...
        (["agree", "object", "object"], 34, False),  # ... but not 34
        (["agree", "deemed_assent"], 100, True),
        (["agree", "pending"], 100, False),
    ],
)
def test_quorum(responses: list[str], quorum: int | None, met: bool) -> None:
    assert quorum_met(tally(responses), quorum) is met


@given(answers=st.lists(st.sampled_from(list(Response)), min_size=1, max_size=40), quorum=st.integers(1, 100))
def test_quorum_is_an_exact_share(answers: list[Response], quorum: int) -> None:
    """Reference: the assenting share as an exact fraction reaches quorum / 100 (no rounding)."""
    assenting = sum(1 for a in answers if a in {Response.AGREE, Response.DEEMED_ASSENT})
    assert quorum_met(tally(answers), quorum) is (Fraction(assenting, len(answers)) >= Fraction(quorum, 100))


@given(answers=st.lists(st.sampled_from(list(Response)), max_size=40), quorum=st.integers(1, 100))
def test_quorum_is_monotonic_in_assent(answers: list[Response], quorum: int) -> None:
    """Turning an objection into agreement can never lose a quorum."""
    if Response.OBJECT not in answers:
        return
    better = list(answers)
    better[better.index(Response.OBJECT)] = Response.AGREE
    if quorum_met(tally(answers), quorum):
        assert quorum_met(tally(better), quorum)


# --- Audit by a partner (Haringey 5.9) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("notice", "earliest"),
    [
        (date(2026, 11, 22), date(2026, 12, 22)),
        (date(2026, 12, 15), date(2027, 1, 15)),  # across the year end
        (date(2026, 1, 31), date(2026, 2, 28)),  # no 31 February: the month's last day
        (date(2028, 1, 31), date(2028, 2, 29)),  # leap year
        (date(2026, 3, 31), date(2026, 4, 30)),
        (date(2026, 2, 28), date(2026, 3, 28)),  # not the end of March: the same day of the month
    ],
)
def test_an_audit_needs_a_months_notice(notice: date, earliest: date) -> None:
    assert earliest_audit_start(notice) == earliest


@pytest.mark.parametrize(
    ("opened", "working_days", "today", "due"),
    [
        # Opened Tue 24 Nov 2026 for 1 working day: deadline Wed 25 Nov; the reminder window would start on
        # Mon 23 Nov, before circulation, so the only day left in it is the deadline itself.
        (date(2026, 11, 24), 1, date(2026, 11, 24), False),
        (date(2026, 11, 24), 1, date(2026, 11, 25), True),
        # For 2 days (deadline Thu 26 Nov) the window would open on the day of circulation: not then.
        (date(2026, 11, 24), 2, date(2026, 11, 24), False),
        (date(2026, 11, 24), 2, date(2026, 11, 25), True),
        # For 10 days (deadline Tue 8 Dec): from Fri 4 Dec to the deadline, not after it.
        (date(2026, 11, 24), 10, date(2026, 12, 3), False),
        (date(2026, 11, 24), 10, date(2026, 12, 4), True),
        (date(2026, 11, 24), 10, date(2026, 12, 8), True),
        (date(2026, 11, 24), 10, date(2026, 12, 9), False),
    ],
)
def test_no_reminder_on_the_day_of_circulation(opened: date, working_days: int, today: date, due: bool) -> None:
    from protocols.rules import reminder_due

    deadline = consultation_deadline(opened, working_days)
    assert reminder_due(opened, deadline, today) is due


def test_an_unknown_answer_is_refused_by_the_tally() -> None:
    with pytest.raises(ValueError, match="unknown consultation responses"):
        tally(["agree", "Agree"])
