"""Issue 12 "How it will be checked", end to end in one real Chromium run, as new users would try it: Hill School's
practitioner asks children's social care, from the child's page, for the child's case notes although the mother
refused consent; a social-care practitioner finds the request in the inbox and answers it on significant harm,
choosing one of the child's two case notes; it waits for approval (Haringey 4.6); the designated manager finds it on
the dashboard and approves it; the note is corrected afterwards. The requester then reads exactly the note that was
disclosed, at its disclosed revision - not the note left out, not the later correction - while a colleague who was
not named and a police officer get nothing. Every page visited passes axe and fits the window, at a desktop and at a
phone width. A second test walks the demo data the same way (issue 12 "Demo")."""

from __future__ import annotations

import io
from typing import Any

from django.core.management import call_command
from playwright.sync_api import Page, expect

from agencies.demo import PEOPLE, demo_email
from agencies.models import User
from disclosures.models import Disclosure, InformationRequest
from disclosures.rules import State
from isp_portal.demo_context import DEMO_PASSWORD, demo_totp_key
from sharing.models import RecordEntry
from sharing.services import entry_record
from sharing.services.entries import entry_revise
from tests.browser.conftest import Journey, assert_accessible, current_code
from tests.consent.fixtures import parent, record
from tests.disclosures.fixtures import PURPOSE, case, school_world
from tests.factories import SYSTEM, World

NOTE = "Mother's partner threatened the child."
LEFT_OUT = "The child's older brother was cautioned last year."
CORRECTION = "Mother's partner threatened the child with a knife on 3 March."
NEED = "The child said at school they are frightened to go home."


def _demo_user(key: str) -> User:
    spec = next(spec for spec in PEOPLE if spec["key"] == key)
    return User.objects.get(email=demo_email(spec["name"]))


def _sign_in_demo(journey: Journey, user: User) -> Page:
    """Demo people sign in with the published demo password and their demo two-factor key (demo mode only)."""
    page = journey.visit("/sign-in/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/sign-in/two-factor/")
    # The same person signs in twice in the journey: a code of a window already used is a replay (current_code).
    page.get_by_label("Security code").fill(current_code(user, key=demo_totp_key(user.email)))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(journey.base_url + "/")
    journey.checked()
    return page


def _request_link(page: Page, pk: int) -> Any:
    # The inbox's links read "Request N about child M" to a screen reader (the child part visually hidden).
    return page.get_by_role("link", name=f"Request {pk} about child", exact=False)


def test_a_request_answered_on_significant_harm_approved_and_read_by_exactly_those_named(
    browser_world: World, journey: Journey
) -> None:
    world = school_world(browser_world)
    made = case(world)
    record(
        world, made.child, **parent(name="Olwen Rowanberry"), decision="refused", tiers=["minimum", "sensitive"],
        all_signatories=True,
    )  # fmt: skip
    left_out = entry_record(
        actor=made.user("practitioner"), child=made.child, agency=world.home, category="case_note", fields={},
        text=LEFT_OUT, basis="fact",
    )  # fmt: skip

    # 1. The school's practitioner asks, from the child's page.
    page = journey.sign_in(made.user("school"))
    journey.visit(f"/children/{made.child.pk}/")
    page.get_by_label("Purpose").fill(PURPOSE)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="Request information").click()
    expect(page.get_by_role("heading", name="Request information")).to_be_visible()
    journey.checked()
    page.get_by_label(world.home.name).check()
    page.get_by_label(PURPOSE).check()
    page.get_by_label("The minimum data").check()
    page.get_by_label("Detailed and sensitive information").check()
    page.get_by_label("Case note").check()
    page.get_by_label("Why do you need to know this?").fill(NEED)
    page.get_by_label("Urgent").check()
    page.get_by_label("Consent was refused, and there is a ground to override the refusal").check()
    page.get_by_label("The ground for overriding the refusal").select_option("significant_harm")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    journey.checked()
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text(f"Your request has been sent to {world.home.name}.")).to_be_visible()
    journey.checked()
    sent = InformationRequest.objects.get()
    assert (sent.state, sent.consent_basis, sent.override_ground) == (State.SUBMITTED, "refused", "significant_harm")
    journey.sign_out()

    # 2. A social-care practitioner finds it in the inbox and answers it: one of the two notes, on significant harm.
    page = journey.sign_in(made.user("practitioner"))
    journey.open_nav("Requests")
    expect(page.get_by_role("heading", name="Requests waiting for your agency")).to_be_visible()
    _request_link(page, sent.pk).first.click()
    expect(page.get_by_role("heading", name=f"Request for information to {world.home.name}")).to_be_visible()
    expect(page.get_by_text(NEED)).to_be_visible()
    journey.checked()
    page.get_by_role("link", name="Answer this request").click()
    expect(page.get_by_role("heading", name="Answer a request for information")).to_be_visible()
    journey.checked()
    expect(page.locator("#consent-now")).to_contain_text("(the child's mother) refused")
    expect(page.locator(f'input[name="entries"][value="{left_out.pk}"]')).to_have_count(1)  # offered, not chosen
    page.get_by_label("Yes", exact=True).check()
    page.get_by_label("Risk of significant harm").check()
    page.get_by_label("Why is it shared without consent?").fill(
        "The mother refused; the child is at risk of significant harm at home."
    )
    page.get_by_label("Why is sharing proportionate?").fill("Only the case note about the threat is needed.")
    page.get_by_label("What public interest did you weigh?").fill("The child's safety outweighs confidence.")
    page.locator(f'input[name="entries"][value="{made.entry.pk}"]').check()
    page.get_by_label("No: telling them would not be safe").check()
    page.get_by_label("Why were they not told?").fill("Telling the mother would put the child at risk.")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(page.get_by_text("Nothing is shared yet")).to_be_visible()
    journey.checked()
    page.get_by_role("button", name="Send for approval").click()
    expect(page.get_by_role("heading", name="Waiting for a designated manager's approval")).to_be_visible()
    journey.checked()
    assert InformationRequest.objects.get(pk=sent.pk).state == State.AWAITING_APPROVAL
    assert not Disclosure.objects.exists()
    journey.sign_out()

    # 3. The designated manager finds it on the dashboard, and approves it from the request's page.
    page = journey.sign_in(made.user("designated_manager"))
    expect(page.get_by_role("heading", name="Approvals waiting for you")).to_be_visible()
    journey.checked()
    page.get_by_role("link", name=f"Request {sent.pk} from Hill School").click()
    expect(page.get_by_role("heading", name=f"Request for information to {world.home.name}")).to_be_visible()
    journey.checked()
    page.get_by_role("link", name="Approve or decline the disclosure").click()
    expect(page.get_by_role("heading", name="Approve sharing this information?")).to_be_visible()
    journey.checked()
    expect(page.get_by_text(NOTE)).to_be_visible()
    expect(page.get_by_text(LEFT_OUT)).to_have_count(0)
    page.get_by_label("Yes, approve and share it now").check()
    page.get_by_label("Your reasons").fill("Proportionate to the risk.")
    page.get_by_role("button", name="Record my decision").click()
    expect(page.get_by_text("Approved: the information was shared with Hill School.")).to_be_visible()
    journey.checked()
    disclosure = Disclosure.objects.get(request_id=sent.pk)
    # The same page the manager can reach again from the approvals list: nothing waits any more.
    journey.visit("/approvals/")
    expect(page.get_by_role("link", name=f"Request {sent.pk}", exact=False)).to_have_count(0)
    journey.sign_out()

    # Children's social care corrects the note after it was disclosed: the disclosure keeps the revision it shared.
    entry_revise(
        actor=SYSTEM, entry=RecordEntry.objects.get(pk=made.entry.pk), fields={}, text=CORRECTION, basis="fact",
        reason="The date and the weapon were confirmed.",
    )  # fmt: skip

    # 4. The requester reads exactly what was disclosed, from the request they sent and from what they received.
    page = journey.sign_in(made.user("school"))
    journey.open_nav("Requests")
    _request_link(page, sent.pk).first.click()
    expect(page.get_by_role("heading", name=f"Request for information to {world.home.name}")).to_be_visible()
    journey.checked()
    page.get_by_role("link", name="What was disclosed").click()
    expect(page.get_by_role("heading", name=f"Disclosure {disclosure.pk}")).to_be_visible()
    journey.checked()
    # No navigation item or dashboard panel leads to "What you received": the disclosure's back link does.
    page.get_by_role("link", name="Back to what you received").click()
    expect(page.get_by_role("heading", name="What you received")).to_be_visible()
    journey.checked()
    received = page.get_by_role("region", name="Disclosures made to you")
    expect(received.get_by_role("link", name="Disclosure", exact=False)).to_have_count(1)
    received.get_by_role("link", name=f"Disclosure {disclosure.pk}").click()
    expect(page.get_by_role("heading", name=f"Disclosure {disclosure.pk}")).to_be_visible()
    journey.checked()
    # What was disclosed is shown once the reader says why they are reading it (recorded with the showing).
    expect(page.get_by_text(NOTE)).to_have_count(0)
    page.get_by_label("Purpose").fill(PURPOSE)
    page.get_by_role("button", name="Read what was disclosed").click()
    journey.checked()
    expect(page.get_by_text(NOTE)).to_be_visible()
    expect(page.get_by_role("heading", name=f"Case note (entry {made.entry.pk}, revision 1)")).to_be_visible()
    expect(page.get_by_text("Verified")).to_be_visible()
    expect(page.get_by_text(f"entry {left_out.pk},", exact=False)).to_have_count(0)
    for absent in (LEFT_OUT, CORRECTION):
        expect(page.get_by_text(absent, exact=False)).to_have_count(0)
    journey.sign_out()

    # 5. A colleague at the school who was not named, and a police officer: nothing of it. Neither the disclosure nor
    # the request is found for them (the request is the requester's: the colleague's agency asked, not the colleague).
    for role in ("school_colleague", "other_agency"):
        page = journey.sign_in(made.user(role))
        journey.visit("/disclosures/received/")
        expect(page.get_by_role("heading", name="What you received")).to_be_visible()
        expect(page.get_by_role("region", name="Disclosures made to you").get_by_role("link")).to_have_count(0)
        for path in (f"/disclosures/{disclosure.pk}/", f"/requests/{sent.pk}/"):
            response = page.goto(journey.base_url + path)
            assert response is not None and response.status == 404, (role, path, response and response.status)
            assert_accessible(page)
            for text in (NOTE, LEFT_OUT, CORRECTION):
                expect(page.get_by_text(text, exact=False)).to_have_count(0)
        journey.sign_out()


def test_the_demo_school_asks_and_the_demo_social_care_team_answers_and_approves(
    transactional_db: None, settings: Any, journey: Journey
) -> None:
    """Issue 12 "Demo": on `seed_demo`'s data, the demo school's safeguarding lead asks children's social care about
    a child, and the demo social worker and designated manager answer and approve it, finding it as a new user
    would; the lead then reads what was shared."""
    settings.DEMO_MODE = True  # seed_demo and the demo credentials work only in demo mode
    call_command("seed_demo", stdout=io.StringIO())
    asker, answerer, manager = _demo_user("school_dsl"), _demo_user("practitioner"), _demo_user("designated_manager")
    # The child the demo's waiting request is about: in scope, with a case note of children's social care.
    waiting = InformationRequest.objects.filter(state=State.SUBMITTED, requester=asker).order_by("pk").first()
    assert waiting is not None, "the demo has no request waiting for an answer"
    before = set(InformationRequest.objects.values_list("pk", flat=True))
    social_care = waiting.holding_agency
    entry = RecordEntry.objects.filter(child=waiting.child, agency=social_care, category__in=waiting.categories)
    chosen = entry.order_by("pk").first()
    assert chosen is not None

    page = _sign_in_demo(journey, asker)
    journey.visit(f"/children/{waiting.child_id}/")
    page.get_by_label("Purpose").fill(waiting.purpose)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="Request information").click()
    expect(page.get_by_role("heading", name="Request information")).to_be_visible()
    journey.checked()
    page.locator(f'input[name="holding_agency"][value="{social_care.pk}"]').check()
    page.get_by_label(waiting.purpose, exact=True).check()
    for tier in ("minimum", "sensitive"):
        page.locator(f'input[name="tiers"][value="{tier}"]').check()
    page.locator(f'input[name="categories"][value="{chosen.category}"]').check()
    page.get_by_label("Why do you need to know this?").fill("The child asked a teacher not to tell anyone at home.")
    page.get_by_label("Urgent").check()
    page.get_by_label("Consent was refused, and there is a ground to override the refusal").check()
    page.get_by_label("The ground for overriding the refusal").select_option("significant_harm")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    journey.checked()
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text(f"Your request has been sent to {social_care.name}.")).to_be_visible()
    journey.checked()
    sent = InformationRequest.objects.exclude(pk__in=before).get()
    journey.sign_out()

    page = _sign_in_demo(journey, answerer)
    journey.open_nav("Requests")
    _request_link(page, sent.pk).first.click()
    expect(page.get_by_role("heading", name=f"Request for information to {social_care.name}")).to_be_visible()
    journey.checked()
    page.get_by_role("link", name="Answer this request").click()
    expect(page.get_by_role("heading", name="Answer a request for information")).to_be_visible()
    journey.checked()
    page.get_by_label("Yes", exact=True).check()
    page.get_by_label("Risk of significant harm").check()
    page.get_by_label("Why is it shared without consent?").fill("The parent refused; risk of significant harm.")
    page.get_by_label("Why is sharing proportionate?").fill("Only the note asked for is needed.")
    page.get_by_label("What public interest did you weigh?").fill("The child's safety outweighs confidence.")
    page.locator(f'input[name="entries"][value="{chosen.pk}"]').check()
    page.get_by_label("No: telling them would not be safe").check()
    page.get_by_label("Why were they not told?").fill("Telling the parent would put the child at risk.")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    journey.checked()
    page.get_by_role("button", name="Send for approval").click()
    expect(page.get_by_role("heading", name="Waiting for a designated manager's approval")).to_be_visible()
    journey.checked()
    journey.sign_out()

    page = _sign_in_demo(journey, manager)
    expect(page.get_by_role("heading", name="Approvals waiting for you")).to_be_visible()
    # The demo's own approval waits there too, with the new one (issue 12 "Demo").
    expect(page.get_by_text("2 disclosures wait for a designated manager's approval")).to_be_visible()
    page.get_by_role("link", name="All approvals and reviews").click()
    expect(page.get_by_role("heading", name="Approvals", exact=True)).to_be_visible()
    journey.checked()
    page.get_by_role("link", name=f"Request {sent.pk}", exact=False).click()
    expect(page.get_by_role("heading", name="Approve sharing this information?")).to_be_visible()
    journey.checked()
    page.get_by_label("Yes, approve and share it now").check()
    page.get_by_label("Your reasons").fill("Proportionate: the school needs to know today.")
    page.get_by_role("button", name="Record my decision").click()
    expect(page.get_by_text(f"Approved: the information was shared with {sent.requester_agency.name}.")).to_be_visible()
    journey.checked()
    disclosure = Disclosure.objects.get(request_id=sent.pk)
    journey.sign_out()

    page = _sign_in_demo(journey, asker)
    journey.visit("/disclosures/received/")
    page.get_by_role("link", name=f"Disclosure {disclosure.pk}").click()
    expect(page.get_by_role("heading", name=f"Disclosure {disclosure.pk}")).to_be_visible()
    journey.checked()
    page.get_by_label("Purpose").fill(waiting.purpose)
    page.get_by_role("button", name="Read what was disclosed").click()
    expect(page.get_by_role("heading", name=f"(entry {chosen.pk}, revision", exact=False)).to_have_count(1)
