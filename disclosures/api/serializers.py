"""The disclosures API's shapes (design12 section 8): what a caller sends (input serializers, every value bounded,
every enum a ChoiceField so the OpenAPI description lists its values) and what it gets back (plain dicts built by
the `*_out` functions, described for the schema by the output serializers)."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from rest_framework import serializers

from agencies.models import User
from consent.models import ConsentNotSoughtReason, ConsentRecord
from disclosures import rules
from disclosures.models import Disclosure, DisclosureEvent, DisclosureRecipient, InformationRequest, RequestAnswer
from disclosures.selectors import ApprovalRow, DisclosurePage, InboxRow, ReceivedRow, RequestPage, ReviewRow, SentRow
from isp_portal import bounds, rows
from isp_portal.api import ScopedPrimaryKeyField
from isp_portal.api_input import EraDateField
from isp_portal.policy import restrict
from protocols.models import Ground
from sharing.api.shapes import ActingAgencyField
from sharing.models import Child, RecordEntry
from sharing.policy import index_agencies
from sharing.rules import Category


def _choices(enum: Any) -> list[str]:
    return [member.value for member in enum]


STATES = _choices(rules.State)
KINDS = _choices(rules.Kind)
URGENCIES = _choices(rules.Urgency)
TIERS = _choices(rules.Tier)
CATEGORIES = _choices(Category)
CONSENT_BASES = _choices(rules.ConsentBasis)
NOT_SOUGHT_REASONS = [value for value, _label in ConsentNotSoughtReason.choices]
GROUNDS = [value for value, _label in Ground.choices]
LEGAL_BASES = _choices(rules.LegalBasis)
SUBJECT_TOLD = _choices(rules.SubjectTold)
EMERGENCY_REASONS = _choices(rules.EmergencyReason)
# A manager's decline is the approval's own outcome, never the answerer's reason (disclosures.services.answers).
DECLINE_REASONS = [value for value in _choices(rules.DeclineReason) if value != rules.DeclineReason.MANAGER_DECLINED]
ALL_DECLINE_REASONS = _choices(rules.DeclineReason)
OUTCOMES = _choices(rules.Outcome)
REVIEW_OUTCOMES = _choices(rules.ReviewOutcome)
FOLLOW_UPS = _choices(rules.FollowUp)
APPROVAL_DECISIONS = ["approve", "decline"]
DIRECTIONS = ["sent", "received"]
EMERGENCY_BASES = [rules.LegalBasis.URGENT_MEDICAL.value, rules.LegalBasis.SIGNIFICANT_HARM.value]
REQUEST_ACTIONS = ["answer", "approve", "decline_approval", "withdraw"]
DISCLOSURE_ACTIONS = ["review", "revoke"]
PURPOSE_MAX = InformationRequest._meta.get_field("purpose").max_length or 200
S29_MAX = rules.S29_REFERENCE_MAX
REVISION_MAX = 2**31 - 1  # EntryRevision.number, a PositiveIntegerField


# --- References in request bodies -------------------------------------------------------------------------------


# The rows the body's ids name, read by id and judged by the policy in memory (ScopedPrimaryKeyField.read_by_id),
# compiled once per process: a child, and an entry with its child (what RecordEntryPolicy.in_scope reads of it).
_CHILD = rows.Compiled("body_child", lambda pk: Child.objects.filter(pk=pk), pk=rows.SLOT_ID)
_ENTRY = rows.Compiled(
    "body_entry", lambda pk: RecordEntry.objects.select_related("child").filter(pk=pk), pk=rows.SLOT_ID
)


_USER = rows.Compiled("body_user", lambda pk: User.objects.filter(pk=pk), pk=rows.SLOT_ID)


class ChildField(ScopedPrimaryKeyField):
    """A child the caller reaches in the child index (a shielded child, or one outside the index, reads as "does
    not exist")."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(Child, **kwargs)

    def read_by_id(self, number: int) -> Child | None:
        found = _CHILD.rows(pk=number)
        return found[0] if found else None


class AgencyField(ActingAgencyField):
    """Another agency of the register, to someone who uses the child index: the service refuses one that has not
    signed the protocol version in force with the caller's agency, or may not send or receive now, naming why."""


class ConsentField(ScopedPrimaryKeyField):
    """A consent recorded for a child the caller reaches in the index. The requester relies on a consent that
    names their agency, often recorded by the agency they ask (which alone may read the record: consent.policy);
    the service then checks it is this child's and covers the request, naming why not (withdrawn, say)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(ConsentRecord, **kwargs)

    def get_queryset(self) -> QuerySet[ConsentRecord]:
        user = self.context["request"].user
        return ConsentRecord.objects.filter(child__in=restrict(user, "view", Child).values("pk"))


class EntryField(ScopedPrimaryKeyField):
    """An entry about the child the caller may see; the service shares only the holding agency's own, of a
    category asked for, that the caller may read in full."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(RecordEntry, **kwargs)

    def read_by_id(self, number: int) -> RecordEntry | None:
        found = _ENTRY.rows(pk=number)
        return found[0] if found else None


class RecipientField(ScopedPrimaryKeyField):
    """A person named to receive a disclosure: any active person to someone who uses the child index (the
    service refuses one who is not of the receiving agency, cannot use the index, or is an agency system)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(User, **kwargs)

    def get_queryset(self) -> QuerySet[User]:
        user = self.context["request"].user
        return User.objects.filter(is_active=True) if index_agencies(user) else User.objects.none()

    # Read by id in a statement compiled once per process and judged as get_queryset would (issue 12).
    def read_by_id(self, number: int) -> User | None:
        found = _USER.rows(pk=number)
        return found[0] if found else None

    def admits(self, user: Any, found: Model) -> bool:
        return bool(getattr(found, "is_active", False)) and bool(index_agencies(user))


class RecipientsField(serializers.ListField):
    """The people named to receive a disclosure, each once: a person named twice is a 400 on this field (break12b
    F12), not a second recipient row."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=RecipientField(), max_length=bounds.LIST_ITEMS, **kwargs)

    def to_internal_value(self, data: Any) -> list[Any]:
        people = super().to_internal_value(data)
        if len({person.pk for person in people}) != len(people):
            raise serializers.ValidationError("A person is named twice: name each person once.")
        return people


def _text(help_text: str = "", *, required: bool = False, max_length: int = bounds.REASON) -> serializers.CharField:
    if required:
        return serializers.CharField(max_length=max_length, help_text=help_text)
    return serializers.CharField(max_length=max_length, allow_blank=True, default="", help_text=help_text)


# --- Input ------------------------------------------------------------------------------------------------------


class RequestsQuery(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=STATES, required=False, help_text="Only requests in this state (default: the open ones in the inbox)"
    )


class DisclosuresQuery(serializers.Serializer):
    direction = serializers.ChoiceField(
        choices=DIRECTIONS, required=False, help_text="Only those your agency made, or only those to you"
    )


class ScopeIn(serializers.Serializer):
    """What is asked for or disclosed: the child, the purpose, the tiers, the consent basis."""

    # Haringey 4.4-4.8: the purpose, the tiers, the minimum needed.

    child = ChildField(help_text="The child, by its id in the child index")
    agency = ActingAgencyField(
        required=False, allow_null=True, default=None, help_text="Your agency (when you practise in several)"
    )
    purpose = serializers.CharField(
        max_length=PURPOSE_MAX, help_text="A purpose the protocol version in force permits, as written there"
    )
    tiers = serializers.ListField(
        child=serializers.ChoiceField(choices=TIERS), min_length=1, max_length=len(TIERS), help_text="The tiers"
    )
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=CATEGORIES),
        max_length=len(CATEGORIES),
        default=list,
        help_text="The kinds of detailed and sensitive information (only with the sensitive tier)",
    )
    consent_basis = serializers.ChoiceField(choices=CONSENT_BASES, help_text="Consent given, not sought, or refused")
    consent = ConsentField(
        required=False, allow_null=True, default=None, help_text="The consent relied on (consent_basis consent)"
    )
    not_sought_reason = serializers.ChoiceField(
        choices=NOT_SOUGHT_REASONS, allow_blank=True, default="", help_text="Why consent was not sought"
    )
    override_ground = serializers.ChoiceField(
        choices=GROUNDS, allow_blank=True, default="", help_text="The ground that overrides a refusal"
    )


class RequestIn(ScopeIn):
    holding_agency = AgencyField(help_text="The agency asked, which holds the information")
    need_to_know = _text("Why you need to know this", required=True)
    urgency = serializers.ChoiceField(choices=URGENCIES, default=rules.Urgency.ROUTINE.value)


class DecisionIn(serializers.Serializer):
    """The decision record."""

    # Barnet's decision record; Haringey 4.7.

    is_confidential = serializers.BooleanField(default=True, help_text="Is the information confidential?")
    public_interest = _text("The public interest weighed")
    proportionality = _text("What is the minimum needed, and why")
    why_shared = _text("Why it is shared")
    why_without_consent = _text("Why without consent (required for a basis other than consent)")
    what_agreed = _text("What was agreed")
    third_parties = _text("Third parties' information, and how it was handled")


class ShareTermsIn(DecisionIn):
    entries = serializers.ListField(
        child=EntryField(), max_length=bounds.LIST_ITEMS, default=list, help_text="The entries shared (their ids)"
    )
    legal_basis = serializers.ChoiceField(choices=LEGAL_BASES, help_text="The legal basis for sharing")
    s29_form_reference = _text("The police's section 29 form reference (police_s29 only)", max_length=S29_MAX)
    subject_told = serializers.ChoiceField(choices=SUBJECT_TOLD, help_text="Was the child or family told?")
    subject_not_told_reason = _text("Why they were not told (unless told)")
    onward_terms = _text("Terms on passing it on")
    retain_until = EraDateField(
        required=False, allow_null=True, default=None,
        help_text="The last day the recipients may read it (default: the protocol's retention period)",
    )  # fmt: skip
    recipients = RecipientsField(
        required=False, help_text="The people of the receiving agency who receive it (default: the requester)"
    )


class EntryRevisionIn(serializers.Serializer):
    """The revision of an entry shared that the caller read, as the records API numbers it."""

    entry = serializers.IntegerField(
        min_value=1, max_value=bounds.ID_MAX, help_text="An entry shared (one of `entries`)"
    )
    revision = serializers.IntegerField(
        min_value=1, max_value=REVISION_MAX, help_text="Its revision you read: `number` in the records API"
    )


class AnswerIn(ShareTermsIn):
    outcome = serializers.ChoiceField(choices=OUTCOMES, help_text="Share, or decline")
    revisions = serializers.ListField(
        child=EntryRevisionIn(),
        max_length=bounds.LIST_ITEMS,
        required=False,
        help_text="Share: the revision of each entry you read, one for every entry. Each is shared at that revision; "
        "a revision that is not the entry's, or one corrected since (not its latest), is refused (400, `revisions`), "
        "never shared unseen. Without it, each entry is shared at its latest revision.",
    )
    legal_basis = serializers.ChoiceField(choices=LEGAL_BASES, required=False, help_text="Share: the legal basis")
    subject_told = serializers.ChoiceField(choices=SUBJECT_TOLD, required=False, help_text="Share: told?")
    decline_reason = serializers.ChoiceField(
        choices=DECLINE_REASONS, required=False, help_text="Decline: why (recorded and reported)"
    )
    decline_detail = _text("Decline: more detail (required for other)")

    def validate_revisions(self, value: list[dict[str, int]]) -> dict[int, int]:
        """As the service takes them: entry id -> revision number, each entry once."""
        stated: dict[int, int] = {}
        for item in value:
            if item["entry"] in stated:
                raise serializers.ValidationError(
                    f"Entry {item['entry']} is named twice: give each entry's revision once."
                )
            stated[item["entry"]] = item["revision"]
        return stated


class ApprovalIn(serializers.Serializer):
    decision = serializers.ChoiceField(choices=APPROVAL_DECISIONS, help_text="Approve the disclosure, or not")
    note = _text("Approve: a note for the record")
    reason = _text("Decline: why you do not approve it")


class RequestWithdrawIn(serializers.Serializer):
    reason = _text("Why the request is no longer needed")


class ReferIn(ScopeIn, ShareTermsIn):
    to_agency = AgencyField(help_text="The agency the concern is referred to")
    why = _text("Why they need to know", required=True)
    recipients = RecipientsField(min_length=1, help_text="The people who receive it")


class EmergencyIn(DecisionIn):
    child = ChildField(help_text="The child, by its id in the child index")
    agency = ActingAgencyField(required=False, allow_null=True, default=None, help_text="Your agency (if several)")
    to_agency = AgencyField(help_text="The agency disclosed to")
    recipients = RecipientsField(min_length=1, help_text="The people who receive it")
    reason = serializers.ChoiceField(choices=EMERGENCY_REASONS, help_text="Why this cannot wait")
    legal_basis = serializers.ChoiceField(
        choices=EMERGENCY_BASES,
        help_text="Urgent medical treatment or significant harm",
    )
    purpose = serializers.CharField(max_length=PURPOSE_MAX, help_text="A purpose the protocol version permits")
    tiers = serializers.ListField(child=serializers.ChoiceField(choices=TIERS), min_length=1, max_length=len(TIERS))
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=CATEGORIES), max_length=len(CATEGORIES), default=list
    )
    entries = serializers.ListField(child=EntryField(), max_length=bounds.LIST_ITEMS, default=list)
    why = _text("Why they need to know (default: the reason)")
    subject_told = serializers.ChoiceField(choices=SUBJECT_TOLD, default=rules.SubjectTold.NOT_TOLD.value)
    subject_not_told_reason = _text("Why they were not told")
    onward_terms = _text("Terms on passing it on")
    retain_until = EraDateField(required=False, allow_null=True, default=None)


class DisclosureReviewIn(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=REVIEW_OUTCOMES, help_text="Endorse the disclosure, or raise concerns")
    note = _text("What you found (required when raising concerns)")


class RevokeIn(serializers.Serializer):
    reason = _text("Why the disclosure is revoked", required=True)


# --- Output -----------------------------------------------------------------------------------------------------


class ErrorDetailOut(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status code, repeated")
    code = serializers.CharField(help_text="A stable, machine-readable code: `conflict`")
    message = serializers.CharField(help_text="What happened first, in words a person can act on")


class ErrorOut(serializers.Serializer):
    """The API's error shape, for a conflict."""

    error = ErrorDetailOut()


class RefOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


def _agency(agency: Any) -> dict[str, Any]:
    return {"id": agency.pk, "name": agency.name}


def _person(user: Any) -> dict[str, Any] | None:
    return None if user is None else {"id": user.pk, "name": user.full_name}


class RequestSummaryOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=KINDS)
    state = serializers.ChoiceField(choices=STATES)
    urgency = serializers.ChoiceField(choices=URGENCIES)
    child = serializers.IntegerField()
    requester = RefOut()
    requester_agency = RefOut()
    holding_agency = RefOut()
    purpose = serializers.CharField()
    tiers = serializers.ListField(child=serializers.ChoiceField(choices=TIERS))
    categories = serializers.ListField(child=serializers.ChoiceField(choices=CATEGORIES))
    submitted_at = serializers.DateTimeField()
    due_on = serializers.DateField(allow_null=True)


def request_summary(request: InformationRequest) -> dict[str, Any]:
    return {
        "id": request.pk,
        "kind": request.kind,
        "state": request.state,
        "urgency": request.urgency,
        "child": request.child_id,
        "requester": _person(request.requester),
        "requester_agency": _agency(request.requester_agency),
        "holding_agency": _agency(request.holding_agency),
        "purpose": request.purpose,
        "tiers": list(request.tiers),
        "categories": list(request.categories),
        "submitted_at": request.submitted_at,
        "due_on": request.due_on,
    }


class InboxRowOut(RequestSummaryOut):
    overdue = serializers.BooleanField(help_text="Open past its due date")
    consent_lapsed = serializers.BooleanField(help_text="The consent it rests on was withdrawn since")


def inbox_row(row: InboxRow) -> dict[str, Any]:
    return {**request_summary(row.request), "overdue": row.overdue, "consent_lapsed": row.consent_lapsed}


class RequestsOut(serializers.Serializer):
    inbox = InboxRowOut(many=True, help_text="Requests to your agency (open ones unless ?state= says otherwise)")
    sent = InboxRowOut(many=True, help_text="Requests you made")


class AnswerOut(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=OUTCOMES)
    is_confidential = serializers.BooleanField()
    consent_checked = serializers.CharField(help_text="What the consent check found when answering")
    public_interest = serializers.CharField()
    proportionality = serializers.CharField()
    why_shared = serializers.CharField()
    why_without_consent = serializers.CharField()
    what_agreed = serializers.CharField()
    third_parties = serializers.CharField()
    legal_basis = serializers.ChoiceField(choices=LEGAL_BASES, allow_blank=True)
    s29_form_reference = serializers.CharField()
    subject_told = serializers.ChoiceField(choices=SUBJECT_TOLD, allow_blank=True)
    subject_not_told_reason = serializers.CharField()
    onward_terms = serializers.CharField()
    retain_until = serializers.DateTimeField(allow_null=True)
    emergency_reason = serializers.ChoiceField(choices=EMERGENCY_REASONS, allow_blank=True)
    answered_by = serializers.IntegerField()
    answered_at = serializers.DateTimeField()


_ANSWER_TEXT = (
    "consent_checked", "public_interest", "proportionality", "why_shared", "why_without_consent", "what_agreed",
    "third_parties", "legal_basis", "s29_form_reference", "subject_told", "subject_not_told_reason", "onward_terms",
    "emergency_reason",
)  # fmt: skip


def answer_out(answer: RequestAnswer) -> dict[str, Any]:
    return {
        "outcome": answer.outcome,
        "is_confidential": answer.is_confidential,
        **{name: getattr(answer, name) for name in _ANSWER_TEXT},
        "retain_until": answer.retain_until,
        "answered_by": answer.answered_by_id,
        "answered_at": answer.answered_at,
    }


class RequestOut(RequestSummaryOut):
    protocol_version = serializers.IntegerField()
    need_to_know = serializers.CharField()
    consent_basis = serializers.ChoiceField(choices=CONSENT_BASES)
    consent = serializers.IntegerField(allow_null=True)
    not_sought_reason = serializers.ChoiceField(choices=NOT_SOUGHT_REASONS, allow_blank=True)
    override_ground = serializers.ChoiceField(choices=GROUNDS, allow_blank=True)
    needs_approval = serializers.BooleanField()
    answered_by = RefOut(allow_null=True)
    answered_at = serializers.DateTimeField(allow_null=True)
    approver = RefOut(allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)
    declined_at = serializers.DateTimeField(allow_null=True)
    decline_reason = serializers.ChoiceField(choices=ALL_DECLINE_REASONS, allow_blank=True)
    decline_detail = serializers.CharField()
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    expired_at = serializers.DateTimeField(allow_null=True)
    answer = AnswerOut(
        allow_null=True,
        help_text="The decision record, once answered: to the holding agency only (null to the requesting agency, "
        "which is told the outcome: state, decline reason, disclosure)",
    )
    disclosure = serializers.IntegerField(allow_null=True, help_text="The disclosure made, once shared")
    actions = serializers.ListField(
        child=serializers.ChoiceField(choices=REQUEST_ACTIONS), help_text="What you may do with it now"
    )


def request_out(page: RequestPage) -> dict[str, Any]:
    request = page.request
    return {
        **request_summary(request),
        "protocol_version": request.protocol_version_id,
        "need_to_know": request.need_to_know,
        "consent_basis": request.consent_basis,
        "consent": request.consent_id,
        "not_sought_reason": request.not_sought_reason,
        "override_ground": request.override_ground,
        "needs_approval": request.needs_approval,
        "answered_by": _person(request.answered_by),
        "answered_at": request.answered_at,
        "approver": _person(request.approver),
        "approved_at": request.approved_at,
        "declined_at": request.declined_at,
        "decline_reason": request.decline_reason,
        "decline_detail": request.decline_detail,
        "withdrawn_at": request.withdrawn_at,
        "expired_at": request.expired_at,
        "answer": answer_out(page.answer) if page.answer is not None else None,
        "disclosure": page.disclosure_id,
        "actions": sorted(page.actions),
    }


class ApprovalRowOut(RequestSummaryOut):
    waiting_since = serializers.DateTimeField(allow_null=True, help_text="When it was answered")
    may_approve = serializers.BooleanField(help_text="False when you raised or answered it")


class DisclosureSummaryOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=KINDS)
    child = serializers.IntegerField()
    from_agency = RefOut()
    to_agency = RefOut()
    discloser = RefOut()
    purpose = serializers.CharField()
    legal_basis = serializers.ChoiceField(choices=LEGAL_BASES)
    made_at = serializers.DateTimeField()
    retain_until = serializers.DateTimeField()
    review_due_at = serializers.DateTimeField(allow_null=True)


def disclosure_summary(disclosure: Disclosure) -> dict[str, Any]:
    return {
        "id": disclosure.pk,
        "kind": disclosure.kind,
        "child": disclosure.child_id,
        "from_agency": _agency(disclosure.from_agency),
        "to_agency": _agency(disclosure.to_agency),
        "discloser": _person(disclosure.discloser),
        "purpose": disclosure.purpose,
        "legal_basis": disclosure.legal_basis,
        "made_at": disclosure.made_at,
        "retain_until": disclosure.retain_until,
        "review_due_at": disclosure.review_due_at,
    }


class ReviewRowOut(DisclosureSummaryOut):
    may_review = serializers.BooleanField(help_text="False when you made it")


class ApprovalsOut(serializers.Serializer):
    approvals = ApprovalRowOut(many=True, help_text="Disclosures awaiting a designated manager, oldest first")
    reviews = ReviewRowOut(many=True, help_text="Emergency disclosures awaiting review, by deadline")


def approvals_out(approvals: list[ApprovalRow], reviews: list[ReviewRow]) -> dict[str, Any]:
    return {
        "approvals": [
            {**request_summary(row.request), "waiting_since": row.waiting_since, "may_approve": row.may_approve}
            for row in approvals
        ],
        "reviews": [{**disclosure_summary(row.disclosure), "may_review": row.may_review} for row in reviews],
    }


class DisclosureRowOut(DisclosureSummaryOut):
    active = serializers.BooleanField(help_text="Not revoked, and within retention")


class DisclosuresOut(serializers.Serializer):
    sent = DisclosureRowOut(many=True, help_text="Made by your agency (newest first)")
    received = DisclosureRowOut(many=True, help_text="Made to you by name (newest first)")


def disclosure_row(row: ReceivedRow | SentRow) -> dict[str, Any]:
    return {**disclosure_summary(row.disclosure), "active": row.active}


class RecipientOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    agency = serializers.IntegerField()
    via_team = serializers.CharField()


def recipient_out(row: DisclosureRecipient) -> dict[str, Any]:
    return {"id": row.user_id, "name": row.user.full_name, "agency": row.agency_id, "via_team": row.via_team}


class EventOut(serializers.Serializer):
    kind = serializers.ChoiceField(choices=FOLLOW_UPS)
    actor = RefOut(allow_null=True)
    at = serializers.DateTimeField()
    outcome = serializers.ChoiceField(choices=REVIEW_OUTCOMES, allow_blank=True)
    note = serializers.CharField()


def event_out(event: DisclosureEvent) -> dict[str, Any]:
    return {
        "kind": event.kind, "actor": _person(event.actor), "at": event.at, "outcome": event.outcome,
        "note": event.note,
    }  # fmt: skip


class DisclosureOut(DisclosureSummaryOut):
    request = serializers.IntegerField()
    requester = RefOut()
    approver = RefOut(allow_null=True)
    tiers = serializers.ListField(child=serializers.ChoiceField(choices=TIERS))
    categories = serializers.ListField(child=serializers.ChoiceField(choices=CATEGORIES))
    s29_form_reference = serializers.CharField()
    consent = serializers.IntegerField(allow_null=True)
    consent_basis = serializers.ChoiceField(choices=CONSENT_BASES)
    not_sought_reason = serializers.ChoiceField(choices=NOT_SOUGHT_REASONS, allow_blank=True)
    override_ground = serializers.ChoiceField(choices=GROUNDS, allow_blank=True)
    emergency_reason = serializers.ChoiceField(choices=EMERGENCY_REASONS, allow_blank=True)
    subject_told = serializers.ChoiceField(choices=SUBJECT_TOLD)
    subject_not_told_reason = serializers.CharField()
    onward_terms = serializers.CharField()
    protocol_version = serializers.IntegerField()
    snapshot_sha256 = serializers.CharField()
    hash_verified = serializers.BooleanField(
        allow_null=True, help_text="The snapshot re-hashed now matches (null: erased at the end of retention)"
    )
    revoked = serializers.BooleanField()
    expired = serializers.BooleanField()
    decision = AnswerOut(
        allow_null=True,
        help_text="The decision record: to the disclosing agency only (null to the requester, the recipients and "
        "auditors)",
    )
    recipients = RecipientOut(many=True)
    events = EventOut(many=True, help_text="Reviews, escalations, revocation, end of retention")
    content = serializers.DictField(
        allow_null=True,
        help_text="What was disclosed (the snapshot), to the disclosing agency and to a recipient while their "
        "access lasts (only the entries they still hold); null to anyone else",
    )
    withheld = serializers.IntegerField(
        help_text="How many of the entries disclosed `content` leaves out for you: restricted ones, for someone not "
        "authorised for restricted information, and for a recipient those whose access ended (0 when `content` is "
        "null)"
    )
    actions = serializers.ListField(child=serializers.ChoiceField(choices=DISCLOSURE_ACTIONS))


def disclosure_out(page: DisclosurePage, actions: list[str]) -> dict[str, Any]:
    disclosure = page.disclosure
    return {
        **disclosure_summary(disclosure),
        "request": disclosure.request_id,
        "requester": _person(disclosure.requester),
        "approver": _person(disclosure.approver),
        "tiers": list(disclosure.tiers),
        "categories": list(disclosure.categories),
        "s29_form_reference": disclosure.s29_form_reference,
        "consent": disclosure.consent_id,
        "consent_basis": disclosure.consent_basis,
        "not_sought_reason": disclosure.not_sought_reason,
        "override_ground": disclosure.override_ground,
        "emergency_reason": disclosure.emergency_reason,
        "subject_told": disclosure.subject_told,
        "subject_not_told_reason": disclosure.subject_not_told_reason,
        "onward_terms": disclosure.onward_terms,
        "protocol_version": disclosure.protocol_version_id,
        "snapshot_sha256": disclosure.snapshot_sha256,
        "hash_verified": page.hash_verified,
        "revoked": page.revoked,
        "expired": page.expired,
        "decision": answer_out(page.decision) if page.decision is not None else None,
        "recipients": [recipient_out(row) for row in page.recipients],
        "events": [event_out(event) for event in page.events],
        "content": page.content,
        "withheld": page.withheld,
        "actions": actions,
    }
