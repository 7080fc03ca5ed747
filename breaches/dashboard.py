"""The breaches app's navigation entry and dashboard panel (issue 14): "Breaches" for every signed-in person (the
list shows only the breaches the policy lets them see, an empty list for most), and the open steps of the breach
procedure the reader is responsible for, due soonest first (breaches.selectors.obligations_waiting: one statement)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from breaches import selectors
from breaches.policy import may_report, speaking_agencies
from isp_portal.navigation import DashboardPanel, NavItem, register_nav, register_panel


def _person(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and not getattr(user, "is_system", False)


def _may_be_responsible(user: Any) -> bool:
    """Those a step can wait for: whoever may report a breach (they notify the partners of theirs), and those who
    speak for an agency in the procedure (its report, the ICO decision)."""
    return _person(user) and (may_report(user) or bool(speaking_agencies(user)))


def _steps_waiting(user: Any) -> dict[str, Any]:
    rows = selectors.obligations_waiting(user)
    now = timezone.now()
    return {"rows": rows, "now": now, "more": len(rows) == selectors.PANEL_SIZE}


register_nav(NavItem(label="Breaches", url_name="breach-list", visible=_person, order=67))
register_panel(
    DashboardPanel(
        name="breach-steps",
        template="breaches/panel_steps.html",
        visible=_may_be_responsible,
        context=_steps_waiting,
        order=11,
    )
)
