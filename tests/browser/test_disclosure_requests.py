"""Issue 12's request journey in a real Chromium: Hill School's practitioner opens a child's record, asks children's
social care for the child's case notes (first without the ground that overrides the parent's refusal, refused on the
form with its rule; then with it), checks the answers and sends the request; children's social care's practitioner
finds it in the inbox from the navigation and opens it; the school withdraws another request; the designated
manager's dashboard lists the approval waiting for them. Every page visited is checked with axe-core, at a desktop
and at a phone width."""

from __future__ import annotations

import pytest
from playwright.sync_api import ViewportSize, expect

from disclosures.models import InformationRequest
from isp_portal import bounds
from tests.browser.conftest import VIEWPORTS, Journey, assert_accessible, assert_fits
from tests.browser.test_every_page import unbroken
from tests.disclosures.fixtures import PURPOSE, answer, case, school_world, submit
from tests.factories import World


def size(width: str) -> ViewportSize:
    return ViewportSize(width=VIEWPORTS[width]["width"], height=VIEWPORTS[width]["height"])


def test_the_school_asks_and_childrens_social_care_finds_the_request(browser_world: World, journey: Journey) -> None:
    world = school_world(browser_world)
    made = case(world)
    earlier = submit(made)

    page = journey.sign_in(world.users["school"])
    expect(page.get_by_role("heading", name="Requests waiting for your agency")).to_be_visible()
    journey.visit(f"/children/{made.child.pk}/")
    page.get_by_label("Purpose").fill(PURPOSE)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="Request information").click()
    expect(page.get_by_role("heading", name="Request information")).to_be_visible()
    journey.checked()
    page.get_by_label(world.home.name).check()
    page.get_by_label(PURPOSE).check()
    page.get_by_label("The minimum data").check()
    page.get_by_label("Detailed and sensitive information").check()
    page.get_by_label("Case note").check()
    page.get_by_label("Why do you need to know this?").fill("The child said at school they are frightened to go home.")
    page.get_by_label("Urgent").check()
    page.get_by_label("Consent was refused, and there is a ground to override the refusal").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose the ground that overrides the refusal.")
    journey.checked()
    page.get_by_label("The ground for overriding the refusal").select_option("significant_harm")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(page.get_by_text("Answer due by")).to_be_visible()
    journey.checked()
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text(f"Your request has been sent to {world.home.name}.")).to_be_visible()
    journey.checked()
    sent = InformationRequest.objects.exclude(pk=earlier.pk).get()
    assert sent.urgency == "urgent" and sent.override_ground == "significant_harm"

    # The earlier request is withdrawn, with a reason.
    journey.visit(f"/requests/{earlier.pk}/")
    page.get_by_role("link", name="Withdraw the request").click()
    expect(page.get_by_role("heading", name="Withdraw your request")).to_be_visible()
    journey.checked()
    page.get_by_label("Why are you withdrawing the request? (optional)").fill("Asked again with more detail.")
    page.get_by_role("button", name="Withdraw the request").click()
    expect(page.get_by_text("Your request has been withdrawn.")).to_be_visible()
    journey.checked()
    journey.open_nav("Requests")
    expect(page.get_by_role("heading", name="Requests you have sent")).to_be_visible()
    journey.sign_out()

    # Children's social care finds it in its inbox; the manager sees what waits for approval.
    page = journey.sign_in(world.users["practitioner"])
    journey.open_nav("Requests")
    expect(page.get_by_role("heading", name="Requests waiting for your agency")).to_be_visible()
    page.get_by_role("link", name=f"Request {sent.pk}", exact=False).first.click()
    expect(page.get_by_role("heading", name=f"Request for information to {world.home.name}")).to_be_visible()
    expect(page.get_by_text("The child said at school they are frightened to go home.")).to_be_visible()
    journey.checked()
    journey.sign_out()
    answer(made, sent)
    page = journey.sign_in(world.users["designated_manager"])
    expect(page.get_by_role("heading", name="Approvals waiting for you")).to_be_visible()
    expect(page.get_by_role("link", name=f"Request {sent.pk} from Hill School")).to_be_visible()


@pytest.mark.every_viewport
def test_request_pages_fit_a_phone_and_a_desktop_with_long_values(browser_world: World, journey: Journey) -> None:
    """The inbox, a request's page and its withdrawal, with the need to know at its longest and unbroken, fit both
    widths and pass axe."""
    world = school_world(browser_world)
    made = case(world)
    long = submit(made, need_to_know=unbroken("Need", bounds.REASON), urgency="emergency")
    page = journey.sign_in(world.users["school"])

    def fits_both() -> None:
        for width in ("phone", "desktop"):
            page.set_viewport_size(size(width))
            assert_fits(page)
        page.set_viewport_size(size("phone"))
        assert_accessible(page)

    for path in ("/requests/", f"/requests/{long.pk}/", f"/requests/{long.pk}/withdraw/", "/"):
        journey.visit(path)
        fits_both()
    journey.visit(f"/children/{made.child.pk}/requests/new/")
    page.get_by_label("Purpose").fill(PURPOSE)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Request information")).to_be_visible()
    fits_both()
    journey.sign_out()
    page = journey.sign_in(world.users["practitioner"])
    for path in ("/requests/", f"/requests/{long.pk}/", "/"):
        journey.visit(path)
        fits_both()
