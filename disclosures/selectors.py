"""What people read of requests and disclosures (design12 section 6). Every read starts from the policy
(isp_portal.policy.restrict / get_or_deny): an id outside the reader's scope answers 404, recorded as a denial."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from agencies.models import Agency, Membership, Role, TrainingRecord
from agencies.policy import is_designated_manager
from audit.services import audit_record
from consent.models import ConsentWithdrawal
from consent.selectors import ConsentAnswer
from disclosures import rules
from disclosures.models import (
    AnswerEntry,
    AnswerRecipient,
    Disclosure,
    DisclosureEvent,
    DisclosureRecipient,
    DisclosureSnapshot,
    InformationRequest,
    RequestAnswer,
)
from disclosures.policy import restricted_answered, shown_entries
from disclosures.services.checks import consent_answers, latest_revisions, shared_version
from isp_portal import bounds
from isp_portal.policy import can, get_or_deny, restrict
from protocols.models import IN_FORCE_STATUSES, ProtocolVersion, Signature
from sharing.models import EntryRevision, RecordEntry
from sharing.policy import EntryAccess, EntryFacts, entry_access, index_agencies, restricted_authority
from sharing.rules import CATEGORY_LABELS, Category

__all__ = [
    "AnswerChoices",
    "ApprovalDecision",
    "ApprovalRow",
    "DisclosurePage",
    "EntryChoice",
    "HoldingOptions",
    "InboxRow",
    "ReceivedRow",
    "RequestPage",
    "ReviewRow",
    "SentRow",
    "answer_choices",
    "approval_decision",
    "approvals_pending",
    "disclosure_page",
    "disclosures_received",
    "disclosures_sent",
    "entries_to_disclose",
    "request_holding_options",
    "request_page",
    "request_page_written",
    "requests_inbox",
    "requests_sent",
    "shared_version",
]

PAGE_SIZE = 50
OPEN = [state.value for state in rules.OPEN_STATES]
_URGENCY_RANK = Case(
    When(urgency=rules.Urgency.EMERGENCY.value, then=Value(0)),
    When(urgency=rules.Urgency.URGENT.value, then=Value(1)),
    default=Value(2),
)


@dataclass(frozen=True)
class InboxRow:
    request: InformationRequest
    overdue: bool
    # A request on consent whose consent has since been withdrawn: it falls back to needing another basis (DESIGN
    # 2.4); the answer on consent will be refused, naming the withdrawal.
    consent_lapsed: bool


def requests_inbox(user: Any, *, state: str | None = None, today: date | None = None) -> list[InboxRow]:
    """The holding agency's requests (open ones unless `state` says otherwise), the most overdue first, then by due
    date; urgent ones first on a day (design12 F10). At most PAGE_SIZE. One query."""
    today = today or timezone.localdate()
    mine = index_agencies(user)
    states = [state] if state in {s.value for s in rules.State} else OPEN
    rows = (
        restrict(user, "view", InformationRequest)
        .filter(holding_agency_id__in=mine, state__in=states, kind=rules.Kind.REQUESTED)
        .select_related("child", "requester_agency", "requester", "holding_agency")
        .annotate(consent_withdrawn=Exists(ConsentWithdrawal.objects.filter(consent_id=OuterRef("consent_id"))))
        .annotate(urgency_rank=_URGENCY_RANK)
        .order_by("due_on", "urgency_rank", "submitted_at", "pk")[:PAGE_SIZE]
    )
    return [
        InboxRow(
            request=row,
            overdue=row.due_on is not None and row.due_on < today and row.state in OPEN,
            consent_lapsed=bool(row.consent_withdrawn) and row.consent_basis == rules.ConsentBasis.CONSENT,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class ApprovalRow:
    request: InformationRequest
    waiting_since: datetime | None
    due_on: date | None
    # Listed but not actionable (greyed): the manager raised or answered it (Haringey 4.6).
    may_approve: bool


@dataclass(frozen=True)
class ReviewRow:
    disclosure: Disclosure
    review_due_at: datetime | None
    may_review: bool


def approvals_pending(user: Any) -> tuple[list[ApprovalRow], list[ReviewRow]]:
    """A designated manager's queue: requests awaiting approval in their agencies, oldest first (by when they were
    answered), and emergency disclosures of their agencies not yet reviewed, by review deadline. Two queries.

    A request is offered as the policy decides who may approve it (disclosures.policy: `approve`), so the queue never
    offers what approving would refuse - a restricted entry to a manager not authorised for restricted information
    is not listed. Only the requests the manager raised or answered are listed anyway, greyed (Haringey 4.6: they
    see it waits, for someone else). The oldest PAGE_SIZE of those: the restricted rule is applied in the query
    (sharing.policy.restricted_authority, the reading approver_refusal makes), so requests the manager may not
    approve never crowd out those they may."""
    agencies = [agency_id for agency_id in index_agencies(user) if is_designated_manager(user, agency_id)]
    if not agencies or getattr(user, "is_system", False):
        return [], []
    restricted_agencies, restricted_areas = restricted_authority(user)
    offered = (
        Q(answers_restricted=False)
        | Q(holding_agency_id__in=sorted(restricted_agencies))
        | Q(child__area_id__in=sorted(restricted_areas))
        | Q(requester_id=user.pk)
        | Q(answered_by_id=user.pk)
    )
    waiting = (
        InformationRequest.objects.filter(holding_agency_id__in=agencies, state=rules.State.AWAITING_APPROVAL)
        .select_related("child", "requester_agency", "requester", "answered_by", "holding_agency")
        .annotate(answers_restricted=restricted_answered())
        .filter(offered)
        .order_by("answered_at", "pk")[:PAGE_SIZE]
    )
    approvals = []
    for row in waiting:
        may_approve = can(user, "approve", row)  # no statement: the annotation answers the restricted rule
        if may_approve or user.pk in {row.requester_id, row.answered_by_id}:
            approvals.append(ApprovalRow(request=row, waiting_since=row.answered_at, due_on=row.due_on,
                                         may_approve=may_approve))  # fmt: skip
    reviewed = DisclosureEvent.objects.filter(disclosure_id=OuterRef("pk"), kind=rules.FollowUp.REVIEWED)
    unreviewed = (
        Disclosure.objects.filter(from_agency_id__in=agencies, kind=rules.Kind.EMERGENCY)
        .exclude(Exists(reviewed))
        .select_related("child", "to_agency", "discloser", "from_agency")
        .order_by("review_due_at", "pk")[:PAGE_SIZE]
    )
    reviews = [ReviewRow(row, row.review_due_at, row.discloser_id != user.pk) for row in unreviewed]
    return approvals, reviews


def answer_of(request: InformationRequest) -> RequestAnswer | None:
    """The request's answer (None before it is answered), from the row loaded with the request when it was."""
    try:
        return request.answer
    except RequestAnswer.DoesNotExist:
        return None


@dataclass(frozen=True)
class RequestPage:
    request: InformationRequest
    answer: RequestAnswer | None
    disclosure_id: int | None
    actions: frozenset[str]


def request_page(user: Any, pk: Any) -> RequestPage:
    """A request, its decision record for the holding agency, and what the reader may do with it (404 outside their
    scope)."""
    # One statement: the request with its parties, its answer and its disclosure's id (each one per request at
    # most: one-to-one).
    request = get_or_deny(
        user,
        InformationRequest.objects.select_related(
            "child", "requester", "requester_agency", "holding_agency", "protocol_version__protocol", "answered_by",
            "approver", "declined_by", "answer",
        ).annotate(made_disclosure_id=F("disclosure__id")),
        pk=pk,
    )  # fmt: skip
    # The decision record is for the holding agency only (disclosures.policy: read_decision).
    answer = answer_of(request) if can(user, "read_decision", request) else None
    disclosure_id: int | None = request.made_disclosure_id  # type: ignore[attr-defined]
    actions = frozenset(
        action for action in ("answer", "approve", "decline_approval", "withdraw") if can(user, action, request)
    )
    return RequestPage(request, answer, disclosure_id, actions)


def _disclosure_id_of(request: InformationRequest) -> int | None:
    try:
        return int(request.disclosure.pk)
    except Disclosure.DoesNotExist:
        return None


def request_page_written(user: Any, request: InformationRequest) -> RequestPage:
    """request_page for a request a service has just written in this request, read in the reader's scope at its
    start (policy.get_or_deny) and as the service holds it now: its parties, its answer and its disclosure were
    loaded with its lock or written since, so the page is built without reading them again. Whatever is not held
    is read as request_page reads it."""
    answer: RequestAnswer | None = None
    if can(user, "read_decision", request):  # the decision record is the holding agency's (disclosures.policy)
        if InformationRequest.answer.is_cached(request):
            answer = answer_of(request)
        else:
            answer = RequestAnswer.objects.filter(request=request).first()
    disclosure_id: int | None = None
    if InformationRequest.disclosure.is_cached(request):
        disclosure_id = _disclosure_id_of(request)
    elif request.state == rules.State.SHARED:
        # Only disclosure_make writes a disclosure, and it marks the request shared first (the insert trigger
        # disclosure_needs_shared_request): a request written into another state has none.
        disclosure_id = Disclosure.objects.filter(request=request).values_list("pk", flat=True).first()
    actions = frozenset(
        action for action in ("answer", "approve", "decline_approval", "withdraw") if can(user, action, request)
    )
    return RequestPage(request, answer, disclosure_id, actions)


@dataclass(frozen=True)
class DisclosurePage:
    disclosure: Disclosure
    recipients: list[DisclosureRecipient]
    events: list[DisclosureEvent]
    # The snapshot's content, when the reader may read it: only the entries they may read (disclosures.policy.
    # shown_entries: restricted ones for those authorised; for a recipient, those this disclosure's live grants
    # open). None when they may not (auditors, a recipient whose access ended) or it was erased after retention.
    content: dict[str, Any] | None
    hash_verified: bool | None  # None when the snapshot was erased at the end of retention
    revoked: bool
    expired: bool
    # How many of the disclosed entries the content leaves out for this reader (said on the page, not hidden).
    withheld: int = 0
    # The decision record, to the disclosing agency's people only (disclosures.policy: read_decision); None to
    # the requester, the recipients and auditors (break12b F2).
    decision: RequestAnswer | None = None
    # The reader may read the content but stated no purpose yet (the page asks first: break12b F11).
    needs_purpose: bool = False


def disclosure_of(user: Any, pk: Any) -> Disclosure:
    """The disclosure `user` may see, with what its page shows of it (404 outside their scope)."""
    return get_or_deny(
        user,
        Disclosure.objects.select_related(
            "child", "from_agency", "to_agency", "discloser", "approver", "requester", "answer",
            "protocol_version__protocol",
        ),
        pk=pk,
    )  # fmt: skip


def disclosure_page(user: Any, pk: Any, *, purpose: str = "", purpose_asked: bool = False) -> DisclosurePage:
    """What was disclosed, to whom, why, on which legal basis, under which version, with its decision record and
    follow-ups; the snapshot re-hashed on every showing (a mismatch is shown and audited). Every showing is
    audited (disclosure.view), with the reader's stated purpose when they give one (the API's X-Purpose).
    `purpose_asked`: the content is shown only with a stated purpose (the page asks it first, as a child's
    record does: DESIGN 2.6; break12b F11); without one, the metadata only. `pk` may be the disclosure itself,
    read with disclosure_of."""
    disclosure = pk if isinstance(pk, Disclosure) else disclosure_of(user, pk)
    recipients = list(disclosure.recipients.select_related("user", "agency").order_by("user__full_name"))
    events = list(disclosure.events.select_related("actor").order_by("at", "pk"))
    snapshot = DisclosureSnapshot.objects.filter(disclosure=disclosure).first()
    hash_verified = None if snapshot is None else rules.snapshot_sha256(snapshot.document) == disclosure.snapshot_sha256
    content: dict[str, Any] | None = None
    withheld = 0
    readable = snapshot is not None and can(user, "read_content", disclosure)
    needs_purpose = readable and purpose_asked and not purpose
    if readable and not needs_purpose:
        assert snapshot is not None
        content = dict(snapshot.document)
        entries = list(content.get("entries") or [])
        content["entries"] = shown_entries(user, disclosure, entries)
        withheld = len(entries) - len(content["entries"])
    audit_record(
        kind="disclosure.view", actor=user, target=disclosure, child_id=disclosure.child_id, purpose=purpose,
        detail={"content": content is not None},
    )  # fmt: skip
    if hash_verified is False:
        audit_record(
            kind="disclosure.hash_mismatch", actor=user, target=disclosure, child_id=disclosure.child_id,
            outcome="failure",
        )  # fmt: skip
    kinds = {event.kind for event in events}
    return DisclosurePage(
        disclosure=disclosure, recipients=recipients, events=events, content=content, hash_verified=hash_verified,
        revoked=rules.FollowUp.REVOKED in kinds, expired=disclosure.retain_until <= timezone.now(), withheld=withheld,
        decision=disclosure.answer if can(user, "read_decision", disclosure) else None, needs_purpose=needs_purpose,
    )  # fmt: skip


@dataclass(frozen=True)
class ReceivedRow:
    disclosure: Disclosure
    active: bool  # not revoked and within retention
    # Southampton 11: the recipient records the identity of the originator against the information - the agency
    # whose entries they are, which for an onward disclosure is not the agency that passed it on (issue 13).
    origin_agency: str = ""


def disclosures_received(user: Any) -> list[ReceivedRow]:
    """The disclosures made to the reader by name, newest first, each with whether their access still lasts. One
    query."""
    if getattr(user, "is_system", False):
        return []
    revoked = DisclosureEvent.objects.filter(disclosure_id=OuterRef("pk"), kind=rules.FollowUp.REVOKED)
    rows = (
        restrict(user, "view", Disclosure)
        .filter(Q(pk__in=DisclosureRecipient.objects.filter(user_id=user.pk).values("disclosure_id")))
        .select_related("child", "from_agency", "discloser", "to_agency")
        .annotate(
            is_revoked=Exists(revoked),
            origin=Coalesce(F("onward_request__originator_agency__name"), F("from_agency__name")),
        )
        .order_by("-made_at", "-pk")[:PAGE_SIZE]
    )
    now = timezone.now()
    return [ReceivedRow(row, not row.is_revoked and row.retain_until > now, row.origin) for row in rows]


def requests_sent(user: Any, *, state: str | None = None, today: date | None = None) -> list[InboxRow]:
    """The requests the reader made (a person's or an agency system's), any state unless `state` says one, newest
    first, each with whether it is overdue and whether the consent it rests on was withdrawn since. At most
    PAGE_SIZE. One query."""
    today = today or timezone.localdate()
    rows = restrict(user, "view", InformationRequest).filter(requester_id=user.pk, kind=rules.Kind.REQUESTED)
    if state in {s.value for s in rules.State}:
        rows = rows.filter(state=state)
    rows = (
        rows.select_related("child", "holding_agency", "requester_agency", "requester")
        .annotate(consent_withdrawn=Exists(ConsentWithdrawal.objects.filter(consent_id=OuterRef("consent_id"))))
        .order_by("-submitted_at", "-pk")[:PAGE_SIZE]
    )
    return [
        InboxRow(
            request=row,
            overdue=row.due_on is not None and row.due_on < today and row.state in OPEN,
            consent_lapsed=bool(row.consent_withdrawn) and row.consent_basis == rules.ConsentBasis.CONSENT,
        )
        for row in rows
    ]


# -- Approvals and disclosures pages (WP3b): what a designated manager decides on, and what an agency sent. --


@dataclass(frozen=True)
class ApprovalDecision:
    """What a designated manager approves or declines (Haringey 4.6-4.7): the request, its answer (the decision
    record), the entries at the revision that would be disclosed, and who would receive them."""

    request: InformationRequest
    answer: RequestAnswer
    entries: list[AnswerEntry]
    recipients: list[AnswerRecipient]
    # The revisions whose content the manager may read (the holding agency's own entries, restricted ones only for
    # those authorised: sharing.policy's EntryRevision scope); the others are listed without their content.
    readable: frozenset[int]


def approval_decision(user: Any, pk: Any) -> ApprovalDecision:
    """The request awaiting `user`'s approval, or the policy's refusal: 404 outside their scope, 403 with the rule
    (the requester, the answerer, a practitioner, a request no longer waiting). Four queries after the policy's."""
    request = get_or_deny(
        user,
        InformationRequest.objects.select_related(
            "child", "requester", "requester_agency", "holding_agency", "protocol_version__protocol", "answered_by",
        ),
        action="approve",
        pk=pk,
    )  # fmt: skip
    answer = RequestAnswer.objects.get(request=request)
    entries = list(answer.entries.select_related("entry", "revision").order_by("entry_id"))
    recipients = list(answer.recipients.select_related("user", "agency").order_by("user__full_name", "user_id"))
    revision_ids = [row.revision_id for row in entries]
    readable = frozenset(
        restrict(user, "view", EntryRevision).filter(pk__in=revision_ids).values_list("pk", flat=True)
        if revision_ids
        else ()
    )
    return ApprovalDecision(request, answer, entries, recipients, readable)


@dataclass(frozen=True)
class SentRow:
    disclosure: Disclosure
    active: bool  # not revoked and within retention
    awaiting_review: bool  # an emergency disclosure not reviewed yet


def disclosures_sent(user: Any) -> list[SentRow]:
    """The disclosures the reader's agencies made, newest first (at most PAGE_SIZE). One query."""
    mine = index_agencies(user)
    if not mine or getattr(user, "is_system", False):
        return []
    revoked = DisclosureEvent.objects.filter(disclosure_id=OuterRef("pk"), kind=rules.FollowUp.REVOKED)
    reviewed = DisclosureEvent.objects.filter(disclosure_id=OuterRef("pk"), kind=rules.FollowUp.REVIEWED)
    rows = (
        restrict(user, "view", Disclosure)
        .filter(from_agency_id__in=mine)
        .select_related("child", "from_agency", "to_agency", "discloser")
        .annotate(is_revoked=Exists(revoked), is_reviewed=Exists(reviewed))
        .order_by("-made_at", "-pk")[:PAGE_SIZE]
    )
    now = timezone.now()
    return [
        SentRow(
            row, not row.is_revoked and row.retain_until > now,
            row.kind == rules.Kind.EMERGENCY and not row.is_reviewed,
        )
        for row in rows
    ]  # fmt: skip


@dataclass(frozen=True)
class DisclosedEntry:
    entry_id: int
    category: str
    revision: int


def disclosed_entries(disclosure: Disclosure) -> list[DisclosedEntry]:
    """Which entries a disclosure shared, at which revision: metadata, shown to every reader of its page (the
    disclosure log holds the same), never their content. One query."""
    rows = disclosure.entries.order_by("entry_id").values_list("entry_id", "entry__category", "revision__number")
    return [DisclosedEntry(entry_id, category, number) for entry_id, category, number in rows]


# --- The entries a disclosure may carry: one selector for the decision journey and the pages without a request ----


@dataclass(frozen=True)
class EntryChoice:
    """An entry the user may disclose, with the revision a disclosure made now would carry: its latest (the services
    take the latest at the moment of disclosure, under a lock, and refuse one corrected since it was shown:
    disclosures.services.answers.revisions_refusal)."""

    entry: RecordEntry
    revision: EntryRevision

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS[Category(self.entry.category)]

    @property
    def is_restricted(self) -> bool:
        """Restricted now, or in the revision that would be disclosed (as entry_access and the services count it)."""
        return self.entry.is_restricted or self.revision.is_restricted


ENTRIES_OFFERED = 100


def entries_to_disclose(
    user: Any, *, child_id: int, agency_id: int, categories: Iterable[str] | None = None
) -> list[EntryChoice]:
    """The entries `agency_id` recorded about the child that `user` may disclose, each with its latest revision: their
    own agency's (one of their index agencies: whoever may read an entry's whole history, as the services require of
    each entry shared), a restricted one - restricted now or in its latest revision - only for someone authorised for
    restricted information (WYCPS; sharing.policy.entry_access); only of `categories` when given (the kinds a request
    asked for). Newest first within each category, at most ENTRIES_OFFERED. Two queries."""
    if agency_id not in index_agencies(user):
        return []
    found = restrict(user, "history", RecordEntry).filter(child_id=child_id, agency_id=agency_id)
    if categories is not None:
        found = found.filter(category__in=list(categories))
    entries = list(found.select_related("child").order_by("category", "-updated_at", "pk")[:ENTRIES_OFFERED])
    latest = latest_revisions(entry.pk for entry in entries)
    choices = []
    for entry in entries:
        revision = latest.get(entry.pk)
        if revision is None:
            continue
        choice = EntryChoice(entry, revision)
        facts = EntryFacts(entry.agency_id, choice.is_restricted, entry.child.area_id)
        if entry_access(user, facts, granted=False) >= EntryAccess.HISTORY:
            choices.append(choice)
    return choices


# --- The decision journey (answering a request) ---------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerChoices:
    """What the decision journey offers (issue 12 "Answering"; design12 section 8)."""

    entries: list[EntryChoice]
    # The consent check now, tier by tier (consent.selectors.consent_covering): the flowchart's "is there consent?".
    consent: list[tuple[str, ConsentAnswer]]
    # The legal bases this request may be shared on (rules.legal_bases_allowed), in the rules' order.
    legal_bases: list[rules.LegalBasis]
    # People of the requesting agency who may be named as recipients: the requester first.
    people: list[tuple[int, str]]
    retain_until: date


PEOPLE_OFFERED = 50


def answer_choices(user: Any, request: InformationRequest) -> AnswerChoices:
    """For the answerer of `request` (already checked by the caller): the holding agency's entries about the child in
    the categories asked for that the answerer may see (the policy's scope: a restricted entry only for those
    authorised), each with the revision that would be disclosed; the consent check now for each tier; the legal bases
    allowed; the requesting agency's people (entries_to_disclose decides the entries). The read of the entries'
    content is audited with the request's purpose (DESIGN 2.6). Fixed number of queries."""
    choices = entries_to_disclose(
        user, child_id=request.child_id, agency_id=request.holding_agency_id, categories=request.categories
    )
    consent = consent_answers(
        child=request.child, tiers=request.tiers, agency=request.requester_agency, purpose=request.purpose
    )
    version = request.protocol_version
    allowed = rules.legal_bases_allowed(
        basis=rules.ConsentBasis(request.consent_basis),
        consent_form=request.consent.form if request.consent is not None else None,
        not_sought_reason=request.not_sought_reason or None,
        protocol_grounds=version.grounds_without_consent,
        tiers=request.tiers,
        requester_kind=request.requester_agency.kind,
    )
    people = [
        (membership.user_id, ", ".join(filter(None, (membership.user.full_name, membership.job_title))))
        for membership in Membership.objects.filter(
            agency_id=request.requester_agency_id, is_active=True, user__is_active=True, user__is_system=False
        )
        .select_related("user")
        .annotate(first=Case(When(user_id=request.requester_id, then=Value(0)), default=Value(1)))
        .order_by("first", "user__full_name", "user_id")[:PEOPLE_OFFERED]
    ]
    if choices:
        audit_record(
            kind="request.answer_read", actor=user, target=request, child_id=request.child_id,
            purpose=request.purpose, detail={"entry_ids": [choice.entry.pk for choice in choices]},
        )  # fmt: skip
    return AnswerChoices(
        entries=choices,
        consent=consent,
        legal_bases=[basis for basis in rules.LegalBasis if basis in allowed],
        people=people,
        retain_until=rules.retain_until_default(timezone.localdate(), version.retention_months),
    )


# --- Disclosures without a request: what the emergency and referral pages offer (issue 12) ----------------------


def partner_agencies(agency_ids: Iterable[int]) -> list[Agency]:
    """The agencies that hold a live signature on the version in force of a protocol in force that one of
    `agency_ids` has signed too (DESIGN 2.2: sharing is only between agencies with a live signature on an active
    protocol): those a disclosure may be made to, by name. `disclosures.services.checks.shared_version` decides the
    version for a chosen pair; the services refuse, naming the rule, an agency that may not receive. One query."""
    mine = list(agency_ids)
    ours = Signature.objects.filter(
        agency_id__in=mine, withdrawn_at__isnull=True, version=F("protocol__current_version"),
        protocol__status__in=IN_FORCE_STATUSES,
    ).values("version_id")  # fmt: skip
    return list(
        # One filter() call: the same signature is live and on one of those versions.
        Agency.objects.filter(signatures__withdrawn_at__isnull=True, signatures__version__in=ours)
        .exclude(pk__in=mine)
        .distinct()
        .order_by("name", "pk")[:PAGE_SIZE]
    )


def recipients_offered(agency_id: int) -> list[tuple[int, str]]:
    """The people of `agency_id` a disclosure may name (DESIGN 4: people, never an agency system): its active
    practitioners and designated managers, with valid information-sharing training where the training gate is on
    (Buckinghamshire 4), as (user id, "name, job title"). Whether each may receive this disclosure (a restricted
    entry needs someone authorised for restricted information) is checks.recipient_refusal's, asked by the
    service. One query."""
    today = timezone.localdate()
    rows = Membership.objects.filter(
        agency_id=agency_id, is_active=True, user__is_active=True, user__is_system=False,
        roles__overlap=[Role.PRACTITIONER.value, Role.DESIGNATED_MANAGER.value],
    )  # fmt: skip
    if settings.TRAINING_GATE:
        trained = TrainingRecord.objects.filter(
            user_id=OuterRef("user_id"), course__is_information_sharing=True, completed_on__lte=today
        ).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
        rows = rows.filter(Exists(trained))
    found = rows.order_by("user__full_name", "user_id").values_list("user_id", "user__full_name", "job_title")
    return [(pk, f"{name}, {title}" if title else name) for pk, name, title in found[: bounds.LIST_ITEMS]]


@dataclass(frozen=True)
class HoldingOptions:
    """What a request form offers: the agencies that share a protocol version in force with one of the asker's
    agencies (checks.shared_version says which version decides, at submission), and the purposes those versions
    permit. An agency or purpose outside the version that decides is refused by the service, naming the rule."""

    agencies: list[Agency]
    purposes: list[str]


def request_holding_options(user: Any) -> HoldingOptions:
    """The agencies a practitioner may ask, and the purposes they may ask for: the current versions of protocols in
    force that one of their index agencies has a live signature on (DESIGN 2.2), and the other agencies with a live
    signature on those versions. Two queries."""
    mine = sorted(index_agencies(user))
    if not mine:
        return HoldingOptions([], [])
    versions = ProtocolVersion.objects.filter(
        protocol__status__in=IN_FORCE_STATUSES,
        protocol__current_version=F("pk"),
        signatures__agency_id__in=mine,
        signatures__withdrawn_at__isnull=True,
    )
    agencies = list(
        Agency.objects.filter(
            pk__in=Signature.objects.filter(version__in=versions, withdrawn_at__isnull=True).values("agency_id")
        )
        .exclude(pk__in=mine)
        .order_by("name", "pk")
    )
    purposes: list[str] = []
    for permitted in versions.order_by("pk").values_list("permitted_purposes", flat=True):
        purposes.extend(purpose for purpose in permitted or [] if purpose not in purposes)
    return HoldingOptions(agencies, purposes)
