"""Issue 13's onward and lineage pages in a real Chromium, at a desktop and at a phone width (Southampton 10-11):
the council's designated manager finds the school's request to pass its case note on, is refused without a reason
when declining, agrees, and then reads where the note went as a picture and a table; the school asks to pass it on
and then passes it on, through both "check your answers" pages. Every page visited is checked
with axe-core and must fit the window."""

from __future__ import annotations

from playwright.sync_api import expect

from disclosures.models import OnwardRequest
from disclosures.services.onward import onward_request_agree
from tests.browser.conftest import Journey
from tests.disclosures.after_fixtures import after_world, onward_disclose, onward_submit
from tests.disclosures.fixtures import PURPOSE
from tests.factories import World


def test_the_originator_decides_and_reads_the_lineage(browser_world: World, journey: Journey) -> None:
    after = after_world(browser_world)
    onward = onward_submit(after)
    page = journey.sign_in(after.user("designated_manager"))
    journey.visit("/onward/?role=to_decide")
    expect(page.get_by_role("heading", name="Onward requests")).to_be_visible()
    journey.checked()
    page.get_by_role("link", name=f"Onward request {onward.pk}").click()
    journey.checked()
    page.get_by_role("link", name="Decide").click()
    journey.checked()
    page.get_by_label("No, it may not").check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    journey.checked()
    page.get_by_label("Yes, it may be passed on").check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("Your decision has been recorded")).to_be_visible()
    journey.checked()
    onward.refresh_from_db()
    made = onward_disclose(after, onward)
    journey.visit(f"/disclosures/{made.pk}/lineage/")
    expect(page.get_by_role("img", name="Disclosures in its lineage, as a picture")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text(str(after.health))
    journey.checked()
    journey.visit(f"/entries/{after.made.entry.pk}/lineage/")
    journey.checked()


def test_the_school_asks_to_pass_on_and_then_passes_it_on(browser_world: World, journey: Journey) -> None:
    """The school's practitioner, a named recipient, asks from the received disclosure's page (refused first when
    it would send it back to the agency it came from), checks the answers, sends; once the council agreed, passes
    it on to the health visitor through the disclose page and its check (Southampton 10)."""
    after = after_world(browser_world)
    page = journey.sign_in(after.user("school"))
    journey.visit(f"/disclosures/{after.disclosure.pk}/")
    page.get_by_role("link", name="Pass this on").click()
    expect(page.get_by_role("heading", name="Pass this information on")).to_be_visible()
    journey.checked()
    page.locator(f'input[name="entries"][value="{after.made.entry.pk}"]').check()
    page.locator('input[name="tiers"][value="sensitive"]').check()
    page.locator('input[name="categories"][value="case_note"]').check()
    page.locator(f'input[name="purpose"][value="{PURPOSE}"]').check()
    page.get_by_label("Why does that agency need to know?").fill("The health visitor sees the child weekly.")
    page.locator('input[name="consent_basis"][value="refused"]').check()
    page.locator('select[name="override_ground"]').select_option("significant_harm")
    page.locator('input[name="legal_basis"][value="significant_harm"]').check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()  # no agency chosen yet
    journey.checked()
    page.locator(f'input[name="to_agency"][value="{after.health.pk}"]').check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    journey.checked()
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text("Nothing is passed on unless they agree")).to_be_visible()
    journey.checked()
    onward = OnwardRequest.objects.get(parent_disclosure=after.disclosure)
    onward_request_agree(actor=after.user("designated_manager"), onward=onward)
    journey.visit(f"/onward/{onward.pk}/")
    page.get_by_role("link", name="Disclose").click()
    expect(page.get_by_role("heading", name=f"Pass the information on to {after.health}")).to_be_visible()
    journey.checked()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    journey.checked()
    page.locator(f'input[name="recipients"][value="{after.user("health_visitor").pk}"]').check()
    page.locator('input[name="subject_told"][value="not_safe"]').check()
    page.get_by_label("Why were they not told? (when not told)").fill("Telling the parent would put the child at risk.")
    page.get_by_label("Why is it passed on?").fill("The health visitor must know.")
    page.get_by_label("Why is passing on this much proportionate?").fill("Only the case note.")
    page.get_by_label("Why is it shared without consent? (when not sharing on consent)").fill("The parent refused.")
    page.get_by_label("What public interest did you weigh? (when not sharing on consent)").fill("The child's safety.")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    journey.checked()
    page.get_by_role("button", name="Pass it on").click()
    expect(page.get_by_text("The information was passed on")).to_be_visible()
    journey.checked()
