"""The core's entries in the navigation and the dashboard."""

from __future__ import annotations

from typing import Any

from isp_portal.models import Notification
from isp_portal.navigation import DashboardPanel, NavItem, register_nav, register_panel
from isp_portal.rows import Statement, fetch, instance


def _signed_in(user: Any) -> bool:
    return bool(user and user.is_authenticated)


# One plain SQL statement (isp_portal/rows.py): the five latest unread, each carrying the number of all unread
# (a window count), and only the columns the panel shows.
_NOTIFICATIONS_SQL = Statement(
    "isp_panel_notifications",
    """
SELECT n.id, n.recipient_id, n.subject, n.created_at, count(*) OVER ()
FROM isp_portal_notification n WHERE n.recipient_id = %(user)s AND n.read_at IS NULL
ORDER BY n.created_at DESC, n.id DESC LIMIT 5
""",
)


def _notifications_context(user: Any) -> dict[str, Any]:
    rows = fetch(_NOTIFICATIONS_SQL, {"user": user.pk})
    latest = [instance(Notification, ("id", "recipient_id", "subject", "created_at"), row[:4]) for row in rows]
    return {"unread_count": rows[0][4] if rows else 0, "latest": latest}


register_nav(NavItem(label="Home", url_name="dashboard", visible=_signed_in, order=0))
register_nav(NavItem(label="Notifications", url_name="notifications", visible=_signed_in, order=90))
register_panel(
    DashboardPanel(
        name="notifications",
        template="dashboard/panel_notifications.html",
        visible=_signed_in,
        context=_notifications_context,
        order=10,
    )
)
