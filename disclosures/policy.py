"""Who may see and act on requests for information and on disclosures (DESIGN 2.3, 3.2; issue 12; design12 section 4).

* **A request** is seen by the person who made it and by the practitioners and designated managers of the agency
  it is made to (their index agencies: sharing.policy.index_agencies, which already asks for a live signature, an
  agency that may share and valid training). Not by the requester's colleagues, auditors (they read the disclosure
  log) or partnership admins.
* **Answering** is for a practitioner or designated manager of the holding agency who did not make the request, while
  it waits for an answer. **Approving** (Haringey 4.6-4.7) is for a designated manager of the holding agency, a
  person, who neither made the request nor answered it (the database holds this too:
  request_approver_separate), and who may read what they approve: a restricted entry only a manager authorised for
  restricted information (approver_refusal; the approvals queue and its notices offer a request only to those the
  policy lets approve it). **Withdrawing** is for the person who made it, while it is open.
* **A disclosure's page** (what, to whom, why, under which version) is seen by the disclosing agency's
  practitioners and managers, its approver, its requester and its named recipients; by the disclosing agency's
  Caldicott guardian for an emergency disclosure; by auditors as metadata only (never the content: DESIGN 1).
  **The decision record** is read by the disclosing (holding) agency's people only (decision_refusal), there and on
  the request's page alike.
  **The content** is read by the disclosing agency, and by a recipient only while one of the receiving agency's
  people in the index (recipient_refusal: a recipient who left it reads no more) and the disclosure lives (not revoked,
  within retention: its own state, so a minimum-data disclosure with no grant ends too) and, for its entries, while
  a grant *this* disclosure gave lives (sharing.policy.live_grants, disclosure_id: revoking one disclosure hides its
  content even while another disclosure of the same entry lives). Entry by entry, a restricted entry's content is
  shown only to those authorised for restricted information (WYCPS restricted indicators: sharing.policy.entry_access,
  the rule the record pages apply), the disclosing agency's own staff included (shown_entries).
  **Review** of an emergency disclosure: a designated manager of the disclosing agency, or its Caldicott guardian
  (the escalation sweep tells the guardian to review it: sweeps.emergency_escalation_sweep), never the person who
  made it.
  **Revoke**: a designated manager of the disclosing agency.

Out of scope answers 404, in scope but not allowed 403 with the rule that refused it (isp_portal.policy); every
denial is recorded once by the middleware or the API's handler.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from agencies.policy import audited_agencies, is_auditor, is_caldicott_or_dpo, is_designated_manager, principal
from disclosures import rules
from disclosures.models import AnswerEntry, Disclosure, DisclosureEvent, DisclosureRecipient, InformationRequest
from isp_portal.policy import RefusalPolicy, SystemActor, register
from sharing.models import RecordEntry
from sharing.policy import (
    EntryAccess,
    EntryFacts,
    entry_access,
    index_agencies,
    live_grants,
    member_agencies,
    restricted_readers,
)

REQUEST_ACTIONS = frozenset({"view", "read_decision", "answer", "approve", "decline_approval", "withdraw"})
DISCLOSURE_ACTIONS = frozenset({"view", "read_content", "read_decision", "review", "revoke", "pass_on", "lineage"})
# Issue 13: what the originating agency of an onward disclosure reaches of it (Southampton 11: the originator is
# recorded against the information, both ways) - its metadata and lineage, never its content by that route.
ORIGINATOR_ACTIONS = frozenset({"view", "lineage"})


def _person(user: Any) -> bool:
    """A person, not an agency system's API token (DESIGN 4: approval and review are human decisions)."""
    return not getattr(user, "is_system", False)


# An answered entry counts as restricted when it is restricted now or was in the revision answered (the rule the
# record pages apply: sharing.policy.entry_access asks the entry's flag).
_RESTRICTED_ANSWERED = Q(entry__is_restricted=True) | Q(revision__is_restricted=True)
APPROVER_NOT_AUTHORISED = (
    "An entry to be shared is restricted: only a designated manager authorised for restricted information can "
    "approve sharing it (a manager must be able to read what they approve)."
)


def restricted_answered() -> Exists:
    """Whether a request's answer shares a restricted entry, as an expression a selector annotates its requests with
    (as `answers_restricted`), so that asking the policy about each of them costs no statement."""
    return Exists(AnswerEntry.objects.filter(_RESTRICTED_ANSWERED, answer__request_id=OuterRef("pk")))


def answers_restricted(request: InformationRequest) -> bool:
    """Whether `request`'s answer shares a restricted entry: the selector's annotation when it made one, else one
    query, kept on the object."""
    known = getattr(request, "answers_restricted", None)
    if known is None:
        known = AnswerEntry.objects.filter(_RESTRICTED_ANSWERED, answer__request_id=request.pk).exists()
        request.answers_restricted = known  # type: ignore[attr-defined]
    return bool(known)


def approver_refusal(user: Any, *, child_area: str | None, agency_id: int, restricted: bool) -> str | None:
    """Why `user` may not approve sharing the holding agency's entries about a child, restricted ones among them, or
    None: a designated manager judges what they approve, so must be able to read it (Haringey 4.6); a restricted entry
    is read only by those authorised for restricted information (WYCPS restricted indicators), so only such a manager
    approves sharing it. The one rule the policy offers approvals by (the queue, the notices) and the disclosure is
    made under (disclosures.services.making.entries_refusal, again at that moment)."""
    if restricted and not restricted_readers(user, child_area, agency_id):
        return APPROVER_NOT_AUTHORISED
    return None


def decision_refusal(user: Any, holding_agency_id: int) -> str | None:
    """Who reads a decision record (third parties, the public interest, what was agreed, ...): the holding agency's
    own people only (Barnet: the record of the decision; Haringey 4.7). The requester and the recipients are told
    the outcome and read what was disclosed, never the record of the decision; auditors read decisions in the
    disclosure log. The one rule for the request's page and the disclosure's page and API (break12b F2)."""
    if principal(user).membership_in(holding_agency_id) is None:
        return "Only the agency the request was sent to reads the record of its decision."
    return None


def recipient_refusal(user: Any, obj: Disclosure) -> str | None:
    """Why a person does not read a disclosure's content as its recipient: not a named recipient, or no longer one
    of the receiving agency's people in the index (a recipient who left it, or lost its index access: break12b F8;
    what was disclosed was disclosed to the agency's people, and a minimum-data disclosure has no grant to end), or
    the disclosure's content ended (content_ended), or, for its entries, no grant of this disclosure lives."""
    recipient = obj.recipients.filter(user_id=user.pk).exists()
    if not recipient:
        return "Only the named recipients of a disclosure, and the agency that made it, can read what was disclosed."
    ended = "Your access to what was disclosed has ended (it was revoked, or its retention ended)."
    if obj.to_agency_id not in index_agencies(user):
        return (
            "Your access to what was disclosed has ended: you are no longer one of the people of the agency it was "
            "disclosed to."
        )
    if content_ended(obj):
        return ended
    entry_ids = list(obj.entries.values_list("entry_id", flat=True))
    if entry_ids and not live_grants(user, entry_ids, disclosure_id=obj.pk):
        return ended
    return None


@register
class InformationRequestPolicy(RefusalPolicy[InformationRequest]):
    model = InformationRequest

    def scope(self, user: Any, action: str) -> Q | None:
        if isinstance(user, SystemActor):
            return Q()
        if action not in REQUEST_ACTIONS:
            return None
        mine = index_agencies(user)
        # The requests it raised, a person's or an agency system's (design12 F12: a token raises and withdraws).
        own = Q(requester_id=user.pk)
        return own | Q(holding_agency_id__in=mine) if mine else own

    def in_scope(self, user: Any, obj: InformationRequest) -> bool:
        if isinstance(user, SystemActor):
            return True
        if obj.requester_id == user.pk:
            return True
        return obj.holding_agency_id in index_agencies(user)

    def child_of(self, obj: InformationRequest) -> int | None:
        return obj.child_id

    def refusal(self, user: Any, action: str, obj: InformationRequest) -> str | None:
        if action == "read_decision":
            return decision_refusal(user, obj.holding_agency_id)
        state = rules.State(obj.state)
        holding = obj.holding_agency_id in index_agencies(user)
        if action == "answer":
            if obj.requester_id == user.pk:
                return "You made this request, so someone at the agency it was sent to must answer it."
            if not holding:
                return "Only practitioners of the agency the request was sent to can answer it."
            return rules.transition_refusal(state, rules.State.AWAITING_APPROVAL)
        if action in {"approve", "decline_approval"}:
            if not _person(user):
                return "Only a designated manager can approve a disclosure: an API token cannot."
            if not holding or not is_designated_manager(user, obj.holding_agency_id):
                return "Only a designated manager of the agency that holds the information can approve sharing it."
            if obj.requester_id == user.pk:
                return "You raised this request, so someone else must approve it: the approver is never the requester."
            if obj.answered_by_id == user.pk:
                return (
                    "You answered this request, so another designated manager must approve it: the approver is "
                    "never the person who answered."
                )
            refused = rules.transition_refusal(state, rules.State.APPROVED)
            if refused or not answers_restricted(obj):
                return refused
            return approver_refusal(
                user, child_area=obj.child.area_id, agency_id=obj.holding_agency_id, restricted=True
            )
        if action == "withdraw":
            if obj.requester_id != user.pk:
                return "Only the person who made this request can withdraw it."
            return rules.transition_refusal(state, rules.State.WITHDRAWN)
        return "You do not have permission to do this."


def pass_on_refusal(user: Any, obj: Disclosure) -> str | None:
    """Why `user` may not ask to pass a disclosure on (Southampton 10-11, 18 item 13), or None: a person who is a
    named recipient still able to read it (recipient_refusal: in the receiving agency's index, the content live, a
    live grant of this disclosure). The hop limit, the entries, tiers and the third agency are the rules' to judge
    (rules.onward_scope_refusals) once the request is made."""
    if not _person(user):
        return "Only a person can ask to pass information on: an API token cannot."
    return recipient_refusal(user, obj)


def content_ended(disclosure: Disclosure, at: datetime | None = None) -> bool:
    """Whether the disclosure's content may no longer be read by its recipients: revoked, or its retention ended.
    Decided from the disclosure's own state, so it holds for a minimum-data disclosure too (no grant to end). One
    query."""
    if disclosure.retain_until <= (at or timezone.now()):
        return True
    return DisclosureEvent.objects.filter(disclosure_id=disclosure.pk, kind=rules.FollowUp.REVOKED).exists()


def shown_entries(user: Any, disclosure: Disclosure, items: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Of a snapshot's entries (rules.snapshot_document), those whose content `user` may read, entry by entry, by
    the rule the record pages apply (sharing.policy.entry_access): a restricted entry - restricted in the revision
    disclosed or since - only for someone authorised for restricted information (WYCPS restricted indicators), the
    disclosing agency's staff included; a recipient only for entries a live grant of this very disclosure opens.
    Call it after the policy allowed read_content. At most two queries."""
    if not items:
        return []
    entry_ids = [int(item["entry_id"]) for item in items]
    restricted_now = set(RecordEntry.objects.filter(pk__in=entry_ids, is_restricted=True).values_list("pk", flat=True))
    disclosing = disclosure.from_agency_id in index_agencies(user)
    granted = frozenset() if disclosing else live_grants(user, entry_ids, disclosure_id=disclosure.pk)
    area = disclosure.child.area_id
    shown = []
    for item, entry_id in zip(items, entry_ids, strict=True):
        restricted = bool(item["revision"]["is_restricted"]) or entry_id in restricted_now
        facts = EntryFacts(int(item["agency_id"]), restricted, area)
        if entry_access(user, facts, granted=entry_id in granted) >= EntryAccess.CONTENT:
            shown.append(item)
    return shown


def _caldicott_guardian(user: Any, agency_id: int) -> bool:
    """The named Caldicott guardian of `agency_id` (the one the escalation sweep tells: Membership's flag)."""
    return any(m.is_caldicott_guardian and m.agency_id == agency_id for m in principal(user).memberships)


def _recipient_of(user: Any) -> Q:
    return Q(pk__in=DisclosureRecipient.objects.filter(user_id=user.pk).values("disclosure_id"))


@register
class DisclosurePolicy(RefusalPolicy[Disclosure]):
    model = Disclosure

    def scope(self, user: Any, action: str) -> Q | None:
        if isinstance(user, SystemActor):
            return Q()
        if action not in DISCLOSURE_ACTIONS or not _person(user):
            return None
        mine = index_agencies(user)
        condition = Q(from_agency_id__in=mine) | Q(approver_id=user.pk) | Q(requester_id=user.pk)
        condition |= _recipient_of(user)
        if action in ORIGINATOR_ACTIONS and mine:
            condition |= Q(onward_request__originator_agency_id__in=mine)
        guardian_of = [agency_id for agency_id in member_agencies(user) if is_caldicott_or_dpo(user, agency_id)]
        if guardian_of:
            condition |= Q(kind=rules.Kind.EMERGENCY.value, from_agency_id__in=guardian_of)
        if action in ORIGINATOR_ACTIONS and is_auditor(user):
            audited = audited_agencies(user)
            if audited is None:  # a partnership auditor: every disclosure's metadata (Q() | x would drop it)
                return Q()
            condition |= Q(from_agency_id__in=audited) | Q(to_agency_id__in=audited)
        return condition

    def in_scope(self, user: Any, obj: Disclosure) -> bool:
        if isinstance(user, SystemActor):
            return True
        if not _person(user):
            return False
        if user.pk in {obj.approver_id, obj.requester_id} or obj.from_agency_id in index_agencies(user):
            return True
        condition = self.scope(user, "view")
        return condition is not None and Disclosure.objects.filter(condition, pk=obj.pk).exists()

    def child_of(self, obj: Disclosure) -> int | None:
        return obj.child_id

    def refusal(self, user: Any, action: str, obj: Disclosure) -> str | None:
        disclosing = obj.from_agency_id in index_agencies(user)
        if action == "read_content":
            # The disclosing agency keeps what it disclosed (its record of the decision); what of it each person
            # there may read is decided entry by entry (shown_entries). An onward disclosure passed on what its
            # discloser received as a named recipient: the passing agency's other people never held it, so only the
            # discloser reads it there (Southampton 10: no wider than agreed).
            if disclosing and (obj.kind != rules.Kind.ONWARD or obj.discloser_id == user.pk):
                return None
            return recipient_refusal(user, obj)
        if action == "lineage":
            # In scope is enough: who sees which part of the tree is rules.lineage_visible's (design 7).
            return None
        if action == "pass_on":
            return pass_on_refusal(user, obj)
        if action == "read_decision":
            return decision_refusal(user, obj.from_agency_id)
        if action == "review":
            # The escalation sweep tells the disclosing agency's Caldicott guardian to review an emergency
            # disclosure not reviewed in time (sweeps.emergency_escalation_sweep): the guardian may, as may its
            # designated managers (issue 12: within one working day); never the person who made it.
            guardian = _person(user) and _caldicott_guardian(user, obj.from_agency_id)
            if not guardian and (not disclosing or not is_designated_manager(user, obj.from_agency_id)):
                return (
                    "Only a designated manager or the Caldicott guardian of the agency that made a disclosure can "
                    "review it."
                )
            if obj.kind != rules.Kind.EMERGENCY:
                return "Only an emergency disclosure is reviewed afterwards."
            if obj.discloser_id == user.pk:
                return "You made this emergency disclosure, so someone else must review it."
            if DisclosureEvent.objects.filter(disclosure_id=obj.pk, kind=rules.FollowUp.REVIEWED).exists():
                return "This emergency disclosure has already been reviewed."
            return None
        if action == "revoke":
            if not disclosing or not is_designated_manager(user, obj.from_agency_id):
                return f"Only a designated manager of the agency that made a disclosure can {action} it."
            if DisclosureEvent.objects.filter(disclosure_id=obj.pk, kind=rules.FollowUp.REVOKED).exists():
                return "This disclosure has already been revoked."
            return None
        return "You do not have permission to do this."
