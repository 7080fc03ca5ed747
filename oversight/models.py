"""The auditors' exports of the audit trail kept as files (issue 15: "large exports show their progress in the
browser ... the file is kept for a limited time and only its requester can fetch it").

An ExportJob is one request for a file: what was asked (source, format, filters, and the requester's scope as it was
when asked, so a worker with no user applies the same scope), how far the worker has got (rows written, bytes, the
last progress), and what came of it (the file's SHA-256 and name, or the error). Every state and bound the database
can hold is a constraint: a job is never "done" without its file's hash, never "failed" without saying why.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from isp_portal import bounds, db_bounds


class ExportState(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Being written"
    DONE = "done", "Ready to download"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Deleted after its keeping time"


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV (opens in Excel)"
    JSONL = "jsonl", "JSON Lines"


class ExportSource(models.TextChoices):
    DISCLOSURES = "disclosures", "The disclosure log"
    EVENTS = "events", "The access events"


class ExportJob(models.Model):
    """One auditor's export of the disclosure log or the access events, written to private storage by a worker
    (oversight.tasks.export_job_run) and deleted EXPORT_KEEP_HOURS after it is finished (oversight.services
    export_jobs_sweep)."""

    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=16, choices=ExportSource.choices)
    format = models.CharField(max_length=8, choices=ExportFormat.choices)
    # The filter as oversight.filters.TrailFilter.as_detail gives it (dates as ISO text).
    filters = models.JSONField(default=dict, blank=True)
    # The requester's part of the trail when they asked: null for the whole partnership, else the agencies.
    scope_agencies = ArrayField(models.BigIntegerField(), null=True, blank=True)
    state = models.CharField(max_length=16, choices=ExportState.choices, default=ExportState.QUEUED)
    rows_total = models.BigIntegerField(null=True, blank=True)  # the planner's estimate, for the progress bar
    rows_written = models.BigIntegerField(default=0)
    bytes_written = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    stored_name = models.CharField(max_length=64, blank=True)  # under PRIVATE_MEDIA_ROOT/audit-exports
    error = models.TextField(blank=True, max_length=bounds.REASON)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    progress_at = models.DateTimeField(null=True, blank=True)  # the worker's last sign of life
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "oversight_export_job"
        indexes = [
            models.Index(fields=["requester", "created_at"], name="oversight_export_requester"),
            models.Index(
                fields=["state", "expires_at"],
                name="oversight_export_sweep",
                condition=models.Q(state__in=["queued", "running", "done"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=[state.value for state in ExportState]), name="oversight_export_state"
            ),
            models.CheckConstraint(
                condition=models.Q(format__in=[fmt.value for fmt in ExportFormat]), name="oversight_export_format"
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=[source.value for source in ExportSource]),
                name="oversight_export_source",
            ),
            models.CheckConstraint(
                condition=models.Q(rows_written__gte=0, bytes_written__gte=0)
                & (models.Q(rows_total__isnull=True) | models.Q(rows_total__gte=0)),
                name="oversight_export_counts_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(sha256="") | models.Q(sha256__regex=r"^[0-9a-f]{64}$"),
                name="oversight_export_sha256_hex",
            ),
            models.CheckConstraint(
                condition=models.Q(stored_name="") | models.Q(stored_name__regex=r"^[0-9a-f]{32}\.(csv|jsonl)$"),
                name="oversight_export_stored_name_shape",
            ),
            # A finished file has its hash, its name and its end of keeping; a failure says why; a queued job has
            # not started.
            models.CheckConstraint(
                condition=~models.Q(state="done")
                | models.Q(finished_at__isnull=False, expires_at__isnull=False)
                & ~models.Q(sha256="")
                & ~models.Q(stored_name=""),
                name="oversight_export_done_has_file",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="failed") | models.Q(finished_at__isnull=False) & ~models.Q(error=""),
                name="oversight_export_failed_says_why",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="queued") | models.Q(started_at__isnull=True, finished_at__isnull=True),
                name="oversight_export_queued_not_started",
            ),
            models.CheckConstraint(
                condition=models.Q(started_at__isnull=True) | models.Q(started_at__gte=models.F("created_at")),
                name="oversight_export_started_after_created",
            ),
            models.CheckConstraint(
                condition=models.Q(finished_at__isnull=True)
                | models.Q(started_at__isnull=True)
                | models.Q(finished_at__gte=models.F("started_at")),
                name="oversight_export_finished_after_started",
            ),
            db_bounds.text_length("oversight_export_job", "error", bounds.REASON),
            db_bounds.list_length("oversight_export_job", "scope_agencies", bounds.AUDIT_LIST_ITEMS),
        ]

    def __str__(self) -> str:
        return f"export {self.pk} of {self.source} as {self.format} ({self.state})"

    @property
    def audit_label(self) -> str:
        return f"Export {self.pk} of {self.get_source_display().lower()} ({self.format})"

    @property
    def percent(self) -> int:
        """How far the worker has got, for the progress page (the estimate can be off: never past 99 until done)."""
        if self.state in {ExportState.DONE, ExportState.EXPIRED}:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(100 * self.rows_written / self.rows_total))
