"""The world of issue 13 (docs/after-disclosure-design.md 10), built through the services: home = children's social
care, the originator, with a case note disclosed to Hill School; a health visiting service (Eastvale Health
Visiting) that signed the same protocol, to which the school may pass it on; `other_agency` = the police force,
party to nothing. Each agency names line managers, a head of service and a Caldicott guardian or DPO, so both
stages of a dispute have someone to go to (Southampton 13).

The onward disclosure itself (school -> health visitor, with the council's agreement) is added here by WP2, through
its services (`onward_request_submit`, `onward_request_agree`, `onward_request_disclose`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from agencies.models import Agency, AgencyKind, Membership, Role, User
from agencies.services import agency_update, membership_update
from disclosures.models import Disclosure, InformationRequest
from disclosures.services import request_approve
from tests.disclosures.fixtures import Case, answer, case, disclosure_of, school_world, submit
from tests.factories import SYSTEM, World, make_agency, make_user
from tests.protocol_fixtures import complete_checklist, protocol_in_force, sign
from tests.sharing.fixtures import fresh, train

HEALTH_NAME = "Eastvale Health Visiting"


@dataclass
class AfterWorld:
    """The issue-13 cast and the disclosure everything after it starts from."""

    world: World
    made: Case
    request: InformationRequest
    disclosure: Disclosure

    @property
    def school(self) -> Agency:
        agency: Agency = self.world.objects["school"]
        return agency

    @property
    def health(self) -> Agency:
        agency: Agency = self.world.objects["health"]
        return agency

    def user(self, role: str) -> User:
        return fresh(self.world.users[role])


def _flags(user: User, agency: Agency | None, **flags: object) -> None:
    membership = Membership.objects.get(user=user, agency=agency)
    membership_update(actor=SYSTEM, membership=membership, **flags)  # type: ignore[arg-type]


def health_world(world: World) -> World:
    """The school world plus Eastvale Health Visiting (signed, ICO in force) with a health visitor, their line
    manager (a designated manager and the head of service) and a DPO; and the line managers, heads of service and
    Caldicott guardians of children's social care and the school."""
    if "health" in world.objects:
        return world
    school_world(world)
    protocol = protocol_in_force(world)
    health = make_agency(HEALTH_NAME, kind=AgencyKind.HEALTH_TRUST)
    agency_update(
        actor=SYSTEM, agency=health, ico_registration_number="ZA100013",
        ico_registration_expires_on=timezone.localdate() + timedelta(days=300),
    )  # fmt: skip
    complete_checklist(health)
    sign(protocol, health)
    world.objects["health"] = health
    school: Agency = world.objects["school"]
    cast = (
        ("health_visitor", "Hana Visitor", health, [Role.PRACTITIONER]),
        ("health_manager", "Hugh Manager", health, [Role.DESIGNATED_MANAGER]),
        ("health_dpo", "Heidi Privacy", health, [Role.PRACTITIONER]),
        ("school_manager", "Sue Head", school, [Role.DESIGNATED_MANAGER]),
        ("school_guardian", "Gus Guardian", school, [Role.PRACTITIONER]),
        ("home_guardian", "Cara Guardian", world.home, [Role.PRACTITIONER]),
    )
    for role, name, agency, roles in cast:
        world.users[role] = make_user(name=name, agency=agency, roles=roles)
        train(world.users[role])
    # Southampton 13: stage 1 goes to both practitioners' line managers; stage 2 to each head of service, who takes
    # the advice of their Caldicott guardian or DPO. The council's head of service is its designated manager.
    _flags(world.users["practitioner"], world.home, line_manager=world.users["designated_manager"])
    _flags(world.users["designated_manager"], world.home, is_head_of_service=True)
    _flags(world.users["home_guardian"], world.home, is_caldicott_guardian=True)
    _flags(world.users["school"], school, line_manager=world.users["school_manager"])
    _flags(world.users["school_manager"], school, is_head_of_service=True)
    _flags(world.users["school_guardian"], school, is_caldicott_guardian=True)
    _flags(world.users["health_visitor"], health, line_manager=world.users["health_manager"])
    _flags(world.users["health_manager"], health, is_head_of_service=True)
    _flags(world.users["health_dpo"], health, is_data_protection_officer=True)
    return world


def after_world(world: World) -> AfterWorld:
    """Cached per World: the cast above, and the council's case note disclosed to Hill School on the school's
    request (the parent refused consent, overridden on significant harm: issue 12's fixtures), approved by its
    designated manager."""
    if "after" in world.objects:
        cached: AfterWorld = world.objects["after"]
        return cached
    health_world(world)
    made = case(world)
    request = submit(made)
    after = AfterWorld(world=world, made=made, request=request, disclosure=disclose(made, request))
    world.objects["after"] = after
    return after


def disclose(made: Case, request: InformationRequest | None = None) -> Disclosure:
    """The school's request (a new one unless given) answered with the case note as it is now and approved by the
    council's designated manager (the parent refused consent: Haringey 4.6 approval)."""
    request = request or submit(made)
    answer(made, request)
    request_approve(actor=made.user("designated_manager"), request=request)
    return disclosure_of(request)


__all__ = ["HEALTH_NAME", "AfterWorld", "after_world", "disclose", "health_world"]
