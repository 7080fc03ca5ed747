"""Reads of corrections, correction notices and inaccuracy reports (issue 13; Southampton 9;
docs/after-disclosure-design.md 7). Each starts from the policy's `restrict` and costs a fixed number of statements
whatever the number of rows (pinned in tests/cases/disclosure_corrections*.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from disclosures.models import Correction, CorrectionNotice, InaccuracyReport
from isp_portal.policy import get_or_deny, restrict

PAGE_SIZE = 50


def _notices(user: Any, action: str = "view") -> QuerySet[CorrectionNotice]:
    return restrict(user, action, CorrectionNotice).select_related(
        "correction__originator_agency", "agency", "acknowledged_by", "received_revision", "correction__revision"
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
