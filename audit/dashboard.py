"""The audit chain's state on the dashboard, for those allowed to read the audit trail."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from audit.access import AUDIT_TRAIL
from audit.anchoring import chain_state
from audit.models import AuditEvent, AuditSeal
from isp_portal.navigation import DashboardPanel, register_panel
from isp_portal.policy import can, resource_scope


def audit_trail_scope(user: Any) -> frozenset[int] | None:
    """The agencies whose events the user may count (None: all), as the agencies app decides."""
    scope = resource_scope(user, AUDIT_TRAIL)
    return None if scope is None else frozenset(scope)


def _context(user: Any) -> dict[str, Any]:
    last_seal = AuditSeal.objects.order_by("-last_seq").first()
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    today = AuditEvent.objects.filter(occurred_at__gte=midnight)
    # Counts of the part of the trail the reader may see: the whole partnership's for a partnership
    # auditor, their own agency's for an agency's auditor, Caldicott guardian or DPO (DESIGN 1, 2.6).
    visible = audit_trail_scope(user)
    if visible is not None:
        today = today.filter(actor_agency_id__in=visible)
    counts = today.aggregate(events=Count("pk"), denials=Count("pk", filter=Q(outcome="denied")))
    return {
        "last_seal": last_seal,
        "events_today": counts["events"],
        "denials_today": counts["denials"],
        "whole_partnership": visible is None,
        # The last verification (issue 15): a broken chain is every auditor's business, whatever their scope.
        "last_anchor": chain_state(),
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
