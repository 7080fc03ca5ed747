"""The security summary documents API (Haringey 7.2-7.4): an agency's document and its versions, the PDF
itself (through the policy, every opening audited), and the written requests to see another agency's
document with the owner's decision. Thin, like the pages: parse, read through the policy, write through
the same services (agencies.services.documents)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from agencies import services
from agencies.api.serializers import ScopedPrimaryKeyField
from agencies.models import (
    Agency,
    SecurityDocument,
    SecurityDocumentAccessRequest,
    SecurityDocumentVersion,
)
from isp_portal import policy
from isp_portal.api import PolicyViewMixin, parse_input

# --- Shapes ------------------------------------------------------------------------------------------------------


class DocumentVersionOut(serializers.ModelSerializer[SecurityDocumentVersion]):
    class Meta:
        model = SecurityDocumentVersion
        fields = ["id", "original_name", "size", "sha256", "uploaded_at"]


class SecurityDocumentOut(serializers.ModelSerializer[SecurityDocument]):
    current = serializers.SerializerMethodField(help_text="The version in use (the newest upload)")

    class Meta:
        model = SecurityDocument
        fields = ["id", "agency", "created_at", "current"]

    def get_current(self, document: SecurityDocument) -> dict[str, Any] | None:
        versions = sorted(document.versions.all(), key=lambda v: (v.uploaded_at, v.pk))
        return DocumentVersionOut(versions[-1]).data if versions else None


class DocumentUploadIn(serializers.Serializer):
    agency = ScopedPrimaryKeyField(Agency, help_text="Your own agency")
    file = serializers.FileField(help_text="The security summary, a PDF")


class AccessRequestOut(serializers.ModelSerializer[SecurityDocumentAccessRequest]):
    class Meta:
        model = SecurityDocumentAccessRequest
        fields = [
            "id",
            "document",
            "requesting_agency",
            "reason",
            "requested_at",
            "state",
            "decided_at",
            "decision_note",
            "access_expires_on",
        ]


class AccessRequestIn(serializers.Serializer):
    owner_agency = ScopedPrimaryKeyField(Agency, help_text="The agency whose document you ask to see")
    requesting_agency = ScopedPrimaryKeyField(Agency, help_text="The agency you administer and ask for")
    reason = serializers.CharField(max_length=2000, help_text="Why your agency needs to see it (in writing)")


class AccessDecisionIn(serializers.Serializer):
    grant = serializers.BooleanField()
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    access_expires_on = serializers.DateField(required=False, allow_null=True, default=None)


# --- Views -------------------------------------------------------------------------------------------------------


class SecurityDocumentViewSet(
    PolicyViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[SecurityDocument]
):
    """Security summary documents an agency's people may see: their own agency's, and others' under an
    unexpired grant. An agency's admins upload (or replace) its document."""

    policy_model = SecurityDocument
    serializer_class = SecurityDocumentOut
    # The service requires "upload_security_document" on the agency named in the body.
    checked_on_parent: ClassVar[dict[str, tuple[type[Model], str]]] = {"create": (Agency, "upload_security_document")}
    parser_classes = [MultiPartParser, FormParser]

    def base_queryset(self) -> QuerySet[SecurityDocument]:
        return SecurityDocument.objects.prefetch_related("versions").order_by("agency__name", "id")

    @extend_schema(request={"multipart/form-data": DocumentUploadIn}, responses={201: SecurityDocumentOut})
    def create(self, request: Request) -> Response:
        values = parse_input(DocumentUploadIn, request.data, request)
        upload = values["file"]
        version = services.security_document_upload(
            actor=request.user, agency=values["agency"], upload=upload, filename=upload.name or ""
        )
        document = self.base_queryset().get(pk=version.document_id)
        return Response(SecurityDocumentOut(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def file(self, request: Request, pk: str | None = None) -> FileResponse:
        """The PDF itself; every opening is audited."""
        document = policy.get_or_deny(request.user, SecurityDocument.objects.all(), pk=pk)
        _, path = services.security_document_open(actor=request.user, document=document)
        response = FileResponse(
            path.open("rb"),
            content_type="application/pdf",
            as_attachment=True,
            filename=f"security-summary-{document.agency_id}.pdf",
        )
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class SecurityDocumentRequestViewSet(
    PolicyViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[SecurityDocumentAccessRequest],
):
    """Written requests to see another agency's security document: seen by both agencies' admins and
    partnership admins; the owning agency's admins decide."""

    policy_model = SecurityDocumentAccessRequest
    serializer_class = AccessRequestOut
    # The service requires "request_security_document" on the requesting agency named in the body.
    checked_on_parent: ClassVar[dict[str, tuple[type[Model], str]]] = {"create": (Agency, "request_security_document")}

    def base_queryset(self) -> QuerySet[SecurityDocumentAccessRequest]:
        return SecurityDocumentAccessRequest.objects.select_related("document").order_by("-requested_at", "-id")

    @extend_schema(request=AccessRequestIn, responses={201: AccessRequestOut})
    def create(self, request: Request) -> Response:
        values = parse_input(AccessRequestIn, request.data, request)
        owner: Agency = values["owner_agency"]
        document = SecurityDocument.objects.filter(agency=owner).first()
        if document is None:
            raise serializers.ValidationError({"owner_agency": [f"{owner} has not uploaded a security document yet."]})
        made = services.access_request_create(
            actor=request.user,
            document=document,
            requesting_agency=values["requesting_agency"],
            reason=values["reason"],
        )
        return Response(AccessRequestOut(made).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AccessDecisionIn, responses=AccessRequestOut)
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        """Grant (until a date at most a year away) or refuse (with a note the requester sees)."""
        access_request = policy.get_or_deny(request.user, self.base_queryset(), action="decide", pk=pk)
        decided = services.access_request_decide(
            actor=request.user, access_request=access_request, **parse_input(AccessDecisionIn, request.data, request)
        )
        return Response(AccessRequestOut(decided).data)
