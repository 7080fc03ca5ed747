"""Issue 11's aggregate table in a real Chromium: an auditor reads counts of children with small counts
suppressed and the suppression and the cell-key perturbation explained, chooses other dimensions with the
selects, and is told plainly when the two are the same; an agency with a long unbroken name fits a phone and a
desktop. axe checks each page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from agencies.services import agency_update
from sharing.models import Gender
from tests.browser.conftest import VIEWPORTS, Journey, assert_accessible, assert_fits
from tests.browser.test_every_page import unbroken
from tests.factories import SYSTEM, World
from tests.sharing.fixtures import make_child, sharing_world

LETTERS = "bcdfghjklmnpqrstvwxz"


def _word(number: int) -> str:
    letters = ""
    while True:
        number, digit = divmod(number, len(LETTERS))
        letters += LETTERS[digit] + "u"
        if not number:
            return letters.capitalize()


@pytest.mark.every_viewport
def test_an_auditor_reads_suppressed_counts_with_their_explanation(browser_world: World, journey: Journey) -> None:
    world = sharing_world(browser_world)
    agency_update(actor=SYSTEM, agency=world.home, name=unbroken("Agency"))
    for n in range(15):
        gender = Gender.FEMALE if n < 12 else Gender.MALE
        make_child(world, _word(n), _word(n + 400), born_on=date(2012, 1, 1) + timedelta(days=9 * n), gender=gender)
    page = journey.sign_in(world.users["auditor"])
    journey.visit("/children/counts/")
    expect(page.get_by_role("heading", name="Counts of children")).to_be_visible()
    expect(page.get_by_role("heading", name="Why some counts are not shown")).to_be_visible()
    page.get_by_label("Rows").select_option("agency")
    page.get_by_label("Columns").select_option("gender")
    page.get_by_role("button", name="Show the counts").click()
    expect(page.get_by_role("table")).to_contain_text("[c]")
    expect(page.get_by_role("heading", name="Why the counts are changed slightly")).to_be_visible()
    journey.checked()
    for width in ("phone", "desktop"):
        page.set_viewport_size(VIEWPORTS[width])
        assert_fits(page)
        assert_accessible(page)
    page.get_by_label("Columns").select_option("agency")
    page.get_by_role("button", name="Show the counts").click()
    expect(page.get_by_text("Choose a different dimension for the columns from the rows").first).to_be_visible()
    journey.checked()
