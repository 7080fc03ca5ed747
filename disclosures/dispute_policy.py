"""Who may see and act on disputes and the central register (issue 13; Southampton 13;
docs/after-disclosure-design.md 5).

WP1 stub, owned by WP4: registered so the model has a policy from the start, and denying everything to everyone but
the portal itself until WP4 writes the rules (the parties, assignees, advisers, both agencies' managers, the
register's keepers and auditors see a dispute; position, escalate, advise, decide, record, withdraw per design 3.3).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from disclosures.models import Dispute
from isp_portal.policy import RefusalPolicy, SystemActor, register

DISPUTE_ACTIONS = frozenset({"view", "position", "escalate", "advise", "decide", "record", "withdraw"})


@register
class DisputePolicy(RefusalPolicy[Dispute]):
    model = Dispute

    def scope(self, user: Any, action: str) -> Q | None:
        # Deny by default until WP4 writes the rules.
        return Q() if isinstance(user, SystemActor) else None

    def in_scope(self, user: Any, obj: Dispute) -> bool:
        return isinstance(user, SystemActor)

    def child_of(self, obj: Dispute) -> int | None:
        return obj.child_id
