"""The partnership registers in a real Chromium (issue 15; Southampton 13): a partnership admin reads the summary and
each register by its link (no JavaScript needed), and downloads a register's CSV and the ZIP of all four. Every page
is checked with axe and must fit."""

from __future__ import annotations

import zipfile
from pathlib import Path

from playwright.sync_api import expect

from tests.breaches.fixtures import reported_breach
from tests.browser.conftest import Journey
from tests.disclosures.dispute_fixtures import opened
from tests.factories import World
from tests.protocol_fixtures import protocol_in_force


def test_read_and_download_the_partnership_registers(browser_world: World, journey: Journey) -> None:
    world = browser_world
    protocol = protocol_in_force(world)
    breach = reported_breach(world)
    _after, dispute = opened(world)

    journey.signed_in_as(world.users["partnership_admin"])
    page = journey.visit("/registers/")
    expect(page.get_by_role("heading", name="Partnership registers")).to_be_visible()
    expect(page.get_by_role("table", name="Summary")).to_be_visible()
    expect(page.get_by_role("link", name=protocol.title).first).to_be_visible()
    journey.checked()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the signatories register as CSV").click()
    assert Path(info.value.path()).read_text(encoding="utf-8").startswith("Agency,Agency status,Protocol")

    page.get_by_role("navigation", name="Registers").get_by_role("link", name="Reviews").click()
    expect(page.get_by_role("heading", name="Reviews", exact=True)).to_be_visible()
    journey.checked()
    page.get_by_role("navigation", name="Registers").get_by_role("link", name="Breaches").click()
    expect(page.get_by_role("link", name=breach.reference)).to_be_visible()
    journey.checked()
    page.get_by_role("navigation", name="Registers").get_by_role("link", name="Disputes").click()
    expect(page.get_by_role("link", name=dispute.register_label)).to_be_visible()
    journey.checked()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download all four registers", exact=False).click()
    names = zipfile.ZipFile(info.value.path()).namelist()
    assert sorted(names) == ["breaches-register.csv", "disputes-register.csv", "reviews-register.csv",
                             "signatories-register.csv"]  # fmt: skip
