"""The exports' writes (issue 15; DESIGN 2.6): each export is audited, a download as it streams and a job as the
worker writes its file; jobs are started, run, swept when their keeping time ends or their worker died.

Events (kind, outcome):
- `audit.export` (success): an export was started, with its source, format, filters and the reader's scope. Written
  before the first byte, so an export that never finishes is still on the trail.
- `audit.export.finished` (success): it ended; rows, bytes and the SHA-256 of the file as sent.
- `audit.export.failed` (failed): it stopped halfway (the database failed, the client went away, the worker died);
  rows and bytes sent before, and why. The file itself ends with the failure marker where it could be written.
- `audit.export.refused` (denied): a filter could not be used (the refusal names it).
- `audit.export.expired` (success): a job's file was deleted at the end of its keeping time.
Each names the starting event (`started_event`) so the three are read together.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Collection, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit import context as request_context
from audit.services import ActorIdentity, EventDraft, audit_record, audit_record_many, audit_seal, identity_of
from isp_portal.audit_panel import AUDIT_TRAIL
from isp_portal.notifications import notify
from isp_portal.policy import NotPermitted, SystemActor, require, resource_scope
from isp_portal.sweeps import transition_due
from oversight import exports
from oversight.exports_input import parse_filter
from oversight.filters import FilterError, Source, TrailFilter, scope_refusal
from oversight.models import ExportJob, ExportState

logger = logging.getLogger(__name__)

RESOURCE = f"resource:{AUDIT_TRAIL.name}"
SWEEP_ACTOR = SystemActor("audit export sweep")
CLIENT_GONE = "the download was stopped before the end (the connection was closed)"
WORKER_DIED = "The export stopped: the worker writing it stopped answering. Start the export again."
NEVER_STARTED = "The export never started: no worker picked it up. Start the export again."


class ExportRefused(ValueError):
    """An export that cannot be made as asked: `problems` name each filter (recorded as audit.export.refused)."""

    def __init__(self, problems: list[FilterError]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


def keep_hours() -> int:
    return int(settings.EXPORT_KEEP_HOURS)


def export_dir() -> Path:
    """Where job files are kept: under PRIVATE_MEDIA_ROOT, outside the web root, served only to the requester."""
    directory = Path(settings.PRIVATE_MEDIA_ROOT) / "audit-exports"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def job_path(job: ExportJob) -> Path:
    return export_dir() / job.stored_name


def export_refusal_record(*, actor: Any, source: Source, problems: list[FilterError]) -> None:
    """Record a refused export (bad filters) with the filters named, then the caller answers 400."""
    audit_record(
        kind="audit.export.refused",
        actor=actor,
        outcome="denied",
        object_type=RESOURCE,
        detail={"source": source.value, "problems": {problem.field: problem.message for problem in problems}},
    )


def export_scope(*, actor: Any, trail_filter: TrailFilter) -> frozenset[int] | None:
    """The reader's part of the trail (None: all of it), once the policy lets them read it (403 otherwise) and
    their filter names no agency outside it (403, oversight.filters.scope_refusal). Denials are recorded by the
    middleware or the API's handler."""
    require(actor, "view", AUDIT_TRAIL)
    scope = resource_scope(actor, AUDIT_TRAIL)
    refused = scope_refusal(trail_filter, scope=scope)
    if refused is not None:
        raise NotPermitted(action="export", target_type=RESOURCE, target_id=str(trail_filter.agency_id),
                           reason=refused.message)  # fmt: skip
    return scope


def read_filter(*, actor: Any, query: Any, source: Source, also_allowed: Collection[str] = ()) -> TrailFilter:
    """The filter of a request, or ExportRefused (recorded) naming each problem. The policy is asked first, so a
    reader who may not export is refused as such whatever they asked."""
    require(actor, "view", AUDIT_TRAIL)
    trail_filter, problems = parse_filter(query, source=source, also_allowed=also_allowed)
    if problems:
        export_refusal_record(actor=actor, source=source, problems=problems)
        raise ExportRefused(problems)
    return trail_filter


def _start_detail(
    source: Source, fmt: str, trail_filter: TrailFilter, scope: frozenset[int] | None, via: str
) -> dict[str, Any]:
    return {
        "source": source.value,
        "format": fmt,
        "filters": trail_filter.as_detail(),
        "scope": "partnership" if scope is None else sorted(scope),
        "via": via,
    }


def _end_record(
    identity: ActorIdentity, started: int, progress: exports.Progress, *, failed: str, object_id: str = ""
) -> None:
    detail = {"started_event": started, "rows": progress.rows, "bytes": progress.bytes_sent}
    if failed:
        audit_record(kind="audit.export.failed", actor=identity, outcome="failed", object_type=RESOURCE,
                     object_id=object_id, detail={**detail, "error": failed})  # fmt: skip
    else:
        audit_record(kind="audit.export.finished", actor=identity, object_type=RESOURCE, object_id=object_id,
                     detail={**detail, "sha256": progress.sha256.hexdigest()})  # fmt: skip


def export_download(
    *, actor: Any, source: Source, fmt: str, trail_filter: TrailFilter
) -> tuple[Iterator[bytes], exports.Progress]:
    """A streamed export for the reader: the start is recorded now (before any byte), the end when the last chunk
    has gone (rows, bytes, SHA-256) or when it failed (the file then ends with the failure marker; a client that
    went away gets nothing more). The chain is sealed first, so what is exported is chained (DESIGN 2.6)."""
    assert fmt in exports.FORMATS
    scope = export_scope(actor=actor, trail_filter=trail_filter)
    identity = identity_of(actor)
    started = audit_record(kind="audit.export", actor=identity, object_type=RESOURCE,
                           detail=_start_detail(source, fmt, trail_filter, scope, "download"))  # fmt: skip
    context = request_context.current()
    progress = exports.Progress()

    def record(failed: str) -> None:
        if context is None:
            _end_record(identity, started, progress, failed=failed)
            return
        with request_context.bound(context):
            _end_record(identity, started, progress, failed=failed)

    def stream() -> Iterator[bytes]:
        try:
            connection.ensure_connection()
            yield from exports.export_stream(
                connection.connection, source=source, fmt=fmt, trail_filter=trail_filter, scope=scope,
                progress=progress, before_copy=lambda: audit_seal(),
            )  # fmt: skip
        except GeneratorExit:
            record(CLIENT_GONE)
            raise
        except Exception as error:
            progress.failed = exports.failure_reason(error)
            yield progress.add(exports.failure_marker(fmt, rows=progress.rows, reason=progress.failed))
        record(progress.failed)

    return stream(), progress


# --- Jobs -------------------------------------------------------------------------------------------------------


@transaction.atomic
def export_job_start(*, actor: Any, source: Source, fmt: str, trail_filter: TrailFilter) -> ExportJob:
    """Queue an export to a file (for exports too large to wait for): recorded as an audit.export now, written by a
    worker (oversight.tasks.export_job_run) once this commits."""
    assert fmt in exports.FORMATS
    scope = export_scope(actor=actor, trail_filter=trail_filter)
    job = ExportJob.objects.create(
        requester=actor, source=source.value, format=fmt, filters=trail_filter.as_detail(),
        scope_agencies=None if scope is None else sorted(scope), created_at=timezone.now(),
    )  # fmt: skip
    audit_record(kind="audit.export", actor=actor, target=job,
                 detail={**_start_detail(source, fmt, trail_filter, scope, "job"), "job": job.pk})  # fmt: skip
    transaction.on_commit(lambda: _queue(job.pk))
    return job


def _queue(job_id: int) -> None:
    from oversight.tasks import export_job_run_task

    try:
        export_job_run_task.apply_async(args=(job_id,), retry=False)
    except Exception as error:
        logger.warning("export job %s could not be queued (%s)", job_id, type(error).__name__)


def _job_filter(job: ExportJob) -> TrailFilter:
    trail_filter, problems = parse_filter(job.filters, source=Source(job.source))
    if problems:
        raise ExportRefused(problems)
    return trail_filter


def _job_started_event(job: ExportJob) -> int:
    from audit.models import AuditEvent

    started = (
        AuditEvent.objects.filter(kind="audit.export", object_type="oversight.exportjob", object_id=str(job.pk))
        .values_list("pk", flat=True)
        .first()
    )
    return int(started or 0)


def export_job_run(*, job_id: int, own_connection: bool = True) -> ExportJob | None:
    """Write a queued job's file (the worker; idempotent: a job not queued is left alone). The COPY runs on a
    connection of its own, so the progress (rows_written every EXPORT_PROGRESS_ROWS rows) is written meanwhile on
    the usual one and the progress page shows it. The file is written as <name>.part and renamed once whole: a
    failed job keeps no file, only its error. `own_connection=False` copies on the usual connection, inside the
    caller's transaction, with no progress meanwhile (the demo seeder, whose rows are not committed yet)."""
    now = timezone.now()
    if not ExportJob.objects.filter(pk=job_id, state=ExportState.QUEUED).update(
        state=ExportState.RUNNING, started_at=now, progress_at=now
    ):
        return None
    job = ExportJob.objects.select_related("requester").get(pk=job_id)
    job.stored_name = f"{uuid.uuid4().hex}.{job.format}"
    path = job_path(job)
    part = path.with_name(path.name + ".part")
    progress = exports.Progress()
    source = Source(job.source)
    every = int(settings.EXPORT_PROGRESS_ROWS) if own_connection else 2**62
    try:
        trail_filter = _job_filter(job)
        scope = None if job.scope_agencies is None else frozenset(job.scope_agencies)
        if own_connection:
            copier = psycopg2.connect(**connection.get_connection_params())
            copier.autocommit = True
        else:
            connection.ensure_connection()
            copier = connection.connection
        try:
            ExportJob.objects.filter(pk=job_id).update(
                rows_total=exports.estimate_rows(copier, source, trail_filter, scope)
            )
            reported = 0
            with part.open("wb") as file:
                for chunk in exports.export_stream(
                    copier, source=source, fmt=job.format, trail_filter=trail_filter, scope=scope,
                    progress=progress, before_copy=lambda: audit_seal(),
                ):  # fmt: skip
                    file.write(chunk)
                    if progress.rows - reported >= every:
                        reported = progress.rows
                        if not ExportJob.objects.filter(pk=job_id, state=ExportState.RUNNING).update(
                            rows_written=progress.rows, bytes_written=progress.bytes_sent, progress_at=timezone.now()
                        ):
                            raise RuntimeError("the job was stopped while it ran")
        finally:
            if own_connection:
                copier.close()
    except Exception as error:
        progress.failed = progress.failed or exports.failure_reason(error)
        logger.warning("export job %s failed: %s", job_id, progress.failed)
    if progress.failed:
        part.unlink(missing_ok=True)
        return _job_failed(job, progress)
    os.replace(part, path)
    return _job_done(job, progress)


@transaction.atomic
def _job_done(job: ExportJob, progress: exports.Progress) -> ExportJob | None:
    finished = timezone.now()
    if not ExportJob.objects.filter(pk=job.pk, state=ExportState.RUNNING).update(
        state=ExportState.DONE, rows_written=progress.rows, bytes_written=progress.bytes_sent,
        sha256=progress.sha256.hexdigest(), stored_name=job.stored_name, finished_at=finished, progress_at=finished,
        expires_at=finished + timedelta(hours=keep_hours()),
    ):  # fmt: skip
        job_path(job).unlink(missing_ok=True)  # swept as dead meanwhile: the requester was told it failed
        return None
    _end_record(identity_of(job.requester), _job_started_event(job), progress, failed="", object_id=str(job.pk))
    notify(
        recipient_id=job.requester_id, key=f"audit-export-{job.pk}-done", subject="Your audit export is ready",
        body=f"{job.audit_label}: {progress.rows} rows. It will be deleted after {keep_hours()} hours.",
        link=f"/audit/exports/{job.pk}/", email=False,
    )  # fmt: skip
    return ExportJob.objects.get(pk=job.pk)


@transaction.atomic
def _job_failed(job: ExportJob, progress: exports.Progress) -> ExportJob | None:
    finished = timezone.now()
    error = f"The export failed after {progress.rows} rows: {progress.failed}"[:2000]
    if not ExportJob.objects.filter(pk=job.pk, state=ExportState.RUNNING).update(
        state=ExportState.FAILED, rows_written=progress.rows, bytes_written=progress.bytes_sent, error=error,
        finished_at=finished, progress_at=finished, stored_name="",
    ):  # fmt: skip
        return None
    _end_record(identity_of(job.requester), _job_started_event(job), progress, failed=error, object_id=str(job.pk))
    notify(recipient_id=job.requester_id, key=f"audit-export-{job.pk}-failed", subject="Your audit export failed",
           body=error, link=f"/audit/exports/{job.pk}/")  # fmt: skip
    return ExportJob.objects.get(pk=job.pk)


def export_jobs_sweep(*, now: datetime) -> dict[str, int]:
    """Beat's sweep of the jobs (DESIGN 3.3: set-based, idempotent): files past their keeping time deleted (state
    expired); jobs whose worker stopped giving signs of life for EXPORT_STALL_MINUTES, or that no worker picked up,
    failed, and their requesters told. Each change is audited."""
    stall = now - timedelta(minutes=int(settings.EXPORT_STALL_MINUTES))
    with transaction.atomic():
        expired = transition_due(
            ExportJob.objects.filter(state=ExportState.DONE, expires_at__lte=now),
            set_values={"state": ExportState.EXPIRED},
            returning=("id", "stored_name", "requester_id"),
        )
        died = transition_due(
            ExportJob.objects.filter(state=ExportState.RUNNING, progress_at__lt=stall),
            set_values={"state": ExportState.FAILED, "error": WORKER_DIED, "finished_at": now},
            returning=("id", "requester_id", "rows_written"),
        )
        lost = transition_due(
            ExportJob.objects.filter(state=ExportState.QUEUED, created_at__lt=stall),
            set_values={"state": ExportState.FAILED, "error": NEVER_STARTED, "finished_at": now},
            returning=("id", "requester_id", "rows_written"),
        )
        drafts = [
            EventDraft("oversight.exportjob", pk, f"Export {pk}", {"requester": requester, "hours": keep_hours()})
            for pk, _, requester in expired
        ]
        if drafts:
            audit_record_many(kind="audit.export.expired", actor=SWEEP_ACTOR, events=drafts)
        failed = [
            EventDraft("oversight.exportjob", pk, f"Export {pk}", {"requester": requester, "rows": rows,
                                                                   "error": why})
            for rows_of, why in ((died, WORKER_DIED), (lost, NEVER_STARTED))
            for pk, requester, rows in rows_of
        ]  # fmt: skip
        if failed:
            audit_record_many(kind="audit.export.failed", actor=SWEEP_ACTOR, events=failed, outcome="failed")
        for rows_of, why in ((died, WORKER_DIED), (lost, NEVER_STARTED)):
            for pk, requester, _ in rows_of:
                notify(recipient_id=requester, key=f"audit-export-{pk}-failed", subject="Your audit export failed",
                       body=why, link=f"/audit/exports/{pk}/")  # fmt: skip
    for _, stored_name, _ in expired:
        if stored_name:
            (export_dir() / stored_name).unlink(missing_ok=True)
    return {"expired": len(expired), "died": len(died), "lost": len(lost)}


def export_job_file(*, actor: Any, job: ExportJob) -> Path:
    """The file of a finished job, for its requester (the caller read the job through the requester's own jobs),
    recorded as a download of it."""
    audit_record(kind="audit.export.download", actor=actor, target=job,
                 detail={"sha256": job.sha256, "rows": job.rows_written, "bytes": job.bytes_written})  # fmt: skip
    return job_path(job)
