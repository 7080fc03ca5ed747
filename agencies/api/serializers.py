"""Shapes of the agencies API. They parse and present; every rule is in the services (DESIGN 3.1)."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agencies.models import (
    Agency,
    AgencyKind,
    AgencyStatus,
    ApiToken,
    Invitation,
    Membership,
    Role,
    Sector,
    SignatoryRequirement,
    TokenScope,
    TrainingCourse,
    TrainingRecord,
    User,
)
from agencies.selectors import ICO_FILTERS
from isp_portal import policy


@extend_schema_field(OpenApiTypes.INT)
class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField[Any]):
    """A reference to another object, looked up only among those the caller may see: an id outside their
    scope reads as "does not exist", exactly like one that does not exist (no existence leak)."""

    def __init__(self, model: type[Model], **kwargs: Any) -> None:
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        request = self.context["request"]
        return policy.restrict(request.user, "view", self.model)


# --- Agencies ------------------------------------------------------------------------------------------------


class AgencyFilterIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AgencyKind.choices, required=False)
    area = serializers.CharField(required=False)
    status = serializers.ChoiceField(choices=AgencyStatus.choices, required=False)
    ico = serializers.ChoiceField(choices=list(ICO_FILTERS.items()), required=False)
    search = serializers.CharField(required=False)


class AgencyOut(serializers.ModelSerializer[Agency]):
    member_count = serializers.IntegerField(read_only=True, required=False)

    class Meta:
        model = Agency
        fields = [
            "id",
            "name",
            "kind",
            "sector",
            "status",
            "area",
            "parent",
            "address",
            "phone",
            "registration_number",
            "ico_registration_number",
            "ico_registration_expires_on",
            "created_at",
            "member_count",
        ]


class ComplianceOut(serializers.Serializer):
    ico_status = serializers.CharField()
    ico_expires_on = serializers.DateField(allow_null=True)
    checklist_status = serializers.CharField()
    checklist_confirmed = serializers.IntegerField()
    checklist_total = serializers.IntegerField()
    members = serializers.IntegerField()
    members_trained = serializers.IntegerField()
    security_document_uploaded_on = serializers.DateField(allow_null=True)


class AgencyDetailOut(AgencyOut):
    compliance = ComplianceOut(read_only=True)

    class Meta(AgencyOut.Meta):
        fields = [*AgencyOut.Meta.fields, "compliance"]


class AgencyCreateIn(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=AgencyKind.choices)
    sector = serializers.ChoiceField(choices=Sector.choices)
    area = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    # A declared field, not Field.parent: DRF's metaclass takes declared fields off the class.
    parent = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=Agency.objects.all(), required=False, allow_null=True
    )
    address = serializers.CharField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    registration_number = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    ico_registration_number = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")
    ico_registration_expires_on = serializers.DateField(required=False, allow_null=True, default=None)


class AgencyPatchIn(serializers.Serializer):
    """Only the fields sent change. Name, kind, sector, area and parent are the partnership's register."""

    name = serializers.CharField(max_length=200, required=False)
    kind = serializers.ChoiceField(choices=AgencyKind.choices, required=False)
    sector = serializers.ChoiceField(choices=Sector.choices, required=False)
    area = serializers.CharField(max_length=100, required=False, allow_blank=True)
    # A declared field, not Field.parent: DRF's metaclass takes declared fields off the class.
    parent = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=Agency.objects.all(), required=False, allow_null=True
    )
    address = serializers.CharField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    registration_number = serializers.CharField(max_length=50, required=False, allow_blank=True)
    ico_registration_number = serializers.CharField(max_length=12, required=False, allow_blank=True)
    ico_registration_expires_on = serializers.DateField(required=False, allow_null=True)


class AgencyStatusIn(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=AgencyStatus.choices)
    reason = serializers.CharField()
    effective_on = serializers.DateField(required=False, allow_null=True, default=None)


class ChecklistRowOut(serializers.Serializer):
    requirement = serializers.IntegerField(source="requirement.pk")
    number = serializers.IntegerField(source="requirement.number")
    text = serializers.CharField(source="requirement.text")
    confirmed_on = serializers.DateField(allow_null=True)
    expires_on = serializers.DateField(allow_null=True)
    note = serializers.CharField()
    state = serializers.CharField()


class ChecklistOut(serializers.Serializer):
    status = serializers.CharField()
    requirements = ChecklistRowOut(many=True)


class ChecklistConfirmIn(serializers.Serializer):
    requirement = serializers.PrimaryKeyRelatedField(queryset=SignatoryRequirement.objects.all())
    confirmed_on = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


# --- People ------------------------------------------------------------------------------------------------------


class MembershipOut(serializers.ModelSerializer[Membership]):
    email = serializers.EmailField(source="user.email", read_only=True)
    full_name = serializers.CharField(source="user.full_name", read_only=True)

    class Meta:
        model = Membership
        fields = [
            "id",
            "user",
            "email",
            "full_name",
            "agency",
            "roles",
            "job_title",
            "team",
            "line_manager",
            "is_caldicott_guardian",
            "is_data_protection_officer",
            "is_nominated_representative",
            "authorised_for_restricted",
            "vetting_checked_on",
            "is_active",
            "created_at",
            "deactivated_at",
        ]


class MembershipFilterIn(serializers.Serializer):
    agency = serializers.IntegerField(required=False)
    active = serializers.BooleanField(required=False, allow_null=True, default=None)


class MembershipPatchIn(serializers.Serializer):
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices), required=False)
    job_title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    team = serializers.CharField(max_length=200, required=False, allow_blank=True)
    line_manager = ScopedPrimaryKeyField(User, required=False, allow_null=True)
    is_caldicott_guardian = serializers.BooleanField(required=False)
    is_data_protection_officer = serializers.BooleanField(required=False)
    is_nominated_representative = serializers.BooleanField(required=False)
    authorised_for_restricted = serializers.BooleanField(required=False)
    vetting_checked_on = serializers.DateField(required=False, allow_null=True)


class DeactivateIn(serializers.Serializer):
    reason = serializers.CharField()


class InvitationOut(serializers.ModelSerializer[Invitation]):
    class Meta:
        model = Invitation
        fields = [
            "id",
            "agency",
            "email",
            "full_name",
            "roles",
            "job_title",
            "team",
            "created_at",
            "expires_at",
            "accepted_at",
            "revoked_at",
        ]


class InvitationIn(serializers.Serializer):
    agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all())
    email = serializers.EmailField()
    full_name = serializers.CharField(max_length=200)
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices), allow_empty=False)
    job_title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    team = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


# --- API tokens (DESIGN 4: scoped, expiring, revocable) -------------------------------------------------------


class ApiTokenOut(serializers.ModelSerializer[ApiToken]):
    class Meta:
        model = ApiToken
        fields = ["id", "agency", "name", "prefix", "scopes", "created_at", "expires_at", "revoked_at", "last_used_at"]


class ApiTokenCreatedOut(ApiTokenOut):
    """The new token, with its secret: shown this once, never stored."""

    secret = serializers.CharField(read_only=True)

    class Meta(ApiTokenOut.Meta):
        fields = [*ApiTokenOut.Meta.fields, "secret"]


class ApiTokenIn(serializers.Serializer):
    agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all())
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=TokenScope.choices),
        allow_empty=False,
        help_text="What the token may do: " + "; ".join(f"{scope.value}: {scope.label}" for scope in TokenScope),
    )
    expires_at = serializers.DateTimeField(help_text="When the token stops working: at most a year from now.")


# --- Training ----------------------------------------------------------------------------------------------------


class TrainingCourseOut(serializers.ModelSerializer[TrainingCourse]):
    class Meta:
        model = TrainingCourse
        fields = ["id", "name", "is_information_sharing", "validity_months", "is_active"]


class TrainingRecordOut(serializers.ModelSerializer[TrainingRecord]):
    class Meta:
        model = TrainingRecord
        fields = ["id", "user", "course", "completed_on", "expires_on", "evidence", "recorded_at"]


class TrainingRecordFilterIn(serializers.Serializer):
    agency = serializers.IntegerField(required=False)
    user = serializers.IntegerField(required=False)


class TrainingRecordIn(serializers.Serializer):
    user = ScopedPrimaryKeyField(User)
    course = serializers.PrimaryKeyRelatedField(queryset=TrainingCourse.objects.all())
    completed_on = serializers.DateField()
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)
    evidence = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    agency = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.all(), required=False, allow_null=True, default=None
    )


class TrainingImportIn(serializers.Serializer):
    agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all())
    csv = serializers.CharField(
        trim_whitespace=False,
        help_text="CSV text with a header row: email,course,completed_on,expires_on,evidence (dates as YYYY-MM-DD "
        "or DD/MM/YYYY). All rows are imported, or none.",
    )


class TrainingImportOut(serializers.Serializer):
    imported = serializers.IntegerField()
    records = TrainingRecordOut(many=True)


# --- Signatory requirements (Southampton 18) ------------------------------------------------------------------


class RequirementOut(serializers.ModelSerializer[SignatoryRequirement]):
    class Meta:
        model = SignatoryRequirement
        fields = ["id", "number", "text", "is_active", "created_at"]


class RequirementIn(serializers.Serializer):
    text = serializers.CharField()
    number = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)


class RequirementPatchIn(serializers.Serializer):
    text = serializers.CharField(required=False)
    is_active = serializers.BooleanField(required=False)
