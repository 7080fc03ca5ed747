"""Record entries: recording information against a child, and correcting it by a new revision (DESIGN 2.3;
Haringey 3.9; Barnet recording: fact or opinion)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, User
from audit.services import audit_record
from isp_portal import bounds
from isp_portal.policy import SystemActor, require
from sharing import rules
from sharing.models import Basis, Child, EntryRevision, RecordEntry
from sharing.policy import require_open_record, restricted_readers
from sharing.services.checks import reason_cleaned
from sharing.services.children import acting_agency, locked_child
from sharing.signals import entry_revised


def _content(
    category: str, fields: Mapping[str, object], text: str, basis: str, errors: dict[str, str], *, born_on: date
) -> dict[str, object]:
    cleaned: dict[str, object] = {}
    try:
        # Nothing about a child is dated before its birth, bar pre-birth child protection work
        # (rules.entry_date_before_birth_error).
        cleaned = rules.entry_fields_cleaned(category, fields, timezone.localdate(), born_on=born_on)
    except rules.EntryFieldsError as error:
        # A structured field's message is always `fields.<name>` (even a field called `category`); only the
        # entry's own inputs keep their names.
        errors.update(error.entry_errors)
        errors.update({f"fields.{name}": message for name, message in error.errors.items()})
    if len(text) > bounds.LONG_TEXT or bounds.has_nul(text):
        errors["text"] = f"Enter at most {bounds.LONG_TEXT} characters."
    if category == rules.Category.CASE_NOTE and not text.strip():
        errors["text"] = "Write the case note."
    if basis not in Basis.values:
        errors["basis"] = "Say whether this is fact or professional opinion."
    return cleaned


@transaction.atomic
def entry_record(
    *,
    actor: Any,
    child: Child,
    agency: Agency,
    category: str,
    fields: Mapping[str, object],
    text: str = "",
    basis: str,
    restricted: bool = False,
) -> RecordEntry:
    """Record information about a child for one of the actor's agencies, with its first revision. The agency
    must be involved with the child (an open involvement). The category's structured fields are checked
    (sharing.rules.CATEGORY_FIELDS); a Schedule One indicator is always restricted. Refused on `child` when the
    child was merged away meanwhile: the child's row is locked first, so an entry never lands on a merged-away
    duplicate (locked_child, break10g finding 4). Audit: entry.record (the category, never the content)."""
    child = locked_child(child)
    require(actor, "record_entry", child)
    acting_agency(actor, agency)
    errors: dict[str, str] = {}
    if not child.involvements.filter(agency=agency, ended_on__isnull=True).exists():
        errors["agency"] = f"{agency} is not involved with this child: add your involvement first."
    cleaned = _content(category, fields, text, basis, errors, born_on=child.born_on)
    if errors:
        raise ValidationError(errors)
    is_restricted = rules.entry_is_restricted(category, restricted)
    user = actor if isinstance(actor, User) else None
    now = timezone.now()
    entry = RecordEntry.objects.create(
        child=child,
        agency=agency,
        category=category,
        is_restricted=is_restricted,
        revision_count=1,
        created_by=user,
        created_at=now,
        updated_at=now,
    )
    revision = EntryRevision.objects.create(
        entry=entry,
        number=1,
        fields=cleaned,
        text=text.strip(),
        basis=basis,
        is_restricted=is_restricted,
        author=user,
        recorded_at=now,
    )
    audit_record(
        kind="entry.record",
        actor=actor,
        target=entry,
        child_id=child.pk,
        detail={"category": category, "restricted": is_restricted, "basis": basis, "revision_id": revision.pk},
    )
    return entry


@transaction.atomic
def entry_revise(
    *,
    actor: Any,
    entry: RecordEntry,
    fields: Mapping[str, object],
    text: str = "",
    basis: str,
    restricted: bool | None = None,
    reason: str,
) -> EntryRevision:
    """Correct an entry by adding a revision (the originating agency): earlier revisions are never changed
    (Southampton 9). `restricted` None keeps the entry's restricted mark: lifting it is an explicit False, by
    someone authorised for restricted information who may know of the entry (sharing.policy.restricted_readers), and
    a Schedule One indicator stays restricted. Audit: entry.revise, with the mark before and after when it
    changes."""
    entry = RecordEntry.objects.select_for_update().select_related("child", "agency").get(pk=entry.pk)
    require(actor, "revise", entry)
    require_open_record(entry.child, action="revise", target=entry, what="its entries can no longer be corrected.")
    errors: dict[str, str] = {}
    cleaned = _content(entry.category, fields, text, basis, errors, born_on=entry.child.born_on)
    reason = reason_cleaned(reason, errors, field="reason", missing="Say what this correction changes and why.")
    marked = entry.is_restricted if restricted is None else restricted
    is_restricted = rules.entry_is_restricted(entry.category, marked)
    lifted = entry.is_restricted and not is_restricted
    if (
        lifted
        and not isinstance(actor, SystemActor)
        and not restricted_readers(actor, entry.child.area_id, entry.agency_id)
    ):
        # Barnet: victim information kept apart. Only those who may know of a restricted entry may judge that it
        # no longer needs to be kept apart (the policy already hides it from anyone else).
        errors["restricted"] = "Only staff authorised for restricted information may lift the restricted mark."
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    number = entry.revision_count + 1
    revision = EntryRevision.objects.create(
        entry=entry,
        number=number,
        fields=cleaned,
        text=text.strip(),
        basis=basis,
        is_restricted=is_restricted,
        change_reason=reason,
        author=actor if isinstance(actor, User) else None,
        recorded_at=now,
    )
    detail: dict[str, object] = {
        "revision": number,
        "revision_id": revision.pk,
        "restricted": is_restricted,
        "basis": basis,
    }
    if is_restricted != entry.is_restricted:
        # The change of mark is said in so many words, so an auditor finds every lifting of a restricted mark.
        detail["restricted_mark"] = "lifted" if entry.is_restricted else "set"
        detail["restricted_before"] = entry.is_restricted
    entry.revision_count = number
    entry.is_restricted = is_restricted
    entry.updated_at = now
    entry.save(update_fields=["revision_count", "is_restricted", "updated_at"])
    audit_record(kind="entry.revise", actor=actor, target=entry, child_id=entry.child_id, detail=detail)
    entry_revised.send(sender=RecordEntry, entry=entry, revision=revision, actor=actor)
    return revision
