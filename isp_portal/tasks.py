"""Celery entry points of the core: thin, idempotent, each records its run for /healthz."""

from celery import shared_task

from audit.anchoring import chain_anchor_daily
from audit.retention_alerts import retention_alert
from audit.services import audit_seal
from isp_portal.notifications import notifications_deliver
from isp_portal.sweeps import sweep


@shared_task(name="isp_portal.notifications_deliver")
def notifications_deliver_task() -> int:
    with sweep("notifications.deliver"):
        return notifications_deliver()


# The audit trail's entry points live here, not in the audit app: it is the ground floor, and the sweep record
# (isp_portal.models.SweepRun, read by /healthz) is the core's.
@shared_task(name="audit.seal")
def audit_seal_task() -> int:
    """Chain recently recorded events (beat runs this every few seconds)."""
    with sweep("audit.seal"):
        return audit_seal().sealed


@shared_task(name="audit.verify_daily")
def audit_verify_daily_task() -> int | None:
    """Verify the whole chain and anchor its head, once a day (beat ticks hourly; the first tick of the day runs
    it, the others find the day's anchor). Returns the anchor's head sequence number when it ran."""
    with sweep("audit.verify_daily"):
        anchor = chain_anchor_daily()
        return None if anchor is None else anchor.head_seq


@shared_task(name="audit.retention_alert")
def audit_retention_alert_task() -> int:
    """Tell the auditors, once a month, of audit data past its retention and waiting to be archived."""
    with sweep("audit.retention_alert"):
        return retention_alert()
