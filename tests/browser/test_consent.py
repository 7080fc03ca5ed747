"""Issue 11 journeys in a real Chromium: a practitioner of the home agency opens a 14-year-old's record, goes to
the consent summary, records the child's own decision (first without the Fraser assessment an under-16 needs,
refused on the form; then with it), checks the answers and changes one, records it with the signed form, and
records a review and a withdrawal of an earlier consent; the summary then shows what is covered, refused,
withdrawn and why the child's decision prevails over the mother's. An auditor reads the same pages. Every page
visited is checked with axe-core, at a desktop and at a phone width."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from consent.models import ConsentEvidence, ConsentRecord
from consent.services import consent_withdraw
from isp_portal import bounds
from tests.browser.conftest import VIEWPORTS, Journey, assert_accessible, assert_fits
from tests.browser.test_children import fill_date
from tests.browser.test_every_page import unbroken
from tests.consent.fixtures import parent, record
from tests.factories import World
from tests.pdf_samples import one_page_pdf
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world


def test_a_practitioner_records_a_14_year_olds_refusal_over_a_parents_consent(
    browser_world: World, journey: Journey, tmp_path: Path
) -> None:
    world = sharing_world(browser_world)
    today = timezone.localdate()
    born = date(today.year - 14, today.month, min(today.day, 28)) - timedelta(days=40)
    child = make_child(world, "Nia", "Rowanberry", born_on=born)
    mothers = record(world, child, **parent(name="Olwen Rowanberry"), obtained_on=today - timedelta(days=30))
    earlier = record(
        world, child, **parent(name="Olwen Rowanberry"), obtained_on=today - timedelta(days=60), tiers=["sensitive"]
    )
    signed = tmp_path / "signed-form.pdf"
    signed.write_bytes(one_page_pdf())

    page = journey.sign_in(world.users["practitioner"])
    journey.visit(f"/children/{child.pk}/")
    expect(page.get_by_role("heading", name="Why are you looking at this record?")).to_be_visible()
    page.get_by_label("Purpose").fill(PURPOSE)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Nia Rowanberry")).to_be_visible()
    journey.checked()
    page.get_by_role("link", name="Consent decisions").click()
    expect(page.get_by_role("heading", name="Consent", exact=True)).to_be_visible()
    journey.checked()
    expect(
        page.get_by_text("Olwen Rowanberry (the child's mother) consented to sharing the minimum data")
    ).to_be_visible()

    # The child's own refusal: without the assessment an under-16 needs, refused on the form.
    page.get_by_role("link", name="Record a consent decision").click()
    expect(page.get_by_role("heading", name="Record a consent decision")).to_be_visible()
    expect(page.get_by_text("The child is 14.")).to_be_visible()
    journey.checked()
    page.get_by_label("The child or young person").check()
    page.get_by_label("Consent refused").check()
    page.get_by_label("Explicit, spoken").check()
    page.get_by_label(PURPOSE).check()
    page.get_by_label("Minimum data").check()
    page.get_by_label("Only the agencies named below").check()
    page.get_by_label(world.other.name).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.locator(".govuk-error-summary")).to_contain_text("assessed them as competent (Fraser/Gillick)")
    journey.checked()
    page.get_by_label("Competent to decide for themselves").check()
    fill_date(page, "assessed_on", today.day, today.month, today.year)
    page.get_by_label("Who made the assessment").fill("Sam Social-Worker")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    journey.checked()
    expect(page.get_by_text("Explicit, spoken")).to_be_visible()

    # Change one answer, then record with the signed form.
    page.get_by_role("link", name="Change how it was made").click()
    expect(page.get_by_role("heading", name="Record a consent decision")).to_be_visible()
    page.get_by_label("Explicit, in writing").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(page.get_by_text("Explicit, in writing")).to_be_visible()
    page.get_by_label("Evidence (optional)").set_input_files(str(signed))
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("The decision has been recorded with its evidence.")).to_be_visible()
    journey.checked()
    made = ConsentRecord.objects.get(child=child, given_by="child")
    assert made.decision == "refused" and made.form == "explicit_written" and made.competence == "competent"
    assert ConsentEvidence.objects.filter(consent=made, content_type="application/pdf").exists()

    # A review of the mother's consent, and the withdrawal of the earlier one.
    journey.visit(f"/children/{child.pk}/consents/{mothers.pk}/")
    page.get_by_role("link", name="Record a review").click()
    expect(page.get_by_role("heading", name="Record a review of this consent")).to_be_visible()
    journey.checked()
    page.get_by_label("What did the review find?").fill("Talked it through with the family.")
    page.get_by_role("button", name="Record the review").click()
    expect(page.get_by_text("The review has been recorded.")).to_be_visible()
    journey.checked()
    journey.visit(f"/children/{child.pk}/consents/{earlier.pk}/")
    page.get_by_role("link", name="Record that consent was withdrawn").click()
    expect(page.get_by_role("heading", name="Record that consent was withdrawn")).to_be_visible()
    fill_date(page, "withdrawn_on", 1, 1, today.year - 1)
    page.get_by_label("Why was it withdrawn, and by whom?").fill("The mother asked by phone.")
    page.get_by_role("button", name="Record the withdrawal").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.locator(".govuk-error-summary")).to_contain_text("cannot be dated before the consent was obtained")
    journey.checked()
    fill_date(page, "withdrawn_on", today.day, today.month, today.year)
    page.get_by_role("button", name="Record the withdrawal").click()
    expect(page.get_by_text("The withdrawal has been recorded")).to_be_visible()
    journey.checked()

    page.get_by_role("link", name="Back to the consent summary").click()
    expect(page.get_by_role("heading", name="Decisions that do not prevail")).to_be_visible()
    journey.checked()
    expect(page.get_by_text("prevails over their mother's consent")).to_be_visible()
    expect(page.get_by_text("withdrew consent on")).to_be_visible()
    journey.sign_out()

    # An auditor reads the summary and the record, and is offered nothing to record.
    page = journey.sign_in(world.users["auditor"])
    journey.visit(f"/children/{child.pk}/consents/")
    expect(page.get_by_role("heading", name="Every decision recorded")).to_be_visible()
    expect(page.get_by_role("link", name="Record a consent decision")).to_have_count(0)
    journey.visit(f"/children/{child.pk}/consents/{made.pk}/")
    expect(page.get_by_role("link", name="Download the evidence")).to_be_visible()
    expect(page.get_by_role("link", name="Record a review")).to_have_count(0)


@pytest.mark.every_viewport
def test_consent_pages_fit_a_phone_and_a_desktop_with_long_values(browser_world: World, journey: Journey) -> None:
    """The summary, a consent and its forms, with every free-text value at its longest and unbroken (issue 8
    item 14), fit both widths and pass axe."""
    world = sharing_world(browser_world)
    today = timezone.localdate()
    born = date(today.year - 11, today.month, min(today.day, 28)) - timedelta(days=40)
    child = make_child(world, unbroken("Given", bounds.NAME), unbroken("Family", bounds.NAME), born_on=born)
    made = record(
        world,
        child,
        **parent(name=unbroken("Parent", bounds.NAME), relationship=unbroken("Rel", bounds.NAME)),
        note=unbroken("Note", bounds.REASON),
    )
    consent_withdraw(
        actor=fresh(world.users["practitioner"]),
        consent=record(world, child, **parent(name=unbroken("Other", bounds.NAME))),
        withdrawn_on=today,
        reason=unbroken("Reason", bounds.REASON),
    )
    page = journey.sign_in(world.users["practitioner"])

    def fits_both() -> None:
        for width in ("phone", "desktop"):
            page.set_viewport_size(VIEWPORTS[width])
            assert_fits(page)
        page.set_viewport_size(VIEWPORTS["phone"])
        assert_accessible(page)

    journey.visit(f"/children/{child.pk}/consents/")
    page.get_by_label("Purpose").fill(PURPOSE)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Every decision recorded")).to_be_visible()
    fits_both()
    for path in ("", "withdraw/", "review/"):
        journey.visit(f"/children/{child.pk}/consents/{made.pk}/{path}")
        fits_both()
    journey.visit(f"/children/{child.pk}/consents/new/")
    fits_both()
