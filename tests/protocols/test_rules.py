"""The protocols app's pure rules: the state machine (a hypothesis state machine), review dates worked out
by hand from Haringey 5.1 and 5.3, consultation deadlines and tallies (Buckinghamshire 1-2), audit notice
(Haringey 5.9)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from protocols.rules import (
    TERMINAL,
    Response,
    ReviewSchedule,
    ScheduleError,
    Status,
    allowed_transitions,
    can_transition,
    consultation_deadline,
    earliest_audit_start,
    next_review_due,
    quorum_met,
    reminder_day,
    report_due,
    review_due_dates,
    review_reminder,
    tally,
)

# --- The state machine -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "target", "in_force_before", "allowed"),
    [
        (Status.DRAFT, Status.CONSULTATION, False, True),
        (Status.DRAFT, Status.ACTIVE, False, True),  # agreed by report (Haringey 2.3)
        (Status.DRAFT, Status.UNDER_REVIEW, False, False),
        (Status.DRAFT, Status.SUPERSEDED, False, False),
        (Status.CONSULTATION, Status.DRAFT, False, True),  # a rejected first consultation
        (Status.CONSULTATION, Status.DRAFT, True, False),  # once in force, never a draft again
        (Status.CONSULTATION, Status.ACTIVE, True, True),
        (Status.ACTIVE, Status.UNDER_REVIEW, True, True),
        (Status.ACTIVE, Status.DRAFT, True, False),
        (Status.UNDER_REVIEW, Status.ACTIVE, True, True),
        (Status.UNDER_REVIEW, Status.SUPERSEDED, True, True),
        (Status.SUPERSEDED, Status.ACTIVE, True, False),
        (Status.RETIRED, Status.DRAFT, True, False),
        (Status.ACTIVE, Status.ACTIVE, True, False),
    ],
)
def test_transitions(current: Status, target: Status, in_force_before: bool, allowed: bool) -> None:
    assert can_transition(current, target, has_been_in_force=in_force_before) is allowed


@given(current=st.sampled_from(Status), target=st.sampled_from(Status), in_force=st.booleans())
def test_can_transition_agrees_with_allowed_transitions(current: Status, target: Status, in_force: bool) -> None:
    assert can_transition(current, target, has_been_in_force=in_force) == (
        target in allowed_transitions(current, has_been_in_force=in_force)
    )


class ProtocolLife(RuleBasedStateMachine):
    """Drive a protocol through random requested transitions, applying only the allowed ones, as the
    service does; the invariants must hold after every step."""

    def __init__(self) -> None:
        super().__init__()
        self.status = Status.DRAFT
        self.been_in_force = False
        self.history = [Status.DRAFT]

    @rule(wanted=st.sampled_from(Status))
    def request(self, wanted: Status) -> None:
        before = self.status
        if can_transition(self.status, wanted, has_been_in_force=self.been_in_force):
            self.status = wanted
            self.history.append(wanted)
            if wanted in {Status.ACTIVE, Status.UNDER_REVIEW}:
                self.been_in_force = True
        else:
            assert self.status == before

    @precondition(lambda self: self.status in TERMINAL)
    @rule()
    def terminal_is_final(self) -> None:
        assert allowed_transitions(self.status, has_been_in_force=self.been_in_force) == frozenset()

    @invariant()
    def never_to_itself(self) -> None:
        assert self.status not in allowed_transitions(self.status, has_been_in_force=self.been_in_force)

    @invariant()
    def no_draft_after_being_in_force(self) -> None:
        if self.been_in_force:
            assert Status.DRAFT not in allowed_transitions(self.status, has_been_in_force=True)
            first_in_force = next(
                i for i, status in enumerate(self.history) if status in {Status.ACTIVE, Status.UNDER_REVIEW}
            )
            assert Status.DRAFT not in self.history[first_in_force:]

    @invariant()
    def under_review_only_after_active(self) -> None:
        for previous, status in zip(self.history, self.history[1:], strict=False):
            if status == Status.UNDER_REVIEW:
                assert previous == Status.ACTIVE
            assert status != previous


TestProtocolLife = ProtocolLife.TestCase
TestProtocolLife.settings = settings(max_examples=150, stateful_step_count=25, deadline=None)


# --- Review dates (Haringey 5.1; Southampton 17) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("completion", "schedule", "expected"),
    [
        # Haringey 5.1: six months after completion, then every twelve.
        (date(2026, 1, 15), ReviewSchedule(6, 12), [date(2026, 7, 15), date(2027, 7, 15), date(2028, 7, 15)]),
        # Month ends clamp: 31 August + 6 months is the end of February (a leap year in 2028).
        (date(2025, 8, 31), ReviewSchedule(6, 12), [date(2026, 2, 28), date(2027, 2, 28), date(2028, 2, 29)]),
        # Anchored to completion: 31 March + 6 = 30 September, + 18 = 30 September (not drifting to the 30th
        # because of a clamped earlier date: 31 March + 30 months is 30 September 2028 only by month length).
        (date(2026, 3, 31), ReviewSchedule(6, 12), [date(2026, 9, 30), date(2027, 9, 30), date(2028, 9, 30)]),
        (date(2026, 3, 31), ReviewSchedule(1, 3), [date(2026, 4, 30), date(2026, 7, 31), date(2026, 10, 31)]),
        # A single fixed review date.
        (date(2026, 1, 15), ReviewSchedule(None, None, date(2027, 3, 1)), [date(2027, 3, 1)]),
    ],
)
def test_review_due_dates_by_hand(completion: date, schedule: ReviewSchedule, expected: list[date]) -> None:
    assert review_due_dates(schedule, completion, 3) == expected


def test_next_review_due_counts_the_reviews_done() -> None:
    schedule = ReviewSchedule(6, 12)
    assert next_review_due(schedule, date(2026, 1, 15), 0) == date(2026, 7, 15)
    assert next_review_due(schedule, date(2026, 1, 15), 2) == date(2028, 7, 15)
    fixed = ReviewSchedule(None, None, date(2027, 3, 1))
    assert next_review_due(fixed, date(2026, 1, 15), 0) == date(2027, 3, 1)
    assert next_review_due(fixed, date(2026, 1, 15), 1) is None


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        (ReviewSchedule(None, None, date(2026, 1, 15)), "after the protocol's completion"),  # ends before it starts
        (ReviewSchedule(None, None, date(2025, 12, 1)), "after the protocol's completion"),
        (ReviewSchedule(6, 12, date(2027, 1, 1)), "not both"),
        (ReviewSchedule(0, 12), "at least a month"),
        (ReviewSchedule(6, 0), "at least every month"),
        (ReviewSchedule(None, 12), "at least a month"),
    ],
)
def test_schedules_that_cannot_work_are_refused(schedule: ReviewSchedule, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        schedule.check(date(2026, 1, 15))


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 3, 1), None),  # 136 days before
        (date(2026, 4, 16), "3 months"),  # exactly 90 days before 15 July
        (date(2026, 4, 15), None),  # 91 days before
        (date(2026, 6, 15), "1 month"),  # 30 days
        (date(2026, 6, 14), "3 months"),  # 31 days: still in the three-month window
        (date(2026, 7, 8), "1 week"),  # 7 days
        (date(2026, 7, 15), "1 week"),  # due today
        (date(2026, 7, 16), "overdue"),
    ],
)
def test_review_reminders(today: date, expected: str | None) -> None:
    assert review_reminder(date(2026, 7, 15), today) == expected


@pytest.mark.parametrize(
    ("completed", "meeting", "expected"),
    [
        (date(2026, 3, 10), date(2026, 3, 24), date(2026, 3, 24)),  # the meeting comes first
        (date(2026, 3, 10), date(2026, 5, 5), date(2026, 4, 10)),  # a month comes first
        (date(2026, 3, 10), None, date(2026, 4, 10)),  # no meeting arranged
        (date(2026, 1, 31), None, date(2026, 2, 28)),  # one calendar month, clamped
        (date(2026, 3, 10), date(2026, 3, 1), date(2026, 4, 10)),  # a meeting before completion does not count
        (date(2026, 3, 10), date(2026, 3, 10), date(2026, 3, 10)),  # a meeting that same day
    ],
)
def test_report_due_haringey_5_3(completed: date, meeting: date | None, expected: date) -> None:
    assert report_due(completed, meeting) == expected


# --- Consultations (Buckinghamshire 1-2) -----------------------------------------------------------------


def test_consultation_deadline_and_reminder_skip_bank_holidays() -> None:
    # Circulated Mon 21 Dec 2026 for 5 working days: 22, 23, 24, 29, 30 December.
    deadline = consultation_deadline(date(2026, 12, 21), 5)
    assert deadline == date(2026, 12, 30)
    # Two working days before Wed 30 Dec is Thu 24 Dec (28 December is the Boxing Day substitute).
    assert reminder_day(deadline) == date(2026, 12, 24)
    with pytest.raises(ValueError, match="at least one working day"):
        consultation_deadline(date(2026, 12, 21), 0)


def test_tally_counts_each_answer() -> None:
    result = tally(["agree", "object", "comment", "deemed_assent", "deemed_assent", "pending"])
    assert (result.circulated, result.agree, result.object, result.comment) == (6, 1, 1, 1)
    assert (result.deemed_assent, result.pending, result.assenting) == (2, 1, 3)


@pytest.mark.parametrize(
    ("responses", "quorum", "met"),
    [
        (["agree", "object"], None, True),  # no quorum set
        ([], 50, False),  # nobody consulted
        (["agree", "object"], 50, True),  # exactly half
        (["agree", "object", "object"], 50, False),
        (["deemed_assent", "object"], 50, True),  # silence is assent
        (["agree", "agree", "agree", "comment"], 75, True),
        (["agree", "agree", "comment", "comment"], 75, False),
    ],
)
def test_quorum(responses: list[str], quorum: int | None, met: bool) -> None:
    assert quorum_met(tally(responses), quorum) is met


@given(answers=st.lists(st.sampled_from(list(Response)), max_size=40), quorum=st.integers(min_value=1, max_value=100))
def test_quorum_is_monotonic_in_assent(answers: list[Response], quorum: int) -> None:
    """Turning an objection into agreement can never lose a quorum."""
    if Response.OBJECT not in answers:
        return
    better = list(answers)
    better[better.index(Response.OBJECT)] = Response.AGREE
    if quorum_met(tally(answers), quorum):
        assert quorum_met(tally(better), quorum)


def test_an_audit_needs_a_months_notice() -> None:
    assert earliest_audit_start(date(2026, 1, 31)) == date(2026, 2, 28)
    assert earliest_audit_start(date(2026, 11, 22)) == date(2026, 12, 22)
