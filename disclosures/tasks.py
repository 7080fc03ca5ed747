"""Celery entry points of the disclosures app (DESIGN 3.3: idempotent sweeps)."""

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from disclosures.services.corrections import corrections_sweep
from disclosures.services.disputes import disputes_sweep
from disclosures.services.onward import onward_requests_sweep
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


@shared_task(name="disclosures.after_sweep")
def after_sweep() -> dict[str, int]:
    """After a disclosure (issue 13): onward requests overdue, expired or lapsed; corrections caught up, chased and
    escalated; disputes escalated, referred and their records chased. Each sweep in its own transaction, so one
    sweep's failure does not hold back the others' work."""
    now, today = timezone.now(), timezone.localdate()
    result: dict[str, int] = {}
    with sweep("disclosures.after"):
        for name, run in (
            ("onward", onward_requests_sweep),
            ("corrections", corrections_sweep),
            ("disputes", disputes_sweep),
        ):
            with transaction.atomic():
                changed, notified = run(now=now, today=today)
            result[name] = changed
            result[f"{name}_notified"] = notified
    return result
