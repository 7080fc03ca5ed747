"""Celery entry points of the protocols app."""

from celery import shared_task
from django.utils import timezone

from isp_portal.sweeps import sweep
from protocols.services import consultations_sweep, reviews_sweep


@shared_task(name="protocols.deadline_sweep")
def deadline_sweep() -> dict[str, int]:
    """Consultation reminders and deemed assent; review reminders and overdue actions (idempotent)."""
    today = timezone.localdate()
    with sweep("protocols.deadlines"):
        consultations = consultations_sweep(today=today)
        reviews = reviews_sweep(today=today)
    return {
        "consultation_reminders": consultations.reminded,
        "consultations_closed": consultations.closed,
        "review_reminders": reviews.review_reminders,
        "action_reminders": reviews.action_reminders,
    }
