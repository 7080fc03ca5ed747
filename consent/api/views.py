"""Consent records through the API (DESIGN 2.4): a child's consents listed and recorded
(/api/v1/children/{id}/consents/), one read, its FHIR R4 Consent form, its withdrawal, its review and its
evidence. Thin: the rules are in consent.rules, the writes in consent.services, the reads in consent.selectors.
Every read shows a child's information, so it states its purpose (X-Purpose) and is audited with it."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from django.http import FileResponse, HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.models import Agency
from consent import selectors, services
from consent.evidence import JPEG, PDF, PNG
from consent.fhir import FHIR_MEDIA_TYPE, consent_json
from consent.models import (
    Competence,
    ConsentEvidence,
    ConsentForm,
    ConsentRecord,
    ConsentTier,
    Decision,
    GivenBy,
)
from consent.policy import NOT_INVOLVED, consent_child, may_list, reads_by_child_id, require_may_record
from isp_portal import bounds, policy
from isp_portal.api import PolicyViewMixin, ScopedPrimaryKeyField, parse_input
from isp_portal.api_input import EraDateField
from protocols.models import Protocol
from sharing.api.purpose import PURPOSE_PARAMETER, field_errors, stated_purpose
from sharing.api.shapes import ActingAgencyField
from sharing.models import Child
from sharing.policy import index_agencies


class FhirJSONRenderer(JSONRenderer):
    """FHIR's JSON media type, for a client that asks for it by its Accept header."""

    media_type = FHIR_MEDIA_TYPE


class ProtocolField(ScopedPrimaryKeyField):
    """The protocol a consent is given under: any protocol to someone who uses the child index (the service
    refuses one not in force, naming it)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(Protocol, **kwargs)

    def get_queryset(self) -> QuerySet[Protocol]:
        user = self.context["request"].user
        return Protocol.objects.all() if index_agencies(user) else Protocol.objects.none()


class RecipientField(ActingAgencyField):
    """A recipient agency named in a consent: any agency of the register to someone who uses the child index
    (the service refuses one without a live signature on the protocol's version in force, naming it)."""


# --- Input ------------------------------------------------------------------------------------------------------


class ConsentIn(serializers.Serializer):
    agency = ActingAgencyField(
        required=False, allow_null=True, default=None, help_text="Your agency involved with the child (if several)"
    )
    given_by = serializers.ChoiceField(choices=GivenBy.choices, help_text="The child, or a parent")
    parent_name = serializers.CharField(max_length=bounds.NAME, allow_blank=True, default="")
    parent_relationship = serializers.CharField(
        max_length=bounds.NAME, allow_blank=True, default="", help_text="The parent's relationship to the child"
    )
    parents_separated = serializers.BooleanField(default=False)
    is_resident_parent = serializers.BooleanField(default=False, help_text="When separated: the resident parent")
    competence = serializers.ChoiceField(
        choices=Competence.choices, allow_blank=True, default="", help_text="Outcome of a competence assessment"
    )
    assessed_on = EraDateField(required=False, allow_null=True, default=None)
    assessor_name = serializers.CharField(max_length=bounds.NAME, allow_blank=True, default="")
    form = serializers.ChoiceField(choices=ConsentForm.choices)
    decision = serializers.ChoiceField(choices=Decision.choices)
    protocol = ProtocolField(help_text="The protocol in force the consent is given under")
    purposes = serializers.ListField(
        child=serializers.CharField(max_length=200),
        min_length=1,
        max_length=bounds.LIST_ITEMS,
        help_text="Purposes of the protocol version in force, as written there",
    )
    tiers = serializers.ListField(
        child=serializers.ChoiceField(choices=ConsentTier.choices), min_length=1, max_length=len(ConsentTier)
    )
    all_signatories = serializers.BooleanField(default=False, help_text="Every signatory of the protocol")
    recipients = serializers.ListField(
        child=RecipientField(), max_length=bounds.LIST_ITEMS, default=list, help_text="Named recipient agencies"
    )
    obtained_on = EraDateField()
    valid_from = EraDateField(required=False, allow_null=True, default=None)
    valid_until = EraDateField(required=False, allow_null=True, default=None)
    notice_given_on = EraDateField(
        required=False, allow_null=True, default=None, help_text="When the fair-processing notice was given"
    )
    review_due_on = EraDateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=bounds.REASON, allow_blank=True, default="")


class WithdrawIn(serializers.Serializer):
    withdrawn_on = EraDateField(help_text="The day the consent was withdrawn")
    reason = serializers.CharField(max_length=bounds.REASON, help_text="Why, and who withdrew it")


class ReviewIn(serializers.Serializer):
    reviewed_on = EraDateField()
    note = serializers.CharField(max_length=bounds.REASON, help_text="What the review found")
    next_review_on = EraDateField(required=False, allow_null=True, default=None)


class EvidenceIn(serializers.Serializer):
    file = serializers.FileField(help_text="A PDF, PNG or JPEG of the signed form")


# --- Output -----------------------------------------------------------------------------------------------------


class AgencyRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class WithdrawalOut(serializers.Serializer):
    withdrawn_on = serializers.DateField()
    reason = serializers.CharField()
    recorded_at = serializers.DateTimeField()


class EvidenceOut(serializers.Serializer):
    content_type = serializers.CharField()
    original_name = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()


class ConsentOut(serializers.Serializer):
    id = serializers.IntegerField()
    child = serializers.IntegerField()
    recorded_by_agency = AgencyRefOut()
    recorded_at = serializers.DateTimeField()
    given_by = serializers.ChoiceField(choices=GivenBy.choices)
    parent_name = serializers.CharField()
    parent_relationship = serializers.CharField()
    parents_separated = serializers.BooleanField()
    is_resident_parent = serializers.BooleanField()
    child_age = serializers.IntegerField(
        help_text="The child's age on the day the decision was obtained, by the date of birth recorded now (a "
        "corrected date of birth corrects it): the age competence is judged by"
    )
    child_age_recorded = serializers.IntegerField(
        help_text="The child's age as recorded with the decision, by the date of birth recorded then (differs "
        "from child_age when the date of birth was corrected since)"
    )
    competence = serializers.CharField(help_text="competent, not_competent, or empty when not assessed")
    assessed_on = serializers.DateField(allow_null=True)
    assessor_name = serializers.CharField()
    form = serializers.ChoiceField(choices=ConsentForm.choices)
    decision = serializers.ChoiceField(choices=Decision.choices)
    protocol = serializers.IntegerField()
    protocol_version = serializers.IntegerField(help_text="The number of the version in force when obtained")
    purposes = serializers.ListField(child=serializers.CharField())
    tiers = serializers.ListField(child=serializers.CharField())
    all_signatories = serializers.BooleanField()
    recipients = AgencyRefOut(many=True)
    signatories_when_decided = AgencyRefOut(
        many=True,
        help_text="For a consent to every signatory of the protocol: the agencies it covers, those that were "
        "signatories at the end of the day it was obtained (or when it was recorded, if sooner), by name; an agency "
        "that signed later needs a new decision, and one sharing must also hold a live signature then. Empty for a "
        "consent naming its recipients",
    )
    obtained_on = serializers.DateField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)
    notice_given_on = serializers.DateField(allow_null=True)
    review_due_on = serializers.DateField(allow_null=True)
    note = serializers.CharField()
    in_force = serializers.BooleanField(
        help_text="Whether the decision counts today, for all or part of its scope: in its period, not withdrawn, "
        "the decider's to make (a parent's decision lapses when the young person decides for themselves; an "
        "under-16's own needs a competence assessment), and not overridden on every share it covers by a decision "
        "that prevails (a competent child's own over a parent's; a party's later decision over its earlier). As "
        "the consent summary and the FHIR form (status) read it"
    )
    overridden_in_part = serializers.CharField(
        help_text="When another decision prevails against it on part of its scope: that part, and why (the FHIR "
        "form's nested provisions); empty otherwise"
    )
    withdrawal = WithdrawalOut(allow_null=True)
    evidence = EvidenceOut(allow_null=True)


def consent_out(record: ConsentRecord, reading: selectors.Reading) -> dict[str, Any]:
    """The record as ConsentOut says it, read as `reading` (consent.selectors.consent_readings: the one reading
    of the summary, the FHIR form and the pages)."""
    withdrawal = record.withdrawal_or_none()
    evidence = getattr(record, "evidence", None) if services_has_evidence(record) else None
    return {
        "id": record.pk,
        "child": record.child_id,
        "recorded_by_agency": {"id": record.recorded_by_agency_id, "name": record.recorded_by_agency.name},
        "recorded_at": record.recorded_at,
        "given_by": record.given_by,
        "parent_name": record.parent_name,
        "parent_relationship": record.parent_relationship,
        "parents_separated": record.parents_separated,
        "is_resident_parent": record.is_resident_parent,
        "child_age": reading.age,
        "child_age_recorded": record.child_age,
        "competence": record.competence,
        "assessed_on": record.assessed_on,
        "assessor_name": record.assessor_name,
        "form": record.form,
        "decision": record.decision,
        "protocol": record.protocol_id,
        "protocol_version": record.protocol_version.number,
        "purposes": list(record.purposes),
        "tiers": list(record.tiers),
        "all_signatories": record.all_signatories,
        "recipients": [{"id": agency.pk, "name": agency.name} for agency in record.recipients.all()],
        "signatories_when_decided": selectors.signatories_when_decided(record),
        "obtained_on": record.obtained_on,
        "valid_from": record.valid_from,
        "valid_until": record.valid_until,
        "notice_given_on": record.notice_given_on,
        "review_due_on": record.review_due_on,
        "note": record.note,
        "in_force": reading.in_force,
        "overridden_in_part": f"{reading.part}: {reading.reason}" if reading.partly_overridden else "",
        "withdrawal": (
            {
                "withdrawn_on": withdrawal.withdrawn_on,
                "reason": withdrawal.reason,
                "recorded_at": withdrawal.recorded_at,
            }
            if withdrawal is not None
            else None
        ),
        "evidence": (
            {
                "content_type": evidence.content_type,
                "original_name": evidence.original_name,
                "size": evidence.size,
                "sha256": evidence.sha256,
                "uploaded_at": evidence.uploaded_at,
            }
            if evidence is not None
            else None
        ),
    }


def services_has_evidence(record: ConsentRecord) -> bool:
    try:
        record.evidence  # noqa: B018 - a reverse one-to-one raises when there is none
    except ConsentRecord.evidence.RelatedObjectDoesNotExist:
        return False
    return True


# Writes answer with the whole record (who decided, the parent's name, the scope): a read of the child's consent,
# so they state why like every read (X-Purpose) and the answer is recorded with it (consent.selectors).
ANSWERED_WITH_THE_RECORD = (
    "Answers with the record, so it needs X-Purpose: the answer is recorded as a read of the consent with it."
)
# The evidence files kept, by content type (consent.evidence), with the extension their download is named with.
EVIDENCE_TYPES = {PDF: "pdf", PNG: "png", JPEG: "jpg"}


def _reading(record: ConsentRecord, readings: dict[int, selectors.Reading]) -> selectors.Reading:
    return readings.get(record.pk) or selectors.record_reading(record, timezone.localdate())


def _rendered(record: ConsentRecord, code: int = 200) -> Response:
    """The record as ConsentOut, read on today among its child's decisions (two statements)."""
    return Response(
        ConsentOut(consent_out(record, selectors.record_reading(record, timezone.localdate()))).data, status=code
    )


# --- Views ------------------------------------------------------------------------------------------------------


class ChildConsentsView(APIView):
    """A child's consents: listed by the practitioners of an agency involved with it and by auditors; recorded
    by those practitioners."""

    policy_model = Child
    # The service requires an involvement of the caller's agency with the child (consent.policy): here the gates
    # are asked first, before the body is read. No API token scope reaches consents (a consent is a person's
    # judgement, read by people), so every token is refused here, for its scopes, whatever the child.
    checked_on_parent: ClassVar[dict[str | None, tuple[type[Model], str]]] = {None: (ConsentRecord, "record")}

    def _child(self, request: Request, pk: int) -> Child:
        # Auditors read consents by the child's id (they do not use the index), on the shield's terms
        # (consent.policy.consent_child): a missing id and one out of reach are a 404 alike.
        return consent_child(request.user, pk)

    @extend_schema(
        summary="A child's consent records",
        description="Every decision recorded about sharing the child's information, newest first (at most "
        f"{selectors.CONSENTS_LISTED}): who decided, their competence, the form, the scope, the period, and any "
        "withdrawal. For practitioners of an agency involved with the child, and auditors. Needs X-Purpose.",
        parameters=[PURPOSE_PARAMETER],
        responses=ConsentOut(many=True),
    )
    def get(self, request: Request, pk: int) -> Response:
        child = self._child(request, pk)
        if not may_list(request.user, child):
            raise policy.NotPermitted(
                action="list_consents",
                target_type="sharing.child",
                target_id=str(child.pk),
                reason=NOT_INVOLVED,
                child_id=child.pk,
            )
        purpose = stated_purpose(request)
        records = selectors.child_consents(request.user, child, purpose=purpose)
        readings = selectors.child_readings(child.pk, timezone.localdate())
        return Response([ConsentOut(consent_out(record, _reading(record, readings))).data for record in records])

    @extend_schema(
        summary="Record a consent decision for a child",
        description="A practitioner of an agency involved with the child records a decision: given or refused, by "
        "the child or by a person with parental responsibility, with the scope (purposes of the protocol version "
        "in force, tiers, named recipients or every signatory) and the period. Refused with 400 by field: a "
        "child under 16 deciding without an assessment that found them competent; a parent deciding for a child "
        "who decides for themselves; a parent's consent where the competent child has refused; a purpose the "
        "protocol does not permit; a recipient that has not signed it; a withdrawal or period out of order. "
        "Evidence is attached afterwards (POST /api/v1/consents/{id}/evidence/).",
        request=ConsentIn,
        responses={201: ConsentOut},
    )
    def post(self, request: Request, pk: int) -> Response:
        child = self._child(request, pk)
        if reads_by_child_id(request.user):
            raise policy.NotPermitted(
                action="record_consent",
                target_type="sharing.child",
                target_id=str(child.pk),
                reason="Auditors read consents; only practitioners of an involved agency record them.",
                child_id=child.pk,
            )
        # Who may record is asked before the body is read, so a caller who may not is told so, not that a
        # protocol or an agency named in the body does not exist for them. The service asks again, on the
        # locked child.
        require_may_record(request.user, child)
        values = parse_input(ConsentIn, request.data, request)
        with field_errors():
            record = services.consent_record(actor=request.user, child=child, **values)
        loaded = selectors.consents_visible(request.user).get(pk=record.pk)
        return _rendered(loaded, status.HTTP_201_CREATED)


class ConsentViewSet(PolicyViewMixin, viewsets.GenericViewSet[ConsentRecord]):
    """One consent record: read, as FHIR, withdrawn, reviewed, its evidence attached."""

    policy_model = ConsentRecord
    serializer_class = ConsentOut
    renderer_classes = [JSONRenderer, FhirJSONRenderer]

    def base_queryset(self) -> QuerySet[ConsentRecord]:
        return ConsentRecord.objects.all()

    @extend_schema(
        summary="A consent record",
        description="The decision with its scope, period, withdrawal and evidence. Needs X-Purpose.",
        parameters=[PURPOSE_PARAMETER],
        responses=ConsentOut,
    )
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        record = selectors.consent_detail(request.user, pk, purpose=stated_purpose(request))
        return _rendered(record)

    @extend_schema(
        summary="A consent record as a FHIR R4 Consent",
        description="The record as the FHIR R4 Consent resource NHS systems exchange (`status`, `scope`, "
        "`category`, `patient`, `dateTime`, `performer`, `provision` permit or deny with its `actor`, `purpose` "
        "and `period`), as application/fhir+json. Needs X-Purpose.",
        parameters=[PURPOSE_PARAMETER],
        responses={(200, FHIR_MEDIA_TYPE): OpenApiResponse(response=OpenApiTypes.OBJECT, description="A FHIR Consent")},
    )
    @action(detail=True, methods=["get"])
    def fhir(self, request: Request, pk: str | None = None) -> HttpResponse:
        record = selectors.consent_detail(request.user, pk, purpose=stated_purpose(request))
        return HttpResponse(consent_json(record, timezone.localdate()), content_type=FHIR_MEDIA_TYPE)

    @extend_schema(
        summary="Record that a consent was withdrawn",
        description="From the day given, the consent covers no disclosure (requests that relied on it need "
        "another basis). Refused with 400: a date before the consent was obtained, or in the future; with 403: a "
        "refusal, or a consent already withdrawn. "
        f"{ANSWERED_WITH_THE_RECORD}",
        parameters=[PURPOSE_PARAMETER],
        request=WithdrawIn,
        responses=ConsentOut,
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        # With its child: the policy refuses a withdrawal on an erased record (consent.policy).
        record = policy.get_or_deny(
            request.user, self.base_queryset().select_related("child"), action="withdraw", pk=pk
        )
        purpose = stated_purpose(request)
        values = parse_input(WithdrawIn, request.data, request)
        with field_errors():
            services.consent_withdraw(actor=request.user, consent=record, **values)
        return _rendered(selectors.consent_detail(request.user, record.pk, purpose=purpose))

    @extend_schema(
        summary="Record a review of a consent",
        description="The consent is kept under active review: what the review found, and the next review date "
        "(none: no further review is due). Refused with 403 on a closed record (it is kept for reference only). "
        f"{ANSWERED_WITH_THE_RECORD}",
        parameters=[PURPOSE_PARAMETER],
        request=ReviewIn,
        responses=ConsentOut,
    )
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str | None = None) -> Response:
        record = policy.get_or_deny(request.user, self.base_queryset(), action="review", pk=pk)
        purpose = stated_purpose(request)
        values = parse_input(ReviewIn, request.data, request)
        with field_errors():
            services.consent_review_record(actor=request.user, consent=record, **values)
        return _rendered(selectors.consent_detail(request.user, record.pk, purpose=purpose))

    @extend_schema(
        methods=["GET"],
        summary="Download the evidence of a consent",
        description="The file itself (a PDF, PNG or JPEG of the signed form), as it was uploaded, for "
        "practitioners of an agency involved with the child and auditors, like the record. Needs X-Purpose: every "
        "opening is recorded in the audit trail with it. 404 when the record has no evidence.",
        parameters=[PURPOSE_PARAMETER],
        request=None,
        responses={
            (200, content_type): OpenApiResponse(response=OpenApiTypes.BINARY, description="The evidence file")
            for content_type in EVIDENCE_TYPES
        },
    )
    @extend_schema(
        methods=["POST"],
        summary="Attach the evidence of a consent",
        description="A PDF, PNG or JPEG of the signed form, judged by its content: a file that is not what its "
        "name says, a damaged image, an image over the pixel limit, a PDF with scripts or attachments or with "
        "anything after its end, or a file over the size limit is refused with 400. Once per record; refused "
        f"with 403 on a closed record. {ANSWERED_WITH_THE_RECORD}",
        parameters=[PURPOSE_PARAMETER],
        request={"multipart/form-data": EvidenceIn},
        responses={201: ConsentOut},
    )
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser, FormParser])
    def evidence(self, request: Request, pk: str | None = None) -> Response | FileResponse:
        if request.method == "GET":
            return self._evidence_file(request, pk)
        record = policy.get_or_deny(request.user, self.base_queryset(), action="attach_evidence", pk=pk)
        purpose = stated_purpose(request)
        values = parse_input(EvidenceIn, request.data, request)
        upload = values["file"]
        if upload is None:
            raise exceptions.ValidationError({"file": ["Choose a file."]})
        with field_errors():
            services.consent_evidence_attach(
                actor=request.user, consent=record, upload=upload, filename=str(upload.name or "")
            )
        return _rendered(selectors.consent_detail(request.user, record.pk, purpose=purpose), 201)

    def _evidence_file(self, request: Request, pk: str | None) -> FileResponse:
        """The browser's download (consent.views.consent_evidence_file) through the API: the policy first (a
        record out of reach, or without evidence, is a 404 either way), then the purpose, then the opening
        recorded with it (consent.services.consent_evidence_open)."""
        evidence = policy.get_or_deny(
            request.user, ConsentEvidence.objects.select_related("consent", "consent__child"), consent_id=pk
        )
        purpose = stated_purpose(request)
        _, path = services.consent_evidence_open(actor=request.user, evidence=evidence, purpose=purpose)
        response = FileResponse(
            path.open("rb"),  # FileResponse closes it when the response is done
            content_type=evidence.content_type,
            as_attachment=True,
            filename=f"consent-{evidence.consent_id}-evidence.{EVIDENCE_TYPES.get(evidence.content_type, 'bin')}",
        )
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


__all__ = ["Agency", "ChildConsentsView", "ConsentViewSet"]
