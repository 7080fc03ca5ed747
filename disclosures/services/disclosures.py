"""Disclosures without a request - an emergency disclosure and a proactive referral - and what happens to a
disclosure afterwards: the review of an emergency disclosure, and revocation (issue 12: "Emergency disclosure",
"Proactive sharing"; design12 5.2).

A proactive referral and an emergency disclosure are each an InformationRequest made and answered by the discloser
(design12 F2: one approval queue, one set of constraints); the person sees "a disclosure without a request"."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Prefetch
from django.utils import timezone

from agencies.models import Agency, User
from audit.services import (
    DisclosureLogDraft,
    EventDraft,
    LogEntry,
    LogRecipient,
    audit_record,
    audit_record_many,
    disclosure_log_record,
    disclosure_log_sha256,
)
from consent.models import ConsentRecord
from disclosures import rules
from disclosures.models import (
    Disclosure,
    DisclosureEntry,
    DisclosureEvent,
    DisclosureRecipient,
    InformationRequest,
    State,
)
from disclosures.services import checks
from disclosures.services.answers import DecisionInput, answer_share_checks, write_answer
from disclosures.services.making import disclosure_make
from disclosures.services.requests import acting_agency_id, request_terms
from isp_portal import bounds
from isp_portal.policy import NotPermitted, require
from sharing.models import Child, RecordEntry
from sharing.services.grants import entry_grants_revoke_for_disclosure

EMERGENCY_BASES = frozenset({rules.LegalBasis.URGENT_MEDICAL, rules.LegalBasis.SIGNIFICANT_HARM})


def _unrequested(
    *,
    actor: Any,
    kind: rules.Kind,
    child: Child,
    to_agency: Agency,
    agency: Agency | None,
    purpose: str,
    tiers: Sequence[str],
    categories: Sequence[str],
    why: str,
    consent_basis: str,
    consent: ConsentRecord | None,
    not_sought_reason: str,
    override_ground: str,
    entries: Iterable[RecordEntry],
    legal_basis: str,
    decision: DecisionInput,
    subject_told: str,
    subject_not_told_reason: str,
    onward_terms: str,
    retain_until: datetime | None,
    recipients: Sequence[User],
    s29_form_reference: str,
    emergency_reason: str = "",
) -> Disclosure | InformationRequest:
    """The discloser's own request, answered as it is made; then the disclosure, or the approval queue."""
    require(actor, "view", child)
    user = checks.user_of(actor)
    from_agency = acting_agency_id(user, agency)
    terms = request_terms(
        child=child, requester_agency=to_agency, holding_agency=from_agency, purpose=purpose, tiers=tiers,
        categories=categories, need_to_know=why,
        urgency=rules.Urgency.EMERGENCY if kind == rules.Kind.EMERGENCY else rules.Urgency.URGENT,
        consent_basis=consent_basis, consent=consent, not_sought_reason=not_sought_reason,
        override_ground=override_ground,
    )  # fmt: skip
    if not recipients:
        raise ValidationError({"recipients": f"Choose the people of {to_agency} who receive it."})
    now = timezone.now()
    request = InformationRequest.objects.create(
        kind=kind, state=State.SUBMITTED, requester=user, submitted_at=now, due_on=None, answered_by=user,
        answered_at=now, **terms,
    )  # fmt: skip
    values, chosen, people, _seen = answer_share_checks(
        actor, request, entries=entries, legal_basis=legal_basis, s29_form_reference=s29_form_reference,
        decision=decision, subject_told=subject_told, subject_not_told_reason=subject_not_told_reason,
        onward_terms=onward_terms, retain_until=retain_until, recipients=recipients,
    )  # fmt: skip
    values["emergency_reason"] = emergency_reason
    answer = write_answer(user, request, values, chosen, people)
    needs = rules.approval_needed(tiers=request.tiers, legal_basis=rules.LegalBasis(legal_basis), kind=kind)
    request.needs_approval = needs
    if needs:
        request.state = State.AWAITING_APPROVAL
        request.save(update_fields=["state", "needs_approval"])
        checks.ask_approval(request, agency_id=from_agency, subject="A referral waits for your approval")
        return request
    request.save(update_fields=["needs_approval"])
    return disclosure_make(actor=actor, request=request, answer=answer, approver=None)


@transaction.atomic
def disclosure_emergency(
    *,
    actor: Any,
    child: Child,
    to_agency: Agency,
    recipients: Sequence[User],
    reason: str,
    legal_basis: str,
    decision: DecisionInput,
    purpose: str,
    tiers: Sequence[str],
    categories: Sequence[str] = (),
    entries: Iterable[RecordEntry] = (),
    why: str = "",
    subject_told: str = rules.SubjectTold.NOT_TOLD,
    subject_not_told_reason: str = "There was no time to tell them before the disclosure.",
    onward_terms: str = "",
    retain_until: datetime | None = None,
    agency: Agency | None = None,
) -> Disclosure:
    """Disclose at once for urgent medical treatment or an immediate risk of harm (issue 12), with the reason code.
    Consent is not sought (Barnet: unjustified delay); the basis is urgent medical treatment or significant harm.
    The disclosing agency's designated managers are alerted at once (email too); it must be reviewed within one
    working day (rules.review_due_at), or the deadline sweep escalates it. Audit: disclosure.emergency."""
    if reason not in set(rules.EmergencyReason):
        raise ValidationError({"reason": "Choose why this cannot wait: urgent medical treatment or immediate risk."})
    if legal_basis not in EMERGENCY_BASES:
        raise ValidationError(
            {"legal_basis": "An emergency disclosure rests on urgent medical treatment or significant harm."}
        )
    made = _unrequested(
        actor=actor, kind=rules.Kind.EMERGENCY, child=child, to_agency=to_agency, agency=agency, purpose=purpose,
        tiers=tiers, categories=categories, why=why or rules.EmergencyReason(reason).value.replace("_", " "),
        consent_basis=rules.ConsentBasis.NOT_SOUGHT, consent=None,
        not_sought_reason=rules.NotSoughtReason.UNJUSTIFIED_DELAY, override_ground="", entries=entries,
        legal_basis=legal_basis, decision=decision, subject_told=subject_told,
        subject_not_told_reason=subject_not_told_reason, onward_terms=onward_terms, retain_until=retain_until,
        recipients=recipients, s29_form_reference="", emergency_reason=reason,
    )  # fmt: skip
    assert isinstance(made, Disclosure)  # never waits for approval: reviewed afterwards instead
    audit_record(
        kind="disclosure.emergency", actor=actor, target=made, child_id=made.child_id, purpose=made.purpose,
        detail={"reason": reason, "review_due_at": made.review_due_at.isoformat() if made.review_due_at else None},
    )  # fmt: skip
    checks.tell(
        [pk for pk in checks.designated_managers(made.from_agency_id) if pk != made.discloser_id],
        key=f"emergency-{made.pk}", subject="An emergency disclosure to review",
        body="An emergency disclosure was made: review it by the end of the next working day.",
        link=f"/disclosures/{made.pk}/", email=True,
    )  # fmt: skip
    return made


@transaction.atomic
def disclosure_refer(
    *,
    actor: Any,
    child: Child,
    to_agency: Agency,
    recipients: Sequence[User],
    purpose: str,
    tiers: Sequence[str],
    categories: Sequence[str] = (),
    entries: Iterable[RecordEntry] = (),
    why: str,
    consent_basis: str,
    consent: ConsentRecord | None = None,
    not_sought_reason: str = "",
    override_ground: str = "",
    legal_basis: str,
    decision: DecisionInput,
    subject_told: str,
    subject_not_told_reason: str = "",
    onward_terms: str = "",
    retain_until: datetime | None = None,
    s29_form_reference: str = "",
    agency: Agency | None = None,
) -> Disclosure | InformationRequest:
    """Refer a concern to another agency without a request (issue 12: "Proactive sharing"): the same disclosure
    under the same rules, approval included (detailed and sensitive without consent waits for a designated manager:
    the referral is returned awaiting approval). Audit: disclosure.refer."""
    made = _unrequested(
        actor=actor, kind=rules.Kind.PROACTIVE, child=child, to_agency=to_agency, agency=agency, purpose=purpose,
        tiers=tiers, categories=categories, why=why, consent_basis=consent_basis, consent=consent,
        not_sought_reason=not_sought_reason, override_ground=override_ground, entries=entries,
        legal_basis=legal_basis, decision=decision, subject_told=subject_told,
        subject_not_told_reason=subject_not_told_reason, onward_terms=onward_terms, retain_until=retain_until,
        recipients=recipients, s29_form_reference=s29_form_reference,
    )  # fmt: skip
    audit_record(
        kind="disclosure.refer", actor=actor, target=made, child_id=child.pk, purpose=made.purpose,
        detail={"to_agency_id": to_agency.pk, "waits_for_approval": isinstance(made, InformationRequest)},
    )  # fmt: skip
    return made


# What a follow-up's disclosure-log row reads of its disclosure besides the row itself (follow_up_draft): two
# statements for any number of disclosures.
FOLLOW_UP_PREFETCH = (
    Prefetch("recipients", queryset=DisclosureRecipient.objects.select_related("user")),
    Prefetch("entries", queryset=DisclosureEntry.objects.select_related("revision")),
)


def follow_up_draft(
    disclosure: Disclosure, *, kind: str, occurred_at: datetime, actor: User | None, outcome: str = ""
) -> DisclosureLogDraft:
    """The disclosure-log row of a follow-up (reviewed, escalated, revoked, retention ended): the disclosure's own
    facts again, denormalised (the audit store reads no domain table), with who did it and when. `disclosure` comes
    with FOLLOW_UP_PREFETCH (its recipients and entries), so a batch of follow-ups costs no statement per row."""
    recipients = sorted(disclosure.recipients.all(), key=lambda row: row.user_id)
    entries = sorted(disclosure.entries.all(), key=lambda row: row.entry_id)
    return DisclosureLogDraft(
        occurred_at=occurred_at, event_id=None, kind=kind, disclosure_id=disclosure.pk,
        request_id=disclosure.request_id, disclosure_kind=disclosure.kind, child_id=disclosure.child_id,
        from_agency_id=disclosure.from_agency_id, from_agency_label=str(disclosure.from_agency),
        discloser_id=disclosure.discloser_id, discloser_label=str(disclosure.discloser),
        requester_id=disclosure.requester_id, requester_label=str(disclosure.requester),
        to_agency_id=disclosure.to_agency_id, to_agency_label=str(disclosure.to_agency),
        tiers=tuple(disclosure.tiers), purpose=disclosure.purpose, legal_basis=disclosure.legal_basis,
        consent_basis=disclosure.consent_basis, subject_told=disclosure.subject_told,
        retain_until=disclosure.retain_until, protocol_version_id=disclosure.protocol_version_id,
        protocol_version_label=str(disclosure.protocol_version), snapshot_sha256=disclosure.snapshot_sha256,
        made_at=disclosure.made_at, approver_id=disclosure.approver_id,
        approver_label=str(disclosure.approver) if disclosure.approver is not None else "",
        actor_id=actor.pk if actor is not None else None, actor_label=str(actor) if actor is not None else "",
        outcome=outcome,
        recipients=tuple(LogRecipient(row.user_id, str(row.user), row.via_team) for row in recipients),
        categories=tuple(disclosure.categories),
        entries=tuple(LogEntry(row.entry_id, row.revision.number) for row in entries),
        s29_form_reference=disclosure.s29_form_reference, consent_record_id=disclosure.consent_id,
        not_sought_reason=disclosure.not_sought_reason, override_ground=disclosure.override_ground,
        emergency_reason=disclosure.emergency_reason,
        parent_disclosure_id=disclosure.parent_id, onward_request_id=disclosure.onward_request_id,
    )  # fmt: skip


def _locked(disclosure: Disclosure) -> Disclosure:
    return (
        Disclosure.objects.select_for_update(of=("self",))
        .select_related("from_agency", "to_agency", "discloser", "requester", "approver", "protocol_version__protocol")
        .prefetch_related(*FOLLOW_UP_PREFETCH)
        .get(pk=disclosure.pk)
    )


def _follow_up(
    actor: Any, disclosure: Disclosure, *, kind: rules.FollowUp, outcome: str = "", note: str = ""
) -> DisclosureEvent:
    """Record a follow-up once (unique per disclosure and kind: a second is refused naming the first) with its
    disclosure-log row and audit event, in the caller's transaction."""
    user = checks.user_of(actor)
    now = timezone.now()
    try:
        with transaction.atomic():
            event = DisclosureEvent.objects.create(
                disclosure=disclosure, kind=kind.value, actor=user, discloser_id=disclosure.discloser_id, at=now,
                outcome=outcome, note=note,
            )  # fmt: skip
    except IntegrityError:
        raise NotPermitted(
            action=kind.value, target_type="disclosures.disclosure", target_id=str(disclosure.pk),
            reason=f"This disclosure was already {kind.value.replace('_', ' ')}.", child_id=disclosure.child_id,
        ) from None  # fmt: skip
    draft = follow_up_draft(disclosure, kind=kind.value, occurred_at=now, actor=user, outcome=outcome)
    event_id = audit_record(
        kind=f"disclosure.{'review' if kind == rules.FollowUp.REVIEWED else 'revoke'}", actor=actor,
        target=disclosure, child_id=disclosure.child_id, purpose=disclosure.purpose, occurred_at=now,
        detail={"outcome": outcome, "log_sha256": disclosure_log_sha256(draft)},
    )  # fmt: skip
    disclosure_log_record(draft=replace(draft, event_id=event_id))
    return event


def _note(note: str, *, required: str = "") -> str:
    note = (note or "").strip()
    if required and not note:
        raise ValidationError({"note": required})
    if len(note) > bounds.REASON or "\x00" in note:
        raise ValidationError({"note": f"Keep it to {bounds.REASON} characters, without NUL characters."})
    return note


@transaction.atomic
def disclosure_review(*, actor: Any, disclosure: Disclosure, outcome: str, note: str = "") -> DisclosureEvent:
    """A designated manager of the disclosing agency, not the discloser, reviews an emergency disclosure (issue 12:
    within one working day), once. Audit: disclosure.review; a disclosure-log row."""
    disclosure = _locked(disclosure)
    require(actor, "review", disclosure)
    if outcome not in set(rules.ReviewOutcome):
        raise ValidationError({"outcome": "Say whether you endorse the disclosure or raise concerns."})
    note = _note(note, required="Say what you found." if outcome == rules.ReviewOutcome.CONCERNS_RAISED else "")
    return _follow_up(actor, disclosure, kind=rules.FollowUp.REVIEWED, outcome=outcome, note=note)


@transaction.atomic
def disclosure_revoke(*, actor: Any, disclosure: Disclosure, reason: str) -> DisclosureEvent:
    """A designated manager of the disclosing agency revokes a disclosure: its recipients lose access at once (their
    grants end: sharing.services.grants.entry_grants_revoke_for_disclosure); what was disclosed stays recorded.
    Audit: disclosure.revoke; a disclosure-log row; the recipients are told."""
    disclosure = _locked(disclosure)
    require(actor, "revoke", disclosure)
    reason = _note(reason, required="Say why the disclosure is revoked.")
    event = _follow_up(actor, disclosure, kind=rules.FollowUp.REVOKED, note=reason)
    revoked = [disclosure]
    # Design Q4: what was passed on from it rested on it, so its live onward descendants are revoked with it
    # (Southampton 10: the agreement was to pass on what was held), nearest first; onward requests resting on any
    # of them lapse.
    for descendant_id in _live_descendants(disclosure.pk):
        descendant = _locked(Disclosure(pk=descendant_id))
        _follow_up(actor, descendant, kind=rules.FollowUp.REVOKED, note=SOURCE_REVOKED)
        revoked.append(descendant)
    for each in revoked:
        entry_grants_revoke_for_disclosure(actor=actor, disclosure_id=each.pk)
    lapse_on_parents_ended(actor=actor, disclosure_ids=[each.pk for each in revoked])
    for each in revoked:
        checks.tell(
            each.recipients.values_list("user_id", flat=True), key=f"disclosure-revoked-{each.pk}",
            subject=f"{each.from_agency} revoked a disclosure",
            body="Information disclosed to you was revoked: you can no longer read it. Do not use it further.",
            link=f"/disclosures/{each.pk}/",
        )  # fmt: skip
    return event


SOURCE_REVOKED = "Its source was revoked: what was passed on from it is revoked with it."
# The live onward descendants of a disclosure, nearest first: one statement, bounded twice (the hop CHECK and the
# depth here).
_LIVE_DESCENDANTS = """
WITH RECURSIVE down AS (
    SELECT id, 0 AS depth FROM disclosures_disclosure WHERE id = %(start)s
    UNION ALL
    SELECT d.id, down.depth + 1 FROM disclosures_disclosure d JOIN down ON d.parent_id = down.id
    WHERE down.depth < %(max)s
)
SELECT down.id FROM down JOIN disclosures_disclosure d ON d.id = down.id
WHERE down.depth > 0 AND d.retain_until > now() AND NOT EXISTS (
    SELECT 1 FROM disclosures_disclosureevent e WHERE e.disclosure_id = d.id AND e.kind = 'revoked')
ORDER BY down.depth, down.id
"""


def _live_descendants(disclosure_id: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(_LIVE_DESCENDANTS, {"start": disclosure_id, "max": rules.MAX_ONWARD_HOPS})
        return [row[0] for row in cursor.fetchall()]


def lapse_on_parents_ended(*, actor: Any, disclosure_ids: Sequence[int]) -> int:
    """Lapse the open onward requests resting on `disclosure_ids` (revoked just now: design Q4), in the caller's
    transaction. One UPDATE and one audit statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE disclosures_onwardrequest SET state = 'lapsed', lapsed_at = now(), lapse_reason = 'parent_ended' "
            "WHERE parent_disclosure_id = ANY(%(ids)s) AND state IN ('requested', 'agreed') "
            "RETURNING id, requester_id, decided_by_id, child_id",
            {"ids": list(disclosure_ids)},
        )
        rows = cursor.fetchall()
    if rows:
        audit_record_many(
            kind="onward.close", actor=actor,
            events=[
                EventDraft("disclosures.onwardrequest", str(pk), f"Onward request {pk}", {"state": "lapsed"}, child)
                for pk, _requester, _decider, child in rows
            ],
        )  # fmt: skip
    return len(rows)
