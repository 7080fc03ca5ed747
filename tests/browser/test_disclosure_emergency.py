"""Issue 12 journeys in a real Chromium: a practitioner of children's social care opens a child's record, chooses
"Share in an emergency", picks Hill School, leaves out why it is shared without consent (refused on the form, naming
the rule), gives it, checks the answers and shares; the page says the designated managers were alerted and the
review is due by the end of the next working day. Then the same practitioner refers a concern to the school without
consent, and is told it waits for a designated manager's approval. Every page is checked with axe-core, at a desktop
and at a phone width; the journey is walked a second time with JavaScript switched off."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, Page, ViewportSize, expect

from disclosures.models import Disclosure, InformationRequest
from tests.browser.conftest import Journey, assert_fits, current_code
from tests.disclosures.fixtures import PURPOSE, case, school_of
from tests.factories import PASSWORD, World


def _to_the_form(journey: Journey, page: Page, child_pk: int, link: str, school: str) -> None:
    journey.visit(f"/children/{child_pk}/")
    page.get_by_role("link", name=link).click()
    expect(page.get_by_role("group", name="Which agency receives it?")).to_be_visible()
    journey.checked()
    page.get_by_label(school).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name=link)).to_be_visible()
    journey.checked()


def _state_the_purpose(journey: Journey, page: Page, child_pk: int) -> None:
    journey.visit(f"/children/{child_pk}/")
    page.get_by_label("Purpose").fill(PURPOSE)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("link", name="Share in an emergency")).to_be_visible()
    journey.checked()


def _fill_shared_answers(page: Page, world: World, entry_label: str) -> None:
    page.get_by_label(PURPOSE).check()
    page.get_by_label("Detailed and sensitive information").check()
    page.get_by_label(entry_label).check()
    page.get_by_label("Sam Teacher").check()
    page.get_by_label("No: telling them would not be safe").check()
    page.get_by_label("Why not? (if they were not told)").fill("Telling the mother would put the child at risk.")


def test_an_emergency_disclosure_and_a_referral_from_the_child_page(browser_world: World, journey: Journey) -> None:
    made = case(browser_world)
    world = made.world
    school = school_of(world).name
    page = journey.sign_in(world.users["practitioner"])
    _state_the_purpose(journey, page, made.child.pk)

    _to_the_form(journey, page, made.child.pk, "Share in an emergency", school)
    page.get_by_label("The child is at immediate risk of harm").check()
    page.get_by_label("Risk of significant harm").check()
    _fill_shared_answers(page, world, "Case note: revision 1")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Say why this is shared without consent")
    journey.checked()
    page.get_by_label("Why it is shared without consent").fill("Asking the mother would delay protecting the child.")
    page.get_by_label("Proportionality").fill("Only what the school needs to keep the child safe.")
    page.get_by_label("The public interest").fill("The child's safety outweighs the duty of confidence.")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    journey.checked()
    expect(page.get_by_text("The designated managers of")).to_be_visible()
    assert not Disclosure.objects.exists()
    page.get_by_role("button", name="Share now").click()
    expect(page.get_by_text("have been alerted")).to_be_visible()
    expect(page.get_by_text("by the end of the next working day")).to_be_visible()
    disclosure = Disclosure.objects.get(child=made.child)
    assert disclosure.kind == "emergency" and page.url.endswith(f"/disclosures/{disclosure.pk}/")

    _to_the_form(journey, page, made.child.pk, "Refer a concern", school)
    page.get_by_label("Your concern").fill("The child told us the partner threatened them.")
    page.get_by_label("Consent was refused, and the refusal is overridden").check()
    page.get_by_label("Risk of significant harm to the child, or of the child harming someone").check()
    page.get_by_role("group", name="Legal basis").get_by_label("Risk of significant harm").check()
    _fill_shared_answers(page, world, "Case note: revision 1")
    page.get_by_label("Why it is shared without consent").fill("The parent refused; the child is at risk.")
    page.get_by_label("Proportionality").fill("Only what the school needs to keep the child safe.")
    page.get_by_label("The public interest").fill("The child's safety outweighs the duty of confidence.")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    journey.checked()
    expect(page.get_by_text("waits for a designated manager")).to_be_visible()
    page.get_by_role("button", name="Refer the concern").click()
    expect(page.get_by_text("is waiting for approval")).to_be_visible()
    referral = InformationRequest.objects.get(child=made.child, kind="proactive")
    assert referral.state == "awaiting_approval" and page.url.endswith(f"/requests/{referral.pk}/")


def test_the_emergency_journey_works_without_javascript(
    browser_world: World, browser: Browser, live_server: Any, viewport: dict[str, int]
) -> None:
    made = case(browser_world)
    world = made.world
    size: ViewportSize = {"width": viewport["width"], "height": viewport["height"]}
    context = browser.new_context(java_script_enabled=False, viewport=size, locale="en-GB")
    try:
        page = context.new_page()
        # Signed in by hand: axe, which Journey runs on every page, is itself JavaScript.
        user = world.users["practitioner"]
        page.goto(f"{live_server.url}/sign-in/")
        page.get_by_label("Email address").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Continue").click()
        page.get_by_label("Security code").fill(current_code(user))
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/children/{made.child.pk}/")
        page.get_by_label("Purpose").fill(PURPOSE)
        page.get_by_role("button", name="Continue").click()
        page.get_by_role("link", name="Share in an emergency").click()
        page.get_by_label(school_of(world).name).check()
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", name="Share in an emergency")).to_be_visible()
        assert_fits(page)
        page.get_by_label("The child needs urgent medical treatment").check()
        page.get_by_label("Urgent medical treatment (vital interests)").check()
        _fill_shared_answers(page, world, "Case note: revision 1")
        page.get_by_label("Why it is shared without consent").fill("There was no time to ask.")
        page.get_by_label("Proportionality").fill("Only what the school needs to keep the child safe.")
        page.get_by_label("The public interest").fill("The child's safety outweighs the duty of confidence.")
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
        assert_fits(page)
        page.get_by_role("button", name="Share now").click()
        page.wait_for_url("**/disclosures/*/")
    finally:
        context.close()
    disclosure = Disclosure.objects.get(child=made.child)
    assert disclosure.emergency_reason == "urgent_medical_treatment"
