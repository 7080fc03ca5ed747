"""The audit trail as a resource of the access policy, and its chain's state on the dashboard, for those allowed to
read it. Here rather than in the audit app, which is the ground floor and knows nothing of policy or pages: who may
read the trail is decided by the agencies app (it knows who is an auditor), which registers the rule."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from audit.anchoring import chain_state
from audit.models import AuditEvent, AuditSeal
from isp_portal.navigation import DashboardPanel, register_panel
from isp_portal.policy import Resource, can, resource_scope

AUDIT_TRAIL = Resource("audit-trail", "The audit trail and the chain's state")


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
        template="dashboard/audit_chain.html",
        visible=lambda user: can(user, "view", AUDIT_TRAIL),
        context=_context,
        order=50,
    )
)
