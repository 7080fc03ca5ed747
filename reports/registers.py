"""The partnership registers (issue 15: "signatories, reviews, breaches and disputes in one place for the Children's
Services Executive, exportable"; Southampton 1, 13 and 18; Haringey 4.1-4.2, 5 and 13): the reads behind the page,
its CSVs and the API.

* signatories: each agency against each protocol in force: the version it signed, when, the signatory (name and
  title), its status (reports.registers_rules.signatory_status), its signatory checklist (Southampton 18) and its ICO
  registration (Haringey 4.1-4.2). One statement.
* reviews: each protocol that has had a version in force: its last completed review, the next one due, whether it is
  overdue, the outcome in dates and the open actions of its implementation plan (Haringey 5.1-5.5). One statement.
* breaches and disputes: the central register's halves, read through its own selectors
  (breaches.register_selectors), never a copy of them; its page has the filters and the detail.

Neither register carries free text a partner typed beyond names (a review's findings, a withdrawal's reason stay on
their pages), and none names a child. The signatories and reviews registers are as long as the agencies times the
protocols in force (tens to hundreds of rows), so they are read whole in one statement and paged in memory; the
central register's halves are paged and exported in keyset chunks by its selectors."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from agencies.rules import checklist_status, ico_status
from breaches import register_selectors as central
from isp_portal.policy import require, resource_scope
from isp_portal.rows import Statement, fetch
from protocols.models import IN_FORCE_STATUSES, ProtocolStatus
from reports import registers_rules as rules
from reports.registers_policy import PARTNERSHIP_REGISTERS

REGISTERS = ("signatories", "reviews", "breaches", "disputes")
TITLES = {
    "signatories": "Signatories",
    "reviews": "Reviews",
    "breaches": "Breaches",
    "disputes": "Disputes",
}
PAGE_SIZE = 50
MAX_PAGE = central.MAX_PAGE


# --- Signatories --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatoryRow:
    agency_id: int
    agency: str
    agency_status: str
    protocol_id: int
    protocol: str
    version_in_force: int
    signed_version: int | None
    signed_at: datetime | None
    signatory_name: str
    signatory_title: str
    withdrawn_at: datetime | None
    status: rules.SignatoryStatus
    checklist: str  # agencies.rules.ChecklistStatus
    ico_number: str
    ico_expires_on: date | None
    ico_status: str  # agencies.rules.IcoStatus
    complete: bool

    @property
    def signed_on(self) -> date | None:
        return timezone.localdate(self.signed_at) if self.signed_at is not None else None

    @property
    def signatory(self) -> str:
        return ", ".join(part for part in (self.signatory_name, self.signatory_title) if part)


_SIGNATORIES_SQL = Statement(
    "isp_registers_signatories",
    """
SELECT a.id, a.name, a.status, a.ico_registration_number, a.ico_registration_expires_on,
       p.id, p.title, cv.number,
       s.number, s.signed_at, s.signatory_name, s.signatory_title, s.withdrawn_at, s.carried,
       k.requirements, k.confirmed
FROM agencies_agency a
CROSS JOIN protocols_protocol p
JOIN protocols_protocolversion cv ON cv.id = p.current_version_id
LEFT JOIN LATERAL (
    SELECT v.number, s.signed_at, s.signatory_name, s.signatory_title, s.withdrawn_at,
           s.carried_over_from_id IS NOT NULL AS carried
    FROM protocols_signature s JOIN protocols_protocolversion v ON v.id = s.version_id
    WHERE s.agency_id = a.id AND s.protocol_id = p.id
    ORDER BY v.number DESC, s.withdrawn_at IS NULL DESC, s.signed_at DESC, s.id DESC
    LIMIT 1
) s ON true
LEFT JOIN LATERAL (
    SELECT array_agg(r.id ORDER BY r.id) AS requirements, array_agg(c.last ORDER BY r.id) AS confirmed
    FROM agencies_signatoryrequirement r
    LEFT JOIN LATERAL (
        SELECT max(c.confirmed_on) AS last FROM agencies_checklistconfirmation c
        WHERE c.agency_id = a.id AND c.requirement_id = r.id
    ) c ON true
    WHERE r.is_active
) k ON true
WHERE p.status = ANY(%(in_force)s) AND (%(everyone)s OR a.id = ANY(%(agencies)s))
  AND (a.status <> 'left' OR s.number IS NOT NULL)
ORDER BY a.name, a.id, p.title, p.id
""",
)


def _scope(user: Any) -> frozenset[int] | None:
    require(user, "view", PARTNERSHIP_REGISTERS)
    return resource_scope(user, PARTNERSHIP_REGISTERS)


def signatory_rows(user: Any, *, today: date | None = None) -> list[SignatoryRow]:
    """Every agency of the user's part of the register against every protocol in force, by agency then protocol
    (an agency that has left the partnership only where it once signed). Raises NotPermitted for anyone the registers
    are not for. One statement."""
    agencies = _scope(user)
    today = today or timezone.localdate()
    rows = fetch(
        _SIGNATORIES_SQL,
        {
            "in_force": [str(status) for status in IN_FORCE_STATUSES],
            "everyone": agencies is None,
            "agencies": sorted(agencies or ()),
        },
    )
    found = []
    for (
        agency_id, agency, agency_status, ico_number, ico_expires_on, protocol_id, protocol, version_in_force,
        signed_version, signed_at, name, title, withdrawn_at, carried, requirements, confirmed,
    ) in rows:  # fmt: skip
        status = rules.signatory_status(
            signed_version=signed_version,
            current_version=version_in_force,
            withdrawn=withdrawn_at is not None,
            carried_over=bool(carried),
        )
        requirements = requirements or []
        checklist = str(checklist_status(requirements, dict(zip(requirements, confirmed or [], strict=False)), today))
        found.append(
            SignatoryRow(
                agency_id=agency_id, agency=agency, agency_status=agency_status, protocol_id=protocol_id,
                protocol=protocol, version_in_force=version_in_force, signed_version=signed_version,
                signed_at=signed_at, signatory_name=name or "", signatory_title=title or "", withdrawn_at=withdrawn_at,
                status=status, checklist=checklist, ico_number=ico_number, ico_expires_on=ico_expires_on,
                ico_status=str(ico_status(ico_expires_on, today)),
                complete=rules.signature_complete(status, checklist),
            )
        )  # fmt: skip
    return found


SIGNATORIES_HEADER = (
    "Agency", "Agency status", "Protocol", "Version in force", "Version signed", "Signed on", "Signatory",
    "Withdrawn on", "Status", "Signatory checklist", "ICO registration number", "ICO registration expires",
    "ICO registration", "Signature complete",
)  # fmt: skip


def signatory_cells(row: SignatoryRow) -> list[str]:
    return [
        row.agency, row.agency_status, row.protocol, str(row.version_in_force),
        "" if row.signed_version is None else str(row.signed_version),
        row.signed_on.isoformat() if row.signed_on else "", row.signatory,
        timezone.localdate(row.withdrawn_at).isoformat() if row.withdrawn_at else "", str(row.status),
        row.checklist, row.ico_number, row.ico_expires_on.isoformat() if row.ico_expires_on else "", row.ico_status,
        "yes" if row.complete else "no",
    ]  # fmt: skip


# --- Reviews ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewRow:
    protocol_id: int
    protocol: str
    protocol_status: str
    last_review_id: int | None
    last_number: int | None
    last_completed_on: date | None
    next_review_id: int | None
    next_number: int | None
    next_due_on: date | None
    open_actions: int
    overdue_actions: int
    standing: rules.ReviewStanding

    @property
    def protocol_status_label(self) -> str:
        return str(ProtocolStatus(self.protocol_status).label)


_REVIEWS_SQL = Statement(
    "isp_registers_reviews",
    """
SELECT p.id, p.title, p.status,
       last.id, last.number, last.completed_on, last.report_due_on, last.held_on,
       nxt.id, nxt.number, nxt.due_on,
       acts.open, acts.overdue
FROM protocols_protocol p
LEFT JOIN LATERAL (
    SELECT r.id, r.number, r.completed_on, r.report_due_on, m.held_on
    FROM protocols_review r LEFT JOIN protocols_meeting m ON m.id = r.reported_at_id
    WHERE r.protocol_id = p.id AND r.status = 'completed'
    ORDER BY r.completed_on DESC, r.number DESC LIMIT 1
) last ON true
LEFT JOIN LATERAL (
    SELECT r.id, r.number, r.due_on FROM protocols_review r
    WHERE r.protocol_id = p.id AND r.status = 'scheduled'
    ORDER BY r.due_on, r.number LIMIT 1
) nxt ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS open, count(*) FILTER (WHERE a.due_on < %(today)s) AS overdue
    FROM protocols_reviewaction a JOIN protocols_review r ON r.id = a.review_id
    WHERE r.protocol_id = p.id AND a.status = 'open'
) acts ON true
WHERE p.current_version_id IS NOT NULL
ORDER BY p.title, p.id
""",
)


def review_rows(user: Any, *, today: date | None = None) -> list[ReviewRow]:
    """Every protocol that has had a version in force, by title, with its reviews' standing. The reviews are of
    agreements every signatory is party to, so every reader of the registers reads them all. One statement."""
    _scope(user)
    today = today or timezone.localdate()
    found = []
    for (
        pk, title, status, last_id, last_number, completed_on, report_due_on, reported_on, next_id, next_number,
        next_due_on, open_actions, overdue_actions,
    ) in fetch(_REVIEWS_SQL, {"today": today}):  # fmt: skip
        found.append(
            ReviewRow(
                protocol_id=pk, protocol=title, protocol_status=status, last_review_id=last_id,
                last_number=last_number, last_completed_on=completed_on, next_review_id=next_id,
                next_number=next_number, next_due_on=next_due_on, open_actions=open_actions,
                overdue_actions=overdue_actions,
                standing=rules.review_standing(
                    next_due_on=next_due_on, completed_on=completed_on, report_due_on=report_due_on,
                    reported_on=reported_on, today=today,
                ),
            )
        )  # fmt: skip
    return found


REVIEWS_HEADER = (
    "Protocol", "Protocol status", "Last review", "Last review completed", "Outcome", "Next review", "Next review due",
    "Overdue", "Reminder", "Open actions", "Overdue actions",
)  # fmt: skip


def review_cells(row: ReviewRow) -> list[str]:
    return [
        row.protocol, row.protocol_status_label, "" if row.last_number is None else str(row.last_number),
        row.last_completed_on.isoformat() if row.last_completed_on else "", row.standing.outcome,
        "" if row.next_number is None else str(row.next_number),
        row.next_due_on.isoformat() if row.next_due_on else "", "yes" if row.standing.overdue else "no",
        row.standing.reminder, str(row.open_actions), str(row.overdue_actions),
    ]  # fmt: skip


# --- Breaches and disputes: the central register's halves ---------------------------------------------------------


def central_filters(register: str, page: int = 1, *, status: str = "") -> central.RegisterFilters:
    """The central register's filters for one of its halves over its default months (the last twelve)."""
    return central.filters_of({"kind": "breach" if register == "breaches" else "dispute", "page": page,
                               "status": status})  # fmt: skip


def central_page(user: Any, register: str, page: int = 1) -> central.RegisterPage:
    """A page of the breaches or the disputes, newest first, read by the central register's selector (its scope is
    the same as the registers': breaches.register_policy)."""
    _scope(user)
    return central.central_register(user, central_filters(register, page))


def central_rows(user: Any, register: str) -> Iterator[central.RegisterEntry]:
    return central.register_rows(user, central_filters(register))


def central_count(user: Any, register: str, *, status: str = "") -> int:
    return central.register_count(user, central_filters(register, status=status))


# --- The summary and the exports ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    agencies: int
    signed: int  # agency x protocol rows signed (or carried over to) the version in force
    not_signed: int  # rows not signed, withdrawn, or signed an earlier version only
    complete: int  # agencies whose every signature of a protocol in force is complete
    checklists_incomplete: int  # agencies
    ico_not_valid: int  # agencies whose ICO registration is missing or lapsed
    protocols: int
    reviews_overdue: int
    reviews_due_soon: int  # within three months
    open_actions: int
    breaches: int  # recorded in the last twelve months
    breaches_open: int
    disputes: int
    disputes_open: int


def summary(user: Any, signatories: Sequence[SignatoryRow], reviews: Sequence[ReviewRow]) -> Summary:
    """The counts at the top of the page, from the two registers read whole and four counts of the central
    register's halves (its twelve months: all, and open)."""
    by_agency: dict[int, list[SignatoryRow]] = {}
    for row in signatories:
        by_agency.setdefault(row.agency_id, []).append(row)
    signed = sum(
        row.status in (rules.SignatoryStatus.SIGNED, rules.SignatoryStatus.CARRIED_OVER) for row in signatories
    )
    return Summary(
        agencies=len(by_agency),
        signed=signed,
        not_signed=len(signatories) - signed,
        complete=sum(all(row.complete for row in rows) for rows in by_agency.values()),
        checklists_incomplete=sum(rows[0].checklist == "incomplete" for rows in by_agency.values()),
        ico_not_valid=sum(rows[0].ico_status in ("missing", "lapsed") for rows in by_agency.values()),
        protocols=len(reviews),
        reviews_overdue=sum(row.standing.overdue for row in reviews),
        reviews_due_soon=sum(bool(row.standing.reminder) and not row.standing.overdue for row in reviews),
        open_actions=sum(row.open_actions for row in reviews),
        breaches=central_count(user, "breaches"),
        breaches_open=central_count(user, "breaches", status="open"),
        disputes=central_count(user, "disputes"),
        disputes_open=central_count(user, "disputes", status="open"),
    )


@dataclass(frozen=True)
class Export:
    """One register as a CSV: its header, how many rows (for the audit event, counted before it streams) and the rows
    as cells, read as the response is sent."""

    register: str
    header: Sequence[str]
    rows: int
    cells: Iterator[list[str]]

    @property
    def filename(self) -> str:
        return f"{self.register}-register.csv"


def export(user: Any, register: str) -> Export:
    """The register named, ready to stream. ValueError for a name that is not one of REGISTERS."""
    if register == "signatories":
        signatories = signatory_rows(user)
        return Export(register, SIGNATORIES_HEADER, len(signatories), (signatory_cells(r) for r in signatories))
    if register == "reviews":
        reviews = review_rows(user)
        return Export(register, REVIEWS_HEADER, len(reviews), (review_cells(r) for r in reviews))
    if register in ("breaches", "disputes"):
        _scope(user)
        count = central_count(user, register)
        return Export(register, central.CSV_HEADER, count, (central.csv_cells(r) for r in central_rows(user, register)))
    raise ValueError(f"There is no register called {register!r}.")
