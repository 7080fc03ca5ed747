"""Celery entry points of the consent app (DESIGN 3.3: idempotent sweeps)."""

from celery import shared_task
from django.utils import timezone

from consent.services import consent_reviews_sweep
from isp_portal.sweeps import sweep


@shared_task(name="consent.review_sweep")
def review_sweep() -> dict[str, int]:
    """Remind of consents whose review is due, once per review date (consent.services.consent_reviews_sweep)."""
    with sweep("consent.reviews"):
        sent = consent_reviews_sweep(today=timezone.localdate())
    return {"review_reminders": sent}
