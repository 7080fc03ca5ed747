"""Requests for information, their answers and approvals, and disclosures, through the API (issue 12; design12
section 8). Thin: the rules are in disclosures.rules and disclosures.policy, the writes in disclosures.services,
the reads in disclosures.selectors.

Who may do what is the policy's (a request is seen by whoever made it and by the agency asked; out of scope is a
404, in scope but refused a 403 naming the rule). An agency system's API token with `requests:write` raises,
answers (declines, or shares) and withdraws requests for its agency (design12 F12; the child is found through
children:read and the entries read through records:read); it never approves, reviews, revokes or receives a
disclosure, and never makes one unasked (DESIGN 4: those are people's decisions). A second answer or approval of
the same request, or a second review or revocation, is a 409 naming what happened first."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from disclosures import rules, selectors, services
from disclosures.api import serializers as shapes
from disclosures.api.lineage import LineageOut, disclosure_lineage_body
from disclosures.models import Disclosure, DisclosureEvent, InformationRequest
from disclosures.services import DecisionInput
from disclosures.services.checks import end_of_day
from isp_portal import policy
from isp_portal.api import PolicyViewMixin, errors_named, parse_input
from sharing.api.purpose import PURPOSE_PARAMETER, stated_purpose
from sharing.models import Child
from sharing.policy import index_agencies, index_refusal

# Every operation's 400, 401, 403 and 404 are documented by isp_portal.api_schema.document_errors; a write that
# can meet a request (or disclosure) that moved on first documents its 409 here, in the same error shape.
CONFLICT = OpenApiResponse(
    response=shapes.ErrorOut,
    description="Already answered, approved, declined or withdrawn (or reviewed, revoked) before this; `message` "
    "says what happened first.",
)


class NamedListsSchema(AutoSchema):
    """The lists of these viewsets answer one object of named lists (an inbox and what was sent), each bounded by
    its selector (selectors.PAGE_SIZE): not an array, nor a page of one."""

    def _is_list_view(self, serializer: Any = None) -> bool:
        return False

    def get_operation_id(self) -> str:
        operation_id = str(super().get_operation_id())
        if getattr(self.view, "action", None) == "list" and operation_id.endswith("_retrieve"):
            return operation_id.removesuffix("_retrieve") + "_list"
        return operation_id


# The transition each action asks of the state machine (disclosures.policy): a refusal of the machine itself means
# the request moved on first (another answer, approval or withdrawal), a conflict rather than a lack of permission.
TARGETS = {
    "answer": rules.State.AWAITING_APPROVAL,
    "approve": rules.State.APPROVED,
    "decline_approval": rules.State.APPROVED,
    "withdraw": rules.State.WITHDRAWN,
}


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This was already done."
    default_code = "conflict"


def _responses(ok: Any, code: int = 200, *, write: bool = True) -> dict[int, Any]:
    return {code: ok, 409: CONFLICT} if write else {code: ok}


def _as_conflict(denial: policy.NotPermitted, request: Request) -> Conflict:
    """The denial, recorded as every refusal is (once), answered as a conflict."""
    policy.record_denial(denial, user=request.user, path=request.path, method=request.method or "")
    denial.recorded = True
    return Conflict(denial.reason or Conflict.default_detail)


@contextmanager
def request_moved_on(api_request: Request, pk: Any, act: str) -> Iterator[None]:
    """A refusal by the state machine (the request was answered, approved, declined or withdrawn before this
    one, perhaps a moment ago by someone else: disclosures.services.answers locks the row and asks again) as a
    409; any other refusal as it is. Outside the transaction the refusal rolled back, so the denial it records
    stays."""
    try:
        yield
    except policy.NotPermitted as denial:
        current = InformationRequest.objects.filter(pk=pk).values_list("state", flat=True).first()
        state = rules.State(current) if current is not None else None
        # The machine's own sentences for the state it is in now (the service's backstop, a second answer caught by
        # the unique constraint, words it for the shared target: disclosures.services.answers._already).
        machine = set() if state is None else {rules.transition_refusal(state, target) for target in rules.State}
        moved = state is not None and rules.transition_refusal(state, TARGETS[act]) is not None
        if moved and denial.reason in machine | {"This request was already answered."}:
            raise _as_conflict(denial, api_request) from None
        raise


@contextmanager
def followed_up_already(api_request: Request, disclosure: Disclosure, kind: rules.FollowUp) -> Iterator[None]:
    """A second review or revocation of a disclosure (it happens once: disclosures.services.disclosures) as a 409."""
    try:
        yield
    except policy.NotPermitted as denial:
        if DisclosureEvent.objects.filter(disclosure_id=disclosure.pk, kind=kind.value).exists():
            raise _as_conflict(denial, api_request) from None
        raise


def require_index(user: Any, act: str, model: type[Model]) -> None:
    """Only someone who practises in an agency using the child index asks for or discloses a child's information:
    anyone else is told why (sharing.policy.index_refusal) before the body is read, not that the child they name
    does not exist."""
    if not index_agencies(user):
        raise policy.NotPermitted(
            action=act, target_type=model._meta.label_lower,
            reason=index_refusal(user) or "Only practitioners and designated managers of partner agencies can do this.",
        )  # fmt: skip


def _decision(values: dict[str, Any]) -> DecisionInput:
    return DecisionInput(
        is_confidential=values["is_confidential"],
        **{name: values[name] for name in ("public_interest", "proportionality", "why_shared",
                                           "why_without_consent", "what_agreed", "third_parties")},
    )  # fmt: skip


def _retain(values: dict[str, Any]) -> Any:
    day = values.get("retain_until")
    return end_of_day(day) if day is not None else None


def _request_body(user: Any, pk: Any, code: int = 200) -> Response:
    return Response(shapes.request_out(selectors.request_page(user, pk)), status=code)


def _written_body(user: Any, request: InformationRequest, code: int = 200) -> Response:
    """The body of a request a service has just written, from the rows it holds (selectors.request_page_written):
    the reader was asked for the request's scope at the start of this request."""
    return Response(shapes.request_out(selectors.request_page_written(user, request)), status=code)


def _written(made: Disclosure | InformationRequest) -> InformationRequest:
    """The request a service wrote, as it holds it (a disclosure's own request)."""
    return made.request if isinstance(made, Disclosure) else made


def _disclosure_body(user: Any, pk: Any, *, purpose: str = "", code: int = 200) -> Response:
    page = selectors.disclosure_page(user, pk, purpose=purpose)
    actions = [act for act in shapes.DISCLOSURE_ACTIONS if policy.can(user, act, page.disclosure)]
    return Response(shapes.disclosure_out(page, actions), status=code)


# --- Requests ---------------------------------------------------------------------------------------------------


class RequestViewSet(PolicyViewMixin, viewsets.GenericViewSet[InformationRequest]):
    """Requests for information: the inbox and what the caller sent, a new request, one request, its answer, its
    approval and its withdrawal."""

    policy_model = InformationRequest
    serializer_class = shapes.RequestOut
    lookup_value_regex = "[0-9]+"
    # The lists are bounded by their selectors (selectors.PAGE_SIZE) and answered as one object of named lists.
    pagination_class = None
    schema = NamedListsSchema()
    # A token's scopes are asked before the body is read: a request needs the child index (children:read) and
    # requests:write, and a refusal names the scopes rather than a field of the body.
    checked_on_parent: ClassVar[dict[str | None, tuple[type[Model], str]]] = {
        "list": (InformationRequest, "view"),
        "create": (InformationRequest, "create"),
    }

    def base_queryset(self) -> QuerySet[InformationRequest]:
        return InformationRequest.objects.all()

    @extend_schema(
        summary="Requests to your agency, and those you made",
        description="`inbox`: requests to the agencies you practise in (open ones, most overdue first, then by due "
        "date and urgency; `?state=` for another state), each with whether it is overdue and whether the consent it "
        f"rests on was withdrawn since. `sent`: the requests you made, newest first. At most {selectors.PAGE_SIZE} "
        "of each.",
        parameters=[shapes.RequestsQuery],
        responses=_responses(shapes.RequestsOut, write=False),
    )
    def list(self, request: Request) -> Response:
        query = parse_input(shapes.RequestsQuery, request.query_params, request)
        state = query.get("state")
        inbox = selectors.requests_inbox(request.user, state=state)
        sent = selectors.requests_sent(request.user, state=state)
        return Response(
            {"inbox": [shapes.inbox_row(row) for row in inbox], "sent": [shapes.inbox_row(row) for row in sent]}
        )

    @extend_schema(
        summary="Ask another agency for a child's information",
        description="Refused with 400 by field, naming the rule: an agency with no protocol version in force both "
        "agencies signed, or one that may not send or receive now (`holding_agency`); a child outside the "
        "protocol's age scope (`child`); a purpose the protocol does not permit (`purpose`); a tier or category "
        "outside its scope; consent that does not cover it, withdrawn even a minute ago (`consent`); a ground the "
        "protocol does not allow (`override_ground`). A child you cannot reach reads as not existing. The answer "
        "is due the protocol's response time in working days later.",
        request=shapes.RequestIn,
        responses=_responses(shapes.RequestOut, 201, write=False),
    )
    def create(self, request: Request) -> Response:
        policy.require_gate(request.user, "view", Child)
        require_index(request.user, "create", InformationRequest)
        values = parse_input(shapes.RequestIn, request.data, request)
        made = services.request_submit(actor=request.user, **values)
        return _written_body(request.user, made, status.HTTP_201_CREATED)

    @extend_schema(
        summary="A request",
        description="What was asked, why and under which protocol version; its answer (the decision record) once "
        "answered, the disclosure once shared, and what you may do with it now (`actions`).",
        responses=_responses(shapes.RequestOut, write=False),
    )
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return _request_body(request.user, pk)

    @extend_schema(
        summary="Answer a request: share or decline",
        description="`outcome: share` with the entries (the minimum needed, of the categories asked for), the legal "
        "basis the request's consent basis and the protocol allow, the decision record, whether the child or "
        "family was told, onward terms, retention and recipients (default: the requester), and, as the answer pages "
        "do, the revision of each entry you read (`revisions`: each is shared at it, refused if corrected since). "
        "Detailed and sensitive information without consent waits for a designated manager (the request is "
        "answered `awaiting_approval`); otherwise the disclosure is made at once. `outcome: decline` with "
        "`decline_reason` (and `decline_detail`). For the agency asked, not the requester. 409 when it was "
        "already answered or withdrawn.",
        request=shapes.AnswerIn,
        responses=_responses(shapes.RequestOut),
    )
    @action(detail=True, methods=["post"])
    def answer(self, request: Request, pk: str | None = None) -> Response:
        # A token refused for its scopes is told so whatever the id (nothing learnt about which exist).
        policy.require_gate(request.user, "answer", InformationRequest)
        # One locking read of the request, then the policy (the same 404 and denial as get_or_deny); the service
        # answers with that row, in that transaction, without reading it again (services.request_locked).
        with request_moved_on(request, pk, "answer"), services.request_locked(pk, requester_facts=True) as row:
            found = policy.found_or_deny(request.user, InformationRequest, row, target_id=pk)
            policy.require(request.user, "answer", found)
            values = parse_input(shapes.AnswerIn, request.data, request)
            made: Disclosure | InformationRequest
            if values["outcome"] == rules.Outcome.DECLINE:
                with errors_named(reason="decline_reason", detail="decline_detail"):
                    made = services.request_answer_decline(
                        actor=request.user, request=found, reason=values.get("decline_reason", ""),
                        detail=values["decline_detail"], decision=_decision(values),
                    )  # fmt: skip
            else:
                made = services.request_answer_share(
                    actor=request.user, request=found, entries=values["entries"],
                    legal_basis=values.get("legal_basis", ""), decision=_decision(values),
                    subject_told=values.get("subject_told", ""),
                    subject_not_told_reason=values["subject_not_told_reason"], onward_terms=values["onward_terms"],
                    retain_until=_retain(values), recipients=values.get("recipients"),
                    s29_form_reference=values["s29_form_reference"], revisions=values.get("revisions"),
                )  # fmt: skip
        return _written_body(request.user, _written(made))

    @extend_schema(
        summary="Approve a disclosure, or decline to",
        description="A designated manager of the agency asked, who neither made nor answered the request "
        "approves (`decision: approve`, the disclosure is made now, everything checked again) or "
        "declines with a reason (`decision: decline`). A person only: an API token is refused. 409 when it was "
        "already approved or declined.",
        request=shapes.ApprovalIn,
        responses=_responses(shapes.RequestOut),
    )
    @action(detail=True, methods=["post"])
    def approval(self, request: Request, pk: str | None = None) -> Response:
        # A token refused for its scopes is told so whatever the id (nothing learnt about which exist).
        policy.require_gate(request.user, "approve", InformationRequest)
        # One locking read of the request, with what making the disclosure reads of it, then the policy (the same
        # 404 and denial as get_or_deny); the service approves with that row, in that transaction.
        with request_moved_on(request, pk, "approve"), services.request_locked(pk, making=True) as row:
            found = policy.found_or_deny(request.user, InformationRequest, row, target_id=pk)
            # Approving and declining to approve are one rule (disclosures.policy), asked before the body is read.
            policy.require(request.user, "approve", found)
            values = parse_input(shapes.ApprovalIn, request.data, request)
            made: Disclosure | InformationRequest
            if values["decision"] == "approve":
                made = services.request_approve(actor=request.user, request=found, note=values["note"])
            else:
                made = services.request_approval_decline(actor=request.user, request=found, reason=values["reason"])
        return _written_body(request.user, _written(made))

    @extend_schema(
        summary="Withdraw a request you made",
        description="While it is open. 409 when it was already answered, declined or withdrawn.",
        request=shapes.RequestWithdrawIn,
        responses=_responses(shapes.RequestOut),
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        # A token refused for its scopes is told so whatever the id (nothing learnt about which exist).
        policy.require_gate(request.user, "withdraw", InformationRequest)
        found = policy.get_or_deny(request.user, self.base_queryset(), pk=pk)
        with request_moved_on(request, found.pk, "withdraw"):
            policy.require(request.user, "withdraw", found)
            values = parse_input(shapes.RequestWithdrawIn, request.data, request)
            services.request_withdraw(actor=request.user, request=found, reason=values["reason"])
        return _request_body(request.user, found.pk)


class ApprovalsView(APIView):
    """A designated manager's queue."""

    policy_model = InformationRequest
    # Approval and review are people's (Haringey 4.6; DESIGN 4): a token is refused for its scopes.
    checked_on_parent: ClassVar[dict[str | None, tuple[type[Model], str]]] = {None: (InformationRequest, "approve")}

    @extend_schema(
        summary="Disclosures awaiting your approval or review",
        description="`approvals`: requests answered with detailed and sensitive information without consent, "
        "waiting for a designated manager of your agency, oldest first; those you raised or answered are listed "
        "with `may_approve: false`, and those you may not approve for another reason (a restricted entry, when you "
        "are not authorised for restricted information) are not listed. `reviews`: emergency disclosures of your "
        "agency not yet reviewed, by deadline. Empty for anyone but a designated manager.",
        responses=_responses(shapes.ApprovalsOut, write=False),
    )
    def get(self, request: Request) -> Response:
        approvals, reviews = selectors.approvals_pending(request.user)
        return Response(shapes.approvals_out(approvals, reviews))


# --- Disclosures ------------------------------------------------------------------------------------------------


class DisclosureViewSet(PolicyViewMixin, viewsets.GenericViewSet[Disclosure]):
    """Disclosures: those made by the caller's agency and those made to them, a proactive referral, an emergency
    disclosure, one disclosure, its review and its revocation. People only (DESIGN 4)."""

    policy_model = Disclosure
    serializer_class = shapes.DisclosureOut
    lookup_value_regex = "[0-9]+"
    # The lists are bounded by their selectors (selectors.PAGE_SIZE) and answered as one object of named lists.
    pagination_class = None
    schema = NamedListsSchema()
    # No token scope reaches disclosures: a token is refused for its scopes whatever the body.
    checked_on_parent: ClassVar[dict[str | None, tuple[type[Model], str]]] = {
        "list": (Disclosure, "view"),
        "create": (Disclosure, "create"),
        "emergency": (Disclosure, "create"),
    }

    def base_queryset(self) -> QuerySet[Disclosure]:
        return Disclosure.objects.all()

    @extend_schema(
        summary="Disclosures made by your agency, and made to you",
        description=f"Newest first, at most {selectors.PAGE_SIZE} of each, each with whether its recipients' "
        "access still lasts (not revoked, within retention). `?direction=` for one of the two.",
        parameters=[shapes.DisclosuresQuery],
        responses=_responses(shapes.DisclosuresOut, write=False),
    )
    def list(self, request: Request) -> Response:
        direction = parse_input(shapes.DisclosuresQuery, request.query_params, request).get("direction")
        sent = selectors.disclosures_sent(request.user) if direction in {None, "sent"} else []
        received = selectors.disclosures_received(request.user) if direction in {None, "received"} else []
        return Response(
            {
                "sent": [shapes.disclosure_row(row) for row in sent],
                "received": [shapes.disclosure_row(row) for row in received],
            }
        )

    @extend_schema(
        summary="Refer a concern to another agency (proactive sharing)",
        description="A disclosure without a request, under the same rules: the protocol both agencies signed, "
        "its purposes and scope, a legal basis the consent basis allows, the decision record. Detailed and "
        "sensitive information without consent waits for a designated manager: the answer is then the referral "
        "`awaiting_approval`; otherwise `shared`, with its `disclosure`.",
        request=shapes.ReferIn,
        responses=_responses(shapes.RequestOut, 201, write=False),
    )
    def create(self, request: Request) -> Response:
        require_index(request.user, "create", Disclosure)
        values = parse_input(shapes.ReferIn, request.data, request)
        made = services.disclosure_refer(
            actor=request.user, child=values["child"], to_agency=values["to_agency"],
            recipients=values["recipients"], purpose=values["purpose"], tiers=values["tiers"],
            categories=values["categories"], entries=values["entries"], why=values["why"],
            consent_basis=values["consent_basis"], consent=values["consent"],
            not_sought_reason=values["not_sought_reason"], override_ground=values["override_ground"],
            legal_basis=values["legal_basis"], decision=_decision(values), subject_told=values["subject_told"],
            subject_not_told_reason=values["subject_not_told_reason"], onward_terms=values["onward_terms"],
            retain_until=_retain(values), s29_form_reference=values["s29_form_reference"], agency=values["agency"],
        )  # fmt: skip
        return _written_body(request.user, _written(made), status.HTTP_201_CREATED)

    @extend_schema(
        summary="Disclose in an emergency",
        description="At once, for urgent medical treatment or an immediate risk of harm, consent not sought "
        "(unjustified delay), on urgent medical treatment or significant harm. Your agency's designated managers "
        "are told at once; it must be reviewed by the end of the next working day.",
        request=shapes.EmergencyIn,
        responses=_responses(shapes.DisclosureOut, 201, write=False),
    )
    @action(detail=False, methods=["post"])
    def emergency(self, request: Request) -> Response:
        require_index(request.user, "create", Disclosure)
        values = parse_input(shapes.EmergencyIn, request.data, request)
        made = services.disclosure_emergency(
            actor=request.user, child=values["child"], to_agency=values["to_agency"],
            recipients=values["recipients"], reason=values["reason"], legal_basis=values["legal_basis"],
            decision=_decision(values), purpose=values["purpose"], tiers=values["tiers"],
            categories=values["categories"], entries=values["entries"], why=values["why"],
            subject_told=values["subject_told"],
            subject_not_told_reason=values["subject_not_told_reason"] or "There was no time to tell them first.",
            onward_terms=values["onward_terms"], retain_until=_retain(values), agency=values["agency"],
        )  # fmt: skip
        return _disclosure_body(request.user, made.pk, purpose=made.purpose, code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="A disclosure",
        description="What was disclosed, to whom, why, on which legal basis, under which protocol version, with "
        "its decision record and follow-ups; the snapshot re-hashed (`hash_verified`). `content` (what was "
        "disclosed) only to the disclosing agency, and to a named recipient while their access lasts (the entries "
        "they still hold); null to anyone else (auditors see the metadata only). Every reading is audited with its "
        "purpose (X-Purpose).",
        parameters=[PURPOSE_PARAMETER],
        responses=_responses(shapes.DisclosureOut, write=False),
    )
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        found = policy.get_or_deny(request.user, self.base_queryset(), pk=pk)
        return _disclosure_body(request.user, found.pk, purpose=stated_purpose(request))

    @extend_schema(
        summary="Review an emergency disclosure",
        description="A designated manager of the disclosing agency who did not make it: endorse it, or raise "
        "concerns (with a note). Answers with the disclosure, so it needs X-Purpose. Once: 409 when it was already "
        "reviewed.",
        parameters=[PURPOSE_PARAMETER],
        request=shapes.DisclosureReviewIn,
        responses=_responses(shapes.DisclosureOut),
    )
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str | None = None) -> Response:
        # A token refused for its scopes is told so whatever the id (nothing learnt about which exist).
        policy.require_gate(request.user, "review", Disclosure)
        found = policy.get_or_deny(request.user, self.base_queryset(), pk=pk)
        with followed_up_already(request, found, rules.FollowUp.REVIEWED):
            policy.require(request.user, "review", found)
            purpose = stated_purpose(request)
            values = parse_input(shapes.DisclosureReviewIn, request.data, request)
            services.disclosure_review(actor=request.user, disclosure=found, **values)
        return _disclosure_body(request.user, found.pk, purpose=purpose)

    @extend_schema(
        summary="Revoke a disclosure",
        description="A designated manager of the disclosing agency: the recipients lose access at once; what was "
        "disclosed stays recorded. Answers with the disclosure, so it needs X-Purpose. Once: 409 when it was already "
        "revoked.",
        parameters=[PURPOSE_PARAMETER],
        request=shapes.RevokeIn,
        responses=_responses(shapes.DisclosureOut),
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        # A token refused for its scopes is told so whatever the id (nothing learnt about which exist).
        policy.require_gate(request.user, "revoke", Disclosure)
        found = policy.get_or_deny(request.user, self.base_queryset(), pk=pk)
        with followed_up_already(request, found, rules.FollowUp.REVOKED), errors_named(note="reason"):
            policy.require(request.user, "revoke", found)
            purpose = stated_purpose(request)
            values = parse_input(shapes.RevokeIn, request.data, request)
            services.disclosure_revoke(actor=request.user, disclosure=found, **values)
        return _disclosure_body(request.user, found.pk, purpose=purpose)

    @extend_schema(
        summary="The lineage of a disclosure",
        description="Where its information came from and went on (issue 13): every disclosure of the tree, hop by "
        "hop, as far as you may see it - the originating agency and auditors all of it, a party its path and what "
        "went on from it. Metadata only.",
        responses={200: LineageOut},
    )
    @action(detail=True, methods=["get"])
    def lineage(self, request: Request, pk: str | None = None) -> Response:
        return disclosure_lineage_body(request, pk)


__all__ = ["ApprovalsView", "DisclosureViewSet", "RequestViewSet"]
