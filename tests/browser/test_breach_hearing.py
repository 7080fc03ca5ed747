"""The partners' meeting about a breach, with recusal, in a real Chromium at a desktop and at a phone width (issue
14; Haringey 6.3-6.6): a partnership admin puts home's breach on a meeting (an empty form first: the error
summary), records the presentation and the withdrawal, notes, a draft warning it then removes, a draft suspension
from the sensitive tier and the other partner's vote, the decision, and telling the agency. Home's designated
manager, in another browser, opens the deliberation page and the API's notes during recusal: both refused, each
denial audited; after the decision the hearing page shows the decision and the sanctions but never the notes.
One browser context per person, signed in by session cookie; axe on every page visited."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from audit.models import AuditEvent
from breaches.models import Hearing, SanctionDecision
from tests.breaches.hearing_fixtures import breach_of
from tests.browser.conftest import Journey, assert_accessible
from tests.factories import World

NOTES = "The partners think the address book fault was known and left unfixed."


def _step(journey: Journey, link: str, heading: str, button: str, fill: dict[str, str] | None = None) -> Page:
    """From the hearing page: follow `link`, fill the form by field name, press `button`, back on the hearing."""
    page = journey.page
    page.get_by_role("link", name=link, exact=True).click()
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    journey.checked()
    for name, value in (fill or {}).items():
        page.locator(f'[name="{name}"]').fill(value)
    page.get_by_role("button", name=button).click()
    expect(page.get_by_role("heading", name="Partners' meeting about the breach")).to_be_visible()
    return journey.checked()


def _denials(user: Any, path: str) -> int:
    return AuditEvent.objects.filter(
        kind="access.denied", actor_id=user.pk, detail__path=path, detail__status=403
    ).count()


def test_a_meeting_with_recusal_through_the_browser_and_the_api(
    browser_world: World, journey: Journey, browser: Browser, live_server: Any, browser_context_args: dict[str, Any]
) -> None:
    world = browser_world
    breach = breach_of(world, world.home, key="recused")
    recused = world.users["designated_manager"]
    hearing_path = f"/breaches/{breach.pk}/hearing/"
    today = timezone.localdate()

    journey.signed_in_as(world.users["partnership_admin"])
    page = journey.visit(hearing_path)
    expect(page.get_by_text("The breach is not on a meeting's agenda yet.")).to_be_visible()
    page.get_by_role("link", name="Put the breach on a meeting's agenda").click()
    journey.checked()
    page.get_by_role("button", name="Put on the agenda").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    journey.checked()
    for part, value in (("day", today.day), ("month", today.month), ("year", today.year)):
        page.locator(f'[name="held_on_{part}"]').fill(str(value))
    page.get_by_role("button", name="Put on the agenda").click()
    expect(page.get_by_role("heading", name="Partners' meeting about the breach")).to_be_visible()
    journey.checked()

    _step(journey, "The agency in breach has presented its report", "The agency in breach has presented its report",
          "Record the report as presented")  # fmt: skip
    _step(journey, "The agency in breach withdraws", "The agency in breach withdraws", "Record the agency as withdrawn")
    _step(journey, "Deliberation notes", "Deliberation notes", "Save the notes", {"notes": NOTES})

    # A draft warning, then removed: the partners do not agree it.
    page.get_by_role("link", name="Draft a sanction", exact=True).click()
    page.get_by_label("Formal warning").check()
    page.get_by_label("Reason").fill("A warning alone.")
    page.get_by_role("button", name="Draft the sanction").click()
    expect(page.get_by_role("heading", name="Draft sanctions")).to_be_visible()
    page.get_by_role("link", name="Remove the draft sanction: Formal warning").click()
    expect(page.get_by_role("heading", name="Remove the draft sanction")).to_be_visible()
    journey.checked()
    page.get_by_role("button", name="Remove the draft sanction").click()
    expect(page.get_by_text("The draft sanction is removed.")).to_be_visible()
    journey.checked()
    assert not SanctionDecision.objects.filter(hearing__breach=breach).exists()

    page.get_by_role("link", name="Draft a sanction", exact=True).click()
    expect(page.get_by_role("heading", name="Draft a sanction")).to_be_visible()
    journey.checked()
    page.get_by_label("Suspension from the sensitive tier").check()
    page.get_by_label("Reason").fill("Sensitive information went outside the secure network.")
    page.get_by_label("For a suspension: suspended from").select_option(label="Sending")
    for part, value in (("day", today.day), ("month", today.month), ("year", today.year)):
        page.locator(f'[name="from_on_{part}"]').fill(str(value))
    page.get_by_role("button", name="Draft the sanction").click()
    expect(page.get_by_text("Suspension from the sensitive tier (send)")).to_be_visible()
    journey.checked()

    page.get_by_role("link", name="Record a vote", exact=True).click()
    expect(page.get_by_role("heading", name="Record a partner agency's vote")).to_be_visible()
    journey.checked()
    page.get_by_label("Agency voting").select_option(label=world.other.name)
    page.get_by_label("For", exact=True).check()
    page.get_by_role("button", name="Record the vote").click()
    expect(page.get_by_text(f"{world.other.name}: For")).to_be_visible()
    journey.checked()
    page.get_by_role("link", name="The deliberation").click()
    expect(page.get_by_text(NOTES)).to_be_visible()
    journey.checked()

    # The agency in breach, in its own browser, while withdrawn: the hearing page says so; the deliberation page
    # and the API's notes are refused naming the rule, each denial audited.
    context = browser.new_context(**browser_context_args)
    try:
        theirs = Journey(context.new_page(), live_server.url)
        theirs.signed_in_as(recused)
        mine = theirs.visit(hearing_path)
        expect(mine.get_by_text("Your agency is withdrawn from the meeting")).to_be_visible()
        expect(mine.get_by_text("Suspension from the sensitive tier")).to_have_count(0)
        expect(mine.get_by_role("link", name="The deliberation")).to_have_count(0)
        response = mine.goto(live_server.url + hearing_path + "deliberation/")
        assert response is not None and response.status == 403
        expect(mine.get_by_text("Your agency is withdrawn from the meeting while the other partners")).to_be_visible()
        expect(mine.get_by_text(NOTES)).to_have_count(0)
        assert_accessible(mine)
        assert _denials(recused, hearing_path + "deliberation/") == 1
        api = context.request.get(f"{live_server.url}/api/v1{hearing_path}?notes=1")
        assert api.status == 403 and NOTES not in api.text() and "withdrawn" in api.text()
        assert _denials(recused, f"/api/v1{hearing_path}") == 1
        plain = context.request.get(f"{live_server.url}/api/v1{hearing_path}").json()
        assert plain["withdrawn"] and plain["sanctions"] == [] and plain["votes"] == []

        # The decision, and the agency recalled and told.
        journey.visit(hearing_path)
        _step(journey, "Record the decision", "Record the decision", "Record the decision",
              {"decision": "The agency is suspended from sending sensitive information."})  # fmt: skip
        page = _step(journey, "The agency in breach is recalled and told", "The agency in breach is recalled and told",
                     "Record the agency as told")  # fmt: skip
        expect(page.get_by_text("Agency in breach recalled and told")).to_be_visible()
        assert Hearing.objects.get(breach=breach).told_at is not None

        # Told: the decision and the sanctions imposed, the votes; never the notes.
        mine = theirs.visit(hearing_path)
        expect(mine.get_by_text("The agency is suspended from sending sensitive information.")).to_be_visible()
        expect(mine.get_by_role("heading", name="Sanctions imposed")).to_be_visible()
        expect(mine.get_by_text("Suspension from the sensitive tier (send)")).to_be_visible()
        expect(mine.get_by_text("Your agency is withdrawn from the meeting")).to_have_count(0)
        expect(mine.get_by_text(NOTES)).to_have_count(0)
        told = context.request.get(f"{live_server.url}/api/v1{hearing_path}").json()
        assert told["stage"] == "told" and not told["withdrawn"] and told["deliberation_notes"] is None
        assert [s["kind"] for s in told["sanctions"]] == ["suspension_sensitive"]
        assert context.request.get(f"{live_server.url}/api/v1{hearing_path}?notes=1").status == 403
    finally:
        context.close()
