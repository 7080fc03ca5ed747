"""The audit trail's exports through the API (issue 15): the disclosure log and the access events streamed as CSV or
JSON Lines (`?format=csv|jsonl`), and export jobs for large ones (start, follow, fetch the file: the requester alone).
The same service and the same rules as the pages (oversight.views.exports): auditors, Caldicott guardians and DPOs;
403 naming the rule for anyone else; an unknown or malformed filter a 400 naming it; every refusal audited."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, StreamingHttpResponse
from django.urls import URLPattern, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from isp_portal import bounds, policy
from isp_portal.api import parse_input
from isp_portal.audit_panel import AUDIT_TRAIL
from oversight import exports, services
from oversight.filters import FilterError, Source
from oversight.models import ExportFormat, ExportJob, ExportSource, ExportState


class _PassThrough(BaseRenderer):
    """The export's bytes are made by the database; DRF only needs to know the format exists (`?format=`)."""

    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> Any:
        return data


class CsvRenderer(_PassThrough):
    media_type = "text/csv"
    format = "csv"


class JsonLinesRenderer(_PassThrough):
    media_type = "application/jsonl"
    format = "jsonl"


def _refusal(problems: list[FilterError]) -> exceptions.ValidationError:
    fields: dict[str, list[str]] = {}
    for problem in problems:
        fields.setdefault(problem.field, []).append(problem.message)
    return exceptions.ValidationError(fields)


FILTER_PARAMETERS = [
    OpenApiParameter("occurred_from", OpenApiTypes.DATE, description="The first day (UK), inclusive"),
    OpenApiParameter("occurred_to", OpenApiTypes.DATE, description="The last day (UK), inclusive"),
    OpenApiParameter("agency_id", OpenApiTypes.INT, description="The agency that acted, disclosed or received"),
    OpenApiParameter("user_id", OpenApiTypes.INT, description="Who acted (or disclosed, approved, asked)"),
    OpenApiParameter("child_id", OpenApiTypes.INT, description="The child concerned"),
    OpenApiParameter("action", OpenApiTypes.STR, description="An event's kind, or a prefix ending in a dot"),
    OpenApiParameter("legal_basis", OpenApiTypes.STR, description="The disclosure log only"),
    OpenApiParameter("outcome", OpenApiTypes.STR, description="success, denied, failed; a follow-up's outcome"),
]


class _ExportView(APIView):
    policy_resource = AUDIT_TRAIL
    renderer_classes = [CsvRenderer, JsonLinesRenderer]
    source: Source

    def get(self, request: Request) -> StreamingHttpResponse:
        fmt = str(request.accepted_renderer.format)
        try:
            trail_filter = services.read_filter(actor=request.user, query=request.query_params, source=self.source,
                                                also_allowed=("format",))  # fmt: skip
        except services.ExportRefused as refused:
            raise _refusal(refused.problems) from None
        chunks, _ = services.export_download(actor=request.user, source=self.source, fmt=fmt, trail_filter=trail_filter)
        response = StreamingHttpResponse(chunks, content_type=exports.CONTENT_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="audit-{self.source.value}.{fmt}"'
        response["Cache-Control"] = "no-store"
        return response


_STREAM_DESCRIPTION = (
    "Streamed with constant memory, in the order (occurred_at, id); `?format=csv` (UTF-8 with a byte-order mark, "
    "formula cells made inert) or `?format=jsonl` (one JSON object a line). The columns are the column dictionary's "
    "(docs/disclosure-log-columns.md). A file whose export failed halfway ends with a failure marker: a CSV row "
    'beginning "#EXPORT FAILED", or a JSON line {"export_failed": true, ...}. Each export is audited (audit.export, '
    "then audit.export.finished with its rows and SHA-256, or audit.export.failed)."
)
_STREAM_RESPONSES = {(200, "text/csv"): OpenApiTypes.STR, (200, "application/jsonl"): OpenApiTypes.STR}


class DisclosuresExportView(_ExportView):
    source = Source.DISCLOSURES

    @extend_schema(summary="Export the disclosure log", description=_STREAM_DESCRIPTION,
                   parameters=FILTER_PARAMETERS, responses=_STREAM_RESPONSES)  # fmt: skip
    def get(self, request: Request) -> StreamingHttpResponse:
        return super().get(request)


class EventsExportView(_ExportView):
    source = Source.EVENTS

    @extend_schema(summary="Export the access events", description=_STREAM_DESCRIPTION,
                   parameters=[p for p in FILTER_PARAMETERS if p.name != "legal_basis"],
                   responses=_STREAM_RESPONSES)  # fmt: skip
    def get(self, request: Request) -> StreamingHttpResponse:
        return super().get(request)


class ExportJobIn(serializers.Serializer):
    source = serializers.ChoiceField(choices=ExportSource.choices)  # type: ignore[assignment]
    format = serializers.ChoiceField(choices=ExportFormat.choices)
    occurred_from = serializers.DateField(required=False)
    occurred_to = serializers.DateField(required=False)
    agency_id = serializers.IntegerField(required=False, min_value=1, max_value=bounds.ID_MAX)
    user_id = serializers.IntegerField(required=False, min_value=1, max_value=bounds.ID_MAX)
    child_id = serializers.IntegerField(required=False, min_value=1, max_value=bounds.ID_MAX)
    action = serializers.CharField(required=False, max_length=64)
    legal_basis = serializers.CharField(required=False, max_length=64)
    outcome = serializers.CharField(required=False, max_length=64)


class ExportJobOut(serializers.Serializer):
    id = serializers.IntegerField()
    source = serializers.ChoiceField(choices=ExportSource.choices)  # type: ignore[assignment]
    format = serializers.ChoiceField(choices=ExportFormat.choices)
    filters = serializers.DictField(child=serializers.JSONField())
    state = serializers.ChoiceField(choices=ExportState.choices)
    rows_total = serializers.IntegerField(allow_null=True, help_text="The planner's estimate")
    rows_written = serializers.IntegerField()
    bytes_written = serializers.IntegerField()
    sha256 = serializers.CharField(help_text="Of the file, once done")
    error = serializers.CharField(help_text="Why it failed")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True, help_text="When the file is deleted")
    file = serializers.CharField(allow_null=True, help_text="Where to fetch the file, once done")


def job_out(job: ExportJob) -> dict[str, Any]:
    return {
        "id": job.pk, "source": job.source, "format": job.format, "filters": job.filters, "state": job.state,
        "rows_total": job.rows_total, "rows_written": job.rows_written, "bytes_written": job.bytes_written,
        "sha256": job.sha256, "error": job.error, "created_at": job.created_at, "started_at": job.started_at,
        "finished_at": job.finished_at, "expires_at": job.expires_at,
        "file": f"/api/v1/audit/exports/{job.pk}/file" if job.state == ExportState.DONE else None,
    }  # fmt: skip


class ExportJobsView(APIView):
    policy_resource = AUDIT_TRAIL

    @extend_schema(summary="Start an export job", request=ExportJobIn, responses={201: ExportJobOut},
                   description="For an export too large to wait for: a worker writes the file; follow it at "
                   "/api/v1/audit/exports/<id>/. The file is kept for the requester alone, then deleted.")  # fmt: skip
    def post(self, request: Request) -> Response:
        values = parse_input(ExportJobIn, request.data, request)
        source = Source(values.pop("source"))
        fmt = values.pop("format")
        query = {
            name: value.isoformat() if hasattr(value, "isoformat") else str(value) for name, value in values.items()
        }
        try:
            trail_filter = services.read_filter(actor=request.user, query=query, source=source)
        except services.ExportRefused as refused:
            raise _refusal(refused.problems) from None
        job = services.export_job_start(actor=request.user, source=source, fmt=fmt, trail_filter=trail_filter)
        return Response(job_out(job), status=status.HTTP_201_CREATED)


def _own_job(request: Request, job_id: int) -> ExportJob:
    policy.require(request.user, "view", AUDIT_TRAIL)
    job = ExportJob.objects.filter(pk=job_id, requester_id=request.user.pk).first()
    if job is None:
        raise policy.OutOfScope(action="view", target_type="oversight.exportjob", target_id=str(job_id))
    return job


class ExportJobView(APIView):
    policy_resource = AUDIT_TRAIL

    @extend_schema(summary="An export job's progress", responses={200: ExportJobOut})
    def get(self, request: Request, job_id: int) -> Response:
        return Response(job_out(_own_job(request, job_id)))


class ExportJobFileView(APIView):
    policy_resource = AUDIT_TRAIL

    @extend_schema(summary="An export job's file", description="The requester's alone; 404 until it is done.",
                   responses={(200, "text/csv"): OpenApiTypes.BINARY,
                              (200, "application/jsonl"): OpenApiTypes.BINARY})  # fmt: skip
    def get(self, request: Request, job_id: int) -> FileResponse:
        job = _own_job(request, job_id)
        if job.state != ExportState.DONE:
            raise exceptions.NotFound("This export has no file: it is not finished, it failed, or it was deleted.")
        stored = services.export_job_file(actor=request.user, job=job)
        response = FileResponse(stored.open("rb"), as_attachment=True,
                                filename=f"audit-{job.source}-{job.pk}.{job.format}",
                                content_type=exports.CONTENT_TYPES[job.format])  # fmt: skip
        response["Cache-Control"] = "no-store"
        return response


urlpatterns: list[URLPattern] = [
    path("audit/disclosures/export/", DisclosuresExportView.as_view(), name="api-audit-disclosures-export"),
    path("audit/events/export/", EventsExportView.as_view(), name="api-audit-events-export"),
    path("audit/exports/", ExportJobsView.as_view(), name="api-audit-exports"),
    path("audit/exports/<int:job_id>/", ExportJobView.as_view(), name="api-audit-export-job"),
    path("audit/exports/<int:job_id>/file", ExportJobFileView.as_view(), name="api-audit-export-job-file"),
]
