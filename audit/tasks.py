"""Celery entry points of the audit app."""

from celery import shared_task

from audit.anchoring import chain_anchor_daily
from audit.services import audit_seal
from isp_portal.sweeps import sweep


@shared_task(name="audit.seal")
def seal() -> int:
    """Chain recently recorded events (beat runs this every few seconds)."""
    with sweep("audit.seal"):
        return audit_seal().sealed


@shared_task(name="audit.verify_daily")
def verify_daily() -> int | None:
    """Verify the whole chain and anchor its head, once a day (beat ticks hourly; the first tick of the day runs
    it, the others find the day's anchor). Returns the anchor's head sequence number when it ran."""
    with sweep("audit.verify_daily"):
        anchor = chain_anchor_daily()
        return None if anchor is None else anchor.head_seq
