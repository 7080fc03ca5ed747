"""Reads of corrections, correction notices and inaccuracy reports (issue 13; Southampton 9;
docs/after-disclosure-design.md 7). Each starts from the policy's `restrict` and costs a fixed number of statements
whatever the number of rows (pinned in tests/cases/disclosure_corrections*.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from audit.services import audit_record
from disclosures.models import Correction, CorrectionNotice, InaccuracyReport
from isp_portal.policy import get_or_deny, restrict
from sharing.models import EntryRevision, RecordEntry
from sharing.policy import (
    EntryAccess,
    EntryFacts,
    entry_access,
    granted_revisions,
    index_agencies,
    live_grant_revisions,
    revisions_shown,
)

PAGE_SIZE = 50


def _notices(user: Any, action: str = "view") -> QuerySet[CorrectionNotice]:
    return restrict(user, action, CorrectionNotice).select_related(
        "correction__originator_agency",
        "agency",
        "acknowledged_by",
        "received_revision",
        "correction__revision",
        "via_disclosure",
    )


def correction_notices(user: Any, *, pending: bool | None = True) -> list[CorrectionNotice]:
    """The notices `user` may see (their agencies' to acknowledge; the originator's of its corrections): pending
    ones by due date (overdue first), acknowledged ones newest first. One statement after the policy's."""
    rows = _notices(user)
    if pending is True:
        rows = rows.filter(acknowledged_at__isnull=True).order_by("ack_due_on", "pk")
    elif pending is False:
        rows = rows.filter(acknowledged_at__isnull=False).order_by("-acknowledged_at", "-pk")
    else:
        rows = rows.order_by(F("acknowledged_at").desc(nulls_first=True), "ack_due_on", "pk")
    return list(rows[:PAGE_SIZE])


def corrections_issued(user: Any) -> list[Correction]:
    """The corrections `user` may see, newest first, each with how many agencies were told and how many
    acknowledged (annotations: one statement)."""
    return list(
        restrict(user, "view", Correction)
        .select_related("originator_agency", "revision", "issued_by")
        .annotate(
            told=Count("notices", distinct=True),
            acknowledged=Count("notices", filter=Q(notices__acknowledged_at__isnull=False), distinct=True),
        )
        .order_by("-issued_at", "-pk")[:PAGE_SIZE]
    )


@dataclass(frozen=True)
class CorrectionPage:
    correction: Correction
    notices: list[CorrectionNotice]


def correction_page(user: Any, pk: Any) -> CorrectionPage:
    """A correction and its acknowledgement table (each agency told, by which disclosure, and whether it
    acknowledged): the notices `user` may see of it."""
    correction = get_or_deny(
        user, Correction.objects.select_related("originator_agency", "revision", "issued_by"), pk=pk
    )
    notices = list(_notices(user).filter(correction_id=correction.pk).order_by("agency__name", "pk"))
    return CorrectionPage(correction, notices)


def notice_page(user: Any, pk: Any, *, action: str = "view") -> CorrectionNotice:
    notice: CorrectionNotice = get_or_deny(user, _notices(user, action), action=action, pk=pk)
    return notice


def _reports(user: Any) -> QuerySet[InaccuracyReport]:
    return restrict(user, "view", InaccuracyReport).select_related(
        "reporter", "reporter_agency", "originator_agency", "received_revision", "decided_by"
    )


def inaccuracy_reports(user: Any) -> list[InaccuracyReport]:
    """The reports `user` may see: open ones by due date, then the answered ones newest first."""
    return list(_reports(user).order_by(F("decided_at").desc(nulls_first=True), "due_on", "-pk")[:PAGE_SIZE])


def report_page(user: Any, pk: Any) -> InaccuracyReport:
    report: InaccuracyReport = get_or_deny(user, _reports(user), pk=pk)
    return report


# --- A correction side by side: the revision received and the corrected one (Southampton 9) ------------------------

# The purpose recorded when a correction's page shows the content of the revisions it compares (DPA 2018 s62: every
# view of an entry's content is logged with why): the reader is following a correction of what was shared.
COMPARE_PURPOSE = "Reading a correction of information shared"


@dataclass(frozen=True)
class RevisionsCompared:
    """The two revisions of one entry a correction page shows side by side, oldest first."""

    category: str
    before: EntryRevision
    after: EntryRevision


def revisions_compared(user: Any, *, entry_id: int, before_number: int, after_id: int) -> RevisionsCompared | None:
    """The revision `before_number` of an entry (the one received, or the one corrected) and the corrected revision
    `after_id`, when `user` may read the content of both; else None (the page then shows their numbers only). The
    grant checks decide, as on the entry's own page (sharing.policy): the originating agency reads every revision;
    a recipient only the revisions its live grants open (the one disclosed, and the corrected one the correction
    opened: sharing.services.grants_corrected), so a revoked or expired disclosure shows neither; a revision
    recorded as restricted only to those authorised for it (revisions_shown). Audit: entry.view with
    COMPARE_PURPOSE when shown. At most four statements."""
    entry = RecordEntry.objects.filter(pk=entry_id).select_related("child").first()
    if entry is None or getattr(user, "is_system", False):  # an API token reads no correction's content
        return None
    facts = EntryFacts(entry.agency_id, entry.is_restricted, entry.child.area_id)
    own = entry.agency_id in index_agencies(user)
    granted = frozenset() if own else live_grant_revisions(user, [entry.pk]).get(entry.pk, frozenset())
    access = entry_access(user, facts, granted=bool(granted))
    if access < EntryAccess.CONTENT:
        return None
    revisions = tuple(EntryRevision.objects.filter(entry_id=entry.pk).order_by("-number"))
    readable = revisions_shown(user, revisions, facts)
    if access < EntryAccess.HISTORY:
        readable = tuple(r for r in granted_revisions(revisions, granted) if r in readable)
    before = next((r for r in readable if r.number == before_number), None)
    after = next((r for r in readable if r.pk == after_id), None)
    if before is None or after is None:
        return None
    audit_record(
        kind="entry.view", actor=user, target=entry, child_id=entry.child_id, purpose=COMPARE_PURPOSE,
        detail={"content": True, "revisions_compared": [before.number, after.number]},
    )  # fmt: skip
    return RevisionsCompared(entry.category, before, after)
