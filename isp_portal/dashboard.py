"""The core's entries in the navigation and the dashboard."""

from __future__ import annotations

from typing import Any

from isp_portal.models import Notification
from isp_portal.navigation import DashboardPanel, NavItem, register_nav, register_panel


def _signed_in(user: Any) -> bool:
    return bool(user and user.is_authenticated)


def _notifications_context(user: Any) -> dict[str, Any]:
    unread = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)
    return {"unread_count": unread.count(), "latest": list(unread.order_by("-created_at")[:5])}


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
