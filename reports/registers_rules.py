"""The partnership registers' pure rules (issue 15): what a signatory row's status is, whether an agency's signature
is complete, and what a review row says. No ORM, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from isp_portal.wording import long_date
from protocols.rules import review_reminder


class SignatoryStatus(StrEnum):
    SIGNED = "Signed the version in force"
    CARRIED_OVER = "Carried over to the version in force"
    EARLIER_VERSION = "Signed an earlier version only"
    WITHDRAWN = "Withdrawn"
    NOT_SIGNED = "Not signed"


def signatory_status(
    *, signed_version: int | None, current_version: int, withdrawn: bool, carried_over: bool
) -> SignatoryStatus:
    """An agency's standing on one protocol from its newest signature (DESIGN 2.2). A signature carried over to a newly
    adopted version counts as signing it unless the agency withdrew (Buckinghamshire 1); a live signature of an older
    version only does not let it share under the version in force."""
    if signed_version is None:
        return SignatoryStatus.NOT_SIGNED
    if withdrawn:
        return SignatoryStatus.WITHDRAWN
    if signed_version != current_version:
        return SignatoryStatus.EARLIER_VERSION
    return SignatoryStatus.CARRIED_OVER if carried_over else SignatoryStatus.SIGNED


def signature_complete(status: SignatoryStatus, checklist: str) -> bool:
    """DESIGN 2.1 (Southampton 18): an agency's signature is not complete until its signatory checklist is: it signed
    the version in force (or carried over to it) and every requirement is confirmed within the year ("due for renewal"
    is still complete)."""
    return status in (SignatoryStatus.SIGNED, SignatoryStatus.CARRIED_OVER) and checklist != "incomplete"


@dataclass(frozen=True)
class ReviewStanding:
    overdue: bool
    reminder: str  # "overdue", "3 months", "1 month", "1 week" or "" (protocols.rules.review_reminder)
    outcome: str


def review_outcome(*, completed_on: date | None, report_due_on: date | None, reported_on: date | None) -> str:
    """The outcome of a protocol's last completed review in words, from dates only (its findings are free text, kept on
    the review's page): whether they were reported to the partners, and when (Haringey 5.3: at the next meeting or one
    calendar month after the review, whichever is sooner)."""
    if completed_on is None:
        return "No review completed yet"
    if reported_on is not None:
        return f"Findings reported at the meeting of {long_date(reported_on)}"
    if report_due_on is not None:
        return f"Findings to be reported by {long_date(report_due_on)}"
    return "Findings recorded"


def review_standing(
    *, next_due_on: date | None, completed_on: date | None, report_due_on: date | None, reported_on: date | None,
    today: date,
) -> ReviewStanding:  # fmt: skip
    """A protocol's review row: whether its next scheduled review is overdue (Haringey 5.1), the reminder band it is in
    (DESIGN 3.3: 3 months, 1 month, 1 week before), and the outcome of its last completed one."""
    reminder = review_reminder(next_due_on, today) if next_due_on is not None else None
    return ReviewStanding(
        overdue=reminder == "overdue",
        reminder=reminder or "",
        outcome=review_outcome(completed_on=completed_on, report_due_on=report_due_on, reported_on=reported_on),
    )
