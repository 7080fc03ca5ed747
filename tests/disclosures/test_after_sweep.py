"""The issue-13 sweep task (docs/after-disclosure-design.md 6.4): it runs the onward, correction and dispute sweeps,
each in its own transaction, records its run, and is on the beat schedule. WP2-4 test their own sweeps' work."""

from __future__ import annotations

import pytest
from django.conf import settings

from disclosures.tasks import after_sweep
from isp_portal.models import SweepRun

pytestmark = pytest.mark.django_db


def test_the_after_sweep_runs_the_three_sweeps_and_records_its_run() -> None:
    assert after_sweep() == {
        "onward": 0, "onward_notified": 0, "corrections": 0, "corrections_notified": 0, "disputes": 0,
        "disputes_notified": 0,
    }  # fmt: skip
    assert SweepRun.objects.get(name="disclosures.after").last_ok


def test_the_after_sweep_is_on_the_beat_schedule() -> None:
    assert settings.CELERY_BEAT_SCHEDULE["disclosures-after"] == {"task": "disclosures.after_sweep", "schedule": 300.0}
