"""The core's entries in the navigation and the dashboard."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Window

from isp_portal.models import Notification
from isp_portal.navigation import DashboardPanel, NavItem, register_nav, register_panel


def _signed_in(user: Any) -> bool:
    return bool(user and user.is_authenticated)


def _notifications_context(user: Any) -> dict[str, Any]:
    # One statement: the five latest unread, each carrying the number of all unread (a window count), and only
    # the columns the panel shows.
    latest = list(
        Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)
        .annotate(unread=Window(Count("pk")))
        .order_by("-created_at")
        .only("subject", "created_at")[:5]
    )
    return {"unread_count": latest[0].unread if latest else 0, "latest": latest}


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
