"""Issue 12's approval and disclosure pages in a real Chromium, at a desktop and at a phone width: the designated
manager of children's social care approves, from the approvals page, a case note its practitioner decided to share
with Hill School on significant harm (the parent refused consent); the school practitioner who asked opens what
they received and reads exactly the note disclosed. Every page visited is checked with axe-core and must fit the
window. Then the same approval again with JavaScript switched off: the pages need none."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, Page, expect

from agencies.models import User
from disclosures.models import Disclosure, InformationRequest
from tests.browser.conftest import Journey, current_code
from tests.disclosures.fixtures import answer, case, refreshed, submit
from tests.factories import PASSWORD, World

NOTE = "Mother's partner threatened the child."


def test_the_manager_approves_and_the_requester_reads_what_was_shared(browser_world: World, journey: Journey) -> None:
    made = case(browser_world)
    request = submit(made)
    answer(made, request)

    page = journey.sign_in(made.user("designated_manager"))
    journey.visit("/approvals/")
    expect(page.get_by_role("heading", name="Approvals", exact=True)).to_be_visible()
    page.get_by_role("link", name=f"Request {request.pk}").click()
    expect(page.get_by_role("heading", name="Approve sharing this information?")).to_be_visible()
    journey.checked()
    expect(page.get_by_text(NOTE)).to_be_visible()
    # Declining without a reason is refused on the page.
    page.get_by_label("No, decline it").check()
    page.get_by_role("button", name="Record my decision").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    journey.checked()
    page.get_by_label("Yes, approve and share it now").check()
    page.get_by_label("Your reasons").fill("Proportionate to the risk.")
    page.get_by_role("button", name="Record my decision").click()
    disclosure = Disclosure.objects.get(request_id=request.pk)
    expect(page.get_by_role("heading", name=f"Disclosure {disclosure.pk}")).to_be_visible()
    expect(page.get_by_text("Approved: the information was shared with Hill School.")).to_be_visible()
    journey.checked()
    journey.sign_out()

    page = journey.sign_in(made.user("school"))
    journey.visit("/disclosures/received/")
    expect(page.get_by_role("heading", name="What you received")).to_be_visible()
    page.get_by_role("link", name=f"Disclosure {disclosure.pk}").click()
    expect(page.get_by_role("heading", name=f"Disclosure {disclosure.pk}")).to_be_visible()
    journey.checked()
    # What was disclosed is read for a stated purpose, recorded with the reading.
    page.get_by_label("Purpose").fill(request.purpose)
    page.get_by_role("button", name="Read what was disclosed").click()
    expect(page.get_by_text(NOTE)).to_be_visible()
    journey.checked()
    expect(page.get_by_text("Verified")).to_be_visible()


def _sign_in_without_script(page: Page, base_url: str, user: User) -> None:
    page.goto(base_url + "/sign-in/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/sign-in/two-factor/")
    page.get_by_label("Security code").fill(current_code(user))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base_url + "/")


def test_approving_needs_no_javascript(
    browser_world: World, browser: Browser, live_server: Any, viewport: dict[str, int]
) -> None:
    made = case(browser_world)
    request = submit(made)
    answer(made, request)
    context = browser.new_context(java_script_enabled=False, viewport=viewport)  # type: ignore[arg-type]
    try:
        page = context.new_page()
        _sign_in_without_script(page, live_server.url, made.user("designated_manager"))
        page.goto(live_server.url + "/approvals/")
        page.get_by_role("link", name=f"Request {request.pk}").click()
        page.get_by_label("Yes, approve and share it now").check()
        page.get_by_role("button", name="Record my decision").click()
        expect(page.get_by_text("Approved: the information was shared with Hill School.")).to_be_visible()
        page.get_by_label("Purpose").fill(request.purpose)
        page.get_by_role("button", name="Read what was disclosed").click()
        expect(page.get_by_text(NOTE)).to_be_visible()
    finally:
        context.close()
    assert refreshed(InformationRequest.objects.get(pk=request.pk)).state == "shared"
