"""Shapes of the protocols API. They parse and present; every rule is in the services (DESIGN 3.1)."""

from __future__ import annotations

from rest_framework import serializers

from agencies.models import Agency, User
from isp_portal import bounds
from isp_portal.api import ScopedPrimaryKeyField
from isp_portal.api_input import EraDateField, id_filter
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
from protocols.selectors import protocol_signatory_count
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
    signatories = serializers.SerializerMethodField(help_text="Live signatures on the version in force")
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

    def get_signatories(self, protocol: Protocol) -> int:
        # The list annotates the count in its one query; a single protocol's answer counts it here.
        annotated = getattr(protocol, "signatories", None)
        return int(annotated) if annotated is not None else protocol_signatory_count(protocol)


class ProtocolDetailOut(ProtocolOut):
    current = VersionOut(source="current_version", read_only=True, allow_null=True)
    versions = VersionSummaryOut(many=True, read_only=True)

    class Meta(ProtocolOut.Meta):
        fields = [*ProtocolOut.Meta.fields, "current", "versions"]


class VersionRulesIn(serializers.Serializer):
    """A version's text and its rules as data; any rule not sent is carried over from the version before."""

    text = serializers.CharField(max_length=bounds.PROTOCOL_TEXT)
    change_note = serializers.CharField(max_length=bounds.REASON)
    age_min = serializers.IntegerField(required=False, min_value=0, max_value=bounds.AGE_MAX)
    age_max = serializers.IntegerField(required=False, min_value=1, max_value=bounds.AGE_MAX)
    extended_age_max = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=bounds.EXTENDED_AGE_MAX
    )
    extended_age_conditions = serializers.ListField(
        child=serializers.ChoiceField(choices=AgeCondition.choices), required=False, max_length=len(AgeCondition)
    )
    permitted_purposes = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=bounds.LIST_ITEMS
    )
    aggregate_fields = serializers.ListField(
        child=serializers.CharField(max_length=120), required=False, max_length=bounds.LIST_ITEMS
    )
    minimum_fields = serializers.ListField(
        child=serializers.CharField(max_length=120), required=False, max_length=bounds.LIST_ITEMS
    )
    sensitive_fields = serializers.ListField(
        child=serializers.CharField(max_length=120), required=False, max_length=bounds.LIST_ITEMS
    )
    grounds_without_consent = serializers.ListField(
        child=serializers.ChoiceField(choices=Ground.choices), required=False, max_length=len(Ground)
    )
    response_working_days = serializers.IntegerField(required=False, min_value=1, max_value=bounds.WORKING_DAYS_MAX)
    retention_months = serializers.IntegerField(required=False, min_value=1, max_value=bounds.RETENTION_MONTHS_MAX)
    shows_held_categories = serializers.BooleanField(
        required=False,
        help_text="Whether practitioners of other agencies signed to this version see which kinds of information "
        "each agency holds about a child (never the content)",
    )
    clauses = serializers.DictField(
        child=serializers.CharField(max_length=16),
        required=False,
        help_text='The section of the text that states each rule the portal cites, e.g. {"review": "5.1"}.',
    )


class ProtocolCreateIn(VersionRulesIn):
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=ProtocolKind.choices)
    # A declared field, not Field.parent: DRF's metaclass takes declared fields off the class.
    parent = ScopedPrimaryKeyField(  # type: ignore[assignment]
        Protocol, required=False, allow_null=True, default=None
    )
    change_note = serializers.CharField(max_length=bounds.REASON, required=False, default="First draft")
    first_review_months = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=bounds.REVIEW_MONTHS_MAX, default=6
    )
    review_every_months = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=bounds.REVIEW_MONTHS_MAX, default=12
    )
    fixed_review_date = EraDateField(required=False, allow_null=True, default=None)


class TransitionIn(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=ProtocolStatus.choices)
    reason = serializers.CharField(max_length=bounds.REASON)


class AdoptIn(serializers.Serializer):
    completion_date = EraDateField(
        required=False, allow_null=True, default=None, help_text="When the protocol was completed (today if not given)"
    )


class SignIn(serializers.Serializer):
    agency = ScopedPrimaryKeyField(Agency)
    signatory_name = serializers.CharField(max_length=200)
    signatory_title = serializers.CharField(max_length=200)
    attestation = serializers.CharField(max_length=bounds.REASON)


class ConsultationOpenIn(serializers.Serializer):
    working_days = serializers.IntegerField(required=False, min_value=1, max_value=bounds.WORKING_DAYS_MAX, default=20)
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
    protocol = id_filter(required=False)
    agency = id_filter(required=False)
    live = serializers.BooleanField(required=False, allow_null=True, default=None)


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=bounds.REASON)


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
    agency = ScopedPrimaryKeyField(Agency)
    response = serializers.ChoiceField(
        choices=[
            (Response.AGREE.value, "Agree"),
            (Response.OBJECT.value, "Object"),
            (Response.COMMENT.value, "Comment"),
        ]
    )
    comment = serializers.CharField(max_length=bounds.REASON, required=False, allow_blank=True, default="")


class DecideIn(serializers.Serializer):
    adopt = serializers.BooleanField(help_text="true: the proposed version comes into force; false: it is rejected")
    note = serializers.CharField(max_length=bounds.REASON, required=False, allow_blank=True, default="")


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
    protocol = id_filter(required=False)
    status = serializers.CharField(required=False, max_length=16)


class ReviewCompleteIn(serializers.Serializer):
    findings = serializers.CharField(max_length=bounds.LONG_TEXT)
    completed_on = EraDateField()
    officers = serializers.ListField(
        child=ScopedPrimaryKeyField(User), required=False, default=list, max_length=bounds.LIST_ITEMS
    )


class ReviewActionIn(serializers.Serializer):
    description = serializers.CharField(max_length=bounds.REQUIREMENT)
    owner_agency = ScopedPrimaryKeyField(Agency)
    due_on = EraDateField()


class ReviewActionPatchIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=ActionStatus.choices)
    note = serializers.CharField(max_length=bounds.REASON, required=False, allow_blank=True, default="")


# --- Meetings ---------------------------------------------------------------------------------------------------------


class AgendaItemIO(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    review = ScopedPrimaryKeyField(Review, required=False, allow_null=True, default=None)


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
    held_on = EraDateField()
    location = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    attendee_agencies = serializers.ListField(
        child=ScopedPrimaryKeyField(Agency), required=False, default=list, max_length=bounds.LIST_ITEMS
    )
    attendees = serializers.ListField(
        child=ScopedPrimaryKeyField(User), required=False, default=list, max_length=bounds.LIST_ITEMS
    )
    agenda = AgendaItemIO(many=True, required=False, default=list, max_length=bounds.LIST_ITEMS)  # type: ignore[call-arg]


class MinutesIn(serializers.Serializer):
    minutes = serializers.CharField(max_length=bounds.LONG_TEXT)


class CirculateIn(serializers.Serializer):
    circulated_on = EraDateField(required=False, allow_null=True, default=None)


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
    scope = serializers.CharField(
        max_length=bounds.REASON, help_text="The audit's scope, given to the partners in writing"
    )
    notice_given_on = EraDateField()
    starts_on = EraDateField(help_text="At least one month after the notice")
    responses_due_on = EraDateField(help_text="When named partners' responses to draft extracts are due")


class AuditExtractIn(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    text = serializers.CharField(max_length=bounds.LONG_TEXT)
    named_agencies = serializers.ListField(
        child=ScopedPrimaryKeyField(Agency),
        max_length=bounds.LIST_ITEMS,
        help_text="Only these partners will see the extract",
    )


class ExtractResponseIn(serializers.Serializer):
    agency = ScopedPrimaryKeyField(Agency, help_text="The named agency you respond for")
    text = serializers.CharField(max_length=bounds.REASON)
