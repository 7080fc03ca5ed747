"""The ContactPoint shield (DESIGN 2.3) against the break10b tester's findings 1, 6, 9, 10 and 18 on issue 10: the
shielding agency controls who may reach a shielded child, so no agency gets around it by adding its own
involvement; an old or known-as name neither finds a shielded child nor is shown to those the shield keeps out;
a duplicate NHS number is an access to the child that has it; a refused look is in the child's history; and the
shield's notices go to the shielding agency's people, never about its own people nor to a machine."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from agencies.models import Membership, Role
from agencies.services import membership_update
from audit.models import AuditEvent
from isp_portal.models import Notification
from isp_portal.policy import NotPermitted, OutOfScope, can
from sharing.models import Child, Involvement, ShieldedAccess
from sharing.selectors import child_record, child_search
from sharing.services import child_update, entry_record, involvement_add, minimum_data_of
from tests.factories import SYSTEM, World, make_api_token, make_user, sign_in
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world, train

pytestmark = pytest.mark.django_db

SHIELDED_NHS = "4000000020"


@pytest.fixture
def sw(world: World) -> World:
    return sharing_world(world)


def shielded_child(world: World, **values: object) -> Child:
    """Zara Quinn, shielded by the home agency (the practitioner's, involved)."""
    return make_child(world, "Zara", "Quinn", born_on=date(2012, 9, 9), shielded=True, **values)  # type: ignore[arg-type]


def reach_exactly(world: World, child: Child, who: str = "other_agency") -> None:
    found = child_search(principal=fresh(world.users[who]), purpose=PURPOSE, name="Zara Quinn", born_on=child.born_on)
    assert [result.child_id for result in found.results] == [child.pk]


def told(world: World, who: str) -> list[str]:
    return list(Notification.objects.filter(recipient=world.users[who]).values_list("subject", flat=True))


# --- Finding 1: an involvement does not get another agency around the shield ------------------------------------


def test_another_agency_cannot_add_its_involvement_to_a_shielded_child(sw: World) -> None:
    child = shielded_child(sw)
    reach_exactly(sw, child)
    police = fresh(sw.users["other_agency"])
    assert not can(police, "add_involvement", child)
    with pytest.raises(NotPermitted) as refused:
        involvement_add(actor=police, child=child, agency=sw.other, service="Public protection")
    # Reached on the exact terms: told whom to contact, by name.
    assert sw.home.name in refused.value.reason and "shielded" in refused.value.reason
    assert not Involvement.objects.filter(child=child, agency=sw.other).exists()
    record = child_record(principal=fresh(sw.users["other_agency"]), child_id=child.pk, purpose=PURPOSE)
    assert record.setting_withheld and record.current_address is None


def test_a_shielded_childs_involvement_pages_and_api_refuse_another_agency(sw: World) -> None:
    child = shielded_child(sw)
    reach_exactly(sw, child)
    client = sign_in(Client(), sw.users["other_agency"])
    client.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE})
    page = client.get(f"/children/{child.pk}/").content.decode()
    assert "Add your agency" not in page
    form = client.get(f"/children/{child.pk}/involvements/new/")
    assert form.status_code == 403 and "Home Council" in form.content.decode()
    sent = client.post(f"/children/{child.pk}/involvements/new/", {"service": "Public protection"})
    assert sent.status_code == 403
    api = client.post(
        f"/api/v1/children/{child.pk}/involvements/",
        data={"agency": sw.other.pk, "service": "Public protection"},
        content_type="application/json",
        HTTP_X_PURPOSE=PURPOSE,
    )
    assert api.status_code == 403, api.content
    assert not Involvement.objects.filter(child=child, agency=sw.other).exists()
    # Having failed to add an involvement, the details still cannot be changed.
    assert client.get(f"/children/{child.pk}/address/").status_code == 403


def test_a_member_of_both_agencies_adds_only_the_shielding_agencys_involvement(sw: World) -> None:
    child = shielded_child(sw)
    both = make_user(name="Bo Both", agency=sw.home, roles=[Role.PRACTITIONER])
    Membership.objects.create(user=both, agency=sw.other, roles=[Role.PRACTITIONER.value], is_active=True)
    train(both)
    with pytest.raises(NotPermitted):
        involvement_add(actor=fresh(both), child=child, agency=sw.other, service="Public protection")
    added = involvement_add(actor=fresh(both), child=child, agency=sw.home, service="Early help")
    assert added.agency_id == sw.home.pk


def test_the_shielding_agency_is_told_of_every_involvement_added_to_its_shielded_child(sw: World) -> None:
    child = shielded_child(sw)
    before = told(sw, "designated_manager")
    involvement_add(actor=fresh(sw.users["practitioner"]), child=child, agency=sw.home, service="Early help")
    after = told(sw, "designated_manager")
    assert len(after) == len(before) + 1 and "involvement" in after[-1]
    # The one who added it is not told of their own act.
    assert not any("involvement" in subject for subject in told(sw, "practitioner"))


def test_an_unshielded_child_still_takes_any_agencys_involvement(sw: World) -> None:
    child = make_child(sw)
    involvement_add(actor=fresh(sw.users["other_agency"]), child=child, agency=sw.other, service="Public protection")
    assert can(fresh(sw.users["other_agency"]), "change", child)


# --- Finding 6: old and known-as names ------------------------------------------------------------------------


def test_a_shielded_child_is_not_found_by_a_previous_or_known_as_name(sw: World) -> None:
    child = shielded_child(sw, aliases=[("previous", "Zara", "Brackenbury"), ("known_as", "Zee", "Quinn")])
    police = fresh(sw.users["other_agency"])
    for name in ("Zara Brackenbury", "Zee Quinn"):
        found = child_search(principal=police, purpose=PURPOSE, name=name, born_on=child.born_on)
        assert found.results == [], name
    reach_exactly(sw, child)  # its current legal name still finds it


def test_readers_the_shield_keeps_out_see_no_other_names(sw: World) -> None:
    child = shielded_child(sw, aliases=[("previous", "Zara", "Brackenbury")])
    reach_exactly(sw, child)
    theirs = child_record(principal=fresh(sw.users["other_agency"]), child_id=child.pk, purpose=PURPOSE)
    assert theirs.other_names == []
    ours = child_record(principal=fresh(sw.users["practitioner"]), child_id=child.pk, purpose=PURPOSE)
    assert [name.family for name in ours.other_names] == ["Brackenbury"]
    client = sign_in(Client(), sw.users["other_agency"])
    api = client.get(f"/api/v1/children/{child.pk}/", HTTP_X_PURPOSE=PURPOSE).json()
    assert "Brackenbury" not in str(api)
    client.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE})
    assert "Brackenbury" not in client.get(f"/children/{child.pk}/").content.decode()


def test_an_unshielded_child_is_still_found_by_its_previous_name(sw: World) -> None:
    child = make_child(sw, "Mary", "Kelly", aliases=[("previous", "Mary", "Brackenbury")])
    found = child_search(principal=fresh(sw.users["other_agency"]), purpose=PURPOSE, name="Mary Brackenbury")
    assert [result.child_id for result in found.results] == [child.pk]


# --- Finding 9: a duplicate NHS number is an access to the shielded child that has it ---------------------------


def test_an_nhs_number_of_a_shielded_child_is_recorded_as_reaching_it(sw: World) -> None:
    shielded = shielded_child(sw, nhs_number=SHIELDED_NHS)
    mine = make_child(
        sw, "Olly", "Example", by="other_agency", agency=sw.other, born_on=date(2016, 1, 1), postcode="E1 6AN"
    )
    police = fresh(sw.users["other_agency"])
    with pytest.raises(ValidationError) as refused:
        child_update(actor=police, child=mine, data=minimum_data_of(mine, nhs_number=SHIELDED_NHS))
    # The same words as for any child: nothing says it is shielded.
    assert "shield" not in str(refused.value).lower()
    event = AuditEvent.objects.get(kind="child.nhs_number_match")
    assert event.child_id == shielded.pk and event.detail["changing_child_id"] == mine.pk
    assert ShieldedAccess.objects.filter(child=shielded, user=police).exists()
    assert any("shielded child" in subject for subject in told(sw, "designated_manager"))
    mine.refresh_from_db()
    assert mine.nhs_number != SHIELDED_NHS


def test_an_nhs_number_of_an_unshielded_child_is_refused_as_before(sw: World) -> None:
    make_child(sw, "Ann", "Other", nhs_number=SHIELDED_NHS)
    mine = make_child(
        sw, "Olly", "Example", by="other_agency", agency=sw.other, born_on=date(2016, 1, 1), postcode="E1 6AN"
    )
    with pytest.raises(ValidationError):
        child_update(
            actor=fresh(sw.users["other_agency"]), child=mine, data=minimum_data_of(mine, nhs_number=SHIELDED_NHS)
        )
    assert not AuditEvent.objects.filter(kind="child.nhs_number_match").exists()


# --- Finding 10: a refused look at a shielded child is in its history ------------------------------------------


def test_refused_looks_at_a_shielded_child_carry_its_id(sw: World) -> None:
    child = shielded_child(sw)
    entry = entry_record(
        actor=fresh(sw.users["practitioner"]),
        child=child,
        agency=sw.home,
        category="case_note",
        fields={},
        text="x",
        basis="fact",
    )
    involvement = Involvement.objects.get(child=child)
    client = sign_in(Client(), sw.users["other_agency"])
    client.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE})
    for address in (
        f"/children/{child.pk}/",
        f"/api/v1/children/{child.pk}/",
        f"/children/{child.pk}/entries/{entry.pk}/",
        f"/api/v1/entries/{entry.pk}/",
    ):
        before = AuditEvent.objects.filter(kind="access.denied", child_id=child.pk).count()
        assert client.get(address, HTTP_X_PURPOSE=PURPOSE).status_code == 404, address
        assert AuditEvent.objects.filter(kind="access.denied", child_id=child.pk).count() == before + 1, address
    for address in (f"/children/{child.pk}/involvements/{involvement.pk}/end/",):
        assert client.get(address).status_code == 404
    ended = client.post(f"/api/v1/involvements/{involvement.pk}/end/", data={"reason": "x"}, HTTP_X_PURPOSE=PURPOSE)
    assert ended.status_code == 404
    # The purpose asked first, two pages, two reads of the API, two involvement routes: seven refusals.
    assert AuditEvent.objects.filter(kind="access.denied", child_id=child.pk).count() == 7
    # A missing id concerns no child.
    assert client.get("/api/v1/children/999999/", HTTP_X_PURPOSE=PURPOSE).status_code == 404
    assert AuditEvent.objects.filter(kind="access.denied", object_id="999999", child_id__isnull=True).exists()


# --- Finding 18: who is told ------------------------------------------------------------------------------------


def test_the_shield_notices_go_to_people_of_another_agency_only(sw: World) -> None:
    token, _ = make_api_token(sw.home, ["register:read"])
    machine = token.user
    membership_update(
        actor=SYSTEM, membership=Membership.objects.get(user=machine), roles=[Role.DESIGNATED_MANAGER.value]
    )
    child = shielded_child(sw)
    # The shielding agency's own people reaching its child: nobody is told.
    reach_exactly(sw, child, who="practitioner")
    assert not told(sw, "designated_manager")
    # Another agency's practitioner: its people are told, never its machine account.
    reach_exactly(sw, child)
    assert told(sw, "designated_manager")
    assert not Notification.objects.filter(recipient=machine).exists()
    with pytest.raises(OutOfScope):
        child_record(principal=fresh(sw.users["unsigned"]), child_id=child.pk, purpose=PURPOSE)
