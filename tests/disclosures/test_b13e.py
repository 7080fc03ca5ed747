"""A new user's notes on issue 13 (b13e): the onward decision names what is to be passed on as the other disclosure
pages name entries; a correction notice links to the disclosure it corrects, for a reader who may see it; and
information is never passed back to an agency it already went through (Southampton 10-11: it holds it already)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from disclosures import rules
from disclosures.models import CorrectionNotice, OnwardRequest
from sharing.services import entry_revise
from tests.disclosures.after_fixtures import (
    AfterWorld,
    after_world,
    onward_submit,
    pass_on,
    passed_on,
    staffed_agency,
)
from tests.disclosures.test_onward_pages import pass_on_data
from tests.factories import World, sign_in

pytestmark = pytest.mark.django_db

HOLDS_IT = "reached your agency through that agency, which holds it already"


@pytest.fixture
def after(world: World) -> AfterWorld:
    return after_world(world)


def test_the_rule_refuses_an_agency_the_information_passed_through() -> None:
    parent = rules.ParentFacts(
        disclosure_id=1, hop=2, to_agency_id=30, originator_agency_id=10, tiers=frozenset({"sensitive"}),
        categories=frozenset({"case_note"}), revisions={5: 50}, live=True,
        retain_until=datetime(2030, 1, 1, tzinfo=UTC), holders=frozenset({10, 20, 25, 30}),
    )  # fmt: skip

    def refusals(to_agency_id: int) -> dict[str, str]:
        return rules.onward_scope_refusals(
            parent=parent, entries={5: 50}, tiers=["sensitive"], categories=["case_note"], to_agency_id=to_agency_id
        )

    for holder in (20, 25):
        assert HOLDS_IT in refusals(holder)["to_agency"]
    assert refusals(40) == {}


def test_the_health_visitor_cannot_pass_it_back_to_the_school_it_came_from(after: AfterWorld) -> None:
    made = passed_on(after)  # council -> school -> health (hop 1)
    before = OnwardRequest.objects.count()
    with pytest.raises(ValidationError) as refused:
        onward_submit(after, by="health_visitor", parent=made, to_agency=after.school)
    assert HOLDS_IT in str(refused.value.message_dict["to_agency"])
    assert OnwardRequest.objects.count() == before
    # The page's form and the API refuse it on the same field, naming the same rule.
    page = sign_in(Client(), after.user("health_visitor"))
    reply = page.post(f"/disclosures/{made.pk}/pass-on/", pass_on_data(after, to_agency=after.school.pk))
    assert reply.status_code == 200 and HOLDS_IT in reply.content.decode()
    body = {**pass_on_data(after, to_agency=after.school.pk), "parent_disclosure": made.pk}
    api = page.post("/api/v1/onward-requests/", body, content_type="application/json")
    assert api.status_code == 400 and HOLDS_IT in str(api.json()["error"]["fields"]["to_agency"])
    assert OnwardRequest.objects.count() == before


def test_two_hops_on_neither_agency_above_can_be_given_it_again(after: AfterWorld) -> None:
    health = passed_on(after)
    third = staffed_agency(after.world, "Riverside Youth Service", "youth")
    hop_two = pass_on(after, by="health_visitor", parent=health, entry=after.made.entry, to_agency=third, to="youth")
    assert hop_two.hop == 2
    for agency in (after.school, after.health):
        with pytest.raises(ValidationError, match=HOLDS_IT):
            onward_submit(after, by="youth", parent=hop_two, to_agency=agency)


def test_the_onward_decision_names_the_entries_as_the_disclosure_pages_do(after: AfterWorld) -> None:
    onward = onward_submit(after)
    page = sign_in(Client(), after.user("designated_manager")).get(f"/onward/{onward.pk}/decide/")
    text = page.content.decode()
    assert page.status_code == 200
    assert f"Case note: entry {after.made.entry.pk}, revision 1" in text and "(revision" not in text
    detail = sign_in(Client(), after.user("designated_manager")).get(f"/onward/{onward.pk}/").content.decode()
    assert f"Case note: entry {after.made.entry.pk}, revision 1" in detail


def test_a_correction_notice_links_to_the_disclosure_for_a_reader_who_may_see_it(after: AfterWorld) -> None:
    entry_revise(
        actor=after.user("practitioner"), entry=after.made.entry, fields={}, text="Corrected.", basis="fact",
        reason="The date was wrong.",
    )  # fmt: skip
    notice = CorrectionNotice.objects.get(agency=after.school)
    link = f'href="/disclosures/{after.disclosure.pk}/"'
    school = sign_in(Client(), after.user("school")).get(f"/corrections/notices/{notice.pk}/")
    assert school.status_code == 200 and link in school.content.decode()
    # The school's colleague, told of the notice as a member of the agency, was not named on the disclosure.
    colleague = sign_in(Client(), after.user("school_colleague")).get(f"/corrections/notices/{notice.pk}/")
    assert colleague.status_code == 200
    assert link not in colleague.content.decode()
    assert f"Disclosure {after.disclosure.pk}" in colleague.content.decode()
