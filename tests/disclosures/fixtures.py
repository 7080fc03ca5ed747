"""Disclosures test data, built through the services: the sharing World (home = children's social care, holding the
information; other = a police force), plus a school that signed the same protocol, with a practitioner who asks
and an unnamed colleague; a child recorded by children's social care with a case note; and requests made,
answered and approved through disclosures.services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from agencies.models import Agency, AgencyKind, Role, User
from agencies.services import agency_update
from disclosures.models import Disclosure, InformationRequest
from disclosures.services import DecisionInput, request_answer_share, request_submit
from sharing.models import Child, RecordEntry
from sharing.services import entry_record
from tests.factories import SYSTEM, World, make_agency, make_user
from tests.protocol_fixtures import complete_checklist, protocol_in_force, sign
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world, train

HARM = DecisionInput(
    is_confidential=True,
    public_interest="The child's safety outweighs the parent's wish for confidentiality.",
    proportionality="Only the case note about the disclosure at home is needed.",
    why_shared="The school must know to keep the child safe during the day.",
    why_without_consent="The parent refused; asking again would put the child at risk of significant harm.",
)


def school_world(world: World) -> World:
    """The sharing World plus Hill School (signed, ICO in force): `school` asks, `school_colleague` is not named."""
    if "school" in world.objects:
        return world
    sharing_world(world)
    protocol = protocol_in_force(world)
    school: Agency = make_agency("Hill School", kind=AgencyKind.SCHOOL)
    agency_update(
        actor=SYSTEM, agency=school, ico_registration_number="ZA100009",
        ico_registration_expires_on=timezone.localdate() + timedelta(days=300),
    )  # fmt: skip
    complete_checklist(school)
    sign(protocol, school)
    for role, name in (("school", "Sam Teacher"), ("school_colleague", "Cal Colleague")):
        world.users[role] = make_user(name=name, agency=school, roles=[Role.PRACTITIONER])
        train(world.users[role])
    world.users["second_manager"] = make_user(name="Dan Deputy", agency=world.home, roles=[Role.DESIGNATED_MANAGER])
    train(world.users["second_manager"])
    world.objects["school"] = school
    return world


def school_of(world: World) -> Agency:
    agency: Agency = school_world(world).objects["school"]
    return agency


@dataclass
class Case:
    world: World
    child: Child
    entry: RecordEntry

    def user(self, role: str) -> User:
        return fresh(self.world.users[role])


def case(world: World, **child: Any) -> Case:
    """A child recorded by children's social care (home), with a case note of its own."""
    school_world(world)
    kid = make_child(world, **child)
    entry = entry_record(
        actor=fresh(world.users["practitioner"]), child=kid, agency=world.home, category="case_note", fields={},
        text="Mother's partner threatened the child.", basis="fact",
    )  # fmt: skip
    return Case(world, kid, entry)


def submit(made: Case, *, by: str = "school", **values: Any) -> InformationRequest:
    """The school asks children's social care for the minimum data and the case notes, the parent having refused
    consent, overridden on significant harm."""
    values.setdefault("holding_agency", made.world.home)
    values.setdefault("purpose", PURPOSE)
    values.setdefault("tiers", ["minimum", "sensitive"])
    values.setdefault("categories", ["case_note"])
    values.setdefault("need_to_know", "The child said at school they are frightened to go home.")
    values.setdefault("consent_basis", "refused")
    values.setdefault("override_ground", "significant_harm")
    return request_submit(actor=made.user(by), child=made.child, **values)


def answer(made: Case, request: InformationRequest, *, by: str = "practitioner", **values: Any) -> Any:
    values.setdefault("entries", [made.entry])
    values.setdefault("legal_basis", "significant_harm")
    values.setdefault("decision", HARM)
    values.setdefault("subject_told", "not_safe")
    values.setdefault("subject_not_told_reason", "Telling the parent would put the child at risk.")
    return request_answer_share(actor=made.user(by), request=request, **values)


def refreshed(request: InformationRequest) -> InformationRequest:
    return InformationRequest.objects.get(pk=request.pk)


def disclosure_of(request: InformationRequest) -> Disclosure:
    return Disclosure.objects.get(request_id=request.pk)


__all__ = ["PURPOSE", "Case", "answer", "case", "disclosure_of", "refreshed", "school_of", "school_world", "submit"]
