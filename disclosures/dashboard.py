"""The disclosures app's navigation entries and dashboard panels: the requests waiting for the reader's agency, and a
designated manager's approvals (design12 section 6: approvals_pending is a dashboard panel); after a disclosure
(issue 13, docs/after-disclosure-design.md 9): onward requests, corrections, disputes and the dispute register in the
navigation, and panels for the onward requests a designated manager decides, the corrections the reader's agency
acknowledges and the dispute steps waiting for the reader. Who sees an entry is decided from the principal alone
(no page pays a statement for the navigation); each panel costs one statement besides its policy's."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from agencies.policy import is_designated_manager, is_practitioner, principal
from disclosures import correction_selectors, onward_selectors, rules, selectors
from disclosures.dispute_policy import REGISTER
from disclosures.models import Dispute, DisputeAdvice, DisputeAssignee, DisputePosition, InformationRequest
from isp_portal import policy
from isp_portal.navigation import DashboardPanel, NavItem, register_nav, register_panel
from sharing.policy import index_agencies

# The approvals the panel lists; the approvals page lists them all. The issue-13 panels list as many.
APPROVALS_SHOWN = 5
SHOWN = 5
# How many dispute steps the panel counts (a person waits on a handful at most; the disputes page lists them all).
DISPUTES_COUNTED = 20


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


def _person(user: Any) -> bool:
    return not getattr(user, "is_system", False)


def _onward_to_decide(user: Any) -> dict[str, Any]:
    """The onward requests waiting for the decision of the reader's agencies as the originator (Southampton 10),
    by due date (onward_selectors.onward_requests, role to_decide)."""
    rows = onward_selectors.onward_requests(user, role="to_decide")
    return {"rows": rows[:SHOWN], "count": len(rows), "today": timezone.localdate()}


def _corrections_to_acknowledge(user: Any) -> dict[str, Any]:
    """The correction notices the reader's agencies have to acknowledge, overdue first (Southampton 9): the pending
    notices the reader sees (correction_selectors.correction_notices), less those of corrections their own agency
    issued (it follows those; it does not acknowledge them)."""
    mine = index_agencies(user)
    rows = [
        notice for notice in correction_selectors.correction_notices(user, pending=True) if notice.agency_id in mine
    ]
    return {"rows": rows[:SHOWN], "count": len(rows), "today": timezone.localdate()}


def _adviser_agencies(user: Any) -> list[int]:
    return [
        m.agency_id
        for m in principal(user).memberships
        if m.agency_id is not None and (m.is_caldicott_guardian or m.is_data_protection_officer)
    ]


def disputes_waiting(user: Any) -> list[Dispute]:
    """The open disputes in which a step waits for the reader (Southampton 13; dispute_policy.dispute_refusal holds
    each rule): a position of the side the current stage went to them for (at stage 2 once that side's advice is
    in), the advice of a side whose Caldicott guardian or DPO they are, or the decision of the holding agency's head
    of service once both advices are in. From the policy's scope; one statement."""
    position = DisputeAssignee.objects.filter(dispute=OuterRef("pk"), stage=OuterRef("stage"), user_id=user.pk).filter(
        ~Exists(
            DisputePosition.objects.filter(dispute=OuterRef("dispute"), stage=OuterRef("stage"), side=OuterRef("side"))
        )
        & (Q(stage=1) | Exists(DisputeAdvice.objects.filter(dispute=OuterRef("dispute"), side=OuterRef("side"))))
    )
    decide = DisputeAssignee.objects.filter(
        dispute=OuterRef("pk"), stage=2, side=rules.Side.RESPONDING, user_id=user.pk
    )
    advices = DisputeAdvice.objects.filter(dispute=OuterRef("pk"))
    waiting: Q = Q(Exists(position)) | (
        Q(state=rules.DisputeState.STAGE_TWO)
        & Q(Exists(decide))
        & Q(Exists(advices.filter(side=rules.Side.RAISING)))
        & Q(Exists(advices.filter(side=rules.Side.RESPONDING)))
    )
    advising = _adviser_agencies(user)
    if advising:
        for side, agency in (
            (rules.Side.RAISING, "raising_agency_id__in"),
            (rules.Side.RESPONDING, "responding_agency_id__in"),
        ):
            waiting |= Q(state=rules.DisputeState.STAGE_TWO, **{agency: advising}) & ~Q(
                Exists(advices.filter(side=side))
            )
    return list(
        policy.restrict(user, "view", Dispute)
        .filter(waiting, state__in=(rules.DisputeState.STAGE_ONE, rules.DisputeState.STAGE_TWO))
        .select_related("raising_agency", "responding_agency")
        .order_by("opened_at", "pk")[:DISPUTES_COUNTED]
    )


def _dispute_actions(user: Any) -> dict[str, Any]:
    rows = disputes_waiting(user)
    return {"rows": rows[:SHOWN], "count": len(rows), "more": len(rows) == DISPUTES_COUNTED}


def _signed_in(user: Any) -> bool:
    """The onward requests', corrections' and disputes' lists open to every signed-in person (each lists only what
    the policy's restrict lets them see: an empty list for one party to none), so their links are shown to every
    signed-in person too (tests/isp_portal/test_navigation.py: a list page opens if and only if it is linked)."""
    return bool(getattr(user, "is_authenticated", False)) and _person(user)


def _may_act_in_disputes(user: Any) -> bool:
    """Those a dispute's step may wait for: the agencies' practitioners and designated managers (line managers),
    heads of service, Caldicott guardians and DPOs (Southampton 13)."""
    return _person(user) and (
        is_practitioner(user)
        or any(m.is_head_of_service for m in principal(user).memberships)
        or bool(_adviser_agencies(user))
    )


register_nav(NavItem(label="Requests", url_name="request-inbox", visible=is_practitioner, order=62))
register_nav(NavItem(label="Onward requests", url_name="onward-list", visible=_signed_in, order=63))
register_nav(NavItem(label="Corrections", url_name="correction-list", visible=_signed_in, order=64))
register_nav(NavItem(label="Disputes", url_name="dispute-list", visible=_signed_in, order=65))
register_nav(
    NavItem(
        label="Dispute register",
        url_name="dispute-register",
        visible=lambda user: policy.can(user, "view", REGISTER),
        order=66,
    )
)
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
register_panel(
    DashboardPanel(
        name="onward-to-decide",
        template="disclosures/panel_onward_to_decide.html",
        visible=lambda user: _person(user) and is_designated_manager(user),
        context=_onward_to_decide,
        order=7,
    )
)
register_panel(
    DashboardPanel(
        name="corrections-to-acknowledge",
        template="disclosures/panel_corrections.html",
        visible=lambda user: _person(user) and is_practitioner(user),
        context=_corrections_to_acknowledge,
        order=8,
    )
)
register_panel(
    DashboardPanel(
        name="dispute-actions",
        template="disclosures/panel_dispute_actions.html",
        visible=_may_act_in_disputes,
        context=_dispute_actions,
        order=9,
    )
)
