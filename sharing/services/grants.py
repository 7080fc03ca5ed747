"""Grants that open an entry's content to a person of another agency until they expire (DESIGN 3.2). The
disclosures of the sharing issue give them; sharing.policy.may_read_entry reads them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from agencies.models import Agency, User
from agencies.policy import principal
from audit.services import EventDraft, audit_record, audit_record_many
from isp_portal.policy import require
from isp_portal.wording import possessive
from sharing.models import EntryGrant, EntryRevision, RecordEntry
from sharing.services.checks import reason_cleaned


@transaction.atomic
def entry_grants_give(
    *,
    actor: Any,
    entries: Iterable[RecordEntry],
    user: User,
    agency: Agency,
    purpose: str,
    expires_at: datetime,
    revisions: Mapping[int, int] | None = None,
    disclosure_id: int | None = None,
) -> list[EntryGrant]:
    """Open `entries` to `user` (as a member of `agency`) until `expires_at`, in a transaction (or savepoint) of its
    own: entry_grants_write says what is checked and written."""
    return entry_grants_write(
        actor=actor, entries=entries, user=user, agency=agency, purpose=purpose, expires_at=expires_at,
        revisions=revisions, disclosure_id=disclosure_id,
    )  # fmt: skip


def entry_grants_write(
    *,
    actor: Any,
    entries: Iterable[RecordEntry],
    user: User,
    agency: Agency,
    purpose: str,
    expires_at: datetime,
    revisions: Mapping[int, int] | None = None,
    disclosure_id: int | None = None,
    revision_entries: Mapping[int, int] | None = None,
    events: list[EventDraft] | None = None,
) -> list[EntryGrant]:
    """Open `entries` to `user` (as a member of `agency`) until `expires_at`. Only the agency that recorded an
    entry opens it. `revisions` (entry id -> revision id) names the revision each grant opens, and only that one:
    a correction recorded after a disclosure is not disclosed by it (DESIGN 2.3); an entry it does not name is
    opened at the revision current now, never at a later one (break10e finding 7: a grant opens what the agency
    decided to open). A grant given by a disclosure (`disclosure_id`) names
    the revision of every entry. Each revision must be of its entry (checked here in words, and by the database's
    composite foreign key). Audit: entry.grant, one per entry (one statement).

    Inside the caller's transaction, with no savepoint of its own: for a caller that rolls back whole when this
    refuses (disclosures.services.making); anyone else calls entry_grants_give. `revision_entries` (revision id ->
    entry id), when given, is what the caller read of the named revisions in this transaction (the disclosure's
    answered entries): the revisions are checked against it rather than read again. `events`, when given, receives
    the entry.grant events for the caller to record with its own, in this transaction (the disclosure's one audit
    statement: audit.services.disclosure_log_record_with_events); else they are recorded here."""
    entries = list(entries)
    for entry in entries:
        require(actor, "history", entry)
    errors: dict[str, str] = {}
    now = timezone.now()
    if expires_at <= now:
        errors["expires_at"] = "The grant must end in the future."
    purpose = reason_cleaned(purpose, errors, field="purpose", missing="Say what the information is shared for.")
    # The user's active memberships as their principal holds them (loaded once per request: a disclosure's
    # recipient check read them a moment ago).
    if not user.is_active or principal(user).membership_in(agency.pk) is None:
        errors["user"] = f"{user} is not one of {possessive(agency)} people."
    revisions = dict(revisions or {})
    revision_problem = _revisions_problem(entries, revisions, disclosure_id, revision_entries)
    if revision_problem:
        errors["revisions"] = revision_problem
    else:
        revisions.update(_current_revisions([entry for entry in entries if entry.pk not in revisions]))
    if disclosure_id is not None and disclosure_id <= 0:
        errors["disclosure_id"] = "A disclosure is named by its positive id."
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
            revision_id=revisions.get(entry.pk),
            disclosure_id=disclosure_id,
        )
        for entry in entries
    )
    drafts: list[EventDraft] = []
    for grant in grants:
        detail: dict[str, Any] = {"entry_id": grant.entry_id, "user_id": user.pk, "agency_id": agency.pk}
        if grant.revision_id is not None:
            detail["revision_id"] = grant.revision_id
        if disclosure_id is not None:
            detail["disclosure_id"] = disclosure_id
        drafts.append(EventDraft.of(grant, detail=detail, child_id=grant.entry.child_id, purpose=purpose))
    if events is not None:
        events.extend(drafts)
    else:
        audit_record_many(kind="entry.grant", actor=actor, events=drafts)
    return grants


def _current_revisions(entries: list[RecordEntry]) -> dict[int, int]:
    """Entry id -> the id of its revision current now (the highest number). One query when there are entries;
    the entries' rows are locked so a correction cannot slip in between this and the grant."""
    if not entries:
        return {}
    ids = [entry.pk for entry in entries]
    list(RecordEntry.objects.filter(pk__in=ids).select_for_update().values_list("pk", flat=True))
    return dict(
        EntryRevision.objects.filter(entry_id__in=ids)
        .order_by("entry_id", "-number")
        .distinct("entry_id")
        .values_list("entry_id", "pk")
    )


def _revisions_problem(
    entries: list[RecordEntry],
    revisions: dict[int, int],
    disclosure_id: int | None,
    revision_entries: Mapping[int, int] | None = None,
) -> str:
    """Why `revisions` cannot name what the grants open ("" when they can). One query when any is named and the
    caller did not read them (`revision_entries`)."""
    entry_ids = {entry.pk for entry in entries}
    if set(revisions) - entry_ids:
        return "A revision was named for an entry that is not being opened."
    if disclosure_id is not None and entry_ids - set(revisions):
        return "A disclosure opens exactly the revision it disclosed: name the revision of every entry."
    if not revisions:
        return ""
    found = (
        dict(revision_entries)
        if revision_entries is not None
        else dict(EntryRevision.objects.filter(pk__in=set(revisions.values())).values_list("pk", "entry_id"))
    )
    if any(found.get(revision_id) != entry_id for entry_id, revision_id in revisions.items()):
        return "Each revision named must be a revision of its own entry."
    return ""


# One statement: end every live grant of the disclosure and return what the audit rows need (auditlog does not
# see a queryset update(), so the events are written by audit_record_many).
_REVOKE_FOR_DISCLOSURE = """
UPDATE sharing_entrygrant AS g SET revoked_at = %s
FROM sharing_recordentry AS e
WHERE e.id = g.entry_id AND g.disclosure_id = %s AND g.revoked_at IS NULL
RETURNING g.id, g.entry_id, g.user_id, g.agency_id, e.child_id
"""


@transaction.atomic
def entry_grants_revoke_for_disclosure(*, actor: Any, disclosure_id: int) -> int:
    """End at once every live grant given by the disclosure `disclosure_id` (its revocation: the recipients stop
    seeing the entries at once, sharing.policy reads revoked_at on every check). The caller (the disclosures'
    revoke service) has decided the actor may revoke that disclosure. One UPDATE and one audit statement,
    whatever the number of grants. Returns how many were ended. Audit: entry.grant_revoke, one per grant."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_REVOKE_FOR_DISCLOSURE, [now, disclosure_id])
        rows = cursor.fetchall()
    audit_record_many(
        kind="entry.grant_revoke",
        actor=actor,
        events=[
            EventDraft(
                "sharing.entrygrant",
                grant_id,
                f"grant {grant_id} of entry {entry_id}",
                {"entry_id": entry_id, "user_id": user_id, "agency_id": agency_id, "disclosure_id": disclosure_id},
                child_id,
            )
            for grant_id, entry_id, user_id, agency_id, child_id in sorted(rows)
        ],
    )
    return len(rows)


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
