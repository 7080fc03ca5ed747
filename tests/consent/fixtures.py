"""Consent test data, built through the services: the sharing World (two agencies signed the protocol in force,
their people trained), children of a given age on a fixed day, and decisions recorded by the home practitioner."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from agencies.models import Agency
from consent.models import ConsentRecord
from consent.services import consent_record
from protocols.models import Protocol
from sharing.models import Child
from tests.factories import World
from tests.protocol_fixtures import protocol_in_force
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world

OTHER_PURPOSE = "Ensure that clients can be traced"
NOT_A_PURPOSE = "Selling mailing lists"


def consent_world(world: World) -> World:
    return sharing_world(world)


def protocol(world: World) -> Protocol:
    return protocol_in_force(world)


_serial = itertools.count(1)
_LETTERS = "bcdfghjklmnpqrstvwxz"


def _family(number: int) -> str:
    """A made-up family name for `number` (no two numbers give names that sound alike)."""
    letters = ""
    while True:
        number, digit = divmod(number, len(_LETTERS))
        letters += _LETTERS[digit] + "o"
        if not number:
            return "Mc" + letters.capitalize()


def child_aged(world: World, age: int, *, given: str = "Aoife", **values: Any) -> Child:
    """A child of `age` today (born `age` years and 40 days or a little more ago, a different day for each child
    so none is taken for another), recorded by the home practitioner (so home is involved with it)."""
    today = timezone.localdate()
    number = next(_serial)
    born = date(today.year - age, today.month, min(today.day, 28)) - timedelta(days=40 + number % 200)
    family = values.pop("family", _family(number))
    return make_child(consent_world(world), given, family, born_on=born, **values)


def record(world: World, child: Child, *, by: str = "practitioner", **values: Any) -> ConsentRecord:
    """A decision about `child`, by default the child's own consent to share the minimum data with the other
    agency for PURPOSE, obtained today, explicit in writing."""
    today = timezone.localdate()
    values.setdefault("given_by", "child")
    values.setdefault("form", "explicit_written")
    values.setdefault("decision", "given")
    values.setdefault("purposes", [PURPOSE])
    values.setdefault("tiers", ["minimum"])
    values.setdefault("obtained_on", today)
    if not values.get("all_signatories"):
        values.setdefault("recipients", [world.other])
    return consent_record(actor=fresh(world.users[by]), child=child, protocol=protocol(world), **values)


def assessed(outcome: str = "competent", on: date | None = None) -> dict[str, Any]:
    return {
        "competence": outcome,
        "assessed_on": on or timezone.localdate(),
        "assessor_name": "Sam Social-Worker",
    }


def parent(relationship: str = "Mother", name: str = "Mary OBrien", **values: Any) -> dict[str, Any]:
    return {"given_by": "parent", "parent_name": name, "parent_relationship": relationship, **values}


def other_agency(world: World) -> Agency:
    return world.other
