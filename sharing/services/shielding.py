"""Telling a shielding agency that someone reached one of its shielded children (the ContactPoint shield): once
per person, child and day, however many searches and page views, because the row that records it is unique."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from agencies.models import Role
from isp_portal.notifications import NotificationDraft, notify_many
from isp_portal.rows import fetch
from isp_portal.wording import long_date

# Who at the shielding agency is told: its designated managers and admins.
TOLD_ROLES = [Role.DESIGNATED_MANAGER.value, Role.AGENCY_ADMIN.value]


def shielded_children_reached(*, actor: Any, reached: Iterable[tuple[int, int]], how: str) -> int:
    """Record that `actor` reached shielded children ((child id, shielding agency id) pairs) by `how` ("search",
    "record") and notify each shielding agency's designated managers and admins of the first time today.
    Returns how many were first today. At most three statements, however many children (DESIGN 3.3)."""
    pairs = sorted(set(reached))
    user_id = getattr(actor, "pk", None)
    if not pairs or user_id is None:
        return 0
    today = timezone.localdate()
    first = fetch(
        "INSERT INTO sharing_shieldedaccess (child_id, user_id, agency_id, on_date, first_at) "
        "SELECT child_id, %s, agency_id, %s, now() FROM unnest(%s::bigint[], %s::bigint[]) AS r(child_id, agency_id) "
        "ON CONFLICT (child_id, user_id, on_date) DO NOTHING RETURNING child_id, agency_id",
        [user_id, today, [pair[0] for pair in pairs], [pair[1] for pair in pairs]],
    )
    if not first:
        return 0
    agencies = sorted({agency_id for _, agency_id in first})
    recipients = fetch(
        "SELECT agency_id, user_id FROM agencies_membership WHERE is_active AND agency_id = ANY(%s) "
        "AND roles && %s::varchar[]",
        [agencies, TOLD_ROLES],
    )
    by_agency: dict[int, list[int]] = {}
    for agency_id, recipient_id in recipients:
        by_agency.setdefault(agency_id, []).append(recipient_id)
    who = getattr(actor, "full_name", "") or "A user"
    notify_many(
        NotificationDraft(
            recipient_id=recipient_id,
            key=f"shielded:{child_id}:user-{user_id}:{today.isoformat()}",
            subject="A shielded child's record was reached",
            body=(
                f"{who} reached the record of shielded child {child_id} by {how} on {long_date(today)}. "
                "The audit trail shows each access and its stated purpose."
            ),
            link="",
        )
        for child_id, agency_id in first
        for recipient_id in by_agency.get(agency_id, [])
    )
    return len(first)
