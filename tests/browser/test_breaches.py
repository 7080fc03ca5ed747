"""Reporting a breach in a real Chromium, at a desktop and at a phone width (issue 14; Haringey 6.1-6.3): home's
designated manager finds "Breaches" in the navigation and reports a breach as a new user would (an empty form first:
the error summary; then "check your answers"; then the confirmation panel with the reference), on dates chosen so
the clocks cross the summer bank holiday (Monday 31 August 2026); the due dates on the page are compared with the
calendar, counted by hand. Then the agency in breach's admin submits its report, and the timeline shows the steps
as a picture and a table. Every page is checked with axe and must fit the window."""

from __future__ import annotations

from playwright.sync_api import expect

from agencies.models import Role
from breaches.models import Breach
from tests.browser.conftest import Journey
from tests.factories import World, make_user
from tests.protocol_fixtures import protocol_in_force

# Occurred Thursday 20 August 2026, identified Friday 21 August. Counted on the calendar, skipping weekends and the
# summer bank holiday, Monday 31 August 2026:
# - notify the partners, identified + 5 working days: 24, 25, 26, 27, 28 August -> Friday 28 August;
# - the report, occurred + 10: 21, 24, 25, 26, 27, 28 August, 1, 2, 3, 4 September -> Friday 4 September;
# - the meeting, occurred + 20: ... 4, 7, 8, 9, 10, 11, 14, 15, 16, 17, 18 September -> Friday 18 September.
DUE = {
    "notify_partners": "28 August 2026",
    "breach_report": "4 September 2026",
    "partners_meeting": "18 September 2026",
}


def _date(journey: Journey, field: str, day: str, month: str, year: str) -> None:
    journey.page.locator(f"#id_{field}_day").fill(day)
    journey.page.locator(f"#id_{field}_month").fill(month)
    journey.page.locator(f"#id_{field}_year").fill(year)


def test_report_a_breach_across_a_bank_holiday_then_the_agency_in_breach_reports(
    browser_world: World, journey: Journey
) -> None:
    protocol = protocol_in_force(browser_world)
    manager = browser_world.users["designated_manager"]
    journey.signed_in_as(manager)
    page = journey.visit("/")
    journey.open_nav("Breaches")
    expect(page.get_by_role("heading", name="Breaches of protocol")).to_be_visible()
    page.get_by_role("link", name="Report a breach").click()
    expect(page.get_by_role("heading", name="Report a breach")).to_be_visible()
    journey.checked()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    journey.checked()

    page.get_by_label("Which protocol was breached?").select_option(label=protocol.title)
    page.get_by_label("Which agency is alleged to be in breach?").select_option(label=browser_world.other.name)
    _date(journey, "occurred_on", "20", "8", "2026")
    _date(journey, "identified_on", "21", "8", "2026")
    page.get_by_label("What happened?").fill("A child's school record was e-mailed to the wrong agency.")
    page.locator("#id_is_personal_data_breach_1").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    for due in DUE.values():
        expect(page.get_by_text(due, exact=True)).to_be_visible()
    journey.checked()
    page.get_by_role("button", name="Report the breach").click()
    expect(page.get_by_role("heading", name="Breach reported")).to_be_visible()
    breach = Breach.objects.get()
    expect(page.get_by_text(breach.reference, exact=True)).to_be_visible()
    journey.checked()

    page.get_by_role("link", name=f"See breach {breach.reference} and its steps").click()
    expect(page.get_by_role("heading", name=f"Breach {breach.reference}")).to_be_visible()
    for kind, due in DUE.items():
        expect(page.locator(f'tr[data-step="{kind}"] td[data-due]')).to_have_text(due)
    expect(page.get_by_role("link", name="Notify the partner agencies")).to_be_visible()
    expect(page.get_by_role("link", name="Submit the breach report")).to_have_count(0)
    journey.checked()

    speaker = make_user(name="Otto Admin", agency=browser_world.other, roles=[Role.AGENCY_ADMIN])
    journey.signed_in_as(speaker)
    journey.visit(f"/breaches/{breach.pk}/")
    page.get_by_role("link", name="Submit the breach report").click()
    expect(page.get_by_role("heading", name="Submit the breach report")).to_be_visible()
    journey.checked()
    page.get_by_label("Your report of the breach and the actions taken").fill(
        "The e-mail was recalled and deleted by the recipient; the officer was retrained."
    )
    page.get_by_role("button", name="Submit the breach report").click()
    expect(page.get_by_role("heading", name=f"Breach {breach.reference}")).to_be_visible()
    expect(page.locator('tr[data-step="breach_report"]')).to_contain_text("Otto Admin")
    journey.checked()

    page.get_by_role("link", name="See the steps as a timeline").click()
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    expect(
        page.get_by_role("img", name=f"Breach {breach.reference}: its steps, from anchor to due date")
    ).to_be_visible()
    expect(page.locator('tr[data-step="breach_report"] td[data-due]')).to_have_text(DUE["breach_report"])
    journey.checked()
