"""Celery entry points of the audit app."""

from celery import shared_task

from audit.services import audit_seal
from isp_portal.sweeps import sweep


@shared_task(name="audit.seal")
def seal() -> int:
    """Chain recently recorded events (beat runs this every few seconds)."""
    with sweep("audit.seal"):
        return audit_seal().sealed
