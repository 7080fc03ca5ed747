"""The protocols API: protocols and their versions, signatures, consultations and responses, reviews and
their actions, meetings (issue 4). Thin: serializers parse, selectors and the policy read, the same services
as the web pages write (DESIGN 3.1); denials and service errors come out through the API's exception handler.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from isp_portal import policy
from isp_portal.api import PolicyViewMixin, errors_named, parse_input, parse_query
from protocols import selectors, services
from protocols.api import serializers as s
from protocols.models import (
    AuditExtract,
    Consultation,
    Meeting,
    Protocol,
    ProtocolAudit,
    ProtocolVersion,
    Review,
    ReviewAction,
    Signature,
)


@extend_schema_view(retrieve=extend_schema(responses=s.ProtocolDetailOut))
class ProtocolViewSet(PolicyViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet[Protocol]):
    """The partnership's information sharing protocols: their rules as data, their versions, and who has
    signed them. Every partner can read them; partnership admins keep them."""

    policy_model = Protocol
    serializer_class = s.ProtocolOut

    def get_queryset(self) -> QuerySet[Protocol]:
        return selectors.protocols_list(self.request.user)

    def _protocol(self, pk: str | None, action_name: str) -> Protocol:
        queryset = Protocol.objects.select_related("current_version__adoption")
        return policy.get_or_deny(self.request.user, queryset, action=action_name, pk=pk)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        queryset = selectors.protocols_list(request.user).select_related("current_version__adoption")
        queryset = queryset.prefetch_related(Prefetch("versions", queryset=ProtocolVersion.objects.order_by("number")))
        protocol = policy.get_or_deny(request.user, queryset, pk=pk)
        return Response(s.ProtocolDetailOut(protocol).data)

    @extend_schema(request=s.ProtocolCreateIn, responses={201: s.ProtocolOut})
    def create(self, request: Request) -> Response:
        values = parse_input(s.ProtocolCreateIn, request.data, request)
        protocol = services.protocol_create(actor=request.user, **values)
        return Response(s.ProtocolOut(protocol).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], request=None, responses=s.VersionOut(many=True))
    @extend_schema(methods=["POST"], request=s.VersionRulesIn, responses={201: s.VersionOut})
    @action(detail=True, methods=["get", "post"])
    def versions(self, request: Request, pk: str | None = None) -> Response:
        """Every version, oldest first: each immutable, with its text and change note. POST drafts a new one."""
        if request.method == "POST":
            protocol = self._protocol(pk, "new_version")
            values = parse_input(s.VersionRulesIn, request.data, request)
            version = services.protocol_version_create(actor=request.user, protocol=protocol, **values)
            return Response(s.VersionOut(version).data, status=status.HTTP_201_CREATED)
        protocol = self._protocol(pk, "view")
        versions = ProtocolVersion.objects.filter(protocol=protocol).select_related("adoption").order_by("number")
        # Paginated like every other list of the API (a protocol's versions grow without limit).
        page: Any = self.paginate_queryset(versions)  # type: ignore[arg-type]  # the viewset's model is Protocol
        return self.get_paginated_response(s.VersionOut(page, many=True).data)

    @extend_schema(request=s.TransitionIn, responses=s.ProtocolOut)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        """Move the protocol to another state; only the valid transitions are allowed."""
        protocol = self._protocol(pk, "transition")
        protocol = services.protocol_transition(
            actor=request.user, protocol=protocol, **parse_input(s.TransitionIn, request.data, request)
        )
        return Response(s.ProtocolOut(protocol).data)

    @extend_schema(request=s.AdoptIn, responses=s.ProtocolOut)
    @action(detail=True, methods=["post"])
    def adopt(self, request: Request, pk: str | None = None) -> Response:
        """Put the latest version in force without a consultation (a change agreed by report)."""
        protocol = self._protocol(pk, "adopt")
        values = parse_input(s.AdoptIn, request.data, request)
        latest = protocol.latest_version()
        assert latest is not None  # every protocol is created with its first version
        protocol = services.protocol_adopt(
            actor=request.user, protocol=protocol, version=latest, completion_date=values["completion_date"]
        )
        return Response(s.ProtocolOut(protocol).data)

    @extend_schema(request=s.SignIn, responses={201: s.SignatureOut})
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, pk: str | None = None) -> Response:
        """Record an agency's authorised signatory signing the version in force. The agency's signatory
        checklist must be complete first."""
        protocol = self._protocol(pk, "sign")
        values = parse_input(s.SignIn, request.data, request)
        if protocol.current_version is None:
            raise ValidationError({"protocol": "This protocol has no version in force to sign."})
        signature = services.signature_sign(actor=request.user, version=protocol.current_version, **values)
        return Response(s.SignatureOut(signature).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ConsultationOpenIn, responses={201: s.ConsultationOut})
    @action(detail=True, methods=["post"])
    def consult(self, request: Request, pk: str | None = None) -> Response:
        """Circulate the latest version to every signatory agency, with a deadline in working days."""
        protocol = self._protocol(pk, "open_consultation")
        latest = protocol.latest_version()
        assert latest is not None
        consultation = services.consultation_open(
            actor=request.user,
            protocol=protocol,
            version=latest,
            **parse_input(s.ConsultationOpenIn, request.data, request),
        )
        return Response(s.ConsultationOut(consultation).data, status=status.HTTP_201_CREATED)


@extend_schema_view(list=extend_schema(parameters=[s.SignatureFilterIn]))
class SignatureViewSet(
    PolicyViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Signature]
):
    """The register of signatures: which agency signed which version, when and by whom; withdrawals with
    their date and reason."""

    policy_model = Signature
    serializer_class = s.SignatureOut

    def base_queryset(self) -> QuerySet[Signature]:
        return Signature.objects.select_related("version").order_by("protocol_id", "-signed_at", "-id")

    def get_queryset(self) -> QuerySet[Signature]:
        signatures = super().get_queryset()
        if self.action == "list":
            filters = parse_input(s.SignatureFilterIn, self.request.query_params, self.request)
            if filters.get("protocol"):
                signatures = signatures.filter(protocol_id=filters["protocol"])
            if filters.get("agency"):
                signatures = signatures.filter(agency_id=filters["agency"])
            if filters.get("live") is not None:
                signatures = signatures.filter(withdrawn_at__isnull=filters["live"])
        return signatures

    @extend_schema(request=s.ReasonIn, responses=s.SignatureOut)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        """Withdraw an agency's signature, with the reason; it is not carried to later versions."""
        signature = policy.get_or_deny(request.user, self.base_queryset(), action="withdraw", pk=pk)
        reason = parse_input(s.ReasonIn, request.data, request)["reason"]
        signature = services.signature_withdraw(actor=request.user, signature=signature, reason=reason)
        return Response(s.SignatureOut(signature).data)


@extend_schema_view(retrieve=extend_schema(responses=s.ConsultationDetailOut))
class ConsultationViewSet(
    PolicyViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Consultation]
):
    """Consultations on a change to a protocol: the answer of each agency it was circulated to (silence at
    the deadline counts as agreement), and the outcome a partnership admin records."""

    policy_model = Consultation
    serializer_class = s.ConsultationOut

    def base_queryset(self) -> QuerySet[Consultation]:
        return Consultation.objects.select_related("proposed_version").order_by("-opened_on", "-id")

    def get_serializer_class(self) -> Any:
        return s.ConsultationDetailOut if self.action == "retrieve" else s.ConsultationOut

    def get_queryset(self) -> QuerySet[Consultation]:
        consultations = super().get_queryset()
        if self.action == "retrieve":
            consultations = consultations.prefetch_related("responses")
        return consultations

    @extend_schema(request=s.RespondIn, responses={201: s.ConsultationResponseOut})
    @action(detail=True, methods=["post"])
    def respond(self, request: Request, pk: str | None = None) -> Response:
        """An agency's nominated representative (or admin) answers agree, object or comment, by the deadline."""
        consultation = policy.get_or_deny(request.user, self.base_queryset(), action="respond", pk=pk)
        answer = services.consultation_respond(
            actor=request.user, consultation=consultation, **parse_input(s.RespondIn, request.data, request)
        )
        return Response(s.ConsultationResponseOut(answer).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.DecideIn, responses=s.ConsultationOut)
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        """Record the outcome: adopt (the version comes into force, signatures carried over) or reject."""
        consultation = policy.get_or_deny(request.user, self.base_queryset(), action="decide", pk=pk)
        with errors_named(outcome_note="note"):
            consultation = services.consultation_decide(
                actor=request.user, consultation=consultation, **parse_input(s.DecideIn, request.data, request)
            )
        return Response(s.ConsultationOut(consultation).data)


@extend_schema_view(
    list=extend_schema(parameters=[s.ReviewFilterIn]), retrieve=extend_schema(responses=s.ReviewDetailOut)
)
class ReviewViewSet(PolicyViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Review]):
    """Reviews of a protocol on its schedule: findings, completion, the report's due date, and the actions
    agreed."""

    policy_model = Review
    serializer_class = s.ReviewOut

    def base_queryset(self) -> QuerySet[Review]:
        return Review.objects.prefetch_related("officers").order_by("due_on", "id")

    def get_serializer_class(self) -> Any:
        return s.ReviewDetailOut if self.action == "retrieve" else s.ReviewOut

    def get_queryset(self) -> QuerySet[Review]:
        reviews = super().get_queryset()
        if self.action == "retrieve":
            return reviews.prefetch_related(Prefetch("actions", queryset=ReviewAction.objects.order_by("due_on", "id")))
        filters = parse_query(s.ReviewFilterIn, self.request)
        if "protocol" in filters:
            reviews = reviews.filter(protocol_id=filters["protocol"])
        if "status" in filters:
            reviews = reviews.filter(status=filters["status"])
        return reviews

    @extend_schema(request=s.ReviewCompleteIn, responses=s.ReviewOut)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        """Record the findings and the completion date; the report's due date follows from the protocol."""
        review = policy.get_or_deny(request.user, self.base_queryset(), action="complete", pk=pk)
        review = services.review_complete(
            actor=request.user, review=review, **parse_input(s.ReviewCompleteIn, request.data, request)
        )
        return Response(s.ReviewOut(review).data)

    @extend_schema(request=s.ReviewActionIn, responses={201: s.ReviewActionOut})
    @action(detail=True, methods=["post"])
    def actions(self, request: Request, pk: str | None = None) -> Response:
        """Add an action to the implementation plan, with its owner agency and due date."""
        review = policy.get_or_deny(request.user, self.base_queryset(), action="add_action", pk=pk)
        item = services.review_action_add(
            actor=request.user, review=review, **parse_input(s.ReviewActionIn, request.data, request)
        )
        return Response(s.ReviewActionOut(item).data, status=status.HTTP_201_CREATED)


class ReviewActionViewSet(
    PolicyViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[ReviewAction]
):
    """The implementation plans' actions; the owning agency's admins update their status."""

    policy_model = ReviewAction
    serializer_class = s.ReviewActionOut

    def base_queryset(self) -> QuerySet[ReviewAction]:
        return ReviewAction.objects.order_by("due_on", "id")

    @extend_schema(request=s.ReviewActionPatchIn, responses=s.ReviewActionOut)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        item = policy.get_or_deny(request.user, self.base_queryset(), action="update", pk=pk)
        item = services.review_action_update(
            actor=request.user, action=item, **parse_input(s.ReviewActionPatchIn, request.data, request)
        )
        return Response(s.ReviewActionOut(item).data)


class MeetingViewSet(
    PolicyViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Meeting]
):
    """Partnership meetings: attendees, agenda items linked to reviews, minutes and their circulation."""

    policy_model = Meeting
    serializer_class = s.MeetingOut

    def base_queryset(self) -> QuerySet[Meeting]:
        return Meeting.objects.prefetch_related("attendee_agencies", "attendees", "agenda_items").order_by(
            "-held_on", "-id"
        )

    @extend_schema(request=s.MeetingIn, responses={201: s.MeetingOut})
    def create(self, request: Request) -> Response:
        values = parse_input(s.MeetingIn, request.data, request)
        agenda = [(item["title"], item["review"]) for item in values.pop("agenda")]
        meeting = services.meeting_create(actor=request.user, agenda=agenda, **values)
        return Response(s.MeetingOut(meeting).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.MinutesIn, responses=s.MeetingOut)
    @action(detail=True, methods=["post"])
    def minutes(self, request: Request, pk: str | None = None) -> Response:
        meeting = policy.get_or_deny(request.user, self.base_queryset(), action="change", pk=pk)
        minutes = parse_input(s.MinutesIn, request.data, request)["minutes"]
        meeting = services.meeting_record_minutes(actor=request.user, meeting=meeting, minutes=minutes)
        return Response(s.MeetingOut(meeting).data)

    @extend_schema(request=s.CirculateIn, responses=s.MeetingOut)
    @action(detail=True, methods=["post"])
    def circulate(self, request: Request, pk: str | None = None) -> Response:
        """Record that the minutes were circulated; they cannot change afterwards."""
        meeting = policy.get_or_deny(request.user, self.base_queryset(), action="circulate", pk=pk)
        circulated_on = parse_input(s.CirculateIn, request.data, request)["circulated_on"]
        meeting = services.meeting_circulate_minutes(actor=request.user, meeting=meeting, circulated_on=circulated_on)
        return Response(s.MeetingOut(meeting).data)


class ProtocolAuditViewSet(
    PolicyViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[ProtocolAudit]
):
    """Audits of the protocol by a partner: notice with the scope in writing, at least a month before the
    audit starts. Open to every partner; a partnership admin or an agency's admin gives notice for an agency
    it may act for; the auditing agency's admins share draft extracts with the partners they name."""

    policy_model = ProtocolAudit
    serializer_class = s.ProtocolAuditOut

    def base_queryset(self) -> QuerySet[ProtocolAudit]:
        return ProtocolAudit.objects.order_by("-starts_on", "-id")

    @extend_schema(request=s.ProtocolAuditIn, responses={201: s.ProtocolAuditOut})
    def create(self, request: Request) -> Response:
        values = parse_input(s.ProtocolAuditIn, request.data, request)
        audit = services.protocol_audit_create(actor=request.user, **values)
        return Response(s.ProtocolAuditOut(audit).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.AuditExtractIn, responses={201: s.AuditExtractOut})
    @action(detail=True, methods=["post"])
    def extracts(self, request: Request, pk: str | None = None) -> Response:
        """Share a draft extract with the partners it names (only they, the auditors and partnership admins
        see it); their admins are told."""
        audit = policy.get_or_deny(request.user, self.base_queryset(), action="share_extract", pk=pk)
        extract = services.audit_extract_share(
            actor=request.user, audit=audit, **parse_input(s.AuditExtractIn, request.data, request)
        )
        return Response(s.AuditExtractOut(extract).data, status=status.HTTP_201_CREATED)


@extend_schema_view(retrieve=extend_schema(responses=s.AuditExtractDetailOut))
class AuditExtractViewSet(
    PolicyViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[AuditExtract]
):
    """Draft audit extracts: seen only by the partners they name, the auditing agency and partnership admins;
    a named partner's admins respond by the agreed date."""

    policy_model = AuditExtract
    serializer_class = s.AuditExtractOut

    def base_queryset(self) -> QuerySet[AuditExtract]:
        return AuditExtract.objects.prefetch_related("named_agencies").order_by("-shared_at", "-id")

    def get_serializer_class(self) -> Any:
        return s.AuditExtractDetailOut if self.action == "retrieve" else s.AuditExtractOut

    def get_queryset(self) -> QuerySet[AuditExtract]:
        extracts = super().get_queryset()
        if self.action == "retrieve":
            return extracts.prefetch_related("responses")
        return extracts

    @extend_schema(request=s.ExtractResponseIn, responses={201: s.ExtractResponseOut})
    @action(detail=True, methods=["post"])
    def responses(self, request: Request, pk: str | None = None) -> Response:
        """Respond for a named agency you administer, by the audit's response date."""
        extract = policy.get_or_deny(request.user, self.base_queryset(), action="respond", pk=pk)
        response = services.extract_respond(
            actor=request.user, extract=extract, **parse_input(s.ExtractResponseIn, request.data, request)
        )
        return Response(s.ExtractResponseOut(response).data, status=status.HTTP_201_CREATED)
