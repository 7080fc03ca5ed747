"""Access rules for the core's own records and pages (the mechanism is in isp_portal/policy.py)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from isp_portal.models import Notification
from isp_portal.policy import Policy, register


@register
class NotificationPolicy(Policy[Notification]):
    """A notification is its recipient's alone."""

    model = Notification

    def scope(self, user: Any, action: str) -> Q | None:
        if action in {"view", "mark_read"}:
            return Q(recipient_id=user.pk)
        return None

    def in_scope(self, user: Any, obj: Notification) -> bool:
        return bool(obj.recipient_id == user.pk)

    def permits(self, user: Any, action: str, obj: Notification | None) -> bool:
        return obj is not None and action in {"view", "mark_read"} and obj.recipient_id == user.pk
