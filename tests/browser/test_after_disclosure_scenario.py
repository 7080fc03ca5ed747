"""Issue 13 end to end in a real Chromium, at a desktop and at a phone width: after the council's case note reached
Hill School, the school's practitioner asks to pass it on to the health visitor and the council's designated
manager agrees (Southampton 10); the school passes it on; the lineage shows both hops as a picture and a table; the
school reports the note inaccurate, the council agrees and corrects it, and both agencies that received it
acknowledge the correction (Southampton 9); a declined request is disputed, taken through the line managers' stage
1 to the heads of service's stage 2 with their Caldicott guardians' advice, decided, and read on the central register
(Southampton 13). Each person works in their own browser; every page
visited must fit the window and is checked with axe-core (at the phone's width, each page once). Only the starting
world is built through the services, and each person is signed in by a session cookie."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from agencies.models import User
from disclosures.models import CorrectionNotice, Dispute, InaccuracyReport, OnwardRequest
from tests.browser.conftest import VIEWPORTS, Journey
from tests.disclosures.after_fixtures import AfterWorld, after_world, passed_on
from tests.disclosures.dispute_fixtures import declined
from tests.factories import World


class Cast:
    """One signed-in browser per person, opened the first time they are needed and kept for the journey. Each is
    signed in by a session cookie (tests/browser/test_sign_in.py walks the sign-in pages). At the phone's width axe
    checks each page once (its path and title: the dispute's page is visited at every step), as the desktop run
    checks every visit; every visit at either width must fit the window."""

    def __init__(self, journey: Journey, context_args: dict[str, Any]) -> None:
        self.first, self.context_args = journey, context_args
        self.journeys: dict[str, Journey] = {}
        phone = context_args["viewport"]["width"] < VIEWPORTS["desktop"]["width"]
        self.axe_once: set[tuple[str, str]] | None = set() if phone else None
        journey.axe_once = self.axe_once

    def __call__(self, user: User) -> tuple[Journey, Page]:
        if user.email not in self.journeys:
            if not self.journeys:
                walk = self.first
            else:
                browser = self.first.page.context.browser
                assert browser is not None
                page = browser.new_context(**self.context_args).new_page()
                walk = Journey(page, self.first.base_url, axe_once=self.axe_once)
            walk.signed_in_as(user)
            self.journeys[user.email] = walk
        walk = self.journeys[user.email]
        return walk, walk.page

    def close(self) -> None:
        for walk in list(self.journeys.values())[1:]:
            walk.page.context.close()


def _pass_on(after: AfterWorld, cast: Cast) -> None:
    """The school asks, the council's designated manager agrees, the school passes the case note on."""
    school, page = cast(after.user("school"))
    school.visit(f"/disclosures/{after.disclosure.pk}/")
    page.get_by_role("link", name="Pass this on").click()
    expect(page.get_by_role("heading", name="Pass this information on")).to_be_visible()
    school.checked()
    page.locator(f'input[name="entries"][value="{after.made.entry.pk}"]').check()
    page.locator('input[name="tiers"][value="sensitive"]').check()
    page.locator('input[name="categories"][value="case_note"]').check()
    page.locator('input[name="purpose"]').first.check()
    page.get_by_label("Why does that agency need to know?").fill("The health visitor sees the child weekly.")
    page.locator('input[name="consent_basis"][value="refused"]').check()
    page.locator('select[name="override_ground"]').select_option("significant_harm")
    page.locator('input[name="legal_basis"][value="significant_harm"]').check()
    page.locator(f'input[name="to_agency"][value="{after.health.pk}"]').check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    school.checked()
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text("Nothing is passed on unless they agree")).to_be_visible()
    school.checked()
    onward = OnwardRequest.objects.get(parent_disclosure=after.disclosure)

    council, page = cast(after.user("designated_manager"))
    council.visit("/onward/?role=to_decide")
    page.get_by_role("link", name=f"Onward request {onward.pk}").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    council.checked()
    page.get_by_role("link", name="Decide").click()
    council.checked()
    page.get_by_label("Yes, it may be passed on").check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("Your decision has been recorded")).to_be_visible()
    council.checked()

    school, page = cast(after.user("school"))
    school.visit(f"/onward/{onward.pk}/")
    page.get_by_role("link", name="Disclose").click()
    expect(page.get_by_role("heading", name=f"Pass the information on to {after.health}")).to_be_visible()
    school.checked()
    page.locator(f'input[name="recipients"][value="{after.user("health_visitor").pk}"]').check()
    page.locator('input[name="subject_told"][value="not_safe"]').check()
    page.get_by_label("Why were they not told? (when not told)").fill("Telling the parent would put the child at risk.")
    page.get_by_label("Why is it passed on?").fill("The health visitor must know.")
    page.get_by_label("Why is passing on this much proportionate?").fill("Only the case note.")
    page.get_by_label("Why is it shared without consent? (when not sharing on consent)").fill("The parent refused.")
    page.get_by_label("What public interest did you weigh? (when not sharing on consent)").fill("The child's safety.")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    school.checked()
    page.get_by_role("button", name="Pass it on").click()
    expect(page.get_by_text("The information was passed on")).to_be_visible()
    school.checked()


def _lineage(after: AfterWorld, cast: Cast) -> None:
    """The council reads where its case note went: two hops, council to school, school to health visitor."""
    council, page = cast(after.user("designated_manager"))
    council.visit(f"/entries/{after.made.entry.pk}/lineage/")
    expect(page.get_by_role("img", name="as a picture")).to_be_visible()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(str(after.school))
    expect(rows.nth(1)).to_contain_text(str(after.school))
    expect(rows.nth(1)).to_contain_text(str(after.health))
    council.checked()


def _correct(after: AfterWorld, cast: Cast) -> None:
    """The school reports the note inaccurate; the council agrees and corrects it (the form, then "check your
    answers"); the school and the health visiting service each acknowledge the notice."""
    school, page = cast(after.user("school"))
    # The school reads what it received (for a stated purpose) and reports the entry from beside it.
    school.visit(f"/disclosures/{after.disclosure.pk}/")
    page.get_by_label("Purpose").fill("Checking what we hold before a review meeting")
    page.get_by_role("button", name="Read what was disclosed").click()
    school.checked()
    page.get_by_role("link", name=f"Report this as inaccurate (entry {after.made.entry.pk})").click()
    page.get_by_label("What is inaccurate?").fill("The incident was on Tuesday, not Monday.")
    page.get_by_label("What should it say? (optional)").fill("The incident was on Tuesday.")
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_role("heading", name="Report of inaccurate information")).to_be_visible()
    school.checked()
    report = InaccuracyReport.objects.get(via_disclosure=after.disclosure)

    council, page = cast(after.user("designated_manager"))
    council.visit(f"/inaccuracy-reports/{report.pk}/")
    page.get_by_role("link", name="Agree and correct the entry").click()
    expect(page.get_by_text("What is inaccurate: The incident was on Tuesday, not Monday.")).to_be_visible()
    council.checked()
    page.get_by_label("Details").fill("The incident was on Tuesday.")
    page.get_by_label("What this correction changes and why").fill("Reported by the school: the day was wrong.")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Your correction")).to_be_visible()
    council.checked()
    page.get_by_role("button", name="Correct the entry").click()
    expect(page.get_by_text("The entry was corrected.")).to_be_visible()
    council.checked()

    for role, agency in (("school", after.school), ("health_visitor", after.health)):
        walk, page = cast(after.user(role))
        notice = CorrectionNotice.objects.get(agency=agency)
        walk.visit("/corrections/")
        page.locator(f'a[href="/corrections/notices/{notice.pk}/"]').first.click()
        expect(page.get_by_role("heading", name=f"Correction from {after.world.home}")).to_be_visible()
        walk.checked()
        page.get_by_role("link", name="Acknowledge the correction").click()
        walk.checked()
        page.get_by_label("What did your agency do about the correction?").fill("Updated our record of the note.")
        page.get_by_role("button", name="Acknowledge the correction").click()
        expect(page.get_by_text("You acknowledged the correction.")).to_be_visible()
        walk.checked()
        notice.refresh_from_db()
        assert notice.acknowledged_at is not None


def _act(person: tuple[Journey, Page], dispute: Dispute, action: str, *, choose: str = "", **answers: str) -> None:
    """Follow one of "What you can do" on the dispute's page, answer its form (`choose`: the radio to check;
    `answers`: text by label, `_` for a space) and come back to the dispute's journey."""
    walk, page = person
    walk.visit(f"/disputes/{dispute.pk}/")
    page.get_by_role("link", name=action, exact=True).click()
    expect(page.get_by_role("heading", name=action)).to_be_visible()
    walk.checked()
    if choose:
        page.get_by_label(choose, exact=True).check()
    for label, value in answers.items():
        page.get_by_label(label.replace("_", " ")).fill(value)
    page.get_by_role("button", name=action).click()
    expect(page.get_by_text("Done: the dispute's journey shows it.")).to_be_visible()
    walk.checked()


def _dispute(after: AfterWorld, cast: Cast, request_pk: int) -> None:
    school, page = cast(after.user("school"))
    school.visit(f"/requests/{request_pk}/")
    page.get_by_role("link", name="Raise a dispute").click()
    expect(page.get_by_role("heading", name="Raise a dispute")).to_be_visible()
    school.checked()
    page.get_by_label("Why should the information be shared?").fill("The school must keep the child safe.")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    school.checked()
    page.get_by_role("button", name="Raise the dispute").click()
    dispute = Dispute.objects.get(request_id=request_pk)
    expect(page.get_by_role("heading", name=f"Dispute {dispute.register_label}")).to_be_visible()
    school.checked()

    # Stage 1: the line managers differ, so the school's line manager escalates it.
    manager = cast(after.user("school_manager"))
    _act(manager, dispute, "Record your position", choose="Share", Why="The school needs it.")
    council = cast(after.user("designated_manager"))
    _act(council, dispute, "Record your position", choose="Do not share", Why="Not proportionate.")
    _act(manager, dispute, "Escalate to stage 2")
    # Stage 2: each side's Caldicott guardian advises; the school's head of service speaks; the council's decides.
    for guardian in ("school_guardian", "home_guardian"):
        _act(cast(after.user(guardian)), dispute, "Give your advice", Your_advice="Share the minimum needed.")
    _act(manager, dispute, "Record your position", choose="Share", Why="Still needed.")
    _act(council, dispute, "Decide", choose="Share", The_reason_for_the_decision="Advised it is lawful.")
    dispute.refresh_from_db()
    assert (dispute.state, dispute.outcome, dispute.resolved_stage) == ("resolved", "share", 2)

    register, page = cast(after.world.users["partnership_admin"])
    register.visit("/disputes/register/")
    expect(page.get_by_role("heading", name="Dispute register")).to_be_visible()
    expect(page.get_by_role("cell", name=dispute.register_label)).to_be_visible()
    register.checked()


def test_after_a_disclosure_pass_on_correct_and_dispute(
    browser_world: World, journey: Journey, browser_context_args: dict[str, Any]
) -> None:
    after = after_world(browser_world)
    request = declined(after)
    cast = Cast(journey, browser_context_args)
    try:
        if cast.axe_once is None:
            _pass_on(after, cast)
        else:
            # At the phone's width the pass-on is made through the services: its pages are walked at both widths
            # by tests/browser/test_onward_lineage.py (the request and its check, the decision, the disclose page
            # and its check); the lineage, the correction and the dispute that follow are walked here.
            passed_on(after)
        _lineage(after, cast)
        _correct(after, cast)
        _dispute(after, cast, request.pk)
    finally:
        cast.close()
