"""The demo's breaches (issue 14): one just reported, one with the partners notified and the report in, one overdue,
one personal-data breach decided reportable and the ICO told; seeded once."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from breaches.demo_reports import DESCRIPTIONS, demo_breach
from breaches.models import Breach, ObligationKind, ObligationState
from isp_portal.demo_context import DemoContext

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_mode(settings: Any) -> None:
    settings.DEMO_MODE = True


def test_the_demo_breaches_at_each_stage_once() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    demo = DemoContext()
    found = {key: demo_breach(demo, key) for key in DESCRIPTIONS}
    assert all(found.values())
    steps = {key: {o.kind: o for o in b.obligations.all()} for key, b in found.items() if b is not None}
    assert all(o.state == ObligationState.OPEN for o in steps["just_reported"].values())
    assert steps["report_in"][ObligationKind.BREACH_REPORT].state == ObligationState.DONE
    assert steps["report_in"][ObligationKind.NOTIFY_PARTNERS].state == ObligationState.DONE
    overdue = steps["overdue"][ObligationKind.BREACH_REPORT]
    assert overdue.completed_at is None and overdue.due_at < timezone.now()
    ico = found["ico_notified"]
    assert ico is not None and ico.ico_reportable and ico.ico_notified_at is not None
    assert steps["ico_notified"][ObligationKind.ICO_NOTIFIED].state == ObligationState.DONE
    count = Breach.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert Breach.objects.count() == count
