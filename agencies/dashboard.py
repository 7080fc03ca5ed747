"""The agencies app's dashboard panels: your agency and roles; the partnership at a glance."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from agencies.models import Agency, AgencyStatus, Membership, SignatoryRequirement
from agencies.policy import (
    agencies_of,
    has_any_role,
    is_agency_admin,
    is_partnership_admin,
    principal,
    training_gate_reason,
    training_valid_until,
)
from isp_portal import policy
from isp_portal.navigation import DashboardPanel, NavItem, register_nav, register_panel


def _your_roles(user: Any) -> dict[str, Any]:
    return {
        "memberships": principal(user).memberships,
        "training_until": training_valid_until(user),
        "training_gate": training_gate_reason(user),
        "in_an_agency": bool(agencies_of(user)),
    }


def _partnership(user: Any) -> dict[str, Any]:
    counts = Agency.objects.aggregate(
        active=Count("pk", filter=Q(status=AgencyStatus.ACTIVE)),
        suspended=Count("pk", filter=Q(status=AgencyStatus.SUSPENDED)),
        left=Count("pk", filter=Q(status=AgencyStatus.LEFT)),
    )
    people = Membership.objects.filter(is_active=True, user__is_system=False).values("user_id").distinct().count()
    return {"counts": counts, "people": people}


def _agency_admin(user: Any) -> dict[str, Any]:
    agencies = principal(user).agencies_with("agency_admin")
    rows = (
        Agency.objects.filter(pk__in=agencies)
        .annotate(
            members=Count("memberships", filter=Q(memberships__is_active=True, memberships__user__is_system=False))
        )
        .order_by("name")
        .only("name", "status")
    )
    return {"agencies": list(rows)}


register_nav(NavItem(label="Agencies", url_name="agency-list", visible=has_any_role, order=80))
register_nav(
    NavItem(
        label="Signatory requirements",
        url_name="requirement-list",
        visible=lambda user: policy.can(user, "view", SignatoryRequirement),
        order=85,
    )
)
register_panel(
    DashboardPanel(
        name="your-roles",
        template="agencies/panel_your_roles.html",
        visible=has_any_role,
        context=_your_roles,
        order=1,
    )
)
register_panel(
    DashboardPanel(
        name="partnership",
        template="agencies/panel_partnership.html",
        visible=is_partnership_admin,
        context=_partnership,
        order=20,
    )
)
register_panel(
    DashboardPanel(
        name="agency-admin",
        template="agencies/panel_agency_admin.html",
        visible=lambda user: is_agency_admin(user),
        context=_agency_admin,
        order=30,
    )
)
