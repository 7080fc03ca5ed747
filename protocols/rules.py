"""Pure rules of protocols: the status state machine, review dates, report deadlines, consultation
deadlines and quorum, audit notice. Plain values in, plain values out (no ORM, no clock)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from agencies.rules import add_months
from isp_portal.wording import long_date
from isp_portal.workdays import DEFAULT_NATION, Nation, add_working_days


class Status(StrEnum):
    DRAFT = "draft"
    CONSULTATION = "consultation"
    ACTIVE = "active"
    UNDER_REVIEW = "under_review"
    SUPERSEDED = "superseded"
    RETIRED = "retired"


TERMINAL = frozenset({Status.SUPERSEDED, Status.RETIRED})

# The valid moves between statuses (DESIGN 2.2: draft -> consultation -> active -> under review ->
# superseded / retired). A protocol that has never been in force goes back to draft when a consultation
# rejects it; one that has been in force stays active with its current version.
_TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.DRAFT: frozenset({Status.CONSULTATION, Status.ACTIVE, Status.RETIRED}),
    Status.CONSULTATION: frozenset({Status.ACTIVE, Status.DRAFT}),
    Status.ACTIVE: frozenset({Status.CONSULTATION, Status.UNDER_REVIEW, Status.SUPERSEDED, Status.RETIRED}),
    Status.UNDER_REVIEW: frozenset({Status.ACTIVE, Status.CONSULTATION, Status.SUPERSEDED, Status.RETIRED}),
    Status.SUPERSEDED: frozenset(),
    Status.RETIRED: frozenset(),
}


def allowed_transitions(current: Status, *, has_been_in_force: bool) -> frozenset[Status]:
    """Where a protocol can go from `current`.

    Going back to draft is only for a protocol never in force (a rejected first consultation); one that
    has been in force returns to active instead. Becoming active needs a version to put in force, which the
    service supplies; nothing leaves a terminal status."""
    moves = set(_TRANSITIONS[current])
    if has_been_in_force:
        moves.discard(Status.DRAFT)
    return frozenset(moves)


def can_transition(current: Status, target: Status, *, has_been_in_force: bool) -> bool:
    return target in allowed_transitions(current, has_been_in_force=has_been_in_force)


# --- Review schedule (Haringey 5.1; Southampton 17) --------------------------------------------------------


class ScheduleError(ValueError):
    """A review schedule that cannot work (e.g. it ends before it starts); `field` names the setting at fault."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ReviewSchedule:
    """Either every `every_months` after a first review `first_months` after completion (Haringey 5.1: six
    months from completion, then annually), or a single fixed review date (Southampton 17)."""

    first_months: int | None = 6
    every_months: int | None = 12
    fixed_date: date | None = None

    def check(self, completion: date) -> None:
        if self.fixed_date is not None:
            if self.first_months or self.every_months:
                raise ScheduleError(
                    "Choose either a fixed review date or a schedule in months, not both.", "fixed_review_date"
                )
            if self.fixed_date <= completion:
                raise ScheduleError(
                    "The review date must be after the protocol's completion date.", "fixed_review_date"
                )
            return
        if not self.first_months or self.first_months < 1:
            raise ScheduleError("The first review must be at least a month after completion.", "first_review_months")
        if not self.every_months or self.every_months < 1:
            raise ScheduleError("Reviews must recur at least every month.", "review_every_months")


def review_due_dates(schedule: ReviewSchedule, completion: date, count: int) -> list[date]:
    """The first `count` review due dates. Reviews stay anchored to the completion date (so a late review
    does not push every later one back): completion + first, + first + every, ..."""
    schedule.check(completion)
    if schedule.fixed_date is not None:
        return [schedule.fixed_date][:count]
    assert schedule.first_months is not None and schedule.every_months is not None
    return [add_months(completion, schedule.first_months + n * schedule.every_months) for n in range(count)]


def next_review_due(schedule: ReviewSchedule, completion: date, reviews_done: int) -> date | None:
    """The due date of review number `reviews_done + 1` (None once a fixed-date review is done)."""
    dates = review_due_dates(schedule, completion, reviews_done + 1)
    return dates[reviews_done] if len(dates) > reviews_done else None


# Reminders before a review is due: three months, one month, one week (DESIGN 3.3).
REVIEW_REMINDERS = (("3 months", 90), ("1 month", 30), ("1 week", 7))


def review_reminder(due_on: date, today: date) -> str | None:
    """Which reminder is due for a review (the most urgent window reached), "overdue" after the due date."""
    days_left = (due_on - today).days
    if days_left < 0:
        return "overdue"
    for label, days in reversed(REVIEW_REMINDERS):
        if days_left <= days:
            return label
    return None


def report_due(review_completed_on: date, next_meeting_on: date | None) -> date:
    """Haringey 5.3: findings are reported in writing at the next meeting of the partners or one calendar
    month after the review, whichever is sooner."""
    month_later = add_months(review_completed_on, 1)
    if next_meeting_on is not None and review_completed_on <= next_meeting_on < month_later:
        return next_meeting_on
    return month_later


# --- Consultation (Buckinghamshire 1-2) ---------------------------------------------------------------------


class Response(StrEnum):
    PENDING = "pending"
    AGREE = "agree"
    OBJECT = "object"
    COMMENT = "comment"
    DEEMED_ASSENT = "deemed_assent"


def consultation_deadline(opened_on: date, working_days: int, *, nation: Nation = DEFAULT_NATION) -> date:
    """Responses are due `working_days` working days after circulation."""
    if working_days < 1:
        raise ValueError("A consultation needs at least one working day for responses.")
    return add_working_days(opened_on, working_days, nation=nation)


def reminder_day(deadline: date, *, nation: Nation = DEFAULT_NATION) -> date:
    """Everyone who has not responded is reminded two working days before the deadline."""
    return add_working_days(deadline, -2, nation=nation)


def reminder_due(opened_on: date, deadline: date, today: date, *, nation: Nation = DEFAULT_NATION) -> bool:
    """Whether today is in the reminder window: from two working days before the deadline up to it, but
    never on or before the day of circulation (a short consultation's circulation is its only notice)."""
    return reminder_day(deadline, nation=nation) <= today <= deadline and today > opened_on


@dataclass(frozen=True)
class Tally:
    circulated: int
    agree: int
    object: int
    comment: int
    deemed_assent: int
    pending: int

    @property
    def assenting(self) -> int:
        """Buckinghamshire 2: silence is assent, so agreements and deemed assents count together."""
        return self.agree + self.deemed_assent


def tally(responses: Iterable[str]) -> Tally:
    values = list(responses)
    unknown = set(values) - {response.value for response in Response}
    if unknown:
        # A mistyped answer would otherwise count as consulted but never as assent, lowering the quorum.
        raise ValueError(f"unknown consultation responses: {sorted(unknown)}")
    return Tally(
        circulated=len(values),
        agree=values.count(Response.AGREE),
        object=values.count(Response.OBJECT),
        comment=values.count(Response.COMMENT),
        deemed_assent=values.count(Response.DEEMED_ASSENT),
        pending=values.count(Response.PENDING),
    )


def quorum_met(result: Tally, quorum_percent: int | None) -> bool:
    """The optional quorum (the old 50% rule): the share of circulated agencies assenting, explicitly or
    by silence, must reach it. No quorum set: always met (the 2010 rule: no set percentage)."""
    if quorum_percent is None:
        return True
    if result.circulated == 0:
        return False
    return result.assenting * 100 >= quorum_percent * result.circulated


# --- Audit by a partner (Haringey 5.9) ------------------------------------------------------------------


def earliest_audit_start(notice_given_on: date) -> date:
    """Partners assist an audit given one month's written notice of its scope (Haringey 5.9)."""
    return add_months(notice_given_on, 1)


def outcome_due(status: str, deadline: date, today: date) -> bool:
    """A consultation's outcome is recorded once responses are closed: closed by the sweep, or still open
    but past its deadline (closing it is then part of recording the outcome)."""
    return status == "closed" or (status == "open" and today > deadline)


def deadline_passed(deadline: date, today: date) -> bool:
    return today > deadline


# --- Rules the protocol implies (issue 8, item 12) ------------------------------------------------------------

# Haringey 13 / Southampton 18: the signature is a set sentence the authorised signatory's agency types.
ATTESTATION = "I sign on behalf of {agency}, which agrees to abide by this protocol."


def attestation_sentence(agency_name: str) -> str:
    """The exact sentence an agency types to sign."""
    return ATTESTATION.format(agency=agency_name)


def _normalised(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", "").replace("\u201d", "")
    return " ".join(text.split()).strip().rstrip(".").casefold()


def attestation_matches(typed: str, agency_name: str) -> bool:
    """Whether the typed attestation is the set sentence for this agency. Spacing, case, curly quotes and
    the final full stop do not matter; the words do."""
    return bool(typed.strip()) and _normalised(typed) == _normalised(attestation_sentence(agency_name))


def supplement_error(kind: str, parent_kind: str | None) -> str | None:
    """Haringey 2.1; Buckinghamshire 1: an individual protocol supplements a general one (it must name it);
    a code of practice may supplement a general one; a general protocol supplements nothing, and nothing
    supplements an individual protocol or a code of practice."""
    if kind == "general" and parent_kind is not None:
        return "A general protocol stands on its own: it does not supplement another protocol."
    if kind == "individual" and parent_kind is None:
        return "An individual protocol supplements a general one: choose it."
    if parent_kind is not None and parent_kind != "general":
        return "Only a general protocol can be supplemented: choose a general protocol."
    return None


# A completion date further back than this is a typing error, not a protocol (reviews are at least yearly).
COMPLETION_PAST_LIMIT_YEARS = 10


def completion_date_error(completion: date, today: date) -> str | None:
    """The completion date is when the partnership agreed the protocol: not in the future, and not so long
    ago that its reviews could never have been kept."""
    if completion > today:
        return "The completion date is the day the protocol was agreed: it must be today or in the past."
    if completion < add_months(today, -12 * COMPLETION_PAST_LIMIT_YEARS):
        return f"The completion date must be within the last {COMPLETION_PAST_LIMIT_YEARS} years."
    return None


def review_completion_error(completed_on: date, protocol_completed_on: date | None, today: date) -> str | None:
    """A review is of a protocol in force: it is completed no earlier than the protocol's completion
    date and no later than today."""
    if completed_on > today:
        return "The review's date must be today or in the past."
    if protocol_completed_on is not None and completed_on < protocol_completed_on:
        return (
            f"The protocol was completed on {long_date(protocol_completed_on)}: "
            "its review cannot be completed before that."
        )
    return None


def same_version(previous: dict[str, object], proposed: dict[str, object]) -> bool:
    """Whether a proposed version changes nothing of the previous one (text and every rule): a version
    records a change agreed by report (Haringey 2.3), so an identical one records nothing."""
    keys = set(previous) | set(proposed)

    def comparable(value: object) -> object:
        if isinstance(value, str):
            return value.strip()
        if isinstance(value, list | tuple):
            return sorted(str(item) for item in value)
        return value

    return all(comparable(previous.get(key)) == comparable(proposed.get(key)) for key in keys)


# --- Clauses of the partnership's own protocol (issue 8, item 13) ------------------------------------------------

# The rules the portal enforces that users are told about, each with a plain-English name. A version maps
# each key to the section of ITS text that states the rule, so a message cites the partnership's own
# protocol ("section 5.1 of the Northbridge protocol"), never the documents the portal was designed from.
RULE_CLAUSES: dict[str, str] = {
    "scope": "Who the protocol covers",
    "changes": "How changes are agreed",
    "consent": "Sharing with and without consent",
    "ico_registration": "Registration with the Information Commissioner",
    "training": "Training before access to records",
    "review": "When the protocol is reviewed",
    "review_report": "Reporting a review's findings",
    "implementation_plan": "Carrying out the implementation plan",
    "audit": "Audit by a partner",
    "breaches": "Breaches of the protocol",
    "security_documents": "Security summary documents",
    "consultation": "Consultation on changes",
    "signing": "Signing the protocol",
}

# A clause number as people write it: 5, 5.1, 5.1.2 (optionally with a letter: 3.7a).
_CLAUSE = re.compile(r"^\d{1,3}(\.\d{1,3}){0,3}[a-z]?$")


def clause_errors(clauses: dict[str, object]) -> dict[str, str]:
    """Problems with a version's clause map, by key: unknown rules, or numbers that are not clause numbers."""
    errors: dict[str, str] = {}
    for key, value in clauses.items():
        if key not in RULE_CLAUSES:
            errors[key] = "Not a rule the portal cites."
        elif not isinstance(value, str) or not _CLAUSE.match(value):
            errors[key] = f"Give the section number for “{RULE_CLAUSES[key]}”, like 5.1."
    return errors


def clause_citation(clauses: dict[str, str], key: str, protocol_title: str) -> str:
    """ " (section 5.1 of <protocol>)" when the version maps the rule to a clause; empty otherwise."""
    number = clauses.get(key)
    return f" (section {number} of the {protocol_title})" if number else ""
