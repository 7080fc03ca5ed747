"""The agencies API: the partner register, memberships and invitations, training records, the signatory
checklist and its requirements. Agency systems use it to keep their staff lists in step (issue 3).

Thin in the way the HTML views are: parse with a serializer, read through the selectors and the policy,
write through the same services (DESIGN 3.1). Denials and service errors come out through
`isp_portal.api.exception_handler` (audited 403/404, 400 with field messages).
"""

from __future__ import annotations

from typing import ClassVar

from django.db.models import Exists, Model, OuterRef, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from agencies import selectors, services
from agencies.api import serializers as s
from agencies.models import (
    Agency,
    ApiToken,
    Area,
    Invitation,
    Membership,
    SignatoryRequirement,
    TrainingCourse,
    TrainingRecord,
)
from isp_portal import policy
from isp_portal.api import PolicyViewMixin, errors_named, parse_input, parse_query


@extend_schema_view(
    list=extend_schema(parameters=[s.AgencyFilterIn], responses=s.AgencyOut(many=True)),
    retrieve=extend_schema(responses=s.AgencyDetailOut),
)
class AgencyViewSet(PolicyViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet[Agency]):
    """The partner register: every agency in the partnership. Every member of the partnership can read it;
    partnership admins keep it, and each agency's admins keep their agency's contact and ICO details."""

    policy_model = Agency
    serializer_class = s.AgencyOut

    def get_queryset(self) -> QuerySet[Agency]:
        if self.action != "list":
            return super().get_queryset()
        return selectors.agencies_list(self.request.user, **parse_query(s.AgencyFilterIn, self.request))

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        agency = policy.get_or_deny(request.user, Agency.objects.select_related("parent", "area"), pk=pk)
        compliance = selectors.agency_compliance(agency)
        agency.member_count = compliance.members  # type: ignore[attr-defined]  # counted there already
        data = s.AgencyOut(agency).data
        data["compliance"] = s.ComplianceOut(compliance).data
        return Response(data)

    @extend_schema(request=s.AgencyCreateIn, responses={201: s.AgencyOut})
    def create(self, request: Request) -> Response:
        agency = services.agency_create(actor=request.user, **parse_input(s.AgencyCreateIn, request.data, request))
        return Response(s.AgencyOut(agency).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.AgencyPatchIn, responses=s.AgencyOut)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        agency = policy.get_or_deny(request.user, Agency, action="change", pk=pk)
        changes = parse_input(s.AgencyPatchIn, request.data, request, partial=True)
        agency = services.agency_update(actor=request.user, agency=agency, **changes)
        return Response(s.AgencyOut(agency).data)

    @extend_schema(request=s.AgencyStatusIn, responses=s.AgencyOut)
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request: Request, pk: str | None = None) -> Response:
        """Suspend, reinstate or record that an agency has left, with the reason and date."""
        agency = policy.get_or_deny(request.user, Agency, action="change_status", pk=pk)
        services.agency_status_change(
            actor=request.user, agency=agency, **parse_input(s.AgencyStatusIn, request.data, request)
        )
        agency.refresh_from_db()
        return Response(s.AgencyOut(agency).data)

    @extend_schema(methods=["GET"], request=None, responses=s.ChecklistOut)
    @extend_schema(methods=["POST"], request=s.ChecklistConfirmIn, responses={201: s.ChecklistOut})
    @action(detail=True, methods=["get", "post"], url_path="checklist")
    def checklist(self, request: Request, pk: str | None = None) -> Response:
        """The agency's signatory checklist: what it must have in place before it signs a protocol. POST
        confirms one requirement (the agency's own admins)."""
        wanted = "confirm_checklist" if request.method == "POST" else "view"
        agency = policy.get_or_deny(request.user, Agency, action=wanted, pk=pk)
        if request.method == "POST":
            services.checklist_confirm(
                actor=request.user, agency=agency, **parse_input(s.ChecklistConfirmIn, request.data, request)
            )
        rows, checklist_status = selectors.checklist_rows(agency)
        body = s.ChecklistOut({"status": checklist_status.value, "requirements": rows}).data
        return Response(body, status=status.HTTP_201_CREATED if request.method == "POST" else status.HTTP_200_OK)


@extend_schema_view(list=extend_schema(parameters=[s.MembershipFilterIn]))
class MembershipViewSet(
    PolicyViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Membership]
):
    """Memberships: who works for which agency in which roles. People see their own; agency admins their
    agency's; partnership admins and partnership auditors everyone's. New people join by invitation."""

    policy_model = Membership
    serializer_class = s.MembershipOut

    def base_queryset(self) -> QuerySet[Membership]:
        return Membership.objects.select_related("user", "agency").order_by("agency_id", "user__full_name", "id")

    def get_queryset(self) -> QuerySet[Membership]:
        memberships = super().get_queryset()
        if self.action == "list":
            filters = parse_input(s.MembershipFilterIn, self.request.query_params, self.request)
            if filters.get("agency"):
                memberships = memberships.filter(agency_id=filters["agency"])
            if filters.get("active") is not None:
                memberships = memberships.filter(is_active=filters["active"])
        return memberships

    @extend_schema(request=s.MembershipPatchIn, responses=s.MembershipOut)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        """Change roles and details: only what is sent changes. Partnership roles cannot be given here."""
        membership = policy.get_or_deny(request.user, self.base_queryset(), action="change", pk=pk)
        changes = parse_input(s.MembershipPatchIn, request.data, request, partial=True)
        membership = services.membership_update(actor=request.user, membership=membership, **changes)
        return Response(s.MembershipOut(membership).data)

    @extend_schema(request=s.DeactivateIn, responses=s.MembershipOut)
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str | None = None) -> Response:
        """End a membership: the person's sessions end at once."""
        membership = policy.get_or_deny(request.user, self.base_queryset(), action="deactivate", pk=pk)
        reason = parse_input(s.DeactivateIn, request.data, request)["reason"]
        membership = services.membership_deactivate(actor=request.user, membership=membership, reason=reason)
        return Response(s.MembershipOut(membership).data)


class InvitationViewSet(PolicyViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet[Invitation]):
    """Invitations to join an agency. The link is emailed to the person and never returned here."""

    policy_model = Invitation
    serializer_class = s.InvitationOut
    checked_on_parent: ClassVar[dict[str, tuple[type[Model], str]]] = {"create": (Agency, "manage_members")}

    def base_queryset(self) -> QuerySet[Invitation]:
        return Invitation.objects.order_by("-created_at", "-id")

    @extend_schema(request=s.InvitationIn, responses={201: s.InvitationOut})
    def create(self, request: Request) -> Response:
        values = parse_input(s.InvitationIn, request.data, request)
        agency = policy.get_or_deny(request.user, Agency, action="manage_members", pk=values.pop("agency").pk)
        invitation, _token = services.invitation_create(actor=request.user, agency=agency, **values)
        return Response(s.InvitationOut(invitation).data, status=status.HTTP_201_CREATED)


class ApiTokenViewSet(
    PolicyViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[ApiToken]
):
    """An agency's API tokens, for its admins (and partnership admins): what each may do (its scopes), when it
    expires and was last used. Made and revoked by people only: no token scope reaches these endpoints."""

    policy_model = ApiToken
    serializer_class = s.ApiTokenOut
    # "create_api_token" on the agency, in the service.
    checked_on_parent: ClassVar[dict[str, tuple[type[Model], str]]] = {"create": (Agency, "create_api_token")}

    def base_queryset(self) -> QuerySet[ApiToken]:
        return ApiToken.objects.select_related("agency").order_by("-created_at", "-id")

    @extend_schema(request=s.ApiTokenIn, responses={201: s.ApiTokenCreatedOut})
    def create(self, request: Request) -> Response:
        """Make a token with the scopes the system needs (least privilege) and an expiry at most a year away.
        The secret is in this response only."""
        values = parse_input(s.ApiTokenIn, request.data, request)
        agency = policy.get_or_deny(request.user, Agency, action="create_api_token", pk=values.pop("agency").pk)
        token, secret = services.api_token_create(actor=request.user, agency=agency, **values)
        body = s.ApiTokenCreatedOut(token).data
        body["secret"] = secret
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.ApiTokenOut)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        """Revoke the token at once (allowed whatever the agency's standing: it only removes access)."""
        token = policy.get_or_deny(request.user, self.base_queryset(), action="revoke", pk=pk)
        token = services.api_token_revoke(actor=request.user, token=token)
        return Response(s.ApiTokenOut(token).data)


class AreaViewSet(PolicyViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet[Area]):
    # The docstring is the API's description (read by API consumers); the rule it serves is WYCPS area-based
    # access (docs/rules.md).
    """The partnership's local-authority areas, by name: the GSS codes every `area` field takes (they decide who
    may know of restricted entries). Any signed-in role may list them; the partnership admins keep them."""

    policy_model = Area
    serializer_class = s.AreaOut

    def base_queryset(self) -> QuerySet[Area]:
        return Area.objects.order_by("name")


class TrainingCourseViewSet(PolicyViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet[TrainingCourse]):
    """The training courses the partnership recognises. Valid information-sharing training is what lets a
    person open children's records."""

    policy_model = TrainingCourse
    serializer_class = s.TrainingCourseOut

    def base_queryset(self) -> QuerySet[TrainingCourse]:
        return TrainingCourse.objects.order_by("name")


@extend_schema_view(list=extend_schema(parameters=[s.TrainingRecordFilterIn]))
class TrainingRecordViewSet(PolicyViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet[TrainingRecord]):
    """Training records: people see their own, agency admins their members', partnership admins all. An agency
    admin records the training of the agency's people; a partnership admin records any, and is the only one who
    records the training of the partnership's own people (those in no agency). Nobody records their own."""

    policy_model = TrainingRecord
    serializer_class = s.TrainingRecordOut
    # "manage_training" on the member's agency, in the service.
    checked_on_parent: ClassVar[dict[str, tuple[type[Model], str]]] = {
        "create": (Agency, "manage_training"),
        "import_csv": (Agency, "manage_training"),
    }

    def base_queryset(self) -> QuerySet[TrainingRecord]:
        return TrainingRecord.objects.order_by("-completed_on", "-id")

    def get_queryset(self) -> QuerySet[TrainingRecord]:
        records = super().get_queryset()
        filters = parse_query(s.TrainingRecordFilterIn, self.request)
        if "agency" in filters:
            records = records.filter(
                user__memberships__agency_id=filters["agency"], user__memberships__is_active=True
            ).distinct()
        if "user" in filters:
            records = records.filter(user_id=filters["user"])
        if filters.get("partnership"):
            # The partnership's own people are in no agency (agencies.services.training._training_agency).
            in_an_agency = Membership.objects.filter(user=OuterRef("user_id"), is_active=True, agency__isnull=False)
            in_the_partnership = Membership.objects.filter(
                user=OuterRef("user_id"), is_active=True, agency__isnull=True
            )
            records = records.filter(Exists(in_the_partnership)).exclude(Exists(in_an_agency))
        return records

    @extend_schema(request=s.TrainingRecordIn, responses={201: s.TrainingRecordOut})
    def create(self, request: Request) -> Response:
        record = services.training_record_create(
            actor=request.user, **parse_input(s.TrainingRecordIn, request.data, request)
        )
        return Response(s.TrainingRecordOut(record).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.TrainingImportIn, responses={201: s.TrainingImportOut})
    @action(detail=False, methods=["post"], url_path="import")
    def import_csv(self, request: Request) -> Response:
        """Import training records from CSV, all or nothing: bad rows are reported with their line numbers."""
        values = parse_input(s.TrainingImportIn, request.data, request)
        agency = policy.get_or_deny(request.user, Agency, action="manage_training", pk=values["agency"].pk)
        with errors_named(file="csv"):  # the service names the rows' errors as the page's upload field
            records = services.training_records_import(actor=request.user, agency=agency, csv_text=values["csv"])
        body = s.TrainingImportOut({"imported": len(records), "records": records}).data
        return Response(body, status=status.HTTP_201_CREATED)


class RequirementViewSet(
    PolicyViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[SignatoryRequirement]
):
    """The requirements every agency confirms before it signs (its signatory checklist), kept by partnership
    admins."""

    policy_model = SignatoryRequirement
    serializer_class = s.RequirementOut

    def base_queryset(self) -> QuerySet[SignatoryRequirement]:
        return SignatoryRequirement.objects.order_by("-is_active", "number", "id")

    @extend_schema(request=s.RequirementIn, responses={201: s.RequirementOut})
    def create(self, request: Request) -> Response:
        requirement = services.requirement_create(
            actor=request.user, **parse_input(s.RequirementIn, request.data, request)
        )
        return Response(s.RequirementOut(requirement).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.RequirementPatchIn, responses=s.RequirementOut)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        requirement = policy.get_or_deny(request.user, self.base_queryset(), action="change", pk=pk)
        changes = parse_input(s.RequirementPatchIn, request.data, request, partial=True)
        requirement = services.requirement_update(actor=request.user, requirement=requirement, **changes)
        return Response(s.RequirementOut(requirement).data)
