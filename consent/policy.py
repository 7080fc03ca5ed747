"""Who may record and read a child's consents (DESIGN 2.4, 3.2).

* **Practitioners and designated managers of an agency involved with the child** (an open involvement of one of
  their index agencies: sharing.policy.index_agencies, which already asks for a live signature, an agency that
  may share and valid training) record consents, withdrawals and reviews, read them and their evidence. A
  consent says who the child lives with and what a parent agreed to: it is the involved agencies' business,
  as the content of an entry is the originating agency's (Haringey 3.9).
* **The shield**: a shielded child's consents are reached on the child's own terms (sharing.policy.shield_open),
  so an id that answers 404 for the child answers 404 for its consents: for an auditor too, who reads consents
  by the child's id without the index (consent_child; break11d finding 12).
* **Auditors** read consents (of the agencies they audit; a partnership auditor every one) and never record.
* API tokens: deny by default (no token scope names consents; a consent is a person's judgement).

Out of scope answers 404; in scope but not allowed 403 (isp_portal.policy).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from agencies.policy import audited_agencies, is_auditor
from consent.models import ConsentEvidence, ConsentRecord
from isp_portal.policy import NotPermitted, OutOfScope, Policy, SystemActor, get_or_deny, register, require
from sharing.models import Child, Involvement
from sharing.policy import index_agencies, index_refusal, shield_open

NOT_INVOLVED = (
    "Only practitioners of an agency involved with this child can record or read its consents: add your agency's "
    "involvement first."
)


def consent_agencies(user: Any) -> frozenset[int]:
    """The agencies through which the user works with consents: their index agencies (people only)."""
    if getattr(user, "is_system", False):
        return frozenset()
    return index_agencies(user)


def involved_with(user: Any, child_id: int) -> frozenset[int]:
    """Which of the user's consent agencies are involved with the child now (one query; none when the user has
    no such agency)."""
    mine = consent_agencies(user)
    if not mine:
        return frozenset()
    return frozenset(
        Involvement.objects.filter(child_id=child_id, agency_id__in=mine, ended_on__isnull=True).values_list(
            "agency_id", flat=True
        )
    )


def _auditor_scope(user: Any) -> Q | None:
    if not is_auditor(user):
        return None
    audited = audited_agencies(user)
    return Q() if audited is None else Q(recorded_by_agency_id__in=audited)


def _practitioner_scope(user: Any, via: str = "") -> Q | None:
    mine = consent_agencies(user)
    if not mine:
        return None
    involved = Involvement.objects.filter(agency_id__in=mine, ended_on__isnull=True).values("child_id")
    return Q(**{f"{via}child_id__in": involved}) & shield_open(user, f"{via}child__")


@register
class ConsentRecordPolicy(Policy[ConsentRecord]):
    """`view` (read the record and its FHIR form): involved practitioners and auditors; `withdraw`, `review`,
    `attach_evidence`: involved practitioners, on a record not withdrawn nor erased (review and evidence: any
    record; the services refuse them on a closed one)."""

    model = ConsentRecord

    def scope(self, user: Any, action: str) -> Q | None:
        if isinstance(user, SystemActor):
            return Q()
        practitioner = _practitioner_scope(user)
        auditor = _auditor_scope(user) if action == "view" else None
        if practitioner is not None and auditor is not None:
            return practitioner | auditor
        return practitioner if practitioner is not None else auditor

    def in_scope(self, user: Any, obj: ConsentRecord) -> bool:
        if isinstance(user, SystemActor):
            return True
        condition = self.scope(user, "view")
        return condition is not None and ConsentRecord.objects.filter(condition, pk=obj.pk).exists()

    def permits(self, user: Any, action: str, obj: ConsentRecord | None) -> bool:
        if isinstance(user, SystemActor):
            return True
        if action == "view":
            return True
        if obj is None or action not in {"withdraw", "review", "attach_evidence"}:
            return False
        if not involved_with(user, obj.child_id):
            return False
        if action == "withdraw":
            # An erased record is shared with nobody (out of the index, counted nowhere), so there is nothing
            # left to withdraw from, and a reason written now would outlive the erasure (Southampton 8: records
            # "deleted/destroyed appropriately at the end of the retention period"; break11b finding 8).
            return obj.is_given and obj.withdrawal_or_none() is None and not obj.child.is_erased
        return True

    def reason(self, user: Any, action: str, obj: ConsentRecord | None) -> str:
        if obj is not None and action == "withdraw":
            if not obj.is_given:
                return "This record is a refusal: there is no consent to withdraw."
            if obj.withdrawal_or_none() is not None:
                return "This consent has already been withdrawn."
            if obj.child.is_erased:
                return (
                    "This child's record has been erased: it is shared with nobody, so there is no consent left to "
                    "withdraw."
                )
        if is_auditor(user) and not consent_agencies(user):
            return "Auditors read consents; only practitioners of an involved agency record them."
        return index_refusal(user) or NOT_INVOLVED

    def child_of(self, obj: ConsentRecord) -> int | None:
        return obj.child_id


@register
class ConsentEvidencePolicy(Policy[ConsentEvidence]):
    """The evidence file is read on its consent's terms: involved practitioners and auditors."""

    model = ConsentEvidence

    def scope(self, user: Any, action: str) -> Q | None:
        if isinstance(user, SystemActor):
            return Q()
        if action != "view":
            return None
        practitioner = _practitioner_scope(user, "consent__")
        auditor = _auditor_scope(user)
        if auditor is not None:
            audited = audited_agencies(user)
            auditor = Q() if audited is None else Q(consent__recorded_by_agency_id__in=audited)
        if practitioner is not None and auditor is not None:
            return practitioner | auditor
        return practitioner if practitioner is not None else auditor

    def permits(self, user: Any, action: str, obj: ConsentEvidence | None) -> bool:
        return action == "view"

    def child_of(self, obj: ConsentEvidence) -> int | None:
        return obj.consent.child_id


def require_may_record(actor: Any, child: Child) -> frozenset[int]:
    """Raise unless the actor may record a consent for `child`: OutOfScope (404) when the child is out of their
    reach (the shield; not an index user), NotPermitted (403) when no agency of theirs is involved with it.
    Returns the actor's agencies involved with the child (every agency for the portal's own processes)."""
    require(actor, "view", child)
    if isinstance(actor, SystemActor):
        return frozenset({0})
    involved = involved_with(actor, child.pk)
    if not involved:
        reason = NOT_INVOLVED
        if getattr(actor, "is_system", False):
            reason = "Consents are recorded by people: an API token cannot record one."
        elif is_auditor(actor) and not consent_agencies(actor):
            reason = "Auditors read consents; only practitioners of an involved agency record them."
        raise NotPermitted(
            action="record_consent",
            target_type="sharing.child",
            target_id=str(child.pk),
            reason=index_refusal(actor) or reason,
            child_id=child.pk,
        )
    return involved


def may_list(user: Any, child: Child) -> bool:
    """Whether the user may list the child's consents: an involved practitioner, or an auditor (whose list is
    narrowed to the agencies they audit by ConsentRecordPolicy's scope). The child itself must be in their
    reach for a practitioner (the caller asks ChildPolicy `view` first); an auditor lists by the child's id."""
    return is_auditor(user) or bool(involved_with(user, child.pk)) or isinstance(user, SystemActor)


def reads_by_child_id(user: Any) -> bool:
    """Whether the user is an auditor who does not use the index: they read a child's consents by its id, not
    through the child index (the child's own page is out of their scope)."""
    return is_auditor(user) and not index_agencies(user)


def consent_child(user: Any, pk: Any) -> Child:
    """The child whose consents are listed or recorded, or OutOfScope (404: missing and out of reach answer
    alike, and both are recorded as denials). An index user reaches it through the child policy
    (sharing.policy.ChildPolicy, the shield among it). An auditor who reads by the child's id reaches a child the
    shield leaves open to them (sharing.policy.shield_open: every unshielded child) or one whose consents they
    read (ConsentRecordPolicy's scope: those recorded by an agency they audit; a partnership auditor's, every
    one). So a shielded child none of whose consents they read answers as an id with no child, not with an empty
    list that tells the entry exists (the ContactPoint shield, DESIGN 2.3; break11d finding 12). One statement."""
    if not reads_by_child_id(user):
        return get_or_deny(user, Child.objects.all(), action="view", pk=pk)
    reached = shield_open(user)
    audited = _auditor_scope(user)
    if audited is not None:
        reached |= Q(pk__in=ConsentRecord.objects.filter(audited).values("child_id"))
    found = Child.objects.filter(reached, pk=pk).first()
    if found is None:
        raise OutOfScope(action="view", target_type="sharing.child", target_id=str(pk)[:64])
    return found
