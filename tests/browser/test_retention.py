"""Issue 11's retention in a real Chromium (Southampton 8, 11): a partnership admin closes a record from its page
with a reason, finds it on the list of records past the age scope, closed or erased, and the record says it is
closed and why. axe checks each page; phone and desktop widths."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from sharing.services.retention import child_close
from tests.browser.conftest import VIEWPORTS, Journey, assert_accessible, assert_fits
from tests.factories import World
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world


@pytest.mark.every_viewport
def test_a_partnership_admin_closes_a_record_and_finds_it_listed(browser_world: World, journey: Journey) -> None:
    world = sharing_world(browser_world)
    child = make_child(world, "Rhiannon", "Closeworthy")
    page = journey.sign_in(world.users["partnership_admin"])
    journey.visit(f"/children/{child.pk}/")
    page.get_by_label("Purpose").fill(PURPOSE)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="Close this record").click()
    expect(page.get_by_role("heading", name="Close this record")).to_be_visible()
    journey.checked()
    page.get_by_role("button", name="Close the record").click()
    expect(page.get_by_text("Enter why this record is no longer needed").first).to_be_visible()
    journey.checked()
    page.get_by_label("Why this record is no longer needed").fill("The family moved out of the partnership's area.")
    page.get_by_role("button", name="Close the record").click()
    expect(page.get_by_role("heading", name="Records past the age scope")).to_be_visible()
    journey.checked()
    expect(page.get_by_role("link", name=f"Child {child.pk}", exact=True)).to_be_visible()
    for width in ("phone", "desktop"):
        page.set_viewport_size(VIEWPORTS[width])
        assert_fits(page)
        assert_accessible(page)
    page.get_by_role("link", name=f"Child {child.pk}", exact=True).click()
    expect(page.locator("#closed")).to_contain_text("moved out of the partnership")
    expect(page.get_by_role("link", name="Close this record")).to_have_count(0)
    journey.checked()


def test_a_partnership_admin_reopens_a_record_and_its_page_lists_the_reopening(
    browser_world: World, journey: Journey
) -> None:
    """fix11h: reopened from the record page with a reason, the record lists when, by whom and why (axe at phone
    and desktop widths)."""
    world = sharing_world(browser_world)
    admin = world.users["partnership_admin"]
    child = child_close(
        actor=fresh(admin), child=make_child(world, "Rhodri", "Reopenwell"), reason="The family moved away."
    )
    page = journey.sign_in(admin)
    journey.visit(f"/children/{child.pk}/")
    page.get_by_label("Purpose").fill(PURPOSE)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="Reopen this record").click()
    journey.checked()
    page.get_by_label("Why this record is reopened").fill("Closed in error: the family is still here.")
    page.get_by_role("button", name="Reopen the record").click()
    expect(page.get_by_role("heading", name="Reopened")).to_be_visible()
    expect(page.locator("table").filter(has_text="Closed in error")).to_contain_text(admin.full_name)
    for width in ("phone", "desktop"):
        page.set_viewport_size(VIEWPORTS[width])
        assert_fits(page)
        assert_accessible(page)
