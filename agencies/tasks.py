"""Celery entry points of the agencies app."""

from celery import shared_task
from django.utils import timezone

from agencies.services import expiry_reminders_send
from isp_portal.sweeps import sweep


@shared_task(name="agencies.expiry_sweep")
def expiry_sweep() -> dict[str, int]:
    """ICO registration and training expiry reminders, and security-document grants ending (hourly; each
    reminder is sent once however often it runs)."""
    with sweep("agencies.expiry"):
        result = expiry_reminders_send(today=timezone.localdate())
    return {"ico": result.ico_reminders, "training": result.training_reminders, "grants": result.grants_expired}
