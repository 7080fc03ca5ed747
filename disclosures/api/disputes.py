"""Disputes and the central register through the API (issue 13; Southampton 13; docs/after-disclosure-design.md 8):
serializers and views in one file. Thin: the rules are in disclosures.rules and disclosures.dispute_policy, the
writes in disclosures.services.disputes, the reads in disclosures.dispute_selectors.

Out of scope is a 404 (another agency's dispute, by URL; a request id in a body reads as not existing: 400), in
scope but refused a 403 naming the rule (an early escalation names stage 1's last day). A second position, advice,
decision or record of the same side is a 409. API tokens do none of this (design Q15)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from disclosures import dispute_selectors as selectors
from disclosures import rules
from disclosures.api.serializers import _text
from disclosures.dispute_policy import REGISTER, dispute_subject_scope, onward_subject_scope
from disclosures.models import Dispute, InformationRequest, OnwardRequest
from disclosures.services import disputes as services
from isp_portal import policy
from isp_portal.api import PolicyViewMixin, ScopedPrimaryKeyField, parse_input
from isp_portal.api_input import EraDateField


def _choices(enum: Any) -> list[str]:
    return [member.value for member in enum]


POSITIONS = _choices(rules.Position)
STATES = _choices(rules.DisputeState)
GROUNDS = _choices(rules.DisputeGround)
ACTIONS = ["position", "escalate", "advise", "decide", "record", "withdraw"]


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This was already done."
    default_code = "conflict"


# Refusals that mean someone acted first (a second position, advice, decision or record): 409, not 403.
ALREADY = ("already been recorded", "already recorded", "already resolved", "already withdrawn", "already escalated")


# Design 10: another agency's id in a body is a 400 like a missing one.
class DisputableRequestField(ScopedPrimaryKeyField):
    """A request the caller may dispute (theirs, or their agency's as its designated manager): any other id reads
    as not existing."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(InformationRequest, **kwargs)

    def get_queryset(self) -> QuerySet[InformationRequest]:
        scope = dispute_subject_scope(self.context["request"].user)
        return InformationRequest.objects.none() if scope is None else InformationRequest.objects.filter(scope)


class DisputableOnwardField(ScopedPrimaryKeyField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(OnwardRequest, **kwargs)

    def get_queryset(self) -> QuerySet[OnwardRequest]:
        scope = onward_subject_scope(self.context["request"].user)
        return OnwardRequest.objects.none() if scope is None else OnwardRequest.objects.filter(scope)


class DisputeIn(serializers.Serializer):
    request = DisputableRequestField(required=False, allow_null=True, default=None, help_text="The request")
    onward_request = DisputableOnwardField(
        required=False, allow_null=True, default=None, help_text="Or the onward request"
    )
    grounds = _text("Why the information should be shared", required=True)
    impact_so_far = _text("The impact so far of not sharing it")


class PositionIn(serializers.Serializer):
    position = serializers.ChoiceField(choices=POSITIONS, help_text="Share, or do not share")
    note = _text("Why", required=True)


class DisputeReasonIn(serializers.Serializer):
    reason = _text("Why")


class AdviceIn(serializers.Serializer):
    advice = _text("Your advice to your agency's head of service", required=True)


class DecisionIn(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=POSITIONS, help_text="Share, or do not share")
    reason = _text("The reason for the decision", required=True)


class RecordIn(serializers.Serializer):
    process_followed = _text("The process followed", required=True)
    reason = _text("The reason information was or was not shared", required=True)
    impact = _text("The impact", required=True)


class RegisterQuery(serializers.Serializer):
    agency = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1, help_text="Either side")
    state = serializers.ChoiceField(choices=STATES, required=False)
    stage = serializers.ChoiceField(choices=[1, 2], required=False)
    ground = serializers.ChoiceField(choices=GROUNDS, required=False)
    outcome = serializers.ChoiceField(choices=POSITIONS, required=False)
    opened_from = EraDateField(required=False)
    opened_to = EraDateField(required=False)
    overdue = serializers.BooleanField(required=False, default=False)
    records_incomplete = serializers.BooleanField(required=False, default=False)
    before = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1, help_text="Keyset: below")


class DisputeOut(serializers.Serializer):
    id = serializers.IntegerField()
    register_number = serializers.CharField()
    subject_kind = serializers.CharField()
    request = serializers.IntegerField(allow_null=True)
    onward_request = serializers.IntegerField(allow_null=True)
    ground = serializers.CharField()
    state = serializers.CharField()
    stage = serializers.IntegerField()
    raising_agency = serializers.IntegerField()
    responding_agency = serializers.IntegerField()
    opened_at = serializers.DateTimeField()
    stage_one_due_on = serializers.DateField()
    stage_two_due_on = serializers.DateField(allow_null=True)
    outcome = serializers.CharField()
    records_due_on = serializers.DateField(allow_null=True)
    follow_up_request = serializers.IntegerField(allow_null=True)
    actions = serializers.ListField(child=serializers.ChoiceField(choices=ACTIONS))


def dispute_out(dispute: Dispute, actions: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": dispute.pk, "register_number": dispute.register_label, "subject_kind": dispute.subject_kind,
        "request": dispute.request_id, "onward_request": dispute.onward_request_id, "ground": dispute.ground,
        "state": dispute.state, "stage": dispute.stage, "raising_agency": dispute.raising_agency_id,
        "responding_agency": dispute.responding_agency_id, "opened_at": dispute.opened_at,
        "stage_one_due_on": dispute.stage_one_due_on, "stage_two_due_on": dispute.stage_two_due_on,
        "outcome": dispute.outcome, "records_due_on": dispute.records_due_on,
        "follow_up_request": dispute.follow_up_request_id, "actions": actions or [],
    }  # fmt: skip


class JourneyOut(DisputeOut):
    grounds = serializers.CharField()
    impact_so_far = serializers.CharField()
    outcome_reason = serializers.CharField()
    assignees = serializers.ListField(child=serializers.DictField())
    positions = serializers.ListField(child=serializers.DictField())
    advice = serializers.ListField(child=serializers.DictField())
    records = serializers.ListField(child=serializers.DictField())
    events = serializers.ListField(child=serializers.DictField())


def journey_out(page: selectors.DisputeJourney) -> dict[str, Any]:
    """The journey; for a reader of its metadata only (an auditor: dispute_policy.reads_dispute_content) every text
    written in it is empty (break13e F4)."""
    dispute = page.dispute

    def text(value: str) -> str:
        return value if page.content else ""

    return {
        **dispute_out(dispute, page.allowed),
        "grounds": text(dispute.grounds), "impact_so_far": text(dispute.impact_so_far),
        "outcome_reason": text(dispute.outcome_reason),
        "assignees": [
            {"stage": stage, "side": side, "user": user} for stage, side, user in sorted(page.facts.assignees)
        ],
        "positions": [
            {"stage": p.stage, "side": p.side, "author": p.author_id, "position": p.position, "note": text(p.note),
             "at": p.at.isoformat()} for p in page.positions
        ],
        "advice": [
            {"side": a.side, "adviser": a.adviser_id, "adviser_role": a.adviser_role, "advice": text(a.advice),
             "at": a.at.isoformat()} for a in page.advices
        ],
        "records": [
            {"side": r.side, "agency": r.agency_id, "recorded_by": r.recorded_by_id, "at": r.at.isoformat()}
            for r in page.records
        ],
        "events": [
            {"kind": e.kind, "stage": e.stage, "side": e.side, "actor": e.actor_id, "at": e.at.isoformat()}
            for e in page.events
        ],
    }  # fmt: skip


class RegisterRowOut(serializers.Serializer):
    register_number = serializers.CharField()
    subject_kind = serializers.CharField()
    ground = serializers.CharField()
    raising_agency = serializers.CharField()
    responding_agency = serializers.CharField()
    state = serializers.CharField()
    stage = serializers.IntegerField()
    opened_on = serializers.DateField()
    outcome = serializers.CharField()
    records_made = serializers.IntegerField()
    overdue = serializers.BooleanField()


class RegisterOut(serializers.Serializer):
    rows = RegisterRowOut(many=True)
    counts = serializers.DictField(child=serializers.IntegerField())
    next_before = serializers.IntegerField(allow_null=True)


def filters_of(values: dict[str, Any]) -> selectors.RegisterFilters:
    return selectors.RegisterFilters(
        agency=values.get("agency"), state=values.get("state", ""),
        stage=int(values["stage"]) if values.get("stage") else None, ground=values.get("ground", ""),
        outcome=values.get("outcome", ""), opened_from=values.get("opened_from"), opened_to=values.get("opened_to"),
        overdue=bool(values.get("overdue")), records_incomplete=bool(values.get("records_incomplete")),
        before=values.get("before"),
    )  # fmt: skip


def _journey(user: Any, pk: Any, code: int = 200) -> Response:
    return Response(journey_out(selectors.dispute_page(user, pk)), status=code)


class DisputeViewSet(PolicyViewMixin, viewsets.GenericViewSet[Dispute]):
    """Disputes about whether information should be shared: the caller's, a new one, one dispute's journey and its
    stages' actions."""

    policy_model = Dispute
    serializer_class = DisputeOut
    lookup_value_regex = "[0-9]+"
    pagination_class = None
    checked_on_parent: ClassVar[dict[str | None, tuple[type[Model], str]]] = {
        "list": (Dispute, "view"),
        "create": (Dispute, "view"),
    }

    def base_queryset(self) -> QuerySet[Dispute]:
        return Dispute.objects.all()

    @extend_schema(summary="Disputes you are party to", responses={200: DisputeOut(many=True)})
    def list(self, request: Request) -> Response:
        return Response([dispute_out(dispute) for dispute in selectors.disputes_mine(request.user)])

    @extend_schema(
        summary="Raise a dispute about a declined or overdue request",
        description="By the requester or a designated manager of the requesting agency. Refused with 400 naming the "
        "rule about a request answered in time (`request`) or already disputed.",
        request=DisputeIn,
        responses={201: JourneyOut},
    )
    def create(self, request: Request) -> Response:
        values = parse_input(DisputeIn, request.data, request)
        dispute = services.dispute_open(actor=request.user, **values)
        return _journey(request.user, dispute.pk, status.HTTP_201_CREATED)

    @extend_schema(summary="A dispute's journey", responses={200: JourneyOut})
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return _journey(request.user, pk)

    def _act(
        self, request: Request, pk: str | None, act: str, shape: type[serializers.Serializer], run: Any
    ) -> Response:
        # A token refused for its scopes is told so whatever the id (design Q15: dispute stages are people's).
        policy.require_gate(request.user, act, Dispute)
        found = policy.get_or_deny(request.user, self.base_queryset(), pk=pk)
        try:
            policy.require(request.user, act, found)
        except policy.NotPermitted as denial:
            if denial.reason and any(words in denial.reason for words in ALREADY):
                policy.record_denial(denial, user=request.user, path=request.path, method=request.method or "")
                denial.recorded = True
                raise Conflict(denial.reason) from None
            raise
        values = parse_input(shape, request.data, request)
        run(found, values)
        return _journey(request.user, found.pk)

    @extend_schema(summary="Record your side's position", request=PositionIn, responses={200: JourneyOut, 409: None})
    @action(detail=True, methods=["post"])
    def position(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, pk, "position", PositionIn, lambda d, v: services.dispute_position_record(
            actor=request.user, dispute=d, **v))  # fmt: skip

    @extend_schema(
        summary="Escalate to stage 2",
        description="Never early: refused with 403 naming stage 1's last day unless both positions differ.",
        request=DisputeReasonIn, responses={200: JourneyOut, 409: None},
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, pk, "escalate", DisputeReasonIn, lambda d, v: services.dispute_escalate(
            actor=request.user, dispute=d, **v))  # fmt: skip

    @extend_schema(
        summary="Advise your agency's head of service", request=AdviceIn, responses={200: JourneyOut, 409: None}
    )
    @action(detail=True, methods=["post"])
    def advice(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, pk, "advise", AdviceIn, lambda d, v: services.dispute_advice_record(
            actor=request.user, dispute=d, **v))  # fmt: skip

    @extend_schema(summary="Decide stage 2", request=DecisionIn, responses={200: JourneyOut, 409: None})
    @action(detail=True, methods=["post"])
    def decision(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, pk, "decide", DecisionIn, lambda d, v: services.dispute_decide(
            actor=request.user, dispute=d, **v))  # fmt: skip

    @extend_schema(
        summary="Record it on your agency's case file", request=RecordIn, responses={200: JourneyOut, 409: None}
    )
    @action(detail=True, methods=["post"])
    def record(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, pk, "record", RecordIn, lambda d, v: services.dispute_record_make(
            actor=request.user, dispute=d, **v))  # fmt: skip

    @extend_schema(summary="Withdraw the dispute", request=DisputeReasonIn, responses={200: JourneyOut, 409: None})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, pk, "withdraw", DisputeReasonIn, lambda d, v: services.dispute_withdraw(
            actor=request.user, dispute=d, **v))  # fmt: skip


class DisputeRegisterView(APIView):
    """The central register of disputes: no child, no free text."""

    policy_resource = REGISTER

    @extend_schema(
        summary="The dispute register",
        description="Partnership admins and auditors read every row; designated managers and agency auditors their "
        f"agencies'. {selectors.PAGE_SIZE} rows a page, newest first; `next_before` pages on.",
        parameters=[RegisterQuery],
        responses={200: RegisterOut},
    )
    def get(self, request: Request) -> Response:
        values = parse_input(RegisterQuery, request.query_params, request, known_only=True)
        page = selectors.dispute_register(request.user, filters_of(values))
        return Response(
            {
                "rows": [
                    {
                        "register_number": row.register_label,
                        "subject_kind": row.subject_kind,
                        "ground": row.ground,
                        "raising_agency": row.raising_agency,
                        "responding_agency": row.responding_agency,
                        "state": row.state,
                        "stage": row.stage,
                        "opened_on": row.opened_on,
                        "outcome": row.outcome,
                        "records_made": row.records_made,
                        "overdue": row.overdue,
                    }
                    for row in page.rows
                ],
                "counts": dict(page.counts),
                "next_before": page.next_before,
            }
        )


__all__ = ["DisputeRegisterView", "DisputeViewSet", "OpenApiResponse"]
