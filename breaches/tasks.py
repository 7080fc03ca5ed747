"""Celery entry points of the breaches app (DESIGN 3.3: idempotent, set-based sweeps, run by beat outside any
transaction)."""

from celery import shared_task
from django.utils import timezone

from breaches.services.sweeps import breach_obligations_sweep, sanctions_end_sweep
from isp_portal.sweeps import sweep


@shared_task(name="breaches.obligations_sweep")
def obligations_sweep() -> dict[str, int]:
    """The breach procedure's deadlines (Haringey 6.1-6.6, 11.1(b); UK GDPR art. 33): reminders two working days
    before and on the due day (the ICO's 24 and 4 hours before), and overdue obligations escalated once
    (breaches.services.sweeps)."""
    with sweep("breaches.obligations"):
        result = breach_obligations_sweep(now=timezone.now())
    return result.as_dict()


@shared_task(name="breaches.sanctions_end_sweep")
def sanctions_end() -> dict[str, int]:
    """Sanctions whose end date has come recorded as ended, once, and the agency and partnership admins told."""
    with sweep("breaches.sanctions_end"):
        ended, notified = sanctions_end_sweep(now=timezone.now(), today=timezone.localdate())
    return {"ended": ended, "notified": notified}
