"""Issue 13's demo, walked as new users would (docs/after-disclosure-design.md 10 "Demo"): on `seed_demo`'s data the
council's designated manager finds the onward request waiting for the council on the dashboard (Southampton 10);
the school's safeguarding lead finds the correction to acknowledge (Southampton 9); the school's data protection
officer finds the dispute waiting for the school's advice (Southampton 13); the auditor reads the dispute register.
Every page passes axe and fits the window, at a desktop and at a phone width."""

from __future__ import annotations

import io
from typing import Any

from django.core.management import call_command
from playwright.sync_api import expect

from disclosures.models import CorrectionNotice, Dispute, OnwardRequest
from tests.browser.conftest import Journey
from tests.browser.test_disclosure_journey import _demo_user, _sign_in_demo


def test_the_demo_shows_each_person_what_waits_for_them_after_a_disclosure(
    transactional_db: None, settings: Any, journey: Journey
) -> None:
    settings.DEMO_MODE = True  # seed_demo and the demo credentials work only in demo mode
    call_command("seed_demo", stdout=io.StringIO())
    waiting = OnwardRequest.objects.get(state="requested")
    school_dsl = _demo_user("school_dsl")
    notice = CorrectionNotice.objects.get(agency__memberships__user=school_dsl, acknowledged_at__isnull=True)
    dispute = Dispute.objects.get()

    page = _sign_in_demo(journey, _demo_user("designated_manager"))
    expect(page.get_by_role("heading", name="Onward requests to decide")).to_be_visible()
    page.get_by_role("link", name=f"Onward request {waiting.pk}", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    journey.checked()
    journey.sign_out()

    page = _sign_in_demo(journey, school_dsl)
    expect(page.get_by_role("heading", name="Corrections to acknowledge")).to_be_visible()
    page.locator(f'a[href="/corrections/notices/{notice.pk}/"]').first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    journey.checked()
    journey.open_nav("Onward requests")
    journey.sign_out()

    page = _sign_in_demo(journey, _demo_user("school_dpo"))
    expect(page.get_by_role("heading", name="Disputes waiting for you")).to_be_visible()
    page.get_by_role("link", name=f"Dispute {dispute.register_label}").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    journey.checked()
    journey.sign_out()

    page = _sign_in_demo(journey, _demo_user("auditor"))
    journey.open_nav("Dispute register")
    expect(page.get_by_text(dispute.register_label).first).to_be_visible()
    journey.open_nav("Disputes")
