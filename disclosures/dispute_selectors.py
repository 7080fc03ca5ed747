"""Reads of disputes and the central register (issue 13; Southampton 13; docs/after-disclosure-design.md 7). Every
read starts from the policy's `restrict` (or the register's resource scope) and costs a constant number of
statements whatever the number of events or rows.

The register (design Q12) carries no child identity and no free text: the register number, the two agencies, the
subject kind, the ground, state, stage, dates, outcome (share / not share), and whether both case-file records are
made. The journey page keeps the detail for the parties.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from agencies.models import Agency
from disclosures import rules
from disclosures.dispute_policy import (
    DISPUTE_ACTIONS,
    REGISTER,
    DisputeFacts,
    acting_side,
    dispute_facts,
    dispute_refusal,
    reads_dispute_content,
)
from disclosures.models import (
    Dispute,
    DisputeAdvice,
    DisputeEvent,
    DisputeGround,
    DisputePosition,
    DisputeRecord,
    DisputeState,
    Position,
)
from isp_portal.policy import get_or_deny, require, resource_scope, restrict

PAGE_SIZE = 50
EXPORT_PAGE = 500


def disputes_mine(user: Any, *, limit: int = PAGE_SIZE) -> list[Dispute]:
    """The disputes the user may see, open ones first, newest first. One statement."""
    return list(
        restrict(user, "view", Dispute)
        .select_related("raising_agency", "responding_agency")
        .order_by("state", "-opened_at", "-pk")[:limit]
    )


@dataclass
class DisputeJourney:
    """The journey page (design 9): the dispute, its stages' assignees, positions, advice, records and events, and
    what this user may do next (each action the policy allows, or why not)."""

    dispute: Dispute
    facts: DisputeFacts
    positions: list[DisputePosition]
    advices: list[DisputeAdvice]
    records: list[DisputeRecord]
    events: list[DisputeEvent]
    assignee_names: Mapping[tuple[int, str], list[str]]
    actions: dict[str, str | None] = field(default_factory=dict)
    # Whether the reader reads what was written in it, or its metadata only (an auditor: reads_dispute_content).
    content: bool = True

    @property
    def allowed(self) -> list[str]:
        return [action for action, refusal in self.actions.items() if refusal is None and action != "view"]


def dispute_page(user: Any, pk: Any, *, today: date | None = None) -> DisputeJourney:
    """One dispute for the journey page and the API: out of scope 404. A constant number of statements."""
    dispute = get_or_deny(
        user,
        Dispute.objects.select_related(
            "raising_agency", "responding_agency", "raised_by", "raising_practitioner", "responding_practitioner",
            "decided_by", "request", "onward_request",
        ),
        pk=pk,
    )  # fmt: skip
    facts = dispute_facts(dispute)
    positions = list(DisputePosition.objects.filter(dispute=dispute).select_related("author"))
    advices = list(DisputeAdvice.objects.filter(dispute=dispute).select_related("adviser"))
    records = list(DisputeRecord.objects.filter(dispute=dispute).select_related("recorded_by", "agency"))
    events = list(DisputeEvent.objects.filter(dispute=dispute).exclude(note="recorded", kind="chased"))
    names: dict[tuple[int, str], list[str]] = {}
    from agencies.models import User

    users = User.objects.in_bulk([user_id for _s, _side, user_id in facts.assignees])
    for stage, side, user_id in sorted(facts.assignees):
        names.setdefault((stage, side), []).append(str(users[user_id]) if user_id in users else "")
    actions = {action: dispute_refusal(user, action, dispute, today=today) for action in sorted(DISPUTE_ACTIONS)}
    return DisputeJourney(
        dispute, facts, positions, advices, records, events, assignee_names=names, actions=actions,
        content=reads_dispute_content(user, dispute),
    )  # fmt: skip


def acting_side_of(user: Any, action: str, dispute: Dispute) -> rules.Side | None:
    return acting_side(user, action, dispute)


# --- The register -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterFilters:
    """The register's filters (all optional): an agency on either side, state, stage, ground, outcome, opened
    between two dates, overdue only, records incomplete only; and the page (by register number, descending)."""

    agency: int | None = None
    state: str = ""
    stage: int | None = None
    ground: str = ""
    outcome: str = ""
    opened_from: date | None = None
    opened_to: date | None = None
    overdue: bool = False
    records_incomplete: bool = False
    before: int | None = None  # keyset: rows with a register number below this

    def as_detail(self) -> dict[str, Any]:
        """The filters as the audit detail of an export records them."""
        return {
            name: (value.isoformat() if isinstance(value, date) else value)
            for name, value in self.__dict__.items()
            if value not in (None, "", False)
        }


@dataclass(frozen=True)
class RegisterRow:
    """One register row: no child, no free text (design Q12)."""

    register_number: int
    register_label: str
    subject_kind: str
    ground: str
    raising_agency: str
    responding_agency: str
    state: str
    stage: int
    opened_on: date
    stage_one_due_on: date
    stage_two_due_on: date | None
    escalation_reason: str
    referred: bool
    outcome: str
    resolved_on: date | None
    records_made: int
    overdue: bool

    @property
    def state_label(self) -> str:
        return str(DisputeState(self.state).label)

    @property
    def ground_label(self) -> str:
        return str(DisputeGround(self.ground).label)

    @property
    def outcome_label(self) -> str:
        return str(Position(self.outcome).label) if self.outcome else ""


@dataclass
class RegisterPage:
    rows: list[RegisterRow]
    counts: Mapping[str, int]
    next_before: int | None


REGISTER_COLUMNS = (
    "register_number", "subject_kind", "ground", "raising_agency__name", "responding_agency__name", "state", "stage",
    "opened_at", "stage_one_due_on", "stage_two_due_on", "escalation_reason", "referred_at", "outcome",
    "resolved_at", "records_made",
)  # fmt: skip


def register_agencies(user: Any) -> list[tuple[int, str]]:
    """The agencies the register's agency filter offers the user (design 7: "agency (either side)"): those of the
    user's part of the register (resource_scope: every agency, or their own), by name. One query."""
    agencies = resource_scope(user, REGISTER)
    rows = Agency.objects.all() if agencies is None else Agency.objects.filter(pk__in=agencies)
    return list(rows.order_by("name", "pk").values_list("pk", "name"))


def register_queryset(user: Any, filters: RegisterFilters, *, today: date | None = None) -> QuerySet[Dispute]:
    """The register's rows the user may read (the resource's scope: all, or their agencies'), filtered. Raises
    NotPermitted for anyone the register is not for."""
    require(user, "view", REGISTER)
    today = today or timezone.localdate()
    agencies = resource_scope(user, REGISTER)
    rows = Dispute.objects.all()
    if agencies is not None:
        rows = rows.filter(Q(raising_agency_id__in=agencies) | Q(responding_agency_id__in=agencies))
    if filters.agency is not None:
        rows = rows.filter(Q(raising_agency_id=filters.agency) | Q(responding_agency_id=filters.agency))
    for name in ("state", "ground", "outcome"):
        if getattr(filters, name):
            rows = rows.filter(**{name: getattr(filters, name)})
    if filters.stage is not None:
        rows = rows.filter(stage=filters.stage)
    if filters.opened_from is not None:
        rows = rows.filter(opened_at__date__gte=filters.opened_from)
    if filters.opened_to is not None:
        rows = rows.filter(opened_at__date__lte=filters.opened_to)
    if filters.overdue:
        rows = rows.filter(_overdue(today))
    records = DisputeRecord.objects.filter(dispute_id=OuterRef("pk"))
    if filters.records_incomplete:
        rows = rows.filter(state__in=rules.DISPUTE_TERMINAL_STATES).exclude(
            Exists(records.filter(side="raising")) & Exists(records.filter(side="responding"))
        )
    return rows


def _overdue(today: date) -> Q:
    return Q(state="stage_one", stage_one_due_on__lt=today) | Q(state="stage_two", stage_two_due_on__lt=today)


def _rows(queryset: QuerySet[Dispute], *, today: date, limit: int) -> list[RegisterRow]:
    found = (
        queryset.annotate(records_made=Count("records"))
        .order_by("-register_number")
        .values_list(*REGISTER_COLUMNS)[:limit]
    )
    rows = []
    for values in found:
        row = dict(zip(REGISTER_COLUMNS, values, strict=True))
        state = row["state"]
        overdue = (state == "stage_one" and row["stage_one_due_on"] < today) or (
            state == "stage_two" and row["stage_two_due_on"] is not None and row["stage_two_due_on"] < today
        )
        rows.append(
            RegisterRow(
                register_number=row["register_number"], register_label=f"DR-{row['register_number']:06d}",
                subject_kind=row["subject_kind"], ground=row["ground"], raising_agency=row["raising_agency__name"],
                responding_agency=row["responding_agency__name"], state=state, stage=row["stage"],
                opened_on=timezone.localdate(row["opened_at"]), stage_one_due_on=row["stage_one_due_on"],
                stage_two_due_on=row["stage_two_due_on"], escalation_reason=row["escalation_reason"],
                referred=row["referred_at"] is not None, outcome=row["outcome"],
                resolved_on=timezone.localdate(row["resolved_at"]) if row["resolved_at"] else None,
                records_made=int(row["records_made"]), overdue=overdue,
            )
        )  # fmt: skip
    return rows


def dispute_register(user: Any, filters: RegisterFilters, *, today: date | None = None) -> RegisterPage:
    """A page of the register (PAGE_SIZE rows, newest register number first, keyset by `before`) with summary
    counts by state over the filtered rows. Three statements."""
    today = today or timezone.localdate()
    rows = register_queryset(user, filters, today=today)
    counts = dict(rows.order_by().values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    page = rows.filter(register_number__lt=filters.before) if filters.before is not None else rows
    found = _rows(page, today=today, limit=PAGE_SIZE + 1)
    more = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    return RegisterPage(
        rows=found,
        counts={state.value: int(counts.get(state.value, 0)) for state in rules.DisputeState},
        next_before=found[-1].register_number if more and found else None,
    )


def dispute_register_rows(user: Any, filters: RegisterFilters, *, today: date | None = None) -> Iterator[RegisterRow]:
    """Every register row the user may read, filtered, for the CSV: keyset pages of EXPORT_PAGE by register number
    (one statement a page, constant whatever the page)."""
    today = today or timezone.localdate()
    rows = register_queryset(user, filters, today=today)
    before: int | None = None
    while True:
        page = rows.filter(register_number__lt=before) if before is not None else rows
        found = _rows(page, today=today, limit=EXPORT_PAGE)
        yield from found
        if len(found) < EXPORT_PAGE:
            return
        before = found[-1].register_number


CSV_HEADER = (
    "Register number", "Subject", "Ground", "Requesting agency", "Agency holding the information", "State", "Stage",
    "Opened", "Stage 1 due", "Stage 2 due", "Escalated because", "Referred", "Outcome", "Resolved",
    "Case-file records made", "Overdue",
)  # fmt: skip


def csv_cells(row: RegisterRow) -> list[str]:
    return [
        row.register_label, row.subject_kind, row.ground, row.raising_agency, row.responding_agency, row.state,
        str(row.stage), row.opened_on.isoformat(), row.stage_one_due_on.isoformat(),
        row.stage_two_due_on.isoformat() if row.stage_two_due_on else "", row.escalation_reason,
        "yes" if row.referred else "no", row.outcome, row.resolved_on.isoformat() if row.resolved_on else "",
        str(row.records_made), "yes" if row.overdue else "no",
    ]  # fmt: skip


# --- The disputes of the central register of breaches and disputes (issue 14; Southampton 13) ----------------------
# breaches.register_selectors lists breaches and disputes together; it reads the disputes only through these, so the
# disputes' tables stay this module's business.


def central_register_disputes(
    user: Any,
    *,
    agencies: frozenset[int] | None,
    agency: int | None = None,
    closed: bool | None = None,
    opened_from: date | None = None,
    opened_to: date | None = None,
) -> QuerySet[Dispute]:
    """The dispute register's rows the user reads (register_queryset: its scope and filters), narrowed to the parties
    `agencies` (None: all) and to open (`closed` False) or ended (True) disputes."""
    rows = register_queryset(user, RegisterFilters(agency=agency, opened_from=opened_from, opened_to=opened_to))
    if agencies is not None:
        rows = rows.filter(Q(raising_agency_id__in=agencies) | Q(responding_agency_id__in=agencies))
    if closed is True:
        rows = rows.filter(state__in=rules.DISPUTE_TERMINAL_STATES)
    elif closed is False:
        rows = rows.exclude(state__in=rules.DISPUTE_TERMINAL_STATES)
    return rows


def central_register_columns(rows: QuerySet[Dispute]) -> QuerySet[Dispute]:
    """The disputes as rows of the central register, in its columns (breaches.register_selectors.COLUMNS): the
    raising agency first, the agency holding the information second; no child, no free text."""
    from django.db.models import BooleanField, CharField, ExpressionWrapper, F, Value

    return rows.annotate(
        r_kind=Value("dispute", output_field=CharField()),
        r_pk=F("pk"),
        r_number=F("register_number"),
        r_agency_id=F("raising_agency_id"),
        r_agency=F("raising_agency__name"),
        r_other_id=F("responding_agency_id"),
        r_other=F("responding_agency__name"),
        r_at=F("opened_at"),
        r_state=F("state"),
        r_closed=ExpressionWrapper(Q(state__in=rules.DISPUTE_TERMINAL_STATES), output_field=BooleanField()),
        r_personal=Value(False, output_field=BooleanField()),
    )


def central_register_dispute_counts(rows: QuerySet[Dispute]) -> tuple[dict[date, int], dict[int, tuple[str, int]]]:
    """The disputes counted by the month they were opened (London time) and by party (each dispute counts for both
    of its agencies). Three statements."""
    from django.db.models.functions import TruncMonth

    months = {
        timezone.localtime(month).date(): n
        for month, n in rows.order_by().annotate(m=TruncMonth("opened_at")).values_list("m").annotate(n=Count("pk"))
    }
    agencies: dict[int, tuple[str, int]] = {}
    for side in ("raising_agency", "responding_agency"):
        for pk, name, n in (
            rows.order_by()
            .values_list(f"{side}_id", f"{side}__name")
            .annotate(n=Count("pk"))
            .values_list(f"{side}_id", f"{side}__name", "n")
        ):
            agencies[pk] = (name, agencies.get(pk, (name, 0))[1] + n)
    return months, agencies
