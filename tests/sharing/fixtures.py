"""Sharing test data, built through the services: the World's two agencies able to share (ICO registration in
force, both signed the protocol in force), their people trained, an authorised social worker, a practitioner of
an agency that has not signed, and children made by child_create."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from agencies.models import Agency, AgencyKind, Membership, Role, TrainingCourse, User
from agencies.services import agency_update, membership_update, training_record_create
from sharing.models import Child
from sharing.services import MinimumData, child_create
from tests.factories import SYSTEM, World, area_code, make_agency, make_user
from tests.protocol_fixtures import protocol_in_force

PURPOSE = "Ensure that children and young people are adequately safeguarded"


def train(user: User) -> None:
    course = TrainingCourse.objects.filter(is_information_sharing=True).order_by("pk").first()
    assert course is not None
    training_record_create(actor=SYSTEM, user=user, course=course, completed_on=timezone.localdate())


def sharing_world(world: World) -> World:
    """Cached per World: both agencies may share, everyone in them trained; adds `restricted` (a home
    practitioner authorised for restricted information), `untrained` (home) and `unsigned` (another agency)."""
    if "sharing" in world.objects:
        return world
    protocol_in_force(world)
    expires = timezone.localdate() + timedelta(days=300)
    for agency, number in ((world.home, "ZA100001"), (world.other, "ZA100002")):
        agency_update(actor=SYSTEM, agency=agency, ico_registration_number=number, ico_registration_expires_on=expires)
    restricted = make_user(name="Rita Restricted", agency=world.home, roles=[Role.PRACTITIONER])
    membership_update(actor=SYSTEM, membership=Membership.objects.get(user=restricted), authorised_for_restricted=True)
    world.users["restricted"] = restricted
    world.users["untrained"] = make_user(name="Una Untrained", agency=world.home, roles=[Role.PRACTITIONER])
    unsigned: Agency = make_agency("Unsigned Academy", kind=AgencyKind.SCHOOL)
    agency_update(
        actor=SYSTEM, agency=unsigned, ico_registration_number="ZA100003", ico_registration_expires_on=expires
    )
    world.users["unsigned"] = make_user(name="Uma Unsigned", agency=unsigned, roles=[Role.PRACTITIONER])
    # A partnership admin searches the index to merge duplicates, so is trained like everyone who opens a record.
    for role in (
        "practitioner",
        "designated_manager",
        "other_agency",
        "restricted",
        "unsigned",
        "agency_admin",
        "partnership_admin",
    ):
        train(world.users[role])
    world.objects["sharing"] = True
    return world


def fresh(user: User) -> User:
    """The same user without the request's cached principal, training and signatures."""
    return User.objects.get(pk=user.pk)


def make_child(
    world: World,
    given: str = "Aoife",
    family: str = "O’Brien",
    *,
    born_on: date = date(2015, 4, 2),
    by: str = "practitioner",
    agency: Agency | None = None,
    considered: Any = (),
    **values: Any,
) -> Child:
    address = values.pop("address", "1 Test Street, Northbridge")
    postcode = values.pop("postcode", "N1 9GU")
    aliases = values.pop("aliases", ())
    shielded = values.pop("shielded", False)
    service = values.pop("service", "Children's social care")
    values["area"] = area_code(values.get("area", "Northbridge"))
    return child_create(
        actor=fresh(world.users[by]),
        agency=agency or world.home,
        given=given,
        family=family,
        data=MinimumData(born_on=born_on, **values),
        service=service,
        address=address,
        postcode=postcode,
        aliases=aliases,
        shielded=shielded,
        considered=considered,
    )


def counts_retaken() -> None:
    """The aggregate tier reads the day's snapshot of the counts (break11d finding 1: sharing.services.snapshots),
    taken once a day. A test that changes the index and reads the counts again, as on the next day, drops the
    snapshot so that the next read takes it afresh from the live counts."""
    from sharing.models import AggregateSnapshot

    AggregateSnapshot.objects.all().delete()
