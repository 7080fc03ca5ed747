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


@shared_task(name="sharing.aggregate_snapshot")
def aggregate_snapshot() -> dict[str, str]:
    """Take today's snapshot of the aggregate tier's counts, once (break11d finding 1): run every few minutes, it
    takes it on the first tick after midnight (local time, whatever the clock change) and does nothing after."""
    from isp_portal.policy import SystemActor
    from sharing.services.snapshots import aggregate_snapshot_take

    with sweep("sharing.aggregate_snapshot"):
        snapshot = aggregate_snapshot_take(actor=SystemActor("aggregate snapshot"), on=timezone.localdate())
    return {"taken_on": snapshot.taken_on.isoformat()}
