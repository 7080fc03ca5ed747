"""Shapes of the protocols API. They parse and present; every rule is in the services (DESIGN 3.1)."""

from __future__ import annotations

from rest_framework import serializers

from agencies.api.serializers import ScopedPrimaryKeyField
from agencies.models import Agency, User
from protocols.models import (
    ActionStatus,
    AgeCondition,
    AuditExtract,
    Consultation,
    ConsultationResponse,
    ExtractResponse,
    Ground,
    Meeting,
    Protocol,
    ProtocolAudit,
    ProtocolKind,
    ProtocolStatus,
    ProtocolVersion,
    Review,
    ReviewAction,
    Signature,
)
from protocols.rules import Response
from protocols.services.protocols import VERSION_FIELDS

# --- Protocols and versions ------------------------------------------------------------------------------------


class VersionOut(serializers.ModelSerializer[ProtocolVersion]):
    adopted_at = serializers.DateTimeField(source="adoption.adopted_at", read_only=True, allow_null=True, default=None)

    class Meta:
        model = ProtocolVersion
        fields = [
            "id",
            "protocol",
            "number",
            "text",
            "change_note",
            *VERSION_FIELDS,  # the enforceable rules, as the services define them
            "created_at",
            "adopted_at",
        ]


class VersionSummaryOut(serializers.ModelSerializer[ProtocolVersion]):
    class Meta:
        model = ProtocolVersion
        fields = ["id", "number", "change_note", "created_at"]


class ProtocolOut(serializers.ModelSerializer[Protocol]):
    signatories = serializers.IntegerField(
        read_only=True, required=False, help_text="Live signatures on the version in force"
    )
    current_version_number = serializers.IntegerField(
        source="current_version.number", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Protocol
        fields = [
            "id",
            "title",
            "kind",
            "parent",
            "status",
            "current_version",
            "current_version_number",
            "completion_date",
            "first_review_months",
            "review_every_months",
            "fixed_review_date",
            "created_at",
            "signatories",
        ]


class ProtocolDetailOut(ProtocolOut):
    current = VersionOut(source="current_version", read_only=True, allow_null=True)
    versions = VersionSummaryOut(many=True, read_only=True)

    class Meta(ProtocolOut.Meta):
        fields = [*ProtocolOut.Meta.fields, "current", "versions"]


class VersionRulesIn(serializers.Serializer):
    """The protocol's enforceable data (DESIGN 2.2); anything not sent is taken from the version before."""

    text = serializers.CharField()
    change_note = serializers.CharField()
    age_min = serializers.IntegerField(required=False, min_value=0)
    age_max = serializers.IntegerField(required=False, min_value=0)
    extended_age_max = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    extended_age_conditions = serializers.ListField(
        child=serializers.ChoiceField(choices=AgeCondition.choices), required=False
    )
    permitted_purposes = serializers.ListField(child=serializers.CharField(max_length=200), required=False)
    aggregate_fields = serializers.ListField(child=serializers.CharField(max_length=120), required=False)
    minimum_fields = serializers.ListField(child=serializers.CharField(max_length=120), required=False)
    sensitive_fields = serializers.ListField(child=serializers.CharField(max_length=120), required=False)
    grounds_without_consent = serializers.ListField(
        child=serializers.ChoiceField(choices=Ground.choices), required=False
    )
    response_working_days = serializers.IntegerField(required=False, min_value=1)
    retention_months = serializers.IntegerField(required=False, min_value=1)
    clauses = serializers.DictField(
        child=serializers.CharField(max_length=16),
        required=False,
        help_text='The section of the text that states each rule the portal cites, e.g. {"review": "5.1"}.',
    )


class ProtocolCreateIn(VersionRulesIn):
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=ProtocolKind.choices)
    # A declared field, not Field.parent: DRF's metaclass takes declared fields off the class.
    parent = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=Protocol.objects.all(), required=False, allow_null=True, default=None
    )
    change_note = serializers.CharField(required=False, default="First draft")
    first_review_months = serializers.IntegerField(required=False, allow_null=True, min_value=1, default=6)
    review_every_months = serializers.IntegerField(required=False, allow_null=True, min_value=1, default=12)
    fixed_review_date = serializers.DateField(required=False, allow_null=True, default=None)


class TransitionIn(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=ProtocolStatus.choices)
    reason = serializers.CharField()


class AdoptIn(serializers.Serializer):
    completion_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="When the protocol was completed (today if not given)"
    )


class SignIn(serializers.Serializer):
    agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all())
    signatory_name = serializers.CharField(max_length=200)
    signatory_title = serializers.CharField(max_length=200)
    attestation = serializers.CharField()


class ConsultationOpenIn(serializers.Serializer):
    working_days = serializers.IntegerField(required=False, min_value=1, max_value=60, default=20)
    quorum_percent = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=100, default=None)


# --- Signatures ----------------------------------------------------------------------------------------------------


class SignatureOut(serializers.ModelSerializer[Signature]):
    version_number = serializers.IntegerField(source="version.number", read_only=True)

    class Meta:
        model = Signature
        fields = [
            "id",
            "protocol",
            "version",
            "version_number",
            "agency",
            "signatory_name",
            "signatory_title",
            "attestation",
            "signed_at",
            "carried_over_from",
            "withdrawn_at",
            "withdrawal_reason",
        ]


class SignatureFilterIn(serializers.Serializer):
    protocol = serializers.IntegerField(required=False)
    agency = serializers.IntegerField(required=False)
    live = serializers.BooleanField(required=False, allow_null=True, default=None)


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField()


# --- Consultations ------------------------------------------------------------------------------------------------


class ConsultationResponseOut(serializers.ModelSerializer[ConsultationResponse]):
    class Meta:
        model = ConsultationResponse
        fields = ["id", "agency", "response", "comment", "responded_at"]


class ConsultationOut(serializers.ModelSerializer[Consultation]):
    proposed_version_number = serializers.IntegerField(source="proposed_version.number", read_only=True)

    class Meta:
        model = Consultation
        fields = [
            "id",
            "protocol",
            "proposed_version",
            "proposed_version_number",
            "opened_on",
            "deadline",
            "quorum_percent",
            "status",
            "outcome",
            "outcome_note",
            "closed_at",
            "decided_at",
        ]


class ConsultationDetailOut(ConsultationOut):
    responses = ConsultationResponseOut(many=True, read_only=True)

    class Meta(ConsultationOut.Meta):
        fields = [*ConsultationOut.Meta.fields, "responses"]


class RespondIn(serializers.Serializer):
    agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all())
    response = serializers.ChoiceField(
        choices=[
            (Response.AGREE.value, "Agree"),
            (Response.OBJECT.value, "Object"),
            (Response.COMMENT.value, "Comment"),
        ]
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class DecideIn(serializers.Serializer):
    adopt = serializers.BooleanField(help_text="true: the proposed version comes into force; false: it is rejected")
    note = serializers.CharField(required=False, allow_blank=True, default="")


# --- Reviews and their actions ---------------------------------------------------------------------------------


class ReviewActionOut(serializers.ModelSerializer[ReviewAction]):
    class Meta:
        model = ReviewAction
        fields = ["id", "review", "description", "owner_agency", "due_on", "status", "completed_on", "note"]


class ReviewOut(serializers.ModelSerializer[Review]):
    class Meta:
        model = Review
        fields = [
            "id",
            "protocol",
            "number",
            "due_on",
            "status",
            "findings",
            "completed_on",
            "report_due_on",
            "officers",
        ]


class ReviewDetailOut(ReviewOut):
    actions = ReviewActionOut(many=True, read_only=True)

    class Meta(ReviewOut.Meta):
        fields = [*ReviewOut.Meta.fields, "actions"]


class ReviewFilterIn(serializers.Serializer):
    protocol = serializers.IntegerField(required=False)
    status = serializers.CharField(required=False)


class ReviewCompleteIn(serializers.Serializer):
    findings = serializers.CharField()
    completed_on = serializers.DateField()
    officers = serializers.ListField(child=ScopedPrimaryKeyField(User), required=False, default=list)


class ReviewActionIn(serializers.Serializer):
    description = serializers.CharField()
    owner_agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all())
    due_on = serializers.DateField()


class ReviewActionPatchIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=ActionStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


# --- Meetings ---------------------------------------------------------------------------------------------------------


class AgendaItemIO(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    review = serializers.PrimaryKeyRelatedField(
        queryset=Review.objects.all(), required=False, allow_null=True, default=None
    )


class MeetingOut(serializers.ModelSerializer[Meeting]):
    agenda = AgendaItemIO(source="agenda_items", many=True, read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "title",
            "held_on",
            "location",
            "attendee_agencies",
            "attendees",
            "agenda",
            "minutes",
            "minutes_circulated_on",
        ]


class MeetingIn(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    held_on = serializers.DateField()
    location = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    attendee_agencies = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.all(), many=True, required=False, default=list
    )
    attendees = serializers.ListField(child=ScopedPrimaryKeyField(User), required=False, default=list)
    agenda = AgendaItemIO(many=True, required=False, default=list)


class MinutesIn(serializers.Serializer):
    minutes = serializers.CharField()


class CirculateIn(serializers.Serializer):
    circulated_on = serializers.DateField(required=False, allow_null=True, default=None)


# --- Partner audits and their draft extracts (Haringey 5.7-5.11) -------------------------------------------------


class ExtractResponseOut(serializers.ModelSerializer[ExtractResponse]):
    class Meta:
        model = ExtractResponse
        fields = ["id", "agency", "text", "responded_by", "responded_at"]


class AuditExtractOut(serializers.ModelSerializer[AuditExtract]):
    class Meta:
        model = AuditExtract
        fields = ["id", "audit", "title", "text", "named_agencies", "shared_at"]


class AuditExtractDetailOut(AuditExtractOut):
    responses = ExtractResponseOut(many=True, read_only=True)

    class Meta(AuditExtractOut.Meta):
        fields = [*AuditExtractOut.Meta.fields, "responses"]


class ProtocolAuditOut(serializers.ModelSerializer[ProtocolAudit]):
    class Meta:
        model = ProtocolAudit
        fields = [
            "id",
            "protocol",
            "auditing_agency",
            "scope",
            "notice_given_on",
            "starts_on",
            "responses_due_on",
            "created_at",
        ]


class ProtocolAuditIn(serializers.Serializer):
    protocol = ScopedPrimaryKeyField(Protocol)
    auditing_agency = ScopedPrimaryKeyField(Agency)
    scope = serializers.CharField(max_length=5000, help_text="The audit's scope, given to the partners in writing")
    notice_given_on = serializers.DateField()
    starts_on = serializers.DateField(help_text="At least one month after the notice")
    responses_due_on = serializers.DateField(help_text="When named partners' responses to draft extracts are due")


class AuditExtractIn(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    text = serializers.CharField(max_length=20000)
    named_agencies = serializers.ListField(
        child=ScopedPrimaryKeyField(Agency), max_length=200, help_text="Only these partners will see the extract"
    )


class ExtractResponseIn(serializers.Serializer):
    agency = ScopedPrimaryKeyField(Agency, help_text="The named agency you respond for")
    text = serializers.CharField(max_length=5000)
