"""Indemnity notices through the API (Haringey 11.1; issue 14): list and send, a notice, and the alleged
contributor's written answer. Thin: the rules are in breaches.services.indemnity and breaches.indemnity_policy, the
reads in breaches.indemnity_selectors.

Out of scope is a 404 (a notice between other agencies); in scope but refused a 403 naming the rule (answering a
notice sent to another agency); bad input a 400 keyed by field (a second answer, no details, an agency that has not
signed the protocol). API tokens do none of this: a notice and its answer are a partner's written acts."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from django.urls import URLPattern
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from agencies.models import Agency
from breaches import indemnity_selectors as selectors
from breaches.indemnity_policy import LIST_RULE, indemnity_scope
from breaches.models import Breach, IndemnityNotice
from breaches.services import indemnity as services
from isp_portal import bounds, policy
from isp_portal.api import PolicyViewMixin, ScopedPrimaryKeyField, parse_input
from protocols.models import Protocol


class IndemnityNoticeIn(serializers.Serializer):
    protocol = ScopedPrimaryKeyField(Protocol, help_text="The protocol the information was shared under")
    contributor_agency = ScopedPrimaryKeyField(Agency, help_text="The alleged contributor")
    suffering_agency = ScopedPrimaryKeyField(
        Agency, required=False, allow_null=True, default=None,
        help_text="The agency you send it for (needed only when you speak for several)",
    )  # fmt: skip
    breach = ScopedPrimaryKeyField(
        Breach, required=False, allow_null=True, default=None, help_text="The breach it arises from (optional)"
    )
    details = serializers.CharField(max_length=bounds.LONG_TEXT, help_text="Full details of the event and the claim")


class IndemnityResponseIn(serializers.Serializer):
    response = serializers.CharField(max_length=bounds.LONG_TEXT, help_text="Your answer in writing")


class IndemnityNoticeOut(serializers.Serializer):
    id = serializers.IntegerField()
    protocol = serializers.IntegerField()
    suffering_agency = serializers.IntegerField()
    contributor_agency = serializers.IntegerField()
    council_agency = serializers.IntegerField(allow_null=True, help_text="The Council told; null when it is a party")
    breach = serializers.IntegerField(allow_null=True)
    sent_at = serializers.DateTimeField()
    response_due_at = serializers.DateTimeField(allow_null=True)
    state = serializers.CharField(help_text="open, overdue (past due, unanswered) or done (answered)")
    responded_at = serializers.DateTimeField(allow_null=True)
    late_seconds = serializers.IntegerField(help_text="How late the answer is (or is so far); 0 when on time")


class IndemnityNoticeDetailOut(IndemnityNoticeOut):
    details = serializers.CharField()
    sent_by = serializers.IntegerField()
    response = serializers.CharField()
    responded_by = serializers.IntegerField(allow_null=True)
    may_respond = serializers.BooleanField()


def notice_out(view: selectors.NoticeView) -> dict[str, Any]:
    notice = view.notice
    late = view.late
    return {
        "id": notice.pk, "protocol": notice.protocol_id, "suffering_agency": notice.suffering_agency_id,
        "contributor_agency": notice.contributor_agency_id, "council_agency": notice.council_agency_id,
        "breach": notice.breach_id, "sent_at": notice.sent_at, "response_due_at": view.due_at, "state": view.state,
        "responded_at": notice.responded_at, "late_seconds": int(late.total_seconds()) if late else 0,
    }  # fmt: skip


def _detail(user: Any, pk: Any, code: int = status.HTTP_200_OK) -> Response:
    page = selectors.notice_page(user, pk)
    notice = page.view.notice
    return Response(
        {
            **notice_out(page.view), "details": notice.details, "sent_by": notice.sent_by_id,
            "response": notice.response, "responded_by": notice.responded_by_id,
            "may_respond": page.respond_refusal is None,
        },
        status=code,
    )  # fmt: skip


class IndemnityNoticeViewSet(PolicyViewMixin, viewsets.GenericViewSet[IndemnityNotice]):
    """Indemnity notices (the protocol, section 11.1): those you can see, a new one, one notice, its answer."""

    policy_model = IndemnityNotice
    serializer_class = IndemnityNoticeOut
    lookup_value_regex = "[0-9]+"
    pagination_class = None
    checked_on_parent: ClassVar[dict[str | None, tuple[type[Model], str]]] = {
        "list": (IndemnityNotice, "view"),
        "create": (IndemnityNotice, "create"),
    }

    def base_queryset(self) -> QuerySet[IndemnityNotice]:
        return IndemnityNotice.objects.all()

    @extend_schema(
        summary="Indemnity notices you can see",
        description=f"Newest first, {selectors.LIST_SIZE} at most: those your agency sent or received, or the "
        "council was told of; every notice for partnership admins and partnership auditors.",
        responses={200: IndemnityNoticeOut(many=True)},
    )
    def list(self, request: Request) -> Response:
        if indemnity_scope(request.user) is None:
            raise policy.NotPermitted(action="view", target_type="breaches.indemnitynotice", reason=LIST_RULE)
        return Response([notice_out(view) for view in selectors.notices_mine(request.user)])

    @extend_schema(
        summary="Send an indemnity notice",
        description="By a designated manager, agency admin, Caldicott guardian or DPO of the suffering partner "
        "(11.1(a)). The council (the protocol's local-authority signatory) is told too unless it is a party. The "
        "answer is due by the end of the fourth day. 400 keyed by field: no details, the contributor your own "
        "agency, an agency that has not signed the protocol, a breach of another protocol.",
        request=IndemnityNoticeIn,
        responses={
            201: IndemnityNoticeDetailOut,
        },
    )
    def create(self, request: Request) -> Response:
        policy.require(request.user, "create", IndemnityNotice)
        values = parse_input(IndemnityNoticeIn, request.data, request)
        notice = services.indemnity_notice_send(actor=request.user, **values)
        return _detail(request.user, notice.pk, status.HTTP_201_CREATED)

    @extend_schema(
        summary="An indemnity notice",
        responses={200: IndemnityNoticeDetailOut},
    )
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return _detail(request.user, pk)

    @extend_schema(
        summary="Answer the notice in writing",
        description="By the alleged contributor's designated managers, admins, Caldicott guardian or DPO (11.1(b)), "
        "once; completes the obligation at once (a late answer stays late) and tells the suffering partner.",
        request=IndemnityResponseIn,
        responses={
            200: IndemnityNoticeDetailOut,
        },
    )
    @action(detail=True, methods=["post"])
    def respond(self, request: Request, pk: str | None = None) -> Response:
        policy.require_gate(request.user, "respond", IndemnityNotice)
        notice = policy.get_or_deny(request.user, self.base_queryset(), pk=pk)
        policy.require(request.user, "respond", notice)
        values = parse_input(IndemnityResponseIn, request.data, request)
        services.indemnity_notice_respond(actor=request.user, notice=notice, **values)
        return _detail(request.user, notice.pk)


router = SimpleRouter()
router.register("indemnity-notices", IndemnityNoticeViewSet, basename="api-indemnity-notice")

urlpatterns: list[URLPattern] = list(router.urls)  # type: ignore[arg-type]
