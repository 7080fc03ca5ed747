"""Grants an onward disclosure gives (issue 13; Southampton 10-11; docs/after-disclosure-design.md 6.1).

An onward disclosure passes on another agency's entries, which the passer may not `history` (only the agency that
recorded an entry opens it: sharing.services.grants). What stands in for that is the passer's own live grant of the
disclosure its agency received (`held_via`), at exactly the revisions passed on: nobody passes on what they do not
hold, nor a revision they were never shown. The originator's agreement itself is the disclosures app's to check
(disclosures.onward_policy; the database's disclosure_onward_agreed trigger holds it too).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from agencies.models import Agency, User
from agencies.policy import principal
from audit.services import EventDraft, audit_record_many
from isp_portal.wording import possessive
from sharing.models import EntryGrant, RecordEntry
from sharing.policy import live_grant_revisions
from sharing.services.checks import reason_cleaned

NOT_HELD = (
    "You can pass on only what you still hold from the disclosure your agency received, at the revisions it disclosed."
)


def onward_held_refusal(actor: Any, revisions: Mapping[int, int], *, held_via: int) -> str | None:
    """Why `actor` does not hold every entry of `revisions` (entry id -> revision id) through a live grant of the
    disclosure `held_via` at exactly that revision, or None. One query."""
    held = live_grant_revisions(actor, sorted(revisions), disclosure_id=held_via)
    if any(revision not in held.get(entry_id, frozenset()) for entry_id, revision in revisions.items()):
        return NOT_HELD
    return None


def _detail(grant: EntryGrant, user: User, agency: Agency, disclosure_id: int, held_via: int) -> dict[str, Any]:
    return {
        "entry_id": grant.entry_id, "user_id": user.pk, "agency_id": agency.pk, "revision_id": grant.revision_id,
        "disclosure_id": disclosure_id, "held_via": held_via,
    }  # fmt: skip


def entry_grants_give_onward(
    *,
    actor: Any,
    entries: Iterable[RecordEntry],
    revisions: Mapping[int, int],
    user: User,
    agency: Agency,
    purpose: str,
    expires_at: datetime,
    disclosure_id: int,
    held_via: int,
    events: list[EventDraft] | None = None,
) -> list[EntryGrant]:
    """Open `entries` to `user` (a member of `agency`) at exactly `revisions` until `expires_at`, for the onward
    disclosure `disclosure_id`, given by `actor`, who must hold them through the disclosure `held_via`
    (onward_held_refusal). Inside the caller's transaction: a refusal rolls it back whole. Audit: entry.grant, one per
    entry, into `events` when given (the disclosure's one audit statement), else recorded here."""
    entries = list(entries)
    errors: dict[str, str] = {}
    now = timezone.now()
    if expires_at <= now:
        errors["expires_at"] = "The grant must end in the future."
    purpose = reason_cleaned(purpose, errors, field="purpose", missing="Say what the information is shared for.")
    if not user.is_active or principal(user).membership_in(agency.pk) is None:
        errors["user"] = f"{user} is not one of {possessive(agency)} people."
    if {entry.pk for entry in entries} != set(revisions):
        errors["revisions"] = "A disclosure opens exactly the revision it disclosed: name the revision of every entry."
    elif not isinstance(actor, User) or onward_held_refusal(actor, revisions, held_via=held_via):
        errors["entries"] = NOT_HELD
    if errors:
        raise ValidationError(errors)
    grants = EntryGrant.objects.bulk_create(
        EntryGrant(
            entry=entry, user=user, agency=agency, purpose=purpose, granted_by=actor, granted_at=now,
            expires_at=expires_at, revision_id=revisions[entry.pk], disclosure_id=disclosure_id,
        )
        for entry in entries
    )  # fmt: skip
    drafts = [
        EventDraft.of(
            grant,
            detail=_detail(grant, user, agency, disclosure_id, held_via),
            child_id=grant.entry.child_id,
            purpose=purpose,
        )
        for grant in grants
    ]
    if events is not None:
        events.extend(drafts)
    else:
        audit_record_many(kind="entry.grant", actor=actor, events=drafts)
    return grants
