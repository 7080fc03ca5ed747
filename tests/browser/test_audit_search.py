"""The auditors' workspace in a real Chromium, at a desktop and at a phone width (issue 15; DESIGN 2.6): the auditor
follows the dashboard's link to the access events, filters them (a reversed range first: the error summary), pages
to older entries and back to the newest, then reads the disclosure log. Every page is checked with axe and must fit."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from tests.browser.conftest import Journey
from tests.factories import World
from tests.oversight.fixtures import AT, event, log_row


def test_an_auditor_searches_and_pages_the_trail(browser_world: World, journey: Journey) -> None:
    world = browser_world
    for number in range(60):
        event(world.home, at=AT + timedelta(minutes=number), purpose="Assessment under section 17")
    log_row(world.home, world.other)

    page = journey.sign_in(world.users["auditor"])
    page.get_by_role("link", name="access events").click()
    expect(page.get_by_role("heading", name="Access events")).to_be_visible()
    journey.checked()

    page.get_by_label("From").fill("2026-06-20")
    page.get_by_label("To").fill("2026-06-01")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    journey.checked()

    page.get_by_label("From").fill("2026-06-15")
    page.get_by_label("To").fill("2026-06-15")
    page.get_by_label("Action").fill("child.")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("50 entries, newest first")).to_be_visible()
    journey.checked()

    page.get_by_role("link", name="Older entries").click()
    expect(page.get_by_text("10 entries, newest first")).to_be_visible()
    expect(page.get_by_role("link", name="Older entries")).to_have_count(0)
    journey.checked()
    page.get_by_role("link", name="Newest entries").click()
    expect(page.get_by_text("50 entries, newest first")).to_be_visible()

    page.get_by_role("link", name="disclosure log").first.click()
    expect(page.get_by_role("heading", name="Disclosure log")).to_be_visible()
    expect(page.get_by_text("Approved by Dee Manager")).to_be_visible()
    journey.checked()
