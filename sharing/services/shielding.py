"""Telling a shielding agency that someone reached one of its shielded children (the ContactPoint shield): once
per person, child and day, however many searches and page views, because the row that records it is unique."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from agencies.models import Role
from agencies.policy import principal
from isp_portal.notifications import NotificationDraft, notify_many
from isp_portal.rows import fetch
from isp_portal.wording import long_date

# Who at the shielding agency is told: its designated managers and admins.
TOLD_ROLES = [Role.DESIGNATED_MANAGER.value, Role.AGENCY_ADMIN.value]
# The people told: active memberships of active people in TOLD_ROLES, never a system account (an API token's
# user holds roles so that the policy applies to it, but nobody reads its notifications: DESIGN 4).
_TOLD = (
    "SELECT m.agency_id, m.user_id FROM agencies_membership m JOIN agencies_user u ON u.id = m.user_id "
    "WHERE m.is_active AND u.is_active AND NOT u.is_system AND m.agency_id = ANY(%s) AND m.roles && %s::varchar[]"
)


def told_at(agency_ids: Iterable[int]) -> list[tuple[int, int]]:
    """(agency id, user id) of the people told of a shielded child at each agency (_TOLD). One statement."""
    return [(row[0], row[1]) for row in fetch(_TOLD, [sorted(set(agency_ids)), TOLD_ROLES])]


def shielded_children_reached(*, actor: Any, reached: Iterable[tuple[int, int]], how: str) -> int:
    """Record that `actor` reached shielded children ((child id, shielding agency id) pairs) by `how` ("search",
    "record") and notify each shielding agency's designated managers and admins of the first time today.
    Returns how many were first today. At most three statements, however many children (DESIGN 3.3)."""
    # The shielding agency is not told of its own people (nor is a row needed to let them in: shield_open lets
    # the shielding agency in).
    user_id = getattr(actor, "pk", None)
    if user_id is None:
        return 0
    own = {m.agency_id for m in principal(actor).memberships}
    pairs = sorted({pair for pair in reached if pair[1] not in own})
    if not pairs:
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
    recipients = told_at(agencies)
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


def _tell_shielding_agency(*, actor: Any, agency_id: int, key: str, subject: str, body: str, link: str = "") -> int:
    """One notice to each person told at the shielding agency (told_at: designated managers and admins, people
    only), never to the actor; `key` is made unique per recipient, so it is sent once. Two statements."""
    me = getattr(actor, "pk", None)
    return notify_many(
        NotificationDraft(
            recipient_id=recipient_id, key=f"{key}:user-{recipient_id}", subject=subject, body=body, link=link
        )
        for _, recipient_id in told_at([agency_id])
        if recipient_id != me
    )


def shielded_involvement_added(*, actor: Any, child_id: int, agency_id: int, involvement_id: int, added: str) -> int:
    """Tell the shielding agency (`agency_id`: its designated managers and admins, people only, never the actor)
    that an involvement (`added`: "Riverside Primary: Nurture group") was added to its shielded child: an
    involvement opens the child's address and setting to the agency involved (sharing.policy.shield_withholds),
    so the agency that controls who may reach the child hears of each one. Returns how many were told. Two
    statements."""
    who = getattr(actor, "full_name", "") or "A user"
    return _tell_shielding_agency(
        actor=actor,
        agency_id=agency_id,
        key=f"shielded-involvement:{involvement_id}",
        subject="An involvement was added to a shielded child",
        body=(
            f"{who} added the involvement of {added} to shielded child {child_id} on "
            f"{long_date(timezone.localdate())}. The agencies involved see the child's address and setting."
        ),
    )


def shielded_involvements_merged(
    *,
    actor: Any,
    child_id: int,
    merged_child_id: int,
    agency_id: int,
    merge_id: int,
    brought_in: Iterable[str],
    shielded_by: str = "",
) -> int:
    """Tell the shielding agency (`agency_id`) that a merge of two entries for the same child brought other
    agencies' involvements (`brought_in`: "Riverside Primary: Nurture group") onto its shielded child (kept as
    `child_id`): like an involvement added (shielded_involvement_added), each opens the child's address and
    setting to its agency, so the agency that controls who may reach the child hears of them, in one notice per
    merge. `shielded_by` names the agency whose shield the kept entry carries when it is not this one (both
    entries were shielded, by different agencies). Returns how many were told. Two statements."""
    who = getattr(actor, "full_name", "") or "A user"
    listed = "; ".join(brought_in)
    kept_shield = f" The kept entry stays shielded by {shielded_by}." if shielded_by else ""
    return _tell_shielding_agency(
        actor=actor,
        agency_id=agency_id,
        key=f"shielded-merge:{merge_id}:agency-{agency_id}",
        subject="A merge brought other agencies onto a shielded child",
        body=(
            f"{who} merged child {merged_child_id} and child {child_id} as the same child on "
            f"{long_date(timezone.localdate())}, keeping child {child_id}. The shielded child is now also "
            f"involved with {listed}, who see its address and setting.{kept_shield}"
        ),
        link=f"/children/{child_id}/",
    )
