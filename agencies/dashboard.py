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
from isp_portal.rows import Statement, fetch, instance


def _your_roles(user: Any) -> dict[str, Any]:
    return {
        "memberships": principal(user).memberships,
        "training_until": training_valid_until(user),
        "training_gate": training_gate_reason(user),
        # Whose training gates what they do: an agency's people, and partnership admins, who search the child
        # index to merge duplicates (Buckinghamshire 4; issue 10 finding 5). From the principal: no statement.
        "training_gates": bool(agencies_of(user)) or is_partnership_admin(user),
    }


def _partnership(user: Any) -> dict[str, Any]:
    counts = Agency.objects.aggregate(
        active=Count("pk", filter=Q(status=AgencyStatus.ACTIVE)),
        suspended=Count("pk", filter=Q(status=AgencyStatus.SUSPENDED)),
        left=Count("pk", filter=Q(status=AgencyStatus.LEFT)),
    )
    people = Membership.objects.filter(is_active=True, user__is_system=False).values("user_id").distinct().count()
    return {"counts": counts, "people": people}


# The agencies the user administers (from the principal: the policy's answer), each with its active members
# (people, not system accounts), in one plain SQL statement (isp_portal/rows.py; docs/fast-pages.md).
_AGENCY_ADMIN_SQL = Statement(
    "isp_panel_agency_admin",
    """
SELECT a.id, a.name, a.status,
       (SELECT count(*) FROM agencies_membership m JOIN agencies_user u ON u.id = m.user_id
        WHERE m.agency_id = a.id AND m.is_active AND NOT u.is_system)
FROM agencies_agency a WHERE a.id = ANY(%(agencies)s) ORDER BY a.name, a.id
""",
)


def _agency_admin(user: Any) -> dict[str, Any]:
    agencies = sorted(principal(user).agencies_with("agency_admin"))
    rows = []
    for *columns, members in fetch(_AGENCY_ADMIN_SQL, {"agencies": agencies}) if agencies else []:
        agency = instance(Agency, ("id", "name", "status"), columns)
        agency.members = members  # type: ignore[attr-defined]
        rows.append(agency)
    return {"agencies": rows}


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
