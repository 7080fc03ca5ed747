"""Shapes of the agencies API. They parse and present; every rule is in the services (DESIGN 3.1)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from agencies import rules
from agencies.models import (
    Agency,
    AgencyKind,
    AgencyStatus,
    ApiToken,
    Area,
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
from agencies.selectors import ICO_FILTERS, agency_member_count
from isp_portal import bounds
from isp_portal.api import ScopedPrimaryKeyField
from isp_portal.api_input import EraDateField, id_filter

# --- Agencies ------------------------------------------------------------------------------------------------


class AreaField(serializers.CharField):
    """A local-authority area given by its ONS GSS code (agencies.Area), in any case; an unknown or malformed
    code is a 400 whose message says where the valid codes are listed. Checked for the code's shape first, so
    no text of any length reaches the database."""

    default_error_messages = {
        "does_not_exist": f"No local-authority area has the code {{value}}. {rules.AREAS_HINT}",
        "not_a_code": f"Enter an area's GSS code, like E09000014. {rules.AREAS_HINT}",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", f"The local-authority area's ONS GSS code. {rules.AREAS_HINT}")
        super().__init__(max_length=12, **kwargs)

    def run_validators(self, value: Any) -> None:
        """The length is checked on the text in to_internal_value; the validators would get the Area."""

    def to_internal_value(self, data: Any) -> Area:  # type: ignore[override]
        text = super().to_internal_value(data)
        if len(text) > 12:
            self.fail("max_length", max_length=12)
        code = rules.gss_code_normalised(text)
        if code is None:
            self.fail("not_a_code")
        area = Area.objects.filter(code=code).first()
        if area is None:
            self.fail("does_not_exist", value=code)
        return area


class AreaOut(serializers.ModelSerializer[Area]):
    class Meta:
        model = Area
        fields = ["code", "name"]


class AgencyFilterIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AgencyKind.choices, required=False)
    area = serializers.CharField(required=False, max_length=9, help_text=f"An area's GSS code. {rules.AREAS_HINT}")
    status = serializers.ChoiceField(choices=AgencyStatus.choices, required=False)
    ico = serializers.ChoiceField(choices=list(ICO_FILTERS.items()), required=False)
    search = serializers.CharField(required=False, max_length=100)


class AgencyOut(serializers.ModelSerializer[Agency]):
    area = serializers.CharField(
        source="area_id", read_only=True, allow_null=True, help_text="The local-authority area's GSS code"
    )
    area_name = serializers.CharField(source="area.name", read_only=True, allow_null=True, default=None)
    member_count = serializers.SerializerMethodField(help_text="How many people are active members of the agency.")

    def get_member_count(self, agency: Agency) -> int:
        # The register annotates the count in its one query; a single agency's answer counts it here.
        annotated = getattr(agency, "member_count", None)
        return int(annotated) if annotated is not None else agency_member_count(agency)

    class Meta:
        model = Agency
        fields = [
            "id",
            "name",
            "kind",
            "sector",
            "status",
            "area",
            "area_name",
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
    area = AreaField(required=False, allow_null=True, default=None)
    # A declared field, not Field.parent: DRF's metaclass takes declared fields off the class.
    parent = ScopedPrimaryKeyField(Agency, required=False, allow_null=True)  # type: ignore[assignment]
    address = serializers.CharField(max_length=bounds.ADDRESS, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    registration_number = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    ico_registration_number = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")
    ico_registration_expires_on = EraDateField(required=False, allow_null=True, default=None)


class AgencyPatchIn(serializers.Serializer):
    """Only the fields sent change. Name, kind, sector, area and parent are the partnership's register."""

    name = serializers.CharField(max_length=200, required=False)
    kind = serializers.ChoiceField(choices=AgencyKind.choices, required=False)
    sector = serializers.ChoiceField(choices=Sector.choices, required=False)
    area = AreaField(required=False, allow_null=True)
    # A declared field, not Field.parent: DRF's metaclass takes declared fields off the class.
    parent = ScopedPrimaryKeyField(Agency, required=False, allow_null=True)  # type: ignore[assignment]
    address = serializers.CharField(max_length=bounds.ADDRESS, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    registration_number = serializers.CharField(max_length=50, required=False, allow_blank=True)
    ico_registration_number = serializers.CharField(max_length=12, required=False, allow_blank=True)
    ico_registration_expires_on = EraDateField(required=False, allow_null=True)


class AgencyStatusIn(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=AgencyStatus.choices)
    reason = serializers.CharField(max_length=bounds.REASON)
    effective_on = EraDateField(required=False, allow_null=True, default=None)


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
    requirement = ScopedPrimaryKeyField(SignatoryRequirement)
    confirmed_on = EraDateField()
    note = serializers.CharField(max_length=bounds.REASON, required=False, allow_blank=True, default="")


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
    agency = id_filter(required=False)
    active = serializers.BooleanField(required=False, allow_null=True, default=None)


class MembershipPatchIn(serializers.Serializer):
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices), required=False, max_length=len(Role)
    )
    job_title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    team = serializers.CharField(max_length=200, required=False, allow_blank=True)
    line_manager = ScopedPrimaryKeyField(User, required=False, allow_null=True)
    is_caldicott_guardian = serializers.BooleanField(required=False)
    is_data_protection_officer = serializers.BooleanField(required=False)
    is_nominated_representative = serializers.BooleanField(required=False)
    authorised_for_restricted = serializers.BooleanField(required=False)
    vetting_checked_on = EraDateField(required=False, allow_null=True)


class DeactivateIn(serializers.Serializer):
    reason = serializers.CharField(max_length=bounds.REASON)


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
    agency = ScopedPrimaryKeyField(Agency)
    email = serializers.EmailField(max_length=254)
    full_name = serializers.CharField(max_length=200)
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices), allow_empty=False, max_length=len(Role)
    )
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
    agency = ScopedPrimaryKeyField(Agency)
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=TokenScope.choices),
        allow_empty=False,
        max_length=len(TokenScope.choices),
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
    agency = id_filter(required=False)
    user = id_filter(required=False)
    partnership = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: only the records of the partnership's own people (those in no agency, whose training a "
        "partnership admin records); false or left out: every record the caller may see.",
    )


class TrainingRecordIn(serializers.Serializer):
    user = ScopedPrimaryKeyField(User)
    course = ScopedPrimaryKeyField(TrainingCourse)
    completed_on = EraDateField()
    expires_on = EraDateField(required=False, allow_null=True, default=None)
    evidence = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    agency = ScopedPrimaryKeyField(
        Agency,
        required=False,
        allow_null=True,
        default=None,
        help_text="The agency whose admins answer for the person's training; left out: their only agency, or none "
        "for the partnership's own people (a partnership admin records theirs).",
    )


class TrainingImportIn(serializers.Serializer):
    agency = ScopedPrimaryKeyField(Agency)
    csv = serializers.CharField(
        trim_whitespace=False,
        max_length=bounds.CSV_TEXT,
        help_text="CSV text with a header row: email,course,completed_on,expires_on,evidence, separated by commas, "
        "semicolons or tabs (dates as YYYY-MM-DD or DD/MM/YYYY). All rows are imported, or none.",
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
    text = serializers.CharField(max_length=bounds.REQUIREMENT)
    number = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=bounds.REQUIREMENT_NUMBER_MAX
    )


class RequirementPatchIn(serializers.Serializer):
    text = serializers.CharField(max_length=bounds.REQUIREMENT, required=False)
    is_active = serializers.BooleanField(required=False)
