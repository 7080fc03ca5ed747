"""The audit chain's state on the dashboard, for those allowed to read the audit trail."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from audit.access import AUDIT_TRAIL
from audit.models import AuditEvent, AuditSeal
from isp_portal.navigation import DashboardPanel, register_panel
from isp_portal.policy import can


def _context(user: Any) -> dict[str, Any]:
    last_seal = AuditSeal.objects.order_by("-last_seq").first()
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "last_seal": last_seal,
        "events_today": AuditEvent.objects.filter(occurred_at__gte=midnight).count(),
        "denials_today": AuditEvent.objects.filter(occurred_at__gte=midnight, outcome="denied").count(),
    }


register_panel(
    DashboardPanel(
        name="audit-chain",
        template="audit/panel_chain.html",
        visible=lambda user: can(user, "view", AUDIT_TRAIL),
        context=_context,
        order=50,
    )
)
