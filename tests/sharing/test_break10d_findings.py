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
from sharing.models import Child, ChildAddress, Involvement
from sharing.services import entry_record, involvement_add
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
