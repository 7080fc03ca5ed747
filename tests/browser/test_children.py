"""Issue 10 journeys in a real Chromium: a practitioner of the home agency adds a child (a likely match offered
first, then "check your answers") and records entries, one of them restricted; a police officer of the other
agency finds the child by a spelling variant and sees which agencies are involved and what they hold, but no
content; a shielded child is not found by a partial name and is found exactly, with its address withheld.
Every page visited is checked with axe-core, at a desktop and at a phone width."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from isp_portal import bounds
from sharing.models import Child, RecordEntry
from sharing.services import entry_record
from tests.browser.conftest import VIEWPORTS, Journey, assert_accessible, assert_fits
from tests.browser.test_every_page import unbroken
from tests.factories import World
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world


def fill_date(page: Page, name: str, day: int, month: int, year: int) -> None:
    page.locator(f"#id_{name}_day").fill(str(day))
    page.locator(f"#id_{name}_month").fill(str(month))
    page.locator(f"#id_{name}_year").fill(str(year))


def test_two_agencies_and_a_shielded_child(browser_world: World, journey: Journey) -> None:
    world = sharing_world(browser_world)
    existing = make_child(
        world, "Jayden", "Smith", born_on=date(2015, 2, 10), by="designated_manager", postcode="M1 1AE"
    )
    make_child(world, "Skye", "Hidden", born_on=date(2014, 6, 1), shielded=True, postcode="LS1 4AP")

    # --- The home practitioner adds a child: the likely match is offered, then the answers checked -----------
    page = journey.sign_in(world.users["practitioner"])
    journey.open_nav("Children")
    expect(page.get_by_role("heading", name="Find a child")).to_be_visible()
    page.get_by_role("link", name="Add a child to the index").click()
    journey.checked()
    page.get_by_label("Given names").fill("Jaden")
    page.get_by_label("Family name").fill("Smyth")
    fill_date(page, "born_on", 10, 2, 2015)
    page.get_by_label("NHS number (optional)").fill("943 476 591")
    page.get_by_label("Address (optional)").fill("4 Mill Lane, Northbridge")
    page.get_by_label("Postcode (optional)").fill("n19gu")
    page.get_by_label("Your service").fill("School nursing")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.locator("#id_nhs_number-error")).to_contain_text("If it began with a zero, enter the zero too")
    journey.checked()
    page.get_by_label("NHS number (optional)").fill("943 476 5919")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="This child may already be in the index")).to_be_visible()
    journey.checked()
    expect(page.get_by_text("943 476 5919")).to_be_visible()
    expect(page.get_by_text("N1 9GU")).to_be_visible()
    page.get_by_role("button", name="Add the child").click()
    expect(page.get_by_text("Say that none of these is the child")).to_have_count(2)
    journey.checked()
    page.get_by_label("None of these is the child: create a new entry").check()
    page.get_by_role("button", name="Add the child").click()
    expect(page.get_by_role("heading", name="Jaden Smyth")).to_be_visible()
    journey.checked()
    child = Child.objects.exclude(pk=existing.pk).get(nhs_number="9434765919")

    # An entry: the kind first, then its fields; a missing field is named.
    page.get_by_role("link", name="Record information").click()
    journey.checked()
    page.get_by_label("Health information").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Health information")).to_be_visible()
    journey.checked()
    page.get_by_label("Fact", exact=True).check()
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    journey.checked()
    page.get_by_label("Topic").fill("Asthma")
    page.get_by_label("Details").fill("Uses a blue inhaler before games lessons.")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_text("The health information entry has been recorded.")).to_be_visible()
    journey.checked()

    # A restricted case note.
    page.get_by_role("link", name="Record information").click()
    page.get_by_label("Case note").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Case note")).to_be_visible()
    page.get_by_label("Details").fill("Disclosed worries about an adult at home.")
    page.get_by_label("Professional opinion").check()
    page.get_by_label("Restricted").check()
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_text("The case note entry has been recorded.")).to_be_visible()
    journey.checked()
    assert RecordEntry.objects.filter(child=child, is_restricted=True).count() == 1
    page.get_by_role("link", name="Open health information entry", exact=False).click()
    expect(page.get_by_text("Uses a blue inhaler before games lessons.")).to_be_visible()
    journey.checked()
    journey.sign_out()

    # --- A police officer of the other agency: who is involved and what is held, no content ----------------
    page = journey.sign_in(world.users["other_agency"])
    journey.open_nav("Children")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.locator("#id_purpose-error")).to_contain_text("Enter the purpose of your search")
    journey.checked()
    page.get_by_label("Purpose").fill(PURPOSE)
    page.get_by_label("Name").fill("jaden smith")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="children found")).to_be_visible()
    assert "jaden" not in page.url.lower()
    journey.checked()
    row = page.get_by_role("row").filter(has_text="Jaden Smyth")
    expect(row).to_contain_text(world.home.name)
    row.get_by_role("link", name="Jaden Smyth").click()
    expect(page.get_by_role("heading", name="Jaden Smyth")).to_be_visible()
    journey.checked()
    expect(page.get_by_role("cell", name="Health information")).to_be_visible()
    expect(page.get_by_text("blue inhaler")).to_have_count(0)
    expect(page.get_by_text("Case note")).to_have_count(0)
    expect(page.get_by_role("link", name="Add your agency's involvement")).to_be_visible()

    # --- The shielded child: not by a partial name; exactly, with the address withheld ----------------------
    journey.open_nav("Children")
    page.get_by_label("Purpose").fill(PURPOSE)
    page.get_by_label("Name").fill("Skye")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="0 children found")).to_be_visible()
    journey.checked()
    page.get_by_label("Name").fill("Skye Hidden")
    fill_date(page, "born_on", 1, 6, 2014)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 child found")).to_be_visible()
    journey.checked()
    expect(page.get_by_role("cell", name="Withheld")).to_be_visible()
    expect(page.get_by_text("LS1 4AP")).to_have_count(0)
    page.get_by_role("link", name="Skye Hidden").click()
    expect(page.get_by_text("Withheld: this child is shielded.")).to_be_visible()
    journey.checked()


@pytest.mark.every_viewport
def test_child_pages_fit_a_phone_and_a_desktop_with_long_values(browser_world: World, journey: Journey) -> None:
    """The search results, the purpose question, the record and an entry, with every free-text value at its
    longest and unbroken (issue 8 item 14), fit both widths and pass axe."""
    world = sharing_world(browser_world)
    child = make_child(
        world,
        unbroken("Given", bounds.NAME),
        unbroken("Family", bounds.NAME),
        born_on=date(2013, 9, 9),
        address=unbroken("Address", 300),
        service=unbroken("Service", bounds.NAME),
        setting="school",
        setting_name=unbroken("School", bounds.NAME),
        languages=[unbroken("Language", 60)],
    )
    entry = entry_record(
        actor=fresh(world.users["practitioner"]),
        child=child,
        agency=world.home,
        category="family_relationship",
        fields={"person_name": unbroken("Person"), "relationship": unbroken("Rel", 100), "concern_indicator": True},
        text=unbroken("Text", 2000),
        basis="opinion",
    )
    page = journey.sign_in(world.users["practitioner"])

    def fits_both() -> None:
        for width in ("phone", "desktop"):
            page.set_viewport_size(VIEWPORTS[width])
            assert_fits(page)
        page.set_viewport_size(VIEWPORTS["phone"])
        assert_accessible(page)

    journey.visit("/children/")
    page.get_by_label("Purpose").fill(unbroken("Purpose", 300))
    fill_date(page, "born_on", 9, 9, 2013)
    page.get_by_label("Postcode").fill("N1 9GU")  # a date of birth alone is not a search
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 child found")).to_be_visible()
    fits_both()
    journey.visit(f"/children/{child.pk}/entries/{entry.pk}/")
    fits_both()
    journey.visit(f"/children/{child.pk}/")
    expect(page.get_by_role("heading", name="Information held")).to_be_visible()
    fits_both()
    # A purpose asked afresh (another session) fits too.
    page.context.clear_cookies()
    journey.sign_in(world.users["designated_manager"])
    journey.visit(f"/children/{child.pk}/")
    expect(page.get_by_role("heading", name="Why are you looking at this record?")).to_be_visible()
    fits_both()


def test_an_involved_practitioner_changes_a_detail_and_shields_the_child(
    browser_world: World, journey: Journey
) -> None:
    """The "Change" links of the child's summary list, a refused change with its message, a change saved with its
    banner; the shield set with a reason and a confirmation, then lifted by a designated manager."""
    world = sharing_world(browser_world)
    child = make_child(world, "Robin", "Ashdown", born_on=date(2014, 3, 3), nhs_number="9434765919")
    page = journey.sign_in(world.users["practitioner"])
    journey.visit(f"/children/{child.pk}/")
    page.get_by_label("Purpose").fill(PURPOSE)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Robin Ashdown")).to_be_visible()
    journey.checked()

    page.get_by_role("link", name="Change NHS number").click()
    expect(page.get_by_role("heading", name="Change the NHS number")).to_be_visible()
    journey.checked()
    page.get_by_label("NHS number").fill("943 476 5918")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.locator("#id_nhs_number-error")).to_contain_text("check digit")
    journey.checked()
    page.get_by_role("link", name="Back").click()

    page.get_by_role("link", name="Change name").click()
    page.get_by_label("Family name").fill("Ashdown-Vale")
    page.get_by_label("The child's name has changed: keep the old one as a previous name").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The name has been changed")).to_be_visible()
    expect(page.get_by_role("heading", name="Robin Ashdown-Vale")).to_be_visible()
    expect(page.get_by_text("Robin Ashdown (previous name)")).to_be_visible()
    journey.checked()

    page.get_by_role("link", name="Shield this child").click()
    expect(page.get_by_role("heading", name="Shield this child")).to_be_visible()
    journey.checked()
    page.get_by_role("button", name="Shield this child").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    journey.checked()
    page.get_by_label("Reason").fill("The family fled domestic abuse.")
    page.get_by_label("I confirm this child must be shielded").check()
    page.get_by_role("button", name="Shield this child").click()
    expect(page.get_by_text("The child is shielded.")).to_be_visible()
    journey.checked()
    child.refresh_from_db()
    assert child.is_shielded and child.shielding_agency_id == world.home.pk
    journey.sign_out()

    page = journey.sign_in(world.users["designated_manager"])
    journey.visit(f"/children/{child.pk}/")
    page.get_by_label("Purpose").fill(PURPOSE)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="Lift the shield").click()
    expect(page.get_by_role("heading", name="Lift the shield")).to_be_visible()
    journey.checked()
    page.get_by_label("Reason").fill("The risk has passed.")
    page.get_by_label("I confirm the child no longer needs the shield").check()
    page.get_by_role("button", name="Lift the shield").click()
    expect(page.get_by_text("The shield has been lifted.")).to_be_visible()
    journey.checked()
    child.refresh_from_db()
    assert not child.is_shielded
