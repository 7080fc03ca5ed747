"""Onward disclosure: requests to pass information on, the originator's decision, the onward disclosure, and the
sweep (issue 13; Southampton 10-11, 18 item 13; docs/after-disclosure-design.md 6.1).

Southampton 10: "secondary disclosure can only be permitted with the agreement of the information source provider".
So an agency that received information asks the agency it came from (onward_request_submit: only what it received,
at the revision received, to a third agency under the protocol they share); a designated manager of that agency
agrees or declines (onward_request_agree / _decline); the asker then passes it on within the agreement's life
(onward_request_disclose: an InformationRequest(kind='onward') raised and answered by the passer, like a referral,
approved by the originator's decider - design Q3 - and made by disclosures.services.making.disclosure_make with
the onward hooks of OnwardMaking). Every refusal here is a sentence naming the rule, before anything is written; the
database refuses the same (triggers disclosure_onward_agreed, disclosure_entry_onward_agreed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from agencies.models import Agency, User
from audit.services import DisclosureLogDraft, EventDraft, audit_record, audit_record_many
from consent.models import ConsentRecord
from disclosures import rules
from disclosures.models import (
    AnswerEntry,
    AnswerRecipient,
    Disclosure,
    DisclosureEntry,
    InformationRequest,
    OnwardRequest,
    OnwardRequestEntry,
    State,
)
from disclosures.onward_policy import agreement_refusal
from disclosures.policy import approver_refusal, content_ended
from disclosures.services import checks
from disclosures.services.answers import write_answer
from disclosures.services.making import disclosure_make
from disclosures.services.requests import request_terms
from isp_portal import bounds
from isp_portal.policy import SystemActor, require
from sharing.models import EntryRevision, RecordEntry
from sharing.services.grants_onward import entry_grants_give_onward

NOT_AGREED = (
    "An entry chosen was not agreed by the agency it came from, at the revision agreed: it cannot be passed on."
)
NOT_RECEIVED = "You can pass on only the entries your agency received, as they were when it received them."
PARENT_ENDED = "Your agency's access to this information has ended, so it cannot be passed on."


def _text(value: str, field: str, errors: dict[str, str], *, missing: str = "") -> str:
    value = (value or "").strip()
    if missing and not value:
        errors[field] = missing
    elif len(value) > bounds.REASON or "\x00" in value:
        errors[field] = f"Keep it to {bounds.REASON} characters, without NUL characters."
    return value


def originator_of(parent: Disclosure) -> int:
    """The agency whose entries a disclosure carries: its discloser's for a first disclosure, the onward request's
    originator for an onward one (every hop carries the originator's own entries: design 2.1)."""
    if parent.onward_request_id is None:
        return int(parent.from_agency_id)
    return int(OnwardRequest.objects.values_list("originator_agency_id", flat=True).get(pk=parent.onward_request_id))


def originator_agency_of(parent: Disclosure) -> Agency:
    """originator_of's agency itself, for the words that name who must agree (Southampton 10: the information source
    provider, not the agency that passed it on at a later hop; break13 F10)."""
    if parent.onward_request_id is None:
        return parent.from_agency
    return OnwardRequest.objects.select_related("originator_agency").get(pk=parent.onward_request_id).originator_agency


# The agencies each disclosure above a parent went from and to (hop <= MAX_ONWARD_HOPS: at most four rows).
_ANCESTOR_AGENCIES = """
WITH RECURSIVE up AS (
    SELECT parent_id, from_agency_id, to_agency_id FROM disclosures_disclosure WHERE id = %s
    UNION ALL
    SELECT d.parent_id, d.from_agency_id, d.to_agency_id FROM disclosures_disclosure d JOIN up ON d.id = up.parent_id
)
SELECT from_agency_id, to_agency_id FROM up
"""


def holders_of(parent: Disclosure) -> frozenset[int]:
    """Every agency the information of `parent` passed through to reach its recipient agency (rules.ParentFacts
    .holders): the parent's own from and to agency, and from the second hop on those of each disclosure above it (one
    statement then; none before)."""
    holders = {parent.from_agency_id, parent.to_agency_id}
    if parent.hop >= 2:
        with connection.cursor() as cursor:
            cursor.execute(_ANCESTOR_AGENCIES, [parent.pk])
            holders.update(agency for row in cursor.fetchall() for agency in row)
    return frozenset(holders)


def _parent_facts(parent: Disclosure, originator_id: int) -> rules.ParentFacts:
    return rules.ParentFacts(
        disclosure_id=parent.pk, hop=parent.hop, to_agency_id=parent.to_agency_id,
        originator_agency_id=originator_id, tiers=frozenset(parent.tiers), categories=frozenset(parent.categories),
        revisions=dict(DisclosureEntry.objects.filter(disclosure=parent).values_list("entry_id", "revision_id")),
        live=not content_ended(parent), retain_until=parent.retain_until, holders=holders_of(parent),
    )  # fmt: skip


def _onward_link(onward: OnwardRequest) -> str:
    return f"/onward/{onward.pk}/"


@transaction.atomic
def onward_request_submit(
    *,
    actor: Any,
    parent: Disclosure,
    entries: Sequence[RecordEntry],
    to_agency: Agency,
    purpose: str,
    tiers: Sequence[str],
    categories: Sequence[str] = (),
    need_to_know: str,
    consent_basis: str,
    consent: ConsentRecord | None = None,
    not_sought_reason: str = "",
    override_ground: str = "",
    legal_basis: str,
) -> OnwardRequest:
    """A named recipient of `parent` asks the agency the information came from to agree to pass `entries` on to
    `to_agency` (Southampton 10-11, 18 item 13). Only what their agency received, at the revision received
    (rules.onward_scope_refusals), to a third agency sharing a protocol version with theirs, on a basis the protocol
    allows (the request's own rules: request_terms, rules.legal_basis_refusal). Audit: onward.submit. The
    originator's designated managers are told."""
    require(actor, "pass_on", parent)  # another agency's disclosure: 404; not a live recipient: 403
    user = checks.user_of(actor)
    originator_id = originator_of(parent)
    facts = _parent_facts(parent, originator_id)
    wanted = {entry.pk: facts.revisions.get(entry.pk, 0) for entry in entries}  # 0: never a revision received
    errors = rules.onward_scope_refusals(
        parent=facts, entries=wanted, tiers=list(tiers), categories=list(categories), to_agency_id=to_agency.pk
    )
    terms: dict[str, Any] = {}
    if "to_agency" not in errors:
        try:
            terms = request_terms(
                child=parent.child, requester_agency=to_agency, holding_agency=parent.to_agency_id, purpose=purpose,
                tiers=tiers, categories=categories, need_to_know=need_to_know, urgency=rules.Urgency.ROUTINE,
                consent_basis=consent_basis, consent=consent, not_sought_reason=not_sought_reason,
                override_ground=override_ground,
            )  # fmt: skip
        except ValidationError as refused:
            for field, messages in refused.message_dict.items():
                errors.setdefault("to_agency" if field == "holding_agency" else field, messages[0])
    if terms and "legal_basis" not in errors:
        version = terms["protocol_version"]
        if legal_basis not in set(rules.LegalBasis):
            errors["legal_basis"] = "Choose the legal basis for passing it on."
        else:
            refusal = rules.legal_basis_refusal(
                basis=rules.ConsentBasis(terms["consent_basis"]),
                consent_form=terms["consent"].form if terms["consent"] is not None else None,
                not_sought_reason=terms["not_sought_reason"] or None,
                protocol_grounds=version.grounds_without_consent, tiers=terms["tiers"],
                chosen=rules.LegalBasis(legal_basis), citation=version.cite("consent"),
                requester_kind=terms["requester_agency"].kind,
            )  # fmt: skip
            if refusal:
                errors["legal_basis"] = refusal
    checks.errors_or_none(errors)
    version = terms["protocol_version"]
    now = timezone.now()
    onward = OnwardRequest.objects.create(
        parent_disclosure=parent, child_id=parent.child_id, from_agency_id=parent.to_agency_id,
        originator_agency_id=originator_id, to_agency=terms["requester_agency"], requester=user,
        purpose=terms["purpose"], need_to_know=terms["need_to_know"], tiers=terms["tiers"],
        categories=terms["categories"], consent_basis=terms["consent_basis"], consent=terms["consent"],
        not_sought_reason=terms["not_sought_reason"], override_ground=terms["override_ground"],
        legal_basis=legal_basis, submitted_at=now,
        due_on=rules.onward_due_on(timezone.localdate(now), version.response_working_days, nation=checks.nation()),
    )  # fmt: skip
    OnwardRequestEntry.objects.bulk_create(
        OnwardRequestEntry(onward_request=onward, parent_disclosure=parent, entry_id=entry_id, revision_id=revision)
        for entry_id, revision in sorted(wanted.items())
    )
    audit_record(
        kind="onward.submit", actor=actor, target=onward, child_id=onward.child_id, purpose=onward.purpose,
        detail={
            "parent_disclosure_id": parent.pk, "originator_agency_id": originator_id,
            "to_agency_id": to_agency.pk, "entry_ids": sorted(wanted), "tiers": onward.tiers,
            "legal_basis": legal_basis, "due_on": onward.due_on.isoformat(),
        },
    )  # fmt: skip
    checks.tell(
        checks.designated_managers(originator_id), key=f"onward-{onward.pk}",
        subject=f"{parent.to_agency} asks to pass on your information",
        body=f"{parent.to_agency} asks to pass information your agency disclosed on to {to_agency}. Nothing is "
        f"passed on unless your agency agrees: decide by {onward.due_on.day} {onward.due_on:%B %Y}.",
        link=_onward_link(onward),
    )  # fmt: skip
    return onward


def _locked(onward: OnwardRequest) -> OnwardRequest:
    return (
        OnwardRequest.objects.select_for_update(of=("self",))
        .select_related(
            "parent_disclosure__protocol_version", "parent_disclosure__child", "child", "from_agency", "to_agency"
        )
        .get(pk=onward.pk)
    )


@transaction.atomic
def onward_request_agree(*, actor: Any, onward: OnwardRequest, conditions: str = "") -> OnwardRequest:
    """A designated manager of the originating agency agrees (Southampton 10), with any conditions (copied into the
    onward disclosure's terms). The agreement may be used until rules.agreement_until (one response time, never
    past the parent's retention). A second decision waits on the row lock and is refused naming the first. Audit:
    onward.agree; the requester is told."""
    onward = _locked(onward)
    require(actor, "decide", onward)
    errors: dict[str, str] = {}
    conditions = _text(conditions, "conditions", errors)
    # Agreeing is no closing action: about an erased record it is refused, conditions or none (checks.text_about:
    # the conditions would be new free text about the child; breakt1311 F2).
    checks.text_about(onward.child, conditions, field="conditions")
    parent = onward.parent_disclosure
    if content_ended(parent):
        errors["parent_disclosure"] = (
            "The disclosure this would pass on was revoked or its retention ended: there is nothing to agree to."
        )
    restricted = (
        OnwardRequestEntry.objects.filter(onward_request=onward).filter(entry__is_restricted=True).exists()
        or OnwardRequestEntry.objects.filter(onward_request=onward, revision__is_restricted=True).exists()
    )
    refusal = approver_refusal(
        actor, child_area=parent.child.area_id, agency_id=onward.originator_agency_id, restricted=restricted
    )
    if refusal:
        errors["decided_by"] = refusal
    checks.errors_or_none(errors)
    now = timezone.now()
    onward.state = rules.OnwardState.AGREED
    onward.decided_by, onward.decided_at, onward.conditions = actor, now, conditions
    onward.agreement_until = rules.agreement_until(
        now, parent.protocol_version.response_working_days, parent.retain_until, nation=checks.nation(),
        tz=timezone.get_current_timezone(),
    )  # fmt: skip
    onward.save(update_fields=["state", "decided_by", "decided_at", "conditions", "agreement_until"])
    audit_record(
        kind="onward.agree", actor=actor, target=onward, child_id=onward.child_id, purpose=onward.purpose,
        detail={"agreement_until": onward.agreement_until.isoformat(), "with_conditions": bool(conditions)},
    )  # fmt: skip
    checks.tell(
        [onward.requester_id], key=f"onward-agreed-{onward.pk}",
        subject=f"You may pass the information on to {onward.to_agency}",
        body="The agency the information came from agreed. Pass it on from the onward request's page, keeping to "
        "any conditions it set.",
        link=_onward_link(onward),
    )  # fmt: skip
    return onward


@transaction.atomic
def onward_request_decline(*, actor: Any, onward: OnwardRequest, reason: str, detail: str = "") -> OnwardRequest:
    """A designated manager of the originating agency declines, with a reason (Buckinghamshire 5; detail required
    for 'other'). Once the child's record is erased it may still be declined, any detail stored as erased
    (checks.text_about: breakt13g F1-F3). Audit: onward.decline; the requester is told."""
    onward = _locked(onward)
    require(actor, "decide", onward)
    errors: dict[str, str] = {}
    if reason not in {value.value for value in rules.ONWARD_DECLINE_REASONS}:
        errors["decline_reason"] = "Choose why the information may not be passed on."
    detail = _text(
        detail, "decline_detail", errors,
        missing="Say why the information may not be passed on." if reason == rules.DeclineReason.OTHER else "",
    )  # fmt: skip
    checks.errors_or_none(errors)
    detail = checks.text_about(onward.child, detail, field="decline_detail", closes=True)
    onward.state = rules.OnwardState.DECLINED
    onward.decided_by, onward.decided_at = actor, timezone.now()
    onward.decline_reason, onward.decline_detail = reason, detail
    onward.save(update_fields=["state", "decided_by", "decided_at", "decline_reason", "decline_detail"])
    audit_record(
        kind="onward.decline", actor=actor, target=onward, child_id=onward.child_id, purpose=onward.purpose,
        detail={"decline_reason": reason},
    )  # fmt: skip
    checks.tell(
        [onward.requester_id], key=f"onward-declined-{onward.pk}",
        subject="The information may not be passed on",
        body=f"The agency the information came from did not agree to it being passed on to {onward.to_agency}.",
        link=_onward_link(onward),
    )  # fmt: skip
    return onward


@transaction.atomic
def onward_request_withdraw(*, actor: Any, onward: OnwardRequest, reason: str) -> OnwardRequest:
    """The requester withdraws a waiting or agreed onward request, saying why (once the child's record is erased,
    still withdrawn, its reason stored as erased: checks.text_about). Audit: onward.withdraw; the
    originator's decider (or its designated managers, before a decision) is told."""
    onward = _locked(onward)
    require(actor, "withdraw", onward)
    errors: dict[str, str] = {}
    reason = _text(reason, "reason", errors, missing="Say why you no longer need to pass it on.")
    checks.errors_or_none(errors)
    reason = checks.text_about(onward.child, reason, field="reason", closes=True)
    onward.state = rules.OnwardState.WITHDRAWN
    onward.withdrawn_at, onward.withdraw_reason = timezone.now(), reason
    onward.save(update_fields=["state", "withdrawn_at", "withdraw_reason"])
    audit_record(kind="onward.withdraw", actor=actor, target=onward, child_id=onward.child_id)
    told = [onward.decided_by_id] if onward.decided_by_id else checks.designated_managers(onward.originator_agency_id)
    checks.tell(
        told, key=f"onward-withdrawn-{onward.pk}", subject="An onward request was withdrawn",
        body="The person who asked to pass your agency's information on no longer needs to.", link=_onward_link(onward),
    )  # fmt: skip
    return onward


@dataclass(frozen=True)
class OnwardMaking:
    """What disclosures.services.making.disclosure_make does differently for an onward disclosure (its `onward`
    hooks): entries checked against the originator's agreement rather than the holding agency's record, the
    disclosure's parent, onward request and hop, grants given through what the passer holds
    (sharing.services.grants_onward), and the lineage columns of its log row and audit event."""

    onward: OnwardRequest
    parent: Disclosure

    def entries_refusal(
        self,
        request: InformationRequest,
        answered: Sequence[AnswerEntry],
        people: Sequence[AnswerRecipient],
        approver: User | None,
    ) -> dict[str, str]:
        """making.entries_refusal for an onward disclosure: exactly the entries and revisions agreed (not the
        holding agency's own: they are the originator's), about this child, of a category asked for; the approver
        (the originator's decider) may read them; each recipient may still receive them."""
        errors: dict[str, str] = {}
        agreed = set(
            OnwardRequestEntry.objects.filter(onward_request=self.onward).values_list("entry_id", "revision_id")
        )
        pairs = {(row.entry_id, row.revision_id) for row in answered}
        if pairs != agreed or any(row.entry.child_id != request.child_id for row in answered):
            errors["entries"] = NOT_AGREED
        elif any(row.entry.category not in request.categories for row in answered):
            errors["entries"] = "Pass on only the kinds of information agreed."
        restricted = sorted(
            {row.entry.agency_id for row in answered if row.entry.is_restricted or row.revision.is_restricted}
        )
        for agency_id in restricted if approver is not None else []:
            refusal = approver_refusal(approver, child_area=request.child.area_id, agency_id=agency_id, restricted=True)
            if refusal:
                errors["approver"] = refusal
                break
        for person in people:
            refusal = checks.recipient_refusal(
                person.user, agency=request.requester_agency, child=request.child, restricted_entry_agencies=restricted
            )
            if refusal:
                errors["recipients"] = refusal
                break
        return errors

    def disclosure_fields(self) -> dict[str, Any]:
        return {"parent": self.parent, "onward_request": self.onward, "hop": self.parent.hop + 1}

    def grants_write(
        self,
        *,
        actor: Any,
        entries: Sequence[RecordEntry],
        user: User,
        agency: Agency,
        purpose: str,
        expires_at: datetime,
        revisions: Mapping[int, int],
        disclosure_id: int,
        revision_entries: Mapping[int, int] | None = None,
        events: list[EventDraft] | None = None,
    ) -> Any:
        return entry_grants_give_onward(
            actor=actor, entries=entries, revisions=revisions, user=user, agency=agency, purpose=purpose,
            expires_at=expires_at, disclosure_id=disclosure_id, held_via=self.parent.pk, events=events,
        )  # fmt: skip

    def logged(self, draft: DisclosureLogDraft) -> DisclosureLogDraft:
        return replace(draft, parent_disclosure_id=self.parent.pk, onward_request_id=self.onward.pk)

    def audit_detail(self) -> dict[str, Any]:
        return {"parent_id": self.parent.pk, "onward_request_id": self.onward.pk}


@transaction.atomic
def onward_request_disclose(
    *,
    actor: Any,
    onward: OnwardRequest,
    recipients: Sequence[User],
    subject_told: str,
    subject_not_told_reason: str = "",
    retain_until: datetime | None = None,
    why_shared: str,
    proportionality: str,
    public_interest: str = "",
    why_without_consent: str = "",
    s29_form_reference: str = "",
) -> Disclosure:
    """The requester passes on what the originator agreed, to named people of the third agency, within the
    agreement's life (Southampton 10). Refused, naming the rule, before anything is written: not agreed (or
    declined, withdrawn, lapsed), the agreement ran out, the parent revoked or past retention, access longer than
    the parent's, a recipient who may not receive it, the decision record incomplete. Then, in this transaction: the
    onward request is marked disclosed (the disclosure's insert trigger requires it), the InformationRequest
    (kind onward) and its answer are written, and disclosure_make makes the disclosure with the onward hooks
    (OnwardMaking); corrections issued meanwhile reach the new recipients (correction_notices_catch_up). Audit:
    onward.disclose with disclosure.make; the recipients and the originator's designated managers are told."""
    onward = _locked(onward)
    require(actor, "disclose", onward)
    user = checks.user_of(actor)
    parent = (
        Disclosure.objects.select_for_update(of=("self",)).select_related("child").get(pk=onward.parent_disclosure_id)
    )
    errors: dict[str, str] = {}
    now = timezone.now()
    if content_ended(parent, now):
        errors["parent_disclosure"] = PARENT_ENDED
    refused = agreement_refusal(onward, now)
    if refused:
        errors["agreement"] = refused
    if retain_until is None:
        retain_until = parent.retain_until  # as long as the passer's agency holds it, never longer (Southampton 8)
    if retain_until <= now:
        errors["retain_until"] = "Access must last until a day in the future."
    else:
        longer = rules.onward_retain_until_refusal(retain_until, parent.retain_until)
        if longer:
            errors["retain_until"] = longer
    texts = {
        "why_shared": _text(why_shared, "why_shared", errors, missing="Say why the information is passed on."),
        "proportionality": _text(
            proportionality, "proportionality", errors, missing="Say why passing on this much is proportionate."
        ),
        "public_interest": _text(public_interest, "public_interest", errors),
        "why_without_consent": _text(why_without_consent, "why_without_consent", errors),
    }
    subject_not_told_reason = _text(subject_not_told_reason, "subject_not_told_reason", errors)
    basis = rules.LegalBasis(onward.legal_basis)
    if basis not in rules.CONSENT_BASES:
        unsaid = rules.without_consent_errors(
            basis, why=texts["why_without_consent"], proportionality=texts["proportionality"],
            public_interest=texts["public_interest"],
        )  # fmt: skip
        errors.update({field: words for field, words in unsaid.items() if field not in errors})
    s29_form_reference = (s29_form_reference or "").strip()
    s29 = rules.s29_reference_error(basis, s29_form_reference)
    if s29:
        errors["s29_form_reference"] = s29
    if subject_told not in set(rules.SubjectTold):
        errors["subject_told"] = "Say whether the child or family was told."
    else:
        told = rules.subject_told_error(rules.SubjectTold(subject_told), subject_not_told_reason)
        if told:
            errors["subject_not_told_reason"] = told
    people = list({person.pk: person for person in recipients}.values())
    if not people:
        errors["recipients"] = f"Choose the people of {onward.to_agency} who receive it."
    version = checks.shared_version(onward.to_agency, onward.from_agency)
    if version is None:
        errors["to_agency"] = checks.no_shared_version(onward.from_agency, onward.to_agency)
    checks.errors_or_none(errors)
    assert version is not None and onward.decided_by_id is not None
    onward.state, onward.disclosed_at = rules.OnwardState.DISCLOSED, now
    onward.save(update_fields=["state", "disclosed_at"])
    request = InformationRequest.objects.create(
        kind=rules.Kind.ONWARD, state=State.SUBMITTED, child_id=onward.child_id, requester=user,
        requester_agency=onward.to_agency, holding_agency=onward.from_agency, protocol_version=version,
        purpose=onward.purpose, tiers=onward.tiers, categories=onward.categories, need_to_know=onward.need_to_know,
        urgency=rules.Urgency.ROUTINE, consent_basis=onward.consent_basis, consent=onward.consent,
        not_sought_reason=onward.not_sought_reason, override_ground=onward.override_ground, submitted_at=now,
        due_on=None, answered_by=user, answered_at=now, needs_approval=True,
    )  # fmt: skip
    agreed = list(
        OnwardRequestEntry.objects.filter(onward_request=onward)
        .select_related("entry", "revision")
        .order_by("entry_id")
    )
    chosen: list[tuple[RecordEntry, EntryRevision]] = [(row.entry, row.revision) for row in agreed]
    decider = User.objects.get(pk=onward.decided_by_id)
    values = {
        "outcome": rules.Outcome.SHARE.value, "is_confidential": True,
        "consent_checked": onward.consent_basis, **texts,
        "what_agreed": bounds.truncated(
            f"Agreed by {decider} of the agency the information came from"
            + (f", on these conditions: {onward.conditions}" if onward.conditions else "."),
            bounds.REASON,
        ),
        "third_parties": "", "legal_basis": onward.legal_basis, "s29_form_reference": s29_form_reference,
        "subject_told": subject_told,
        "subject_not_told_reason": "" if subject_told == rules.SubjectTold.TOLD else subject_not_told_reason,
        "onward_terms": onward.conditions, "retain_until": retain_until,
    }  # fmt: skip
    answer = write_answer(user, request, values, chosen, people)
    event = EventDraft.of(
        onward, child_id=onward.child_id,
        detail={"parent_disclosure_id": parent.pk, "to_agency_id": onward.to_agency_id, "request_id": request.pk},
    )  # fmt: skip
    disclosure = disclosure_make(
        actor=actor, request=request, answer=answer, approver=decider, decided=[("onward.disclose", event)],
        onward=OnwardMaking(onward=onward, parent=parent),
    )  # fmt: skip
    checks.tell(
        checks.designated_managers(onward.originator_agency_id), key=f"onward-disclosed-{onward.pk}",
        subject=f"{onward.from_agency} passed your information on",
        body=f"{onward.from_agency} passed information your agency disclosed on to {onward.to_agency}, as your "
        "agency agreed.",
        link=f"/disclosures/{disclosure.pk}/lineage/",
    )  # fmt: skip
    return disclosure


# --- The sweep ------------------------------------------------------------------------------------------------

SWEEP_BATCH = 500

# Open onward requests whose parent disclosure was revoked or whose retention ended: what they rest on is gone.
# The batch is taken among those only, so older requests on live parents never crowd them out (break13 F13).
_LAPSE_ENDED = """
UPDATE disclosures_onwardrequest AS o SET state = 'lapsed', lapsed_at = %(now)s, lapse_reason = 'parent_ended'
WHERE o.state IN ('requested', 'agreed')
  AND o.id IN (SELECT r.id FROM disclosures_onwardrequest r
               JOIN disclosures_disclosure d ON d.id = r.parent_disclosure_id
               WHERE r.state IN ('requested', 'agreed')
                 AND (d.retain_until <= %(now)s OR EXISTS (
                     SELECT 1 FROM disclosures_disclosureevent e WHERE e.disclosure_id = d.id AND e.kind = 'revoked'))
               ORDER BY r.id LIMIT %(limit)s FOR UPDATE OF r SKIP LOCKED)
RETURNING o.id, o.requester_id, o.decided_by_id, o.child_id
"""
# Agreements not used in time (rules.agreement_until).
_LAPSE_UNUSED = """
UPDATE disclosures_onwardrequest SET state = 'lapsed', lapsed_at = %(now)s, lapse_reason = 'unused'
WHERE id IN (SELECT id FROM disclosures_onwardrequest WHERE state = 'agreed' AND agreement_until <= %(now)s
             ORDER BY id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)
RETURNING id, requester_id, decided_by_id, child_id
"""
_EXPIRE = """
UPDATE disclosures_onwardrequest SET state = 'expired', expired_at = %(now)s
WHERE state = 'requested' AND id = ANY(%(ids)s)
RETURNING id, requester_id, decided_by_id, child_id
"""


def _run(sql: str, params: Mapping[str, Any]) -> list[tuple[int, int, int | None, int]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


@transaction.atomic
def onward_requests_sweep(*, now: datetime, today: date) -> tuple[int, int]:
    """Overdue onward requests told (the originator's designated managers and the requester, once each), unanswered
    ones expired a second response time after they fell due (rules.onward_expires_on), unused agreements and those
    on ended parents lapsed, each told once: (rows changed, people notified). Guarded UPDATEs: a request answered
    meanwhile is left alone, and running it again changes and tells nothing new."""
    notified = 0
    due = list(
        OnwardRequest.objects.filter(state=rules.OnwardState.REQUESTED, due_on__lt=today)
        .select_related("parent_disclosure__protocol_version")
        .order_by("due_on", "pk")[:SWEEP_BATCH]
    )
    managers: dict[int, list[int]] = {}
    expire: list[int] = []
    for onward in due:
        days = onward.parent_disclosure.protocol_version.response_working_days
        if today > rules.onward_expires_on(onward.due_on, days, nation=checks.nation()):
            expire.append(onward.pk)
            continue
        if onward.originator_agency_id not in managers:
            managers[onward.originator_agency_id] = checks.designated_managers(onward.originator_agency_id)
        notified += checks.tell(
            [*managers[onward.originator_agency_id], onward.requester_id], key=f"onward-overdue-{onward.pk}",
            subject="An onward request is overdue",
            body="A request to pass information on has waited past its due date for the originating agency's answer.",
            link=_onward_link(onward),
        )  # fmt: skip
    params = {"now": now, "limit": SWEEP_BATCH}
    closed: list[tuple[str, list[tuple[int, int, int | None, int]]]] = [
        ("expired", _run(_EXPIRE, {**params, "ids": expire}) if expire else []),
        ("lapsed", _run(_LAPSE_ENDED, params)),
        ("lapsed", _run(_LAPSE_UNUSED, params)),
    ]
    events: list[EventDraft] = []
    for state, rows in closed:
        for onward_id, requester_id, _decider, child_id in rows:
            events.append(
                EventDraft("disclosures.onwardrequest", str(onward_id), f"Onward request {onward_id}", {"state": state},
                           child_id)
            )  # fmt: skip
            notified += checks.tell(
                [requester_id], key=f"onward-{state}-{onward_id}", subject=f"An onward request {state}",
                body=f"Your request to pass information on is {rules._ONWARD_STATE_WORDS[rules.OnwardState(state)]}.",
                link=f"/onward/{onward_id}/",
            )  # fmt: skip
    if events:
        audit_record_many(kind="onward.close", actor=_system(), events=events)
    return (len(events), notified)


def _system() -> SystemActor:
    return SystemActor("onward sweep")
