"""Signed-in home page, notifications, and the public accessibility and privacy pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from isp_portal import policy
from isp_portal.models import Notification
from isp_portal.navigation import panels_for
from isp_portal.notifications import notification_mark_read


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """One page per person, built from the panels each app contributes for the user's roles."""
    has_role = bool(getattr(request.user, "role_summary", ""))
    return render(request, "dashboard/dashboard.html", {"panels": panels_for(request.user), "has_role": has_role})


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = policy.restrict(request.user, "view", Notification).order_by("-created_at", "-id")
    page = Paginator(notifications, 25).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = policy.get_or_deny(request.user, Notification, action="mark_read", pk=pk)
    notification_mark_read(actor=request.user, notification=notification)
    messages.success(request, "Notification marked as read.")
    if notification.link:
        return redirect(notification.link)
    return redirect("notifications")


def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/accessibility.html")


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/privacy.html")
