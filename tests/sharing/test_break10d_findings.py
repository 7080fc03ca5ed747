"""Tester break10d's findings on issue 10, against the fixes of break10c's findings (h/fixshield2, h/fixdata2,
h/kidsshield): each test failed against the code as found and says what a user sees and why it matters. Data is
built through the services. The tester's six other findings stay on branch h/break10d until they are fixed."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from agencies.models import Role
from agencies.services import agency_update
from isp_portal.models import Notification
from sharing.models import Child, ChildAddress, ChildName, Involvement
from sharing.services import child_merge, child_shield, entry_record, involvement_add
from tests.factories import SYSTEM, World, make_agency, make_user, sign_in
from tests.protocol_fixtures import complete_checklist, sign
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world, train

pytestmark = pytest.mark.django_db

H: dict[str, Any] = {"HTTP_X_PURPOSE": PURPOSE}


@pytest.fixture
def sw(world: World) -> World:
    return sharing_world(world)


def _third_agency_nurse(sw: World, area: str = "Northbridge") -> Any:
    """A practitioner of a third agency that may share (signed, registered, trained), not involved with anyone."""
    third = make_agency("Third Health Trust", area=area)
    agency_update(
        actor=SYSTEM,
        agency=third,
        ico_registration_number="ZA100088",
        ico_registration_expires_on=timezone.localdate().replace(year=timezone.localdate().year + 1),
    )
    complete_checklist(third)
    sign(sw.objects["protocol"], third)
    nurse = make_user(name="Nia Nurse", agency=third, roles=[Role.PRACTITIONER])
    train(nurse)
    return nurse


def test_a_service_differing_only_by_an_invisible_character_is_the_same_service(sw: World) -> None:
    """The police add their "Public protection" involvement to a child, then (a pasted service name) add
    "Public protection" followed by a zero-width space: 201, a second open involvement of the same service,
    which every page shows as two identical rows. The fix for one open involvement per service (rules.service_key,
    migration 0005) ignores capitals and spaces, including no-break and em spaces, but not invisible format
    characters (U+200B), which are neither refused as input nor stripped: the duplicate the rule exists to stop
    (two leads, two key contacts for one service) is still made."""
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9))
    police = sign_in(Client(), sw.users["other_agency"])
    url = f"/api/v1/children/{child.pk}/involvements/"
    first = police.post(
        url, data={"agency": sw.other.pk, "service": "Public protection"}, content_type="application/json", **H
    )
    assert first.status_code == 201
    again = police.post(
        url, data={"agency": sw.other.pk, "service": "Public protection\u200b"}, content_type="application/json", **H
    )
    assert again.status_code == 400, again.content[:300]
    assert Involvement.objects.filter(child=child, agency=sw.other, ended_on__isnull=True).count() == 1


def test_a_childs_area_cannot_be_cleared_to_let_another_area_claim_it(sw: World) -> None:
    """The fix of finding 8 lets only an involved agency of the child's current area change its area (the area
    decides which authorised staff may know of restricted entries), and lets any involved agency set an area
    when the child has none "yet". But the current area's practitioner may clear it: PATCH {"area": ""} answers
    200 and the child has no area. Then a practitioner of an agency in another area, merely involved, sets the
    child's area to their own (200), which is the self-granting of area-based access the rule exists to stop,
    reached in two steps. Clearing a child's area should be refused (a child recorded with an area keeps one)."""
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9))
    home_area = Child.objects.get(pk=child.pk).area_id
    outsider = _third_agency_nurse(sw, area="Southfield")
    outsider_area = outsider.memberships.get().agency.area_id
    assert outsider_area != home_area
    involvement_add(
        actor=fresh(outsider), child=child, agency=outsider.memberships.get().agency, service="School nursing"
    )
    local = sign_in(Client(), sw.users["practitioner"])
    cleared = local.patch(f"/api/v1/children/{child.pk}/", data={"area": ""}, content_type="application/json", **H)
    claimed = sign_in(Client(), outsider).patch(
        f"/api/v1/children/{child.pk}/", data={"area": outsider_area}, content_type="application/json", **H
    )
    assert (cleared.status_code, claimed.status_code) == (400, 400)
    assert Child.objects.get(pk=child.pk).area_id == home_area


def test_a_purpose_too_short_for_the_record_is_refused_on_the_purpose_step(sw: World) -> None:
    """A practitioner opens a child's page and, asked why, types "x" (or "checking"): the purpose step
    (POST /children/{id}/purpose/) accepts it and sends them to the record, which answers 500, as do the forms
    the fix of finding 4 now opens with that purpose (add an involvement, record information, an entry, correct an
    entry). The purpose step's form checks only the length's upper bound, while the selectors (child_record,
    child_named, entry_detail) apply rules.purpose_cleaned (at least PURPOSE_MIN characters with a letter) and
    raise ValidationError, which no view turns into an answer. The purpose stays in the session for 30 minutes,
    so the child's record and its forms stay broken for that long; the purpose step should refuse it with the
    rule's message, as the search does."""
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9))
    entry = entry_record(
        actor=fresh(sw.users["practitioner"]),
        child=child,
        agency=sw.home,
        category="case_note",
        fields={},
        text="Seen at home",
        basis="fact",
    )
    reader = sign_in(Client(), sw.users["practitioner"])
    reader.raise_request_exception = False
    stated = reader.post(f"/children/{child.pk}/purpose/", {"purpose": "x"})
    answers = {
        url: reader.get(url).status_code
        for url in (
            f"/children/{child.pk}/",
            f"/children/{child.pk}/involvements/new/",
            f"/children/{child.pk}/entries/new/?category=case_note",
            f"/children/{child.pk}/entries/{entry.pk}/",
            f"/children/{child.pk}/entries/{entry.pk}/revise/",
        )
    }
    assert all(status < 500 for status in answers.values()), answers
    assert stated.status_code == 200 and "purpose" in stated.content.decode().lower()


def test_a_move_to_the_same_address_with_an_invisible_character_is_refused(sw: World) -> None:
    """A practitioner records a move for a child living at "1 Test Street, Northbridge", N1 9GU, to the same
    address pasted with a zero-width space after "Street": 201, the current period ends and an identical one
    begins, so the address history no longer says when the child actually moved. The fix of finding 11
    (rules.same_address: lines compared without regard to capitals, spacing and punctuation) treats an invisible
    format character as a difference, as the service rule does (see the involvement test above): such characters
    are neither refused as input nor ignored by the comparisons."""
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9))
    reader = sign_in(Client(), sw.users["practitioner"])
    answer = reader.post(
        f"/api/v1/children/{child.pk}/addresses/",
        data={"address": "1 Test Street\u200b, Northbridge", "postcode": "N1 9GU"},
        content_type="application/json",
        **H,
    )
    assert answer.status_code == 400, answer.content[:300]
    assert ChildAddress.objects.filter(child=child).count() == 1


# --- Findings fixed on h/fix10d (were strict xfail; the wider tests are in test_fix10d.py) -------------------------


def test_a_merge_into_a_shielded_child_tells_the_agencies_it_brings_in_that_the_child_is_shielded(sw: World) -> None:
    """A partnership admin merges a duplicate entry (the police's, unshielded) into a child the council has
    shielded. The police are now involved with the shielded child and are shown its refuge address, but their
    designated manager is told nothing: only the council is notified ("a merge brought other agencies onto a
    shielded child"). In the opposite direction (a shielded duplicate merged into an unshielded entry) the kept
    entry's agencies ARE told "child N is now shielded: withhold its address ... in your own records too"
    (_shield_notice). So an agency that holds the child's old address in its own systems, and now its refuge
    address, is never told to withhold them: the ContactPoint shield depends on every involved agency knowing."""
    manager = make_user(name="Dora Police Manager", agency=sw.other, roles=[Role.DESIGNATED_MANAGER])
    train(manager)
    shielded = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9), shielded=True)
    duplicate = make_child(
        sw,
        "Zara",
        "Quinne",
        born_on=date(2012, 9, 9),
        by="other_agency",
        agency=sw.other,
        considered=[shielded.pk],
        service="Public protection",
    )
    child_merge(actor=fresh(sw.users["partnership_admin"]), keep=shielded, merge=duplicate, reason="The same child")
    assert Involvement.objects.filter(child=shielded, agency=sw.other, ended_on__isnull=True).exists()
    told = Notification.objects.filter(recipient=manager)
    assert told.filter(subject__contains="shielded").exists(), list(told.values_list("subject", flat=True))


def test_a_withheld_involvement_answers_as_a_missing_one(sw: World) -> None:
    """A health practitioner not involved with a shielded child finds it by its NHS number: the record names only
    the shielding council's involvement (the fix for finding 2). But asking to end involvement ids of that child
    (GET /children/{child}/involvements/{id}/end/, or POST /api/v1/involvements/{id}/end/) answers 403 "Only the
    involved agency's practitioners can change its involvement." for the hidden police involvement and 404 for an
    id that is not the child's: ids are sequential, so counting 403s tells how many other agencies are involved
    with the shielded child (and "has already ended" tells of past ones), which the shield withholds. The
    withheld involvement should be out of scope (404) as a withheld entry is."""
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9), nhs_number="4000000020")
    hidden = involvement_add(
        actor=fresh(sw.users["other_agency"]), child=child, agency=sw.other, service="Public protection"
    )
    child_shield(actor=fresh(sw.users["practitioner"]), child=child, agency=sw.home, reason="Fled domestic abuse")
    nurse = sign_in(Client(), _third_agency_nurse(sw))
    found = nurse.post(
        "/api/v1/children/search/", data={"nhs_number": "4000000020"}, content_type="application/json", **H
    ).json()["results"]
    assert [row["id"] for row in found] == [child.pk] and found[0]["agencies"] == [sw.home.name]
    missing = nurse.get(f"/children/{child.pk}/involvements/999999/end/")
    page = nurse.get(f"/children/{child.pk}/involvements/{hidden.pk}/end/")
    api = nurse.post(f"/api/v1/involvements/{hidden.pk}/end/", data={"reason": "x"}, content_type="application/json")
    assert (missing.status_code, page.status_code, api.status_code) == (404, 404, 404)
    assert Child.objects.get(pk=child.pk).is_shielded


def test_a_date_of_birth_with_one_letter_is_refused_like_a_date_of_birth_alone(sw: World) -> None:
    """A police officer searches the index by a date of birth alone and is refused ("A date of birth alone would
    list many children", the fix in ca0e3c0). They add one letter as the name: {"born_on": "2012-09-09",
    "name": "Z"} answers 200 with every child born that day whose given or family name begins with Z, and "Q"
    finds the same child by its family initial. So the 26 letters (within the 30 a minute the pace allows) list
    every child born on that day, which is the fishing search the refusal exists to stop (ContactPoint searched
    on specific identifiers); an initial with no whole name adds nothing to the date."""
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9))
    police = sign_in(Client(), sw.users["other_agency"])
    alone = police.post(
        "/api/v1/children/search/", data={"born_on": "2012-09-09"}, content_type="application/json", **H
    )
    assert alone.status_code == 400 and "born_on" in alone.json()["error"]["fields"]
    initial = police.post(
        "/api/v1/children/search/", data={"born_on": "2012-09-09", "name": "Z"}, content_type="application/json", **H
    )
    found = [row["id"] for row in initial.json().get("results", [])] if initial.status_code == 200 else []
    assert initial.status_code == 400 and child.pk not in found, (initial.status_code, found)


def test_a_date_of_birth_corrected_after_the_childs_entries_is_refused(sw: World) -> None:
    """A practitioner records a home visit on 1 June 2015 for a child born on 2 April 2015, then corrects the
    date of birth to 1 January 2016 through PATCH /api/v1/children/{id}/: 200. The record now holds a contact
    seven months before the child was born, which the fix of finding 7 (entry dates not before birth, bar
    pre-birth child protection work) refuses when the entry is recorded or corrected: the same fact reached by
    the other door. The change of date of birth should be refused (naming the entries it would put before
    birth), or the entries' dates corrected first."""
    child = make_child(sw, "Zara", "Quinn", born_on=date(2015, 4, 2))
    entry_record(
        actor=fresh(sw.users["practitioner"]),
        child=child,
        agency=sw.home,
        category="contact",
        fields={"contact_type": "home_visit", "contact_date": "2015-06-01"},
        text="Visited at home",
        basis="fact",
    )
    reader = sign_in(Client(), sw.users["practitioner"])
    answer = reader.patch(
        f"/api/v1/children/{child.pk}/", data={"born_on": "2016-01-01"}, content_type="application/json", **H
    )
    assert answer.status_code == 400, answer.content[:300]
    assert Child.objects.get(pk=child.pk).born_on == date(2015, 4, 2)


def test_a_legal_name_changed_to_a_known_as_name_leaves_no_alias_equal_to_it(sw: World) -> None:
    """A child recorded as Zara Quinn, known as Zed Quinn, changes its name to Zed Quinn (PATCH with
    name_change "change"): 200, and the record now lists Zed Quinn twice, as its legal name and as a name it is
    known by. The fix of finding 10 refuses exactly that when the alias is added (rules.alias_repeat_error: "This
    is the child's legal name: a previous name or a name the child is known by is another name") and removes a
    previous name equal to the new legal name, but not a known-as one: the same repeated name, reached through
    the other door (a change of the legal name)."""
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9), aliases=[("known_as", "Zed", "Quinn")])
    reader = sign_in(Client(), sw.users["practitioner"])
    answer = reader.patch(
        f"/api/v1/children/{child.pk}/",
        data={"given": "Zed", "name_change": "change"},
        content_type="application/json",
        **H,
    )
    assert answer.status_code in (200, 400)
    names = list(ChildName.objects.filter(child=child).values_list("kind", "given", "family"))
    legal = [(given, family) for kind, given, family in names if kind == "legal"]
    aliases = [(given, family) for kind, given, family in names if kind != "legal"]
    assert not set(legal) & set(aliases), names


def test_a_wrong_registration_category_is_refused_on_its_own_field(sw: World) -> None:
    """A system records a child-protection registration through the API with its structured field `category`
    sent wrong ({"fields": {"registered_on": ..., "category": ["neglect"]}}): the 400 names the field
    `category`, the entry's own category (which was right), not `fields.category`. Every other structured field's
    message is named `fields.<name>` (the API's documented convention, and what the page maps to its `f_<name>`
    inputs): the entry service renames every structured field's error except one called "category", so the one
    structured field of that name is reported against the wrong input, and a client corrects the wrong value."""
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9))
    reader = sign_in(Client(), sw.users["practitioner"])
    answer = reader.post(
        f"/api/v1/children/{child.pk}/entries/",
        data={
            "agency": sw.home.pk,
            "category": "cp_registration",
            "fields": {"registered_on": "2012-09-10", "category": "not_a_category"},
            "basis": "fact",
        },
        content_type="application/json",
        **H,
    )
    assert answer.status_code == 400
    assert set(answer.json()["error"]["fields"]) == {"fields.category"}, answer.json()
