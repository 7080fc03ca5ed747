"""Celery entry points of the disclosures app (DESIGN 3.3: idempotent sweeps)."""

from celery import shared_task
from django.utils import timezone

from disclosures.services.sweeps import deadline_sweep as run_deadline_sweep
from isp_portal.sweeps import sweep


@shared_task(name="disclosures.deadline_sweep")
def deadline_sweep() -> dict[str, int]:
    """Overdue requests told and, a further response time on, expired; emergency disclosures not reviewed in time
    escalated to the Caldicott guardian; retention ends recorded and the disclosed content erased (design12 7;
    disclosures.services.sweeps)."""
    with sweep("disclosures.deadlines"):
        result = run_deadline_sweep(now=timezone.now(), today=timezone.localdate())
    return result.as_dict()
