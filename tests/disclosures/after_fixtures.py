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
from typing import Any

from django.utils import timezone

from agencies.models import Agency, AgencyKind, Membership, Role, User
from agencies.services import agency_update, membership_update
from disclosures.models import Disclosure, InformationRequest, OnwardRequest
from disclosures.services import request_approve
from disclosures.services.onward import onward_request_agree, onward_request_disclose, onward_request_submit
from tests.disclosures.fixtures import Case, answer, case, disclosure_of, school_world, submit
from tests.factories import SYSTEM, World, make_agency, make_user
from tests.protocol_fixtures import complete_checklist, protocol_in_force, sign
from tests.sharing.fixtures import PURPOSE, fresh, train

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


def onward_submit(
    after: AfterWorld, *, by: str = "school", parent: Disclosure | None = None, **values: Any
) -> OnwardRequest:
    """The school asks the council to agree to pass its case note on to the health visiting service (the parent
    refused consent, overridden on significant harm, as for the school's own request)."""
    parent = parent or after.disclosure
    values.setdefault("entries", [after.made.entry])
    values.setdefault("to_agency", after.health)
    values.setdefault("purpose", PURPOSE)
    values.setdefault("tiers", ["sensitive"])
    values.setdefault("categories", ["case_note"])
    values.setdefault("need_to_know", "The health visitor sees the child at home each week.")
    values.setdefault("consent_basis", "refused")
    values.setdefault("override_ground", "significant_harm")
    values.setdefault("legal_basis", "significant_harm")
    return onward_request_submit(actor=after.user(by), parent=parent, **values)


def onward_disclose(after: AfterWorld, onward: OnwardRequest, *, by: str = "school", **values: Any) -> Disclosure:
    """The school passes the agreed case note on to the health visitor."""
    values.setdefault("recipients", [after.user("health_visitor")])
    values.setdefault("subject_told", "not_safe")
    values.setdefault("subject_not_told_reason", "Telling the parent would put the child at risk.")
    values.setdefault("why_shared", "The health visitor must know to keep the child safe at home.")
    values.setdefault("proportionality", "Only the case note about the threat is passed on.")
    values.setdefault("public_interest", "The child's safety outweighs the parent's wish for confidentiality.")
    values.setdefault("why_without_consent", "The parent refused; asking again would put the child at risk.")
    return onward_request_disclose(actor=after.user(by), onward=onward, **values)


def passed_on(after: AfterWorld) -> Disclosure:
    """Cached per World: the case note passed on from the school to the health visitor with the council's designated
    manager's agreement (Southampton 10)."""
    if "passed_on" in after.world.objects:
        cached: Disclosure = after.world.objects["passed_on"]
        return cached
    onward = onward_submit(after)
    onward = onward_request_agree(actor=after.user("designated_manager"), onward=onward)
    made = onward_disclose(after, onward)
    after.world.objects["passed_on"] = made
    return made


def staffed_agency(world: World, name: str, key: str, kind: str = AgencyKind.VOLUNTARY) -> Agency:
    """A new agency signed to the world's protocol (checklist complete, ICO in force) with a trained practitioner
    `world.users[key]`: somewhere to pass information on to (benchmarks/after_disclosure.py builds its trees so)."""
    agency = make_agency(name, kind=kind)
    agency_update(
        actor=SYSTEM, agency=agency, ico_registration_number=f"ZB{agency.pk:06d}",
        ico_registration_expires_on=timezone.localdate() + timedelta(days=300),
    )  # fmt: skip
    complete_checklist(agency)
    sign(protocol_in_force(world), agency)
    world.users[key] = make_user(name=f"{name} Practitioner", agency=agency, roles=[Role.PRACTITIONER])
    train(world.users[key])
    return agency


def pass_on(after: AfterWorld, *, by: str, parent: Disclosure, entry: Any, to_agency: Agency, to: str) -> Disclosure:
    """`by` (a named recipient of `parent`) passes `entry` on to `to` of `to_agency`, with the council's designated
    manager's agreement (Southampton 10)."""
    onward = onward_submit(after, by=by, parent=parent, entries=[entry], to_agency=to_agency)
    onward = onward_request_agree(actor=after.user("designated_manager"), onward=onward)
    return onward_disclose(after, onward, by=by, recipients=[after.user(to)])


__all__ = [
    "HEALTH_NAME", "AfterWorld", "after_world", "disclose", "health_world", "onward_disclose", "onward_submit",
    "pass_on", "passed_on", "staffed_agency",
]  # fmt: skip
