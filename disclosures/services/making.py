"""Making a disclosure: the only writer of Disclosure (DESIGN 2.3; issue 12: "Disclosures"; design12 5.2).

Everything is checked again at the moment of disclosure - the agencies may still send and receive, the protocol
version both signed is still the one the request was made under, and consent, when the share rests on it, still
covers it (consent withdrawn after the request stops the disclosure and names the withdrawal), each entry is still
the holding agency's, about this child, of a category asked for, and each recipient may still receive it (an active
member with index access, authorised for restricted information when an entry is restricted now - it may have been
marked so since the answer), and an approver may read every entry they approve (Haringey 4.6; WYCPS restricted
indicators): entries_refusal, nothing written when one fails. Then, in one
transaction: the request is marked shared, the snapshot of the content is taken with its SHA-256, the disclosure,
its entries, recipients and snapshot are written, each recipient is granted exactly the disclosed entries at the
disclosed revisions until retention ends, the audit event and the disclosure-log row are written, and recipients are
told."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from agencies.identity import facts_annotations, remember_facts
from agencies.models import User
from agencies.policy import principal, roles_in_words
from audit.services import (
    DisclosureLogDraft,
    EventDraft,
    LogEntry,
    LogRecipient,
    disclosure_log_record_with_events,
    disclosure_log_sha256,
)
from disclosures import rules
from disclosures.models import (
    AnswerEntry,
    AnswerRecipient,
    Disclosure,
    DisclosureEntry,
    DisclosureRecipient,
    DisclosureSnapshot,
    InformationRequest,
    RequestAnswer,
    State,
)
from disclosures.policy import approver_refusal
from disclosures.services import checks
from disclosures.services.requests import SHIELDED_HOLDER
from isp_portal import rows
from sharing.policy import CLOSED_RECORD_SHARE, require_open_record, shield_admits_agency
from sharing.services.grants import entry_grants_write

if TYPE_CHECKING:  # issue 13: the onward hooks live with the onward services, which call this module
    from disclosures.services.onward import OnwardMaking


def _child_minimum(request: InformationRequest) -> dict[str, object]:
    """The child's minimum data as disclosed (Haringey 3.8), for the snapshot. The legal name as the request was
    read with its lock when it was (disclosures.services.answers.locked), else read now."""
    child = request.child
    if hasattr(request, "legal_given"):
        given, family = getattr(request, "legal_given", None) or "", getattr(request, "legal_family", None) or ""
    else:
        legal = child.names.filter(kind="legal").first()
        given, family = (legal.given, legal.family) if legal is not None else ("", "")
    return {
        "given": given,
        "family": family,
        "born_on": child.born_on,
        "gender": child.gender,
        "ethnicity": child.ethnicity,
        "languages": list(child.languages),
        "nhs_number": child.nhs_number or "",
    }


def _role_at(actor: Any, request: InformationRequest, discloser: User, agency_id: int) -> str:
    """The discloser's roles at the disclosing agency, in words, for the disclosure log (DESIGN 2.6: who, which agency,
    in what role). The discloser is usually the actor, whose principal is already loaded; at an approval, the
    request was read with them (disclosures.services.answers.locked)."""
    if getattr(actor, "pk", None) != discloser.pk and hasattr(request, "discloser_roles"):
        roles = request.discloser_roles
        return ", ".join(roles_in_words(roles)) if roles is not None else ""
    facts = principal(actor if getattr(actor, "pk", None) == discloser.pk else discloser).membership_in(agency_id)
    return ", ".join(facts.role_labels) if facts is not None else ""


def entries_refusal(
    request: InformationRequest,
    answered: list[AnswerEntry],
    people: list[AnswerRecipient],
    approver: User | None,
) -> dict[str, str]:
    """Why the answered entries can no longer be disclosed to these people, checked again at the moment of disclosure
    (the answer may be days old: an entry restricted or recategorised since, a recipient who left or lost their
    authorisation), as field errors; empty when all still holds. Restricted means restricted now or in the revision
    disclosed (sharing.policy.entry_access asks the entry's flag). An approver must be able to read what they approve
    (Haringey 4.6: the designated manager judges the disclosure): a restricted entry is approved only by a manager
    authorised for restricted information (WYCPS), so one who is not is refused with that rule, and the request
    waits for an authorised manager."""
    errors: dict[str, str] = {}
    child = request.child
    asked = set(request.categories)
    for row in answered:
        entry = row.entry
        if entry.child_id != request.child_id or entry.agency_id != request.holding_agency_id:
            errors["entries"] = "An entry chosen is no longer one of this agency's entries about the child."
            break
        if entry.category not in asked:
            errors["entries"] = (
                f"An entry chosen is now a {entry.get_category_display().lower()}, which this request did not ask "
                f"for: answer again."
            )
            break
    restricted = sorted(
        {row.entry.agency_id for row in answered if row.entry.is_restricted or row.revision.is_restricted}
    )
    refusals = [
        approver_refusal(approver, child_area=child.area_id, agency_id=agency_id, restricted=True)
        for agency_id in (restricted if approver is not None else [])
    ]
    if any(refusals):
        errors["approver"] = next(refusal for refusal in refusals if refusal)
    for person in people:
        refusal = checks.recipient_refusal(
            person.user, agency=request.requester_agency, child=child, restricted_entry_agencies=restricted
        )
        if refusal:
            errors["recipients"] = f"{refusal} Answer again with other recipients or other entries."
            break
    return errors


# The answer's entries and its recipients (with their facts), each read compiled once per process
# (isp_portal.rows.Compiled): the ORM's building of them was a fifth of an approval's CPU.
_ANSWERED = rows.Compiled(
    "answered_entries",
    lambda answer: (
        AnswerEntry.objects.filter(answer_id=answer).select_related("entry__child", "revision").order_by("entry_id")
    ),
    answer=rows.SLOT_ID,
)
_PEOPLE = rows.Compiled(
    "answered_recipients",
    lambda answer, today: (
        AnswerRecipient.objects.filter(answer_id=answer)
        .select_related("user")
        .annotate(**facts_annotations("user_id", today=today))
        .order_by("user_id")
    ),
    answer=rows.SLOT_ID,
    today=rows.SLOT_DAY,
)


def disclosure_make(
    *,
    actor: Any,
    request: InformationRequest,
    answer: RequestAnswer,
    approver: User | None,
    decided: Sequence[tuple[str, EventDraft]] = (),
    onward: OnwardMaking | None = None,
) -> Disclosure:
    """Make the disclosure `answer` decides (the request locked by the caller, inside its transaction). Raises
    ValidationError naming the rule when something no longer holds; the caller's transaction then rolls back and the
    request is as it was. `decided`: the caller's own audit events of the decision that makes it (kind, event: the
    approval, the answer), recorded first in the disclosure's one audit statement, with the request's purpose."""
    now = timezone.now()
    today = timezone.localdate(now)
    from_agency, to_agency = request.holding_agency, request.requester_agency
    refusal = checks.agencies_refusal(sender=from_agency, receiver=to_agency, tiers=request.tiers, on=today)
    if refusal:
        raise ValidationError({"holding_agency": refusal})
    # Checked again now: the record may have been closed since the answer (Southampton 8, 11; break11j finding 8).
    require_open_record(request.child, action="share", target=request, what=CLOSED_RECORD_SHARE)
    if not shield_admits_agency(request.child, from_agency.pk):
        # Checked again now: the agency's involvement with a shielded child may have ended since (break12b F9).
        raise ValidationError({"holding_agency": SHIELDED_HOLDER})
    version = checks.shared_version(to_agency, from_agency)
    if version is None or version.pk != request.protocol_version_id:
        raise ValidationError(
            {
                "protocol_version": (
                    f"This request was made under {request.protocol_version}, which is no longer the version in force "
                    f"that both agencies have signed: it cannot be shared under it."
                )
            }
        )
    covering = None
    if answer.legal_basis in rules.CONSENT_BASES:
        consents = checks.consent_answers(
            child=request.child, tiers=request.tiers, agency=to_agency, purpose=request.purpose, at=now
        )
        # The disclosure rests on the consent that covers it at this moment (the strictest tier's), not on the one
        # the request named, which may since have been withdrawn and replaced (Haringey 4.4: consent is the basis).
        covering = consents[0][1].consent if consents else None
        withdrawn = checks.consent_refusal(consents)
        if withdrawn:
            raise ValidationError(
                {"consent": f"{withdrawn} This cannot be shared on consent: answer again on another basis."}
            )
    if answer.retain_until is None or answer.retain_until <= now:
        raise ValidationError({"retain_until": "Access must last until a day in the future."})
    answered = _ANSWERED.rows(answer=int(answer.pk))
    # Each recipient with the memberships and training their check below asks about (one statement for them all).
    people = _PEOPLE.rows(answer=int(answer.pk), today=today)
    for row in people:
        remember_facts(row.user, row)
    refuse = entries_refusal if onward is None else onward.entries_refusal  # onward: exactly what was agreed
    checks.errors_or_none(refuse(request, answered, people, approver))
    # The request is shared first: the disclosure's insert trigger requires it (disclosure_needs_shared_request).
    request.state = State.SHARED
    fields = ["state"]
    if approver is not None:
        request.approver, request.approved_at = approver, now
        fields += ["approver", "approved_at"]
    request.save(update_fields=fields)
    header = rules.SnapshotHeader(
        from_agency_id=from_agency.pk, to_agency_id=to_agency.pk, child_id=request.child_id, tiers=request.tiers,
        categories=request.categories, purpose=request.purpose, legal_basis=answer.legal_basis,
        protocol_version_id=version.pk, made_at=now,
    )  # fmt: skip
    document = rules.snapshot_document(
        header,
        child=_child_minimum(request) if rules.Tier.MINIMUM in request.tiers else None,
        entries=[
            rules.SnapshotRevision(
                entry_id=row.entry_id, category=row.entry.category, agency_id=row.entry.agency_id,
                number=row.revision.number, fields=row.revision.fields, text=row.revision.text,
                basis=row.revision.basis, is_restricted=row.revision.is_restricted,
                recorded_at=row.revision.recorded_at, author_id=row.revision.author_id,
            )
            for row in answered
        ],
    )  # fmt: skip
    sha = rules.snapshot_sha256(document)
    assert request.answered_by is not None
    kind = rules.Kind(request.kind)
    review_due_at = None
    if kind == rules.Kind.EMERGENCY:
        review_due_at = rules.review_due_at(now, nation=checks.nation(), tz=timezone.get_current_timezone())
    disclosure = Disclosure.objects.create(
        request=request, answer=answer, kind=kind.value, child_id=request.child_id, from_agency=from_agency,
        to_agency=to_agency, discloser=request.answered_by, approver=approver, requester=request.requester,
        tiers=request.tiers, categories=request.categories, purpose=request.purpose, legal_basis=answer.legal_basis,
        s29_form_reference=answer.s29_form_reference,
        consent=covering,
        consent_basis=request.consent_basis, not_sought_reason=request.not_sought_reason,
        override_ground=request.override_ground, emergency_reason=answer.emergency_reason,
        subject_told=answer.subject_told, subject_not_told_reason=answer.subject_not_told_reason,
        onward_terms=answer.onward_terms, retain_until=answer.retain_until, protocol_version=version, made_at=now,
        review_due_at=review_due_at, snapshot_sha256=sha, **(onward.disclosure_fields() if onward else {}),
    )  # fmt: skip
    # Its entries, recipients and snapshot: one statement (isp_portal.rows.insert_together).
    rows.insert_together(
        [
            DisclosureEntry(disclosure=disclosure, entry_id=row.entry_id, revision_id=row.revision_id)
            for row in answered
        ],
        [
            DisclosureRecipient(
                disclosure=disclosure, user_id=row.user_id, agency_id=row.agency_id, via_team=row.via_team
            )
            for row in people
        ],
        [DisclosureSnapshot(disclosure=disclosure, document=document)],
    )
    grant_events: list[EventDraft] = []  # recorded below, with the disclosure's own event and log row
    if answered:
        # Each recipient is opened exactly the disclosed entries, at the disclosed revisions, until retention ends
        # (the grant check of the children issue: sharing.policy); the disclosure's id lets revocation end them.
        # Inside this transaction (it rolls back whole if a grant is refused); each revision is checked against
        # its entry as read with the answer above, a moment ago in this transaction.
        revisions = {row.entry_id: row.revision_id for row in answered}
        revision_entries = {row.revision.pk: row.revision.entry_id for row in answered}
        give = entry_grants_write if onward is None else onward.grants_write  # onward: through what is held
        for row in people:
            give(
                actor=actor, entries=[item.entry for item in answered], user=row.user, agency=to_agency,
                purpose=request.purpose, expires_at=answer.retain_until, revisions=revisions,
                disclosure_id=disclosure.pk, revision_entries=revision_entries, events=grant_events,
            )  # fmt: skip
    draft = DisclosureLogDraft(
        occurred_at=now, event_id=None, kind="made", disclosure_id=disclosure.pk, request_id=request.pk,
        disclosure_kind=kind.value, child_id=request.child_id, from_agency_id=from_agency.pk,
        from_agency_label=str(from_agency), discloser_id=request.answered_by.pk,
        discloser_label=str(request.answered_by),
        discloser_role=_role_at(actor, request, request.answered_by, from_agency.pk), requester_id=request.requester_id,
        requester_label=str(request.requester), to_agency_id=to_agency.pk, to_agency_label=str(to_agency),
        tiers=tuple(request.tiers), purpose=request.purpose, legal_basis=answer.legal_basis,
        consent_basis=request.consent_basis, subject_told=answer.subject_told, retain_until=answer.retain_until,
        protocol_version_id=version.pk, protocol_version_label=str(version), snapshot_sha256=sha, made_at=now,
        approver_id=approver.pk if approver is not None else None,
        approver_label=str(approver) if approver is not None else "",
        recipients=tuple(LogRecipient(row.user_id, str(row.user), row.via_team) for row in people),
        categories=tuple(request.categories),
        entries=tuple(LogEntry(row.entry_id, row.revision.number) for row in answered),
        s29_form_reference=answer.s29_form_reference,
        consent_record_id=disclosure.consent_id, not_sought_reason=request.not_sought_reason,
        override_ground=request.override_ground, emergency_reason=answer.emergency_reason,
    )  # fmt: skip
    draft = draft if onward is None else onward.logged(draft)
    made = EventDraft.of(
        disclosure, child_id=request.child_id,
        detail={
            "request_id": request.pk, "kind": kind.value, "legal_basis": answer.legal_basis,
            "to_agency_id": to_agency.pk, "entry_ids": [row.entry_id for row in answered],
            "recipient_ids": [row.user_id for row in people], "snapshot_sha256": sha,
            "log_sha256": disclosure_log_sha256(draft), **(onward.audit_detail() if onward else {}),
        },
    )  # fmt: skip
    # The grants' entry.grant events, then disclosure.make, and the disclosure-log row naming it: one statement.
    disclosure_log_record_with_events(
        actor=actor, occurred_at=now, draft=draft,
        events=[*((kind, event, request.purpose) for kind, event in decided),
                *(("entry.grant", event, request.purpose) for event in grant_events),
                ("disclosure.make", made, request.purpose)],
    )  # fmt: skip
    overtaken = [row.entry_id for row in answered if row.revision.number < row.entry.revision_count]
    if overtaken:
        # Southampton 9: an entry corrected since it was answered (waiting for approval) or agreed (onward) is
        # disclosed as weighed, and its correction reaches this recipient at once (break13 F2). Imported here:
        # corrections imports the services that import this module.
        from disclosures.services.corrections import correction_notices_catch_up

        correction_notices_catch_up(entry_ids=overtaken, disclosure_id=disclosure.pk)
    checks.tell(
        [row.user_id for row in people], key=f"disclosure-{disclosure.pk}",
        subject=f"{from_agency} shared information with you",
        body="Information about a child was disclosed to you. Read it in the portal, and keep to its terms.",
        link=f"/disclosures/{disclosure.pk}/",
    )  # fmt: skip
    return disclosure
