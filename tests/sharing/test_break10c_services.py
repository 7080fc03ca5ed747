"""The services behind break10c findings 6 and 7 (issue 10), beyond the refusals the findings show: what is
allowed still works, is audited and is told."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from agencies.models import Role
from audit.models import AuditEvent
from isp_portal.models import Notification
from sharing.models import Child, RecordEntry
from sharing.policy import AREA_CHANGE_REFUSAL
from sharing.services import child_update, entry_record, entry_revise, involvement_add, minimum_data_of
from tests.factories import World, area_code, make_agency, make_user
from tests.sharing.fixtures import fresh, make_child, sharing_world, train

pytestmark = pytest.mark.django_db


@pytest.fixture
def sw(world: World) -> World:
    return sharing_world(world)


def test_the_childs_area_is_moved_from_its_current_area_audited_and_told(sw: World) -> None:
    make_agency("Eastvale Council", area="Eastvale")  # the area exists
    east = area_code("Eastvale")
    north = area_code("Northbridge")
    manager = make_user(name="Oli Manager", agency=sw.other, roles=[Role.DESIGNATED_MANAGER])
    train(manager)
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9))
    involvement_add(actor=fresh(sw.users["other_agency"]), child=child, agency=sw.other, service="Public protection")
    moved = child_update(actor=fresh(sw.users["practitioner"]), child=child, data=minimum_data_of(child, area=east))
    assert moved.area_id == east
    event = AuditEvent.objects.filter(kind="child.update", child_id=child.pk).latest("id")
    assert event.detail["before"] == {"area": north} and event.detail["after"] == {"area": east}
    told = Notification.objects.filter(key__startswith=f"child-area:{child.pk}:")
    assert set(told.values_list("recipient_id", flat=True)) == {manager.pk}  # not the changer's own agency
    # Now the home agency is not in the child's area: it may not move the child back into its own.
    with pytest.raises(ValidationError) as refused:
        child_update(actor=fresh(sw.users["practitioner"]), child=moved, data=minimum_data_of(moved, area=north))
    assert refused.value.message_dict["area"] == [AREA_CHANGE_REFUSAL]


def test_the_restricted_mark_is_kept_unless_lifted_explicitly_and_the_lifting_is_audited(sw: World) -> None:
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9))
    author = sw.users["restricted"]
    fields = {"person_name": "Vicky Victim", "relationship": "parent", "concern_indicator": True}
    entry = entry_record(
        actor=fresh(author),
        child=child,
        agency=sw.home,
        category="family_relationship",
        fields=fields,
        text="x",
        basis="fact",
        restricted=True,
    )
    entry_revise(actor=fresh(author), entry=entry, fields=fields, text="y", basis="fact", reason="Typo")
    assert RecordEntry.objects.get(pk=entry.pk).is_restricted
    entry_revise(
        actor=fresh(author), entry=entry, fields=fields, text="z", basis="fact", restricted=False, reason="Not needed"
    )
    assert not RecordEntry.objects.get(pk=entry.pk).is_restricted
    event = AuditEvent.objects.filter(kind="entry.revise", object_id=str(entry.pk)).latest("id")
    assert event.detail["restricted_mark"] == "lifted" and event.detail["restricted_before"] is True


def test_a_schedule_one_indicator_stays_restricted_whatever_the_revision_says(sw: World) -> None:
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9))
    author = sw.users["restricted"]
    entry = entry_record(
        actor=fresh(author),
        child=child,
        agency=sw.home,
        category="schedule_one",
        fields={"indicated": True},
        basis="fact",
    )
    entry_revise(
        actor=fresh(author), entry=entry, fields={"indicated": True}, basis="fact", restricted=False, reason="Tidy"
    )
    assert RecordEntry.objects.get(pk=entry.pk).is_restricted


def test_the_area_change_page_refuses_a_move_by_an_agency_outside_the_childs_area_naming_the_rule(sw: World) -> None:
    """The page applies the service's rule, as the API does (break10c finding 7)."""
    from tests.matrix import client_as

    make_agency("Eastvale Council", area="Eastvale")
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9))
    child_update(
        actor=fresh(sw.users["practitioner"]), child=child, data=minimum_data_of(child, area=area_code("Eastvale"))
    )
    page = client_as(sw, "practitioner").post(f"/children/{child.pk}/change/area/", {"area": area_code("Northbridge")})
    assert page.status_code == 200
    assert "current area can change its area" in page.content.decode().replace("\n", " ")
    assert Child.objects.get(pk=child.pk).area_id == area_code("Eastvale")
