"""Issue 13's onward and lineage pages in a real Chromium, at a desktop and at a phone width (Southampton 10-11):
the council's designated manager finds the school's request to pass its case note on, is refused without a reason
when declining, agrees, and then reads where the note went as a picture and a table. Every page visited is checked
with axe-core and must fit the window."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import Journey
from tests.disclosures.after_fixtures import after_world, onward_disclose, onward_submit
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
