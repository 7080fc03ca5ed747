"""Celery entry points of the reports app (DESIGN 3.3): thin, idempotent."""

from celery import shared_task
from django.utils import timezone

from isp_portal.sweeps import sweep
from reports.aggregates.rules import Period, last_published_month
from reports.aggregates.selectors import freeze_months


@shared_task(name="reports.freeze_months")
def freeze_months_task() -> str:
    """The last whole month published as soon as it has ended (its counts taken as at then), rather than when someone
    first reads it: a record erased or a child moving area in the meantime would otherwise change what the month
    counts. A month already published is left as it is (reports.aggregates.selectors.freeze_months), so a repeated
    tick does nothing."""
    last = last_published_month(timezone.localdate())
    with sweep("reports.freeze_months"):
        freeze_months(Period(last, last))
    return last.isoformat()
