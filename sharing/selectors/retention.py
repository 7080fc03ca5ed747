"""The children past the age scope, the records closed and those due for erasure (Southampton 8, 11), for the
partnership admins' page and the API: index numbers, dates and rules only, never a name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from audit.services import audit_record
from isp_portal.policy import require
from sharing.models import Child, ClosureRule, KeptUnder
from sharing.policy import CHILD_RETENTION

LIST_LIMIT = 100


@dataclass(frozen=True)
class RetentionRow:
    child_id: int
    scope_flagged_on: date | None
    kept_under: str
    closed_on: date | None
    closed_under: str
    erase_due_on: date | None
    erased_at: datetime | None
    closes_on: date | None = None

    @property
    def kept_label(self) -> str:
        return KeptUnder(self.kept_under).label if self.kept_under else ""

    @property
    def closed_label(self) -> str:
        return ClosureRule(self.closed_under).label if self.closed_under else ""


@dataclass(frozen=True)
class RetentionLists:
    """Each list holds at most `limit` rows (the oldest first: the ones to act on); `counts` are the full sizes."""

    on: date
    limit: int
    flagged: list[RetentionRow]
    closed: list[RetentionRow]
    due: list[RetentionRow]
    erased: list[RetentionRow]
    counts: dict[str, int]


STATES = ("flagged", "closed", "due", "erased")

_FIELDS = (
    "pk",
    "scope_flagged_on",
    "kept_under",
    "closed_on",
    "closed_under",
    "erase_due_on",
    "erased_at",
    "closes_on",
)


def _state_filter(state: str, today: date) -> Q:
    if state == "flagged":  # past the age scope, open: kept, or closing on `closes_on` unless kept meanwhile
        return Q(scope_flagged_on__isnull=False, closed_on__isnull=True, merged_into__isnull=True)
    if state == "closed":  # closed, erasure not yet due
        return Q(closed_on__isnull=False, erased_at__isnull=True, erase_due_on__gt=today)
    if state == "due":  # closed, erasure due (the sweep erases them in batches)
        return Q(closed_on__isnull=False, erased_at__isnull=True, erase_due_on__lte=today)
    # An entry merged into an erased child is erased with it (child_erase), not listed as a record of its own.
    return Q(erased_at__isnull=False, merged_into__isnull=True)


_ORDER = {
    "flagged": ("scope_flagged_on", "pk"),
    "closed": ("erase_due_on", "pk"),
    "due": ("erase_due_on", "pk"),
    "erased": ("-erased_at", "-pk"),
}


def retention_lists(*, actor: Any, today: date | None = None, limit: int = LIST_LIMIT) -> RetentionLists:
    """The four lists and their sizes, for a partnership admin (CHILD_RETENTION), the read recorded. Two
    statements: the sizes in one, the rows (each list bounded) in one, then the audit event."""
    require(actor, "view", CHILD_RETENTION)
    day = today or timezone.localdate()
    bounded = min(max(limit, 1), LIST_LIMIT)
    counts = Child.objects.aggregate(**{state: Count("pk", filter=_state_filter(state, day)) for state in STATES})
    selections = [
        Child.objects.filter(_state_filter(state, day)).order_by(*_ORDER[state]).values_list(*_FIELDS)[:bounded]
        for state in STATES
    ]
    first, *rest = selections
    rows: dict[str, list[RetentionRow]] = {state: [] for state in STATES}
    union = first.union(*rest, all=True) if rest else first
    for values in union:
        row = RetentionRow(*values)
        rows[_state_of(row, day)].append(row)
    for state in STATES:
        rows[state].sort(key=_sort_key(state))
    audit_record(
        kind="child.retention_list",
        actor=actor,
        object_type="sharing.child",
        detail={"counts": {state: counts[state] for state in STATES}},
    )
    return RetentionLists(
        on=day,
        limit=bounded,
        flagged=rows["flagged"],
        closed=rows["closed"],
        due=rows["due"],
        erased=rows["erased"],
        counts={state: counts[state] for state in STATES},
    )


def _state_of(row: RetentionRow, day: date) -> str:
    if row.erased_at is not None:
        return "erased"
    if row.closed_on is None:
        return "flagged"
    assert row.erase_due_on is not None
    return "due" if row.erase_due_on <= day else "closed"


def _sort_key(state: str) -> Any:
    if state == "erased":
        return lambda row: (-(row.erased_at.timestamp() if row.erased_at else 0), -row.child_id)
    if state == "flagged":
        return lambda row: (row.scope_flagged_on or date.min, row.child_id)
    return lambda row: (row.erase_due_on or date.min, row.child_id)
