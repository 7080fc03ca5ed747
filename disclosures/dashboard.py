"""The disclosures app's navigation entry and dashboard panels: the requests waiting for the reader's agency, and a
designated manager's approvals (design12 section 6: approvals_pending is a dashboard panel)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from agencies.policy import is_designated_manager, is_practitioner
from disclosures import rules, selectors
from disclosures.models import InformationRequest
from isp_portal.navigation import DashboardPanel, NavItem, register_nav, register_panel
from sharing.policy import index_agencies

# The approvals the panel lists; the approvals page lists them all.
APPROVALS_SHOWN = 5


def _waiting(user: Any) -> dict[str, Any]:
    """How many requests wait for an answer from the reader's agencies, and how many of them are overdue: the inbox's
    requests (selectors.requests_inbox), counted. One query."""
    mine = index_agencies(user)
    if not mine:
        return {"waiting": 0, "overdue": 0, "may_use_index": False}
    counts = InformationRequest.objects.filter(
        holding_agency_id__in=mine, state__in=selectors.OPEN, kind=rules.Kind.REQUESTED
    ).aggregate(waiting=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=timezone.localdate())))
    return {"waiting": counts["waiting"], "overdue": counts["overdue"], "may_use_index": True}


def _approvals(user: Any) -> dict[str, Any]:
    """The designated manager's queue, oldest first (selectors.approvals_pending). Two queries."""
    approvals, reviews = selectors.approvals_pending(user)
    return {
        "approvals": approvals[:APPROVALS_SHOWN],
        "approvals_count": len(approvals),
        "reviews_count": len(reviews),
        "today": timezone.localdate(),
        "approvals_url": reverse("approvals"),
    }


register_nav(NavItem(label="Requests", url_name="request-inbox", visible=is_practitioner, order=62))
register_panel(
    DashboardPanel(
        name="requests-waiting",
        template="disclosures/request_panel_waiting.html",
        visible=is_practitioner,
        context=_waiting,
        order=5,
    )
)
register_panel(
    DashboardPanel(
        name="approvals-waiting",
        template="disclosures/request_panel_approvals.html",
        visible=lambda user: is_designated_manager(user) and not getattr(user, "is_system", False),
        context=_approvals,
        order=6,
    )
)
