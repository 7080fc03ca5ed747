"""Issue 4 journeys in a real Chromium: a partnership admin creates a protocol from the Haringey template,
puts it in force, drafts a change, consults, and records the outcome and a review; an agency's admin signs
for their agency and answers the consultation. Every page visited is checked with axe-core."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from playwright.sync_api import Page, expect

from protocols.models import Consultation, ConsultationResponse, Protocol, Review, Signature
from protocols.services import consultations_sweep
from tests import protocol_fixtures as fx
from tests.browser.conftest import Journey
from tests.factories import World


def fill_date(page: Page, name: str, day: int, month: int, year: int) -> None:
    page.locator(f"#id_{name}_day").fill(str(day))
    page.locator(f"#id_{name}_month").fill(str(month))
    page.locator(f"#id_{name}_year").fill(str(year))


def test_partnership_admin_and_agency_admin_run_a_protocol(
    browser_world: World, journey: Journey, browser_context_args: dict[str, Any]
) -> None:
    world = browser_world
    fx.complete_checklist(world.home)

    # --- The partnership admin creates a protocol from the model template and puts it in force -------------
    page = journey.sign_in(world.users["partnership_admin"])
    journey.open_nav("Protocols")
    page.get_by_role("link", name="Create a protocol").click()
    journey.checked()
    page.get_by_label("Title").fill("Northbridge Children's Information Sharing Protocol")
    page.get_by_label("General protocol", exact=True).check()
    # A review schedule that ends before it starts is refused, with the field's message.
    page.get_by_label("First review (months after completion)").fill("")
    page.get_by_label("Then every (months)").fill("")
    yesterday = timezone.localdate() - timedelta(days=1)
    fill_date(page, "fixed_review_date", yesterday.day, yesterday.month, yesterday.year)
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    journey.checked()
    assert not Protocol.objects.exists()
    page.get_by_label("First review (months after completion)").fill("6")
    page.get_by_label("Then every (months)").fill("12")
    for part in ("day", "month", "year"):
        page.locator(f"#id_fixed_review_date_{part}").fill("")
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_role("heading", name="Northbridge Children's Information Sharing Protocol")).to_be_visible()
    journey.checked()
    protocol = Protocol.objects.get()
    assert protocol.status == "draft"
    assert protocol.versions.get().response_working_days == 10  # Haringey 6: ten working days

    page.get_by_role("link", name="Put version 1 in force").click()
    journey.checked()
    page.get_by_role("button", name="Put in force").click()
    expect(page.get_by_text("Active").first).to_be_visible()
    journey.checked()
    protocol.refresh_from_db()
    assert protocol.status == "active"
    assert Review.objects.filter(protocol=protocol).exists()  # the first review is scheduled

    # --- The home agency's admin, in their own browser, signs for it -------------------------------------
    # (A second browser context: a TOTP code is accepted once, so nobody signs in twice in one time step.)
    browser = journey.page.context.browser
    assert browser is not None
    other = Journey(browser.new_context(**browser_context_args).new_page(), journey.base_url)
    admin_page = other.sign_in(world.users["agency_admin"])
    pa_page, page = page, admin_page
    other.visit(f"/protocols/{protocol.pk}/")
    page.get_by_role("link", name="Sign for your agency").click()
    other.checked()
    page.get_by_label("Name of the authorised signatory").fill("Jo Director")
    page.get_by_label("Their job title").fill("Director of Children's Services")
    # The attestation is a set sentence: other words are refused, with the sentence to type.
    page.get_by_label("Attestation").fill("I sign this protocol on behalf of Home Council Children's Services.")
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    other.checked()
    assert not Signature.objects.filter(protocol=protocol).exists()
    page.get_by_label("Attestation").fill(
        "I sign on behalf of Home Council Children's Services, which agrees to abide by this protocol."
    )
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.get_by_text("Jo Director").first).to_be_visible()
    other.checked()
    signature = Signature.objects.get(protocol=protocol, agency=world.home)
    assert signature.signatory_title == "Director of Children's Services"

    # --- The partnership admin drafts a change and consults on it ------------------------------------------
    page = pa_page
    journey.visit(f"/protocols/{protocol.pk}/")
    page.get_by_role("link", name="Make a new version").click()
    journey.checked()
    page.get_by_label("What this version changes").fill("Requests answered in five working days")
    page.get_by_label("Response time for requests (working days)").fill("5")
    page.get_by_role("button", name="Save new version").click()
    expect(page.get_by_text("Version 2 saved")).to_be_visible()
    journey.checked()
    page.get_by_role("link", name="What changed").last.click()
    expect(page.get_by_text("Requests answered in five working days").first).to_be_visible()
    journey.checked()
    journey.visit(f"/protocols/{protocol.pk}/")
    page.get_by_role("link", name="Consult on version 2").click()
    journey.checked()
    page.get_by_label("Working days for responses").fill("10")
    page.get_by_role("button", name="Circulate for consultation").click()
    expect(page.get_by_role("heading", name="Consultation on version 2")).to_be_visible()
    journey.checked()
    consultation = Consultation.objects.get(protocol=protocol)
    assert consultation.status == "open"

    # --- The agency admin answers for their agency ------------------------------------------------------------
    page = admin_page
    other.visit(f"/consultations/{consultation.pk}/")
    page.get_by_role("radio", name="Comment").check()
    page.get_by_role("button", name="Send response").click()
    # Commenting needs the comment itself.
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    other.checked()
    page.get_by_role("textbox", name="Comment").fill("Five days is tight for schools in the holidays.")
    page.get_by_role("button", name="Send response").click()
    expect(page.get_by_text("response has been recorded")).to_be_visible()
    other.checked()
    answer = ConsultationResponse.objects.get(consultation=consultation, agency=world.home)
    assert answer.response == "comment"

    # --- The deadline passes; the partnership admin records the outcome ----------------------------------
    consultations_sweep(today=consultation.deadline + timedelta(days=1))
    page = pa_page
    journey.visit(f"/consultations/{consultation.pk}/")
    page.get_by_role("link", name="Record the outcome").click()
    journey.checked()
    page.get_by_label("Adopt: the new version comes into force").check()
    page.get_by_role("button", name="Record outcome").click()
    expect(page.get_by_text("The outcome has been recorded")).to_be_visible()
    journey.checked()
    protocol.refresh_from_db()
    assert protocol.current_version is not None and protocol.current_version.number == 2
    # The home agency's signature was carried over to version 2.
    assert Signature.objects.filter(protocol=protocol, version=protocol.current_version, agency=world.home).exists()

    # --- and records the first review ---------------------------------------------------------------------------
    review = Review.objects.filter(protocol=protocol).order_by("number").first()
    assert review is not None
    journey.visit(f"/reviews/{review.pk}/")
    page.get_by_label("Findings").fill("The protocol is working; consent recording is uneven across schools.")
    today = timezone.localdate()
    fill_date(page, "completed_on", today.day, today.month, today.year)
    page.get_by_role("button", name="Record findings").click()
    expect(page.get_by_text("findings are recorded")).to_be_visible()
    journey.checked()
    review.refresh_from_db()
    assert review.status == "completed" and review.report_due_on is not None
    journey.visit("/meetings/")
    journey.visit("/")
    expect(page.get_by_role("heading", name="The partnership")).to_be_visible()
