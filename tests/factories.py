"""Test data, built through the services so that rules, constraints and audit all run.

`World` is the fixed cast every permission and journey test uses: one user per role in a "home" agency,
the partnership roles, and a practitioner of another agency (Zulip's "one named user per role").
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from agencies.demo import DEMO_AREAS
from agencies.models import (
    Agency,
    AgencyKind,
    ApiToken,
    Area,
    Role,
    Sector,
    SignatoryRequirement,
    TokenScope,
    TrainingCourse,
    User,
)
from agencies.reference_data import ensure_reference_data
from agencies.rules import gss_code_normalised
from agencies.services import agency_create, api_token_create, membership_create, user_create
from isp_portal.middleware import SESSION_LAST_SEEN_AT, SESSION_SIGNED_IN_AT
from isp_portal.policy import SystemActor
from isp_portal.signin import confirmed_device, device_register

SYSTEM = SystemActor("tests")
PASSWORD = "Correct-horse-battery-staple-42"
_counter = itertools.count(1)


def totp_key_for(email: str) -> str:
    return hashlib.sha1(f"test:{email}".encode()).hexdigest()  # noqa: S324 - a test key, not a password hash


def make_agency(
    name: str | None = None,
    *,
    kind: str = AgencyKind.LOCAL_AUTHORITY,
    sector: str = Sector.STATUTORY,
    area: str | None = "Northbridge",
    parent: Agency | None = None,
) -> Agency:
    """An agency, in the area called `area` (created when missing; None: no area)."""
    return agency_create(
        actor=SYSTEM,
        name=name or f"Agency {next(_counter)}",
        kind=kind,
        sector=sector,
        area=area_named(area) if area else None,
        parent=parent,
    )


def area_named(name: str) -> Area:
    """The area called `name`: the demo's code for the demo's areas (agencies.demo.DEMO_AREAS), otherwise the
    next unused E98 code (no real area has one)."""
    found = Area.objects.filter(name=name).first()
    if found is not None:
        return found
    code = DEMO_AREAS.get(name) or f"E98{Area.objects.filter(code__startswith='E98').count() + 1:06d}"
    return Area.objects.create(code=code, name=name)


def area_code(name_or_code: str) -> str:
    """The GSS code for a test's area, given by name ("Northbridge") or already as a code; "" stays ""."""
    if not name_or_code or gss_code_normalised(name_or_code):
        return name_or_code
    return area_named(name_or_code).code


def make_user(
    *,
    name: str | None = None,
    agency: Agency | None = None,
    roles: Sequence[str] | None = None,
    password: str | None = PASSWORD,
    device: bool = True,
    **membership: Any,
) -> User:
    number = next(_counter)
    full_name = name or f"Test Person {number}"
    email = f"{full_name.lower().replace(' ', '.')}.{number}@test.example"
    user = user_create(actor=SYSTEM, email=email, full_name=full_name, password=password)
    if device:
        device_register(actor=SYSTEM, user=user, key_hex=totp_key_for(email))
    if roles:
        membership_create(actor=SYSTEM, user=user, agency=agency, roles=list(roles), **membership)
    return user


def make_api_token(
    agency: Agency,
    scopes: list[str] | tuple[str, ...] = (TokenScope.REGISTER_READ,),
    *,
    actor: Any = SYSTEM,
    name: str | None = None,
    secret: str | None = None,
    days: int = 90,
) -> tuple[ApiToken, str]:
    """An API token of `agency` with the given scopes (agencies.models.TokenScope), through the service."""
    return api_token_create(
        actor=actor,
        agency=agency,
        name=name or f"System {next(_counter)}",
        scopes=list(scopes),
        expires_at=timezone.now() + timedelta(days=days),
        secret=secret,
    )


def sign_in(client: Client, user: User) -> Client:
    """Sign a test client in as if it had passed password and two-factor."""
    client.force_login(user)
    session = client.session
    device = confirmed_device(user)
    if device is not None:
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    now = timezone.now().timestamp()
    session[SESSION_SIGNED_IN_AT] = now
    session[SESSION_LAST_SEEN_AT] = now
    session.save()
    return client


ROLES = ("practitioner", "designated_manager", "agency_admin", "partnership_admin", "auditor")


@dataclass
class World:
    home: Agency
    other: Agency
    users: dict[str, User] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)

    def user(self, role: str) -> User | None:
        return self.users.get(role)


def build_world() -> World:
    # Transactional tests empty every table, including the reference data the migrations seeded.
    ensure_reference_data(SignatoryRequirement, TrainingCourse)
    home = make_agency("Home Council Children's Services")
    other = make_agency("Other Police Force", kind=AgencyKind.POLICE)
    world = World(home=home, other=other)
    world.users["practitioner"] = make_user(name="Pat Practitioner", agency=home, roles=[Role.PRACTITIONER])
    world.users["designated_manager"] = make_user(name="Dee Manager", agency=home, roles=[Role.DESIGNATED_MANAGER])
    world.users["agency_admin"] = make_user(name="Ada Admin", agency=home, roles=[Role.AGENCY_ADMIN])
    world.users["partnership_admin"] = make_user(name="Paul Partnership", agency=None, roles=[Role.PARTNERSHIP_ADMIN])
    world.users["auditor"] = make_user(name="Audrey Auditor", agency=None, roles=[Role.AUDITOR])
    world.users["other_agency"] = make_user(name="Olly Other", agency=other, roles=[Role.PRACTITIONER])
    world.users["no_role"] = make_user(name="Nora Norole")
    return world
