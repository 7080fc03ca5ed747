"""Grants that open an entry's content to a person of another agency until they expire (DESIGN 3.2). The
disclosures of the sharing issue give them; sharing.policy.may_read_entry reads them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, User
from audit.services import audit_record
from isp_portal.policy import require
from isp_portal.wording import possessive
from sharing.models import EntryGrant, RecordEntry
from sharing.services.checks import reason_cleaned


@transaction.atomic
def entry_grants_give(
    *, actor: Any, entries: Iterable[RecordEntry], user: User, agency: Agency, purpose: str, expires_at: datetime
) -> list[EntryGrant]:
    """Open `entries` to `user` (as a member of `agency`) until `expires_at`. Only the agency that recorded an
    entry opens it. Audit: entry.grant, one per entry."""
    entries = list(entries)
    for entry in entries:
        require(actor, "history", entry)
    errors: dict[str, str] = {}
    now = timezone.now()
    if expires_at <= now:
        errors["expires_at"] = "The grant must end in the future."
    purpose = reason_cleaned(purpose, errors, field="purpose", missing="Say what the information is shared for.")
    if not user.memberships.filter(agency=agency, is_active=True).exists():
        errors["user"] = f"{user} is not one of {possessive(agency)} people."
    if errors:
        raise ValidationError(errors)
    grants = EntryGrant.objects.bulk_create(
        EntryGrant(
            entry=entry,
            user=user,
            agency=agency,
            purpose=purpose,
            granted_by=actor if isinstance(actor, User) else None,
            granted_at=now,
            expires_at=expires_at,
        )
        for entry in entries
    )
    for grant in grants:
        audit_record(
            kind="entry.grant",
            actor=actor,
            target=grant,
            child_id=grant.entry.child_id,
            purpose=purpose,
            detail={"entry_id": grant.entry_id, "user_id": user.pk, "agency_id": agency.pk},
        )
    return grants


@transaction.atomic
def entry_grant_revoke(*, actor: Any, grant: EntryGrant) -> EntryGrant:
    """End a grant at once (the agency that recorded the entry). Audit: entry.grant_revoke."""
    grant = EntryGrant.objects.select_for_update().select_related("entry__child").get(pk=grant.pk)
    require(actor, "history", grant.entry)
    if grant.revoked_at is None:
        grant.revoked_at = timezone.now()
        grant.save(update_fields=["revoked_at"])
        audit_record(kind="entry.grant_revoke", actor=actor, target=grant, child_id=grant.entry.child_id)
    return grant
