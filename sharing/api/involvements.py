"""Involvements through the API: an agency's service starting work with a child already in the index (POST
/api/v1/children/{id}/involvements/, in sharing.api.children) and ending it (here). Haringey 3.8a: which
agencies are involved, with the lead professional or key contact."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from isp_portal import bounds, policy
from isp_portal.api import PolicyViewMixin, parse_input
from isp_portal.api_input import EraDateField
from sharing import services
from sharing.api.purpose import field_errors
from sharing.api.shapes import ActingAgencyField, ColleagueField, InvolvementOut, involvement_out
from sharing.models import Involvement


class InvolvementIn(serializers.Serializer):
    agency = ActingAgencyField(help_text="Your agency: one you practise in")
    service = serializers.CharField(max_length=bounds.NAME, help_text="The service involved with the child")
    lead_professional = ColleagueField(
        required=False, allow_null=True, default=None, help_text="A membership of your agency"
    )
    is_key_contact = serializers.BooleanField(default=False, help_text="The lead professional is the key contact")
    started_on = EraDateField(required=False, help_text="When the involvement began (today)")


class InvolvementEndIn(serializers.Serializer):
    ended_on = EraDateField(required=False, help_text="The last day of the involvement (today)")
    reason = serializers.CharField(max_length=bounds.REASON, help_text="Why the involvement ended")


class InvolvementViewSet(PolicyViewMixin, viewsets.GenericViewSet[Involvement]):
    """Involvements of agencies with children. An agency ends only its own."""

    policy_model = Involvement
    serializer_class = InvolvementOut

    def base_queryset(self) -> QuerySet[Involvement]:
        return Involvement.objects.select_related("agency", "child", "lead_professional__user")

    @extend_schema(
        summary="End your agency's involvement",
        description="The involved agency's practitioners end its involvement, with the reason; the involvement "
        "stays in the child's record with its dates.",
        request=InvolvementEndIn,
        responses=InvolvementOut,
    )
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str | None = None) -> Response:
        involvement = policy.get_or_deny(request.user, self.base_queryset(), action="end", pk=pk)
        values = parse_input(InvolvementEndIn, request.data, request)
        with field_errors():
            ended = services.involvement_end(actor=request.user, involvement=involvement, **values)
        return Response(involvement_out(self.base_queryset().get(pk=ended.pk)))
