"""The disclosure-log and access-event exports in the browser (issue 15): a streamed download of the filtered trail
(CSV or JSON Lines), and export jobs for large ones, with a page showing each job's progress and, once written, its
file for the requester alone. For auditors (the whole partnership, or their agency's part), Caldicott guardians and
DPOs (their agency's part); 403 for everyone else; every refusal audited (oversight.services)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, re_path
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from isp_portal import policy
from isp_portal.audit_panel import AUDIT_TRAIL
from oversight import exports, services
from oversight.exports_input import FILTER_NAMES
from oversight.filters import FilterError, Source
from oversight.models import ExportFormat, ExportJob, ExportSource, ExportState

# The progress page asks again this often while the job runs (the Refresh header: no script needed).
REFRESH_SECONDS = 3
JOBS_LISTED = 20
FILTER_LABELS = {
    "occurred_from": ("From (a day, YYYY-MM-DD)", "For example, 2026-04-01"),
    "occurred_to": ("To (a day, YYYY-MM-DD)", "Inclusive"),
    "agency_id": ("Agency number", "The agency that acted, disclosed or received"),
    "user_id": ("Person's number", "Who acted, disclosed, approved or asked"),
    "child_id": ("Child's number", ""),
    "action": (
        "Action",
        "For example, child.view, or disclosure. for every disclosure event; for the log: made, revoked",
    ),
    "legal_basis": ("Legal basis", "The disclosure log only"),
    "outcome": ("Outcome", "For example, denied, or upheld"),
}


def _refused(request: HttpRequest, problems: list[FilterError], what: str) -> HttpResponse:
    named = "; ".join(str(problem) for problem in problems)
    return render(request, "errors/400.html",
                  {"reason": f"The export was not {what}: {named}. Choose the filters again."}, status=400)  # fmt: skip


def download(request: HttpRequest, source: Source, fmt: str) -> HttpResponse | StreamingHttpResponse:
    try:
        trail_filter = services.read_filter(actor=request.user, query=request.GET, source=source)
    except services.ExportRefused as refused:
        return _refused(request, refused.problems, "made")
    chunks, _ = services.export_download(actor=request.user, source=source, fmt=fmt, trail_filter=trail_filter)
    response = StreamingHttpResponse(chunks, content_type=exports.CONTENT_TYPES[fmt])
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-{source.value}-{stamp}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def disclosures_export(request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    return download(request, Source.DISCLOSURES, fmt)


@login_required
def events_export(request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    return download(request, Source.EVENTS, fmt)


def _jobs_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    jobs = ExportJob.objects.filter(requester_id=request.user.pk).order_by("-created_at")[:JOBS_LISTED]
    values = {name: request.POST.get(name, "") for name in FILTER_NAMES} if request.method == "POST" else {}
    return {
        "jobs": jobs,
        "sources": ExportSource.choices,
        "formats": ExportFormat.choices,
        "chosen_source": request.POST.get("source", ExportSource.DISCLOSURES),
        "chosen_format": request.POST.get("format", ExportFormat.CSV),
        "filter_fields": [(name, *FILTER_LABELS[name], values.get(name, "")) for name in FILTER_NAMES],
        "keep_hours": services.keep_hours(),
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def jobs(request: HttpRequest) -> HttpResponse:
    """The requester's export jobs and the form starting one."""
    policy.require(request.user, "view", AUDIT_TRAIL)
    if request.method != "POST":
        return render(request, "oversight/exports.html", _jobs_context(request))
    problems: list[FilterError] = []
    source_value, fmt = request.POST.get("source", ""), request.POST.get("format", "")
    if source_value not in ExportSource.values:
        problems.append(FilterError("source", "Choose what to export."))
    if fmt not in ExportFormat.values:
        problems.append(FilterError("format", "Choose a format."))
    source = Source(source_value) if source_value in ExportSource.values else Source.DISCLOSURES
    if not problems:
        try:
            trail_filter = services.read_filter(actor=request.user, query=request.POST, source=source,
                                                also_allowed=("csrfmiddlewaretoken", "source", "format"))  # fmt: skip
        except services.ExportRefused as refused:
            problems = refused.problems
    else:
        services.export_refusal_record(actor=request.user, source=source, problems=problems)
    if problems:
        errors = [{"field": problem.field, "message": problem.message} for problem in problems]
        return render(request, "oversight/exports.html", _jobs_context(request, errors=errors), status=400)
    job = services.export_job_start(actor=request.user, source=source, fmt=fmt, trail_filter=trail_filter)
    return redirect("audit-export-job", job_id=job.pk)


def own_job(request: HttpRequest, job_id: int) -> ExportJob:
    """One of the reader's own jobs: anyone else's, or none, is 404 (and recorded as a denial)."""
    policy.require(request.user, "view", AUDIT_TRAIL)
    job = ExportJob.objects.filter(pk=job_id, requester_id=request.user.pk).first()
    if job is None:
        raise policy.OutOfScope(action="view", target_type="oversight.exportjob", target_id=str(job_id))
    return job


@login_required
def job(request: HttpRequest, job_id: int) -> HttpResponse:
    """A job's progress: refreshed every few seconds while it is queued or being written."""
    export = own_job(request, job_id)
    response = render(request, "oversight/export_job.html", {"job": export, "keep_hours": services.keep_hours()})
    if export.state in {ExportState.QUEUED, ExportState.RUNNING}:
        response["Refresh"] = str(REFRESH_SECONDS)
    return response


@login_required
def job_file(request: HttpRequest, job_id: int) -> FileResponse:
    export = own_job(request, job_id)
    if export.state != ExportState.DONE:
        raise Http404("This export has no file: it is not finished, it failed, or it was deleted.")
    stored = services.export_job_file(actor=request.user, job=export)
    response = FileResponse(stored.open("rb"), as_attachment=True,
                            filename=f"audit-{export.source}-{export.pk}.{export.format}",
                            content_type=exports.CONTENT_TYPES[export.format])  # fmt: skip
    response["Cache-Control"] = "no-store"
    return response


urlpatterns: list[URLPattern] = [
    re_path(r"^audit/disclosures/export\.(?P<fmt>csv|jsonl)$", disclosures_export, name="audit-disclosures-export"),
    re_path(r"^audit/events/export\.(?P<fmt>csv|jsonl)$", events_export, name="audit-events-export"),
    path("audit/exports/", jobs, name="audit-exports"),
    path("audit/exports/<int:job_id>/", job, name="audit-export-job"),
    path("audit/exports/<int:job_id>/file", job_file, name="audit-export-job-file"),
]
