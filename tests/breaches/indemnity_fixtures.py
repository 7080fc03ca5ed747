"""Indemnity notices built through their services (Haringey 11.1; issue 14). The World's protocol is signed by home
(a local authority: the Council), the other agency (the police) and, here, a school; each of the latter two gets a
designated manager who speaks for it."""

from __future__ import annotations

from typing import Any

from agencies.models import Agency, AgencyKind, Role, User
from breaches.models import IndemnityNotice
from breaches.services.indemnity import indemnity_notice_send
from tests.factories import World, make_agency, make_user
from tests.protocol_fixtures import complete_checklist, protocol_in_force, sign

DETAILS = "A parent claims damages: the school's record was passed on without the lawful basis the protocol requires."


def school(world: World) -> Agency:
    """A third partner (a school) that signed the World's protocol, with a designated manager (made once)."""
    if "indemnity_school" not in world.objects:
        protocol = protocol_in_force(world)
        found = make_agency("Third Street School", kind=AgencyKind.SCHOOL)
        complete_checklist(found)
        sign(protocol, found)
        world.objects["indemnity_school"] = found
        world.objects["indemnity_school_manager"] = make_user(
            name="Sam School", agency=found, roles=[Role.DESIGNATED_MANAGER]
        )
    agency: Agency = world.objects["indemnity_school"]
    return agency


def police_manager(world: World) -> User:
    """The other agency's designated manager (made once)."""
    if "police_manager" not in world.objects:
        world.objects["police_manager"] = make_user(
            name="Pete Police", agency=world.other, roles=[Role.DESIGNATED_MANAGER]
        )
    user: User = world.objects["police_manager"]
    return user


def sent_notice(world: World, *, by: Any = None, to: Agency | None = None, **kwargs: Any) -> IndemnityNotice:
    """A notice sent under the World's protocol: by home's designated manager to the other agency unless told."""
    protocol = protocol_in_force(world)
    return indemnity_notice_send(
        actor=by or world.users["designated_manager"],
        protocol=protocol,
        contributor_agency=to or world.other,
        details=kwargs.pop("details", DETAILS),
        **kwargs,
    )


def notice_to_home(world: World) -> IndemnityNotice:
    """The police tells home (the Council itself, so nobody else is told) of a claim home may contribute to."""
    return sent_notice(world, by=police_manager(world), to=world.home)
