"""The dispute pages in a real Chromium, at a desktop and at a phone width (issue 13; Southampton 13): the school
practitioner raises a dispute about the council's decline from the request's page (an empty form first: the error
summary; then "check your answers"), the journey
shows a task list per stage for both sides, the council's designated manager (the practitioner's line manager)
records a position, and the partnership admin reads the register. Every page is checked with axe and must fit."""

from __future__ import annotations

from playwright.sync_api import expect

from disclosures.models import Dispute
from tests.browser.conftest import Journey
from tests.disclosures.after_fixtures import after_world
from tests.disclosures.dispute_fixtures import declined
from tests.factories import World


def test_raise_a_dispute_follow_its_journey_and_read_the_register(browser_world: World, journey: Journey) -> None:
    after = after_world(browser_world)
    request = declined(after)

    page = journey.sign_in(after.user("school"))
    journey.visit(f"/requests/{request.pk}/")
    page.get_by_role("link", name="Raise a dispute").click()
    expect(page.get_by_role("heading", name="Raise a dispute")).to_be_visible()
    journey.checked()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    journey.checked()
    page.get_by_label("Why should the information be shared?").fill("The school must keep the child safe.")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    journey.checked()
    page.get_by_role("button", name="Raise the dispute").click()
    dispute = Dispute.objects.get(request_id=request.pk)
    expect(page.get_by_role("heading", name=f"Dispute {dispute.register_label}")).to_be_visible()
    journey.checked()
    journey.sign_out()

    page = journey.sign_in(after.user("designated_manager"))
    journey.visit(f"/disputes/{dispute.pk}/")
    page.get_by_role("link", name="Record your position").click()
    journey.checked()
    page.get_by_label("Do not share").check()
    page.get_by_label("Why?").fill("Not proportionate to the need.")
    page.get_by_role("button", name="Record your position").click()
    expect(page.get_by_role("heading", name=f"Dispute {dispute.register_label}")).to_be_visible()
    journey.checked()
    journey.sign_out()

    page = journey.sign_in(after.world.users["partnership_admin"])
    journey.visit("/disputes/register/")
    expect(page.get_by_role("heading", name="Dispute register")).to_be_visible()
    expect(page.get_by_role("cell", name=dispute.register_label)).to_be_visible()
    journey.checked()
