"""Celery entry points of the core: thin, idempotent, each records its run for /healthz."""

from celery import shared_task

from isp_portal.notifications import notifications_deliver
from isp_portal.sweeps import sweep


@shared_task(name="isp_portal.notifications_deliver")
def notifications_deliver_task() -> int:
    with sweep("notifications.deliver"):
        return notifications_deliver()
