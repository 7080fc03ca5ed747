"""Celery entry points of the oversight app (DESIGN 3.3): thin, by id, idempotent."""

from celery import shared_task
from django.utils import timezone

from isp_portal.sweeps import sweep
from oversight.services import export_job_run, export_jobs_sweep


@shared_task(name="oversight.export_job_run")
def export_job_run_task(job_id: int) -> str:
    """Write one export job's file (a job no longer queued is left alone, so a repeated delivery does nothing)."""
    job = export_job_run(job_id=job_id)
    return "skipped" if job is None else job.state


@shared_task(name="oversight.export_jobs_sweep")
def export_jobs_sweep_task() -> dict[str, int]:
    """Export files past their keeping time deleted; jobs whose worker died failed and their requesters told."""
    with sweep("oversight.export_jobs"):
        return export_jobs_sweep(now=timezone.now())
