"""Celery entry points of the sharing app (DESIGN 3.3: idempotent sweeps)."""

from celery import shared_task
from django.utils import timezone

from isp_portal.sweeps import sweep
from sharing.services.retention import retention_sweep as run_retention_sweep


@shared_task(name="sharing.retention_sweep")
def retention_sweep() -> dict[str, int]:
    """Flag children past the age scope, keep or close them, erase closed records due (Southampton 8, 11;
    sharing.services.retention)."""
    with sweep("sharing.retention"):
        result = run_retention_sweep(today=timezone.localdate())
    return result.as_dict()
