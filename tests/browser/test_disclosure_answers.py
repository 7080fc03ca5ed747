"""Issue 12's decision journey in a real Chromium: Hill School has asked children's social care about a child whose
mother refused consent; a social-care practitioner answers. The form shows the consent check now (refused), the
practitioner first picks the police ground without its form's reference - "check your answers" shows the refusal
before anything is disclosed - then answers on significant harm, checks, and sends it for a designated manager's
approval (Haringey 4.6); nothing is shared yet. Another request is declined with a reason (Buckinghamshire 5). Every
page is checked with axe, at a desktop and a phone width; the pages are plain forms, so they work with scripts off
(the journey is walked a second time with JavaScript disabled)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from disclosures.models import Disclosure, InformationRequest
from tests.browser.conftest import VIEWPORTS, Journey, assert_fits, current_code
from tests.consent.fixtures import parent, record
from tests.disclosures.fixtures import case, school_world, submit
from tests.factories import PASSWORD, World


def _refused_consent_request(world: World) -> tuple[Any, InformationRequest]:
    school_world(world)
    made = case(world)
    record(
        world, made.child, **parent(name="Olwen Rowanberry"), decision="refused", tiers=["minimum", "sensitive"],
        all_signatories=True,
    )  # fmt: skip
    return made, submit(made)


def test_a_social_care_practitioner_answers_on_significant_harm_after_the_parent_refused(
    browser_world: World, journey: Journey
) -> None:
    made, request = _refused_consent_request(browser_world)
    page = journey.sign_in(browser_world.users["practitioner"])
    journey.visit(f"/requests/{request.pk}/answer/")
    expect(page.get_by_role("heading", name="Answer a request for information")).to_be_visible()
    expect(page.get_by_role("heading", name="2. Is there consent?")).to_be_visible()
    consent_now = page.locator("#consent-now")
    expect(consent_now).to_contain_text("Not covered")
    expect(consent_now).to_contain_text("(the child's mother) refused")
    expect(page.get_by_text("Mother's partner threatened the child.")).to_be_visible()

    # Nothing chosen: the form says what is missing.
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select the legal basis for sharing")
    journey.checked()

    # The police's data protection form is not offered for sharing with a school (it is the police's to use).
    page.get_by_label("Yes", exact=True).check()
    police_form = "Police investigation, on the police's data protection form (DPA s29(3))"
    expect(page.get_by_label(police_form)).to_have_count(0)
    # Without its proportionality and the public interest weighed: refused on "check your answers".
    page.get_by_label("Risk of significant harm").check()
    page.get_by_label("Why is it shared without consent?").fill(
        "The mother refused; the child is at risk of significant harm at home."
    )
    page.locator(f'input[name="entries"][value="{made.entry.pk}"]').check()
    page.get_by_label("No: telling them would not be safe").check()
    page.get_by_label("Why were they not told?").fill("Telling the mother would put the child at risk.")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(page.locator(".govuk-error-summary")).to_contain_text("proportionate")
    journey.checked()
    expect(page.get_by_role("button", name="Send for approval")).to_have_count(0)
    assert InformationRequest.objects.get(pk=request.pk).state == "submitted"

    # The proportionality and the public interest weighed.
    page.get_by_role("link", name="Change your answers").click()
    page.get_by_label("Why is sharing proportionate?").fill("Only the case note about the threat is needed.")
    page.get_by_label("What public interest did you weigh?").fill("The child's safety outweighs confidence.")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(page.get_by_text("Nothing is shared yet")).to_be_visible()
    expect(page.locator(".govuk-summary-list")).to_contain_text("Sam Teacher")
    journey.checked()
    page.get_by_role("button", name="Send for approval").click()
    expect(page.get_by_role("heading", name="Waiting for a designated manager's approval")).to_be_visible()
    expect(
        page.get_by_text("nothing is shared yet: a designated manager of your agency must approve it")
    ).to_be_visible()
    journey.checked()
    assert InformationRequest.objects.get(pk=request.pk).state == "awaiting_approval"
    assert not Disclosure.objects.filter(request_id=request.pk).exists()

    # Another request, declined with its reason.
    other = submit(made, need_to_know="A second question about the same child.")
    journey.visit(f"/requests/{other.pk}/answer/")
    page.get_by_role("link", name="Decline the request", exact=True).click()
    expect(page.get_by_role("heading", name="Decline the request")).to_be_visible()
    journey.checked()
    page.get_by_label("Another reason", exact=True).check()
    page.get_by_role("button", name="Decline the request").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Say why the request is declined")
    journey.checked()
    page.get_by_label("Details", exact=True).fill("Already answered in the first request.")
    page.get_by_role("button", name="Decline the request").click()
    expect(page.get_by_role("heading", name="Request declined")).to_be_visible()
    journey.checked()
    assert InformationRequest.objects.get(pk=other.pk).decline_reason == "other"


@pytest.mark.every_viewport
def test_the_journey_works_without_javascript(browser_world: World, browser: Browser, live_server: Any) -> None:
    """Scripts off, at the phone's width: signing in, the answer, the check and the confirmation are plain forms."""
    made, request = _refused_consent_request(browser_world)
    context = browser.new_context(java_script_enabled=False, viewport=VIEWPORTS["phone"])
    page = context.new_page()
    journey = Journey(page, live_server.url)
    _sign_in_without_scripts(journey, browser_world)
    page.goto(f"{live_server.url}/requests/{request.pk}/answer/")
    assert_fits(page)
    page.get_by_label("Yes", exact=True).check()
    page.get_by_label("Risk of significant harm").check()
    page.get_by_label("Why is it shared without consent?").fill("The mother refused; risk of significant harm.")
    page.get_by_label("Why is sharing proportionate?").fill("Only the case note is needed.")
    page.get_by_label("What public interest did you weigh?").fill("The child's safety outweighs confidence.")
    page.locator(f'input[name="entries"][value="{made.entry.pk}"]').check()
    page.get_by_label("No: telling them would not be safe").check()
    page.get_by_label("Why were they not told?").fill("Not safe.")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    assert_fits(page)
    page.get_by_role("button", name="Send for approval").click()
    expect(page.get_by_role("heading", name="Waiting for a designated manager's approval")).to_be_visible()
    assert_fits(page)
    context.close()
    assert InformationRequest.objects.get(pk=request.pk).state == "awaiting_approval"


def _sign_in_without_scripts(journey: Journey, world: World) -> None:
    page = journey.page
    user = world.users["practitioner"]
    page.goto(journey.base_url + "/sign-in/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/sign-in/two-factor/")
    page.get_by_label("Security code").fill(current_code(user))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(journey.base_url + "/")
