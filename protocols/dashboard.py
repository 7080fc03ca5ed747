"""The protocols app's navigation entries and the partnership dashboard panel."""

from __future__ import annotations

from typing import Any

from agencies.policy import has_any_role, is_partnership_admin
from isp_portal import policy
from isp_portal.navigation import DashboardPanel, NavItem, PageSection, register_nav, register_panel, register_section
from protocols.models import Meeting
from protocols.presenters import agency_signature_rows
from protocols.selectors import agency_signatures, partnership_overview


def _overview(user: Any) -> dict[str, Any]:
    return {"overview": partnership_overview()}


register_nav(NavItem(label="Protocols", url_name="protocol-list", visible=has_any_role, order=70))
register_nav(
    NavItem(label="Meetings", url_name="meeting-list", visible=lambda user: policy.can(user, "view", Meeting), order=75)
)
register_panel(
    DashboardPanel(
        name="protocols-overview",
        template="protocols/panel_overview.html",
        visible=is_partnership_admin,
        context=_overview,
        order=15,
    )
)


def _agency_signatures(user: Any, agency: Any) -> dict[str, Any] | None:
    """Issue 3: the agency's page shows the protocols it has signed (the page itself checked the user may
    see the agency; the register of signatures is open to every partner)."""
    signatures = agency_signatures(agency)
    return {"agency": agency, "signatures": signatures, "rows": agency_signature_rows(signatures)}


register_section(
    PageSection(
        name="protocols-agency-signatures",
        page="agency-detail",
        template="protocols/section_agency_signatures.html",
        context=_agency_signatures,
        order=20,
    )
)
