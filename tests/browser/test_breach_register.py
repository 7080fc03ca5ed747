"""Indemnity notices and the central register in a real Chromium, at a desktop and at a phone width (issue 14;
Haringey 11.1; Southampton 13): home's designated manager sends an indemnity notice to the police (an empty form
first: the error summary; then "check your answers"), the police's designated manager answers it, and a partnership
admin filters the central register, sees its chart and tables, and downloads the CSV. Every page is checked with axe
and must fit."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from breaches.models import IndemnityNotice
from tests.breaches.fixtures import reported_breach
from tests.breaches.indemnity_fixtures import police_manager
from tests.browser.conftest import Journey
from tests.disclosures.dispute_fixtures import opened
from tests.factories import World
from tests.protocol_fixtures import protocol_in_force


def test_send_and_answer_an_indemnity_notice_then_read_the_register(browser_world: World, journey: Journey) -> None:
    world = browser_world
    protocol = protocol_in_force(world)
    answerer = police_manager(world)
    breach = reported_breach(world)
    _after, dispute = opened(world)

    journey.signed_in_as(world.users["designated_manager"])
    page = journey.visit("/breaches/indemnity/")
    expect(page.get_by_role("heading", name="Indemnity notices")).to_be_visible()
    page.get_by_role("link", name="Send an indemnity notice").click()
    expect(page.get_by_role("heading", name="Send an indemnity notice")).to_be_visible()
    journey.checked()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    journey.checked()
    page.get_by_label("Which protocol was the information shared under?").select_option(label=protocol.title)
    page.get_by_label("Which agency is alleged to have contributed to it?").select_option(label=world.other.name)
    page.get_by_label("Full details of the indemnity event and the claim").fill("A claim about a record passed on.")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    journey.checked()
    page.get_by_role("button", name="Send the notice").click()
    notice = IndemnityNotice.objects.get()
    expect(page.get_by_role("heading", name=f"Indemnity notice {notice.pk}")).to_be_visible()
    expect(page.get_by_text("Awaiting an answer")).to_be_visible()
    journey.checked()

    page.context.clear_cookies()
    journey.signed_in_as(answerer)
    page = journey.visit(f"/breaches/indemnity/{notice.pk}/")
    page.get_by_role("link", name="Answer the notice").click()
    expect(page.get_by_role("heading", name="Answer the notice")).to_be_visible()
    journey.checked()
    page.get_by_label("Your answer in writing").fill("We accept that our officer passed the record on.")
    page.get_by_role("button", name="Send your answer").click()
    expect(page.get_by_role("heading", name=f"Indemnity notice {notice.pk}")).to_be_visible()
    expect(page.get_by_text("We accept that our officer passed the record on.")).to_be_visible()
    journey.checked()

    page.context.clear_cookies()
    journey.signed_in_as(world.users["partnership_admin"])
    page = journey.visit("/breaches/register/")
    expect(page.get_by_role("heading", name="Central register of breaches and disputes")).to_be_visible()
    expect(page.get_by_role("img", name="Breaches and disputes recorded each month", exact=False)).to_be_visible()
    expect(page.get_by_role("link", name=breach.reference)).to_be_visible()
    expect(page.get_by_role("link", name=dispute.register_label)).to_be_visible()
    page.get_by_label("Kind").select_option(label="Breaches")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**kind=breach**")
    journey.checked()
    expect(page.get_by_role("link", name=breach.reference)).to_be_visible()
    expect(page.get_by_role("link", name=dispute.register_label)).to_have_count(0)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download these rows as CSV").click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert text.startswith("Reference,Kind,")
    assert breach.reference in text and dispute.register_label not in text
