"""Who may see and act on onward requests (issue 13; Southampton 10-11; docs/after-disclosure-design.md 5).

WP1 stub, owned by WP2: registered so the model has a policy from the start, and denying everything to everyone but
the portal itself until WP2 writes the rules (view: the requester, the passing and originating agencies' people, the
decider, auditors as metadata; decide: a designated manager of the originator; withdraw and disclose: the requester).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from disclosures.models import OnwardRequest
from isp_portal.policy import RefusalPolicy, SystemActor, register

ONWARD_ACTIONS = frozenset({"view", "decide", "withdraw", "disclose"})


@register
class OnwardRequestPolicy(RefusalPolicy[OnwardRequest]):
    model = OnwardRequest

    def scope(self, user: Any, action: str) -> Q | None:
        # Deny by default: nothing is in scope for anyone but the portal itself until WP2 writes the rules.
        return Q() if isinstance(user, SystemActor) else None

    def in_scope(self, user: Any, obj: OnwardRequest) -> bool:
        return isinstance(user, SystemActor)

    def child_of(self, obj: OnwardRequest) -> int | None:
        return obj.child_id
