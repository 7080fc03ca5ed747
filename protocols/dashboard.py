"""The protocols app's navigation entries and the partnership dashboard panel."""

from __future__ import annotations

from typing import Any

from agencies.policy import has_any_role, is_partnership_admin
from isp_portal.navigation import DashboardPanel, NavItem, register_nav, register_panel
from protocols.selectors import partnership_overview


def _overview(user: Any) -> dict[str, Any]:
    return {"overview": partnership_overview()}


register_nav(NavItem(label="Protocols", url_name="protocol-list", visible=has_any_role, order=70))
register_panel(
    DashboardPanel(
        name="protocols-overview",
        template="protocols/panel_overview.html",
        visible=is_partnership_admin,
        context=_overview,
        order=15,
    )
)
