"""What people read of requests and disclosures (design12 section 6). Every read starts from the policy
(isp_portal.policy.restrict / get_or_deny): an id outside the reader's scope answers 404, recorded as a denial."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.utils import timezone

from agencies.models import Agency
from agencies.policy import is_designated_manager
from audit.services import audit_record
from consent.models import ConsentWithdrawal
from disclosures import rules
from disclosures.models import (
    Disclosure,
    DisclosureEvent,
    DisclosureRecipient,
    DisclosureSnapshot,
    InformationRequest,
    RequestAnswer,
)
from disclosures.services.checks import shared_version
from isp_portal.policy import can, get_or_deny, restrict
from protocols.models import IN_FORCE_STATUSES, ProtocolVersion, Signature
from sharing.policy import index_agencies, live_grants

__all__ = [
    "ApprovalRow",
    "DisclosurePage",
    "HoldingOptions",
    "InboxRow",
    "ReceivedRow",
    "RequestPage",
    "ReviewRow",
    "SentRow",
    "approvals_pending",
    "disclosure_page",
    "disclosures_received",
    "request_holding_options",
    "request_page",
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
        .select_related("child", "requester_agency", "requester")
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
    answered), and emergency disclosures of their agencies not yet reviewed, by review deadline. Two queries."""
    agencies = [agency_id for agency_id in index_agencies(user) if is_designated_manager(user, agency_id)]
    if not agencies or getattr(user, "is_system", False):
        return [], []
    waiting = (
        InformationRequest.objects.filter(holding_agency_id__in=agencies, state=rules.State.AWAITING_APPROVAL)
        .select_related("child", "requester_agency", "requester", "answered_by")
        .order_by("answered_at", "pk")[:PAGE_SIZE]
    )
    approvals = [
        ApprovalRow(
            request=row, waiting_since=row.answered_at, due_on=row.due_on,
            may_approve=user.pk not in {row.requester_id, row.answered_by_id},
        )
        for row in waiting
    ]  # fmt: skip
    reviewed = DisclosureEvent.objects.filter(disclosure_id=OuterRef("pk"), kind=rules.FollowUp.REVIEWED)
    unreviewed = (
        Disclosure.objects.filter(from_agency_id__in=agencies, kind=rules.Kind.EMERGENCY)
        .exclude(Exists(reviewed))
        .select_related("child", "to_agency", "discloser")
        .order_by("review_due_at", "pk")[:PAGE_SIZE]
    )
    reviews = [ReviewRow(row, row.review_due_at, row.discloser_id != user.pk) for row in unreviewed]
    return approvals, reviews


@dataclass(frozen=True)
class RequestPage:
    request: InformationRequest
    answer: RequestAnswer | None
    disclosure_id: int | None
    actions: frozenset[str]


def request_page(user: Any, pk: Any) -> RequestPage:
    """A request with its decision record and what the reader may do with it (404 outside their scope)."""
    request = get_or_deny(
        user,
        InformationRequest.objects.select_related(
            "child", "requester", "requester_agency", "holding_agency", "protocol_version__protocol", "answered_by",
            "approver", "declined_by",
        ),
        pk=pk,
    )  # fmt: skip
    answer = RequestAnswer.objects.filter(request=request).first()
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
    # The snapshot's content, when the reader may read it: for a recipient only the entries they still hold a live
    # grant to. None when they may not (auditors, a recipient whose access ended) or it was erased after retention.
    content: dict[str, Any] | None
    hash_verified: bool | None  # None when the snapshot was erased at the end of retention
    revoked: bool
    expired: bool


def disclosure_page(user: Any, pk: Any) -> DisclosurePage:
    """What was disclosed, to whom, why, on which legal basis, under which version, with its decision record and
    follow-ups; the snapshot re-hashed on every showing (a mismatch is shown and audited). Every showing is
    audited (disclosure.view)."""
    disclosure = get_or_deny(
        user,
        Disclosure.objects.select_related(
            "child", "from_agency", "to_agency", "discloser", "approver", "requester", "answer",
            "protocol_version__protocol",
        ),
        pk=pk,
    )  # fmt: skip
    recipients = list(disclosure.recipients.select_related("user", "agency").order_by("user__full_name"))
    events = list(disclosure.events.select_related("actor").order_by("at", "pk"))
    snapshot = DisclosureSnapshot.objects.filter(disclosure=disclosure).first()
    hash_verified = None if snapshot is None else rules.snapshot_sha256(snapshot.document) == disclosure.snapshot_sha256
    content: dict[str, Any] | None = None
    if snapshot is not None and can(user, "read_content", disclosure):
        content = dict(snapshot.document)
        if disclosure.from_agency_id not in index_agencies(user):
            entries = list(content.get("entries") or [])
            held = live_grants(user, [int(item["entry_id"]) for item in entries])
            content["entries"] = [item for item in entries if int(item["entry_id"]) in held]
    audit_record(
        kind="disclosure.view", actor=user, target=disclosure, child_id=disclosure.child_id,
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
        revoked=rules.FollowUp.REVOKED in kinds, expired=disclosure.retain_until <= timezone.now(),
    )  # fmt: skip


@dataclass(frozen=True)
class ReceivedRow:
    disclosure: Disclosure
    active: bool  # not revoked and within retention


def disclosures_received(user: Any) -> list[ReceivedRow]:
    """The disclosures made to the reader by name, newest first, each with whether their access still lasts. One
    query."""
    if getattr(user, "is_system", False):
        return []
    revoked = DisclosureEvent.objects.filter(disclosure_id=OuterRef("pk"), kind=rules.FollowUp.REVOKED)
    rows = (
        restrict(user, "view", Disclosure)
        .filter(Q(pk__in=DisclosureRecipient.objects.filter(user_id=user.pk).values("disclosure_id")))
        .select_related("child", "from_agency", "discloser")
        .annotate(is_revoked=Exists(revoked))
        .order_by("-made_at", "-pk")[:PAGE_SIZE]
    )
    now = timezone.now()
    return [ReceivedRow(row, not row.is_revoked and row.retain_until > now) for row in rows]


@dataclass(frozen=True)
class SentRow:
    request: InformationRequest
    overdue: bool


def requests_sent(user: Any, *, state: str | None = None, today: date | None = None) -> list[SentRow]:
    """The requests the reader made (all states unless `state` says one), the newest first. At most PAGE_SIZE.
    One query."""
    if getattr(user, "is_system", False) or not getattr(user, "pk", None):
        return []
    today = today or timezone.localdate()
    rows = restrict(user, "view", InformationRequest).filter(requester_id=user.pk, kind=rules.Kind.REQUESTED)
    if state in {s.value for s in rules.State}:
        rows = rows.filter(state=state)
    rows = rows.select_related("child", "holding_agency").order_by("-submitted_at", "-pk")[:PAGE_SIZE]
    return [
        SentRow(request=row, overdue=row.due_on is not None and row.due_on < today and row.state in OPEN)
        for row in rows
    ]


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
