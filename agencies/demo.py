"""Demo agencies and people for `manage.py seed_demo` (through the services, so rules and audit apply)."""

from __future__ import annotations

import hashlib
from typing import Any

from agencies.models import Agency, AgencyKind, Membership, Role, Sector, User
from agencies.services import agency_create, api_token_create, membership_create, user_create
from isp_portal.demo_context import DEMO_API_TOKEN, DEMO_EMAIL_DOMAIN, DEMO_PASSWORD, DemoContext
from isp_portal.signin import device_register

AGENCIES: list[dict[str, Any]] = [
    {
        "key": "council",
        "name": "Northbridge City Council Children's Services",
        "kind": AgencyKind.LOCAL_AUTHORITY,
        "sector": Sector.STATUTORY,
        "area": "Northbridge",
    },
    {
        "key": "police",
        "name": "Northbridge Police Public Protection Unit",
        "kind": AgencyKind.POLICE,
        "sector": Sector.STATUTORY,
        "area": "Northbridge",
    },
    {
        "key": "trust",
        "name": "Northbridge Hospitals NHS Foundation Trust",
        "kind": AgencyKind.HEALTH_TRUST,
        "sector": Sector.STATUTORY,
        "area": "Northbridge",
    },
    {
        "key": "riverside",
        "name": "Riverside Primary School",
        "kind": AgencyKind.SCHOOL,
        "sector": Sector.STATUTORY,
        "area": "Northbridge",
    },
    {
        "key": "staidans",
        "name": "St Aidan's Church of England Academy",
        "kind": AgencyKind.SCHOOL,
        "sector": Sector.STATUTORY,
        "area": "Northbridge",
    },
    {
        "key": "college",
        "name": "Northbridge College",
        "kind": AgencyKind.COLLEGE,
        "sector": Sector.STATUTORY,
        "area": "Northbridge",
    },
    {
        "key": "yot",
        "name": "Northbridge Youth Offending Team",
        "kind": AgencyKind.YOUTH_OFFENDING_TEAM,
        "sector": Sector.STATUTORY,
        "area": "Northbridge",
    },
    {
        "key": "safefamilies",
        "name": "Safe Families Northbridge",
        "kind": AgencyKind.VOLUNTARY,
        "sector": Sector.VOLUNTARY,
        "area": "Northbridge",
    },
    {
        "key": "kindersteps",
        "name": "Kinder Steps Family Support",
        "kind": AgencyKind.OTHER,
        "sector": Sector.PRIVATE,
        "area": "Northbridge",
        "parent": "council",
    },
    {
        "key": "eastvale",
        "name": "Eastvale Borough Council Children's Services",
        "kind": AgencyKind.LOCAL_AUTHORITY,
        "sector": Sector.STATUTORY,
        "area": "Eastvale",
    },
]

# The five people `make run` prints, one per role, then colleagues who make the demo believable.
PEOPLE: list[dict[str, Any]] = [
    {
        "key": "practitioner",
        "name": "Priya Shah",
        "agency": "council",
        "roles": [Role.PRACTITIONER],
        "title": "Social worker",
        "team": "Children's Assessment Team",
    },
    {
        "key": "designated_manager",
        "name": "Daniel Okafor",
        "agency": "council",
        "roles": [Role.DESIGNATED_MANAGER],
        "title": "Team manager",
        "team": "Children's Assessment Team",
    },
    {
        "key": "agency_admin",
        "name": "Alice Brennan",
        "agency": "council",
        "roles": [Role.AGENCY_ADMIN],
        "title": "Business support manager",
    },
    {
        "key": "partnership_admin",
        "name": "Patrick Hughes",
        "agency": None,
        "roles": [Role.PARTNERSHIP_ADMIN],
        "title": "CYPSP partnership manager",
    },
    {
        "key": "auditor",
        "name": "Aisha Rahman",
        "agency": None,
        "roles": [Role.AUDITOR],
        "title": "Information governance auditor",
    },
    {
        "key": "police_officer",
        "name": "Tom Reid",
        "agency": "police",
        "roles": [Role.PRACTITIONER],
        "title": "Detective constable",
    },
    {
        "key": "police_manager",
        "name": "Mark Evans",
        "agency": "police",
        "roles": [Role.DESIGNATED_MANAGER],
        "title": "Detective inspector",
    },
    {
        "key": "police_admin",
        "name": "Rachel Green",
        "agency": "police",
        "roles": [Role.AGENCY_ADMIN],
        "title": "Systems administrator",
    },
    {
        "key": "health_visitor",
        "name": "Grace Mensah",
        "agency": "trust",
        "roles": [Role.PRACTITIONER],
        "title": "Health visitor",
    },
    {
        "key": "caldicott",
        "name": "Helen Marsh",
        "agency": "trust",
        "roles": [Role.DESIGNATED_MANAGER],
        "title": "Named nurse for safeguarding",
        "caldicott": True,
    },
    {
        "key": "school_dsl",
        "name": "Joanne Clarke",
        "agency": "riverside",
        "roles": [Role.PRACTITIONER],
        "title": "Designated safeguarding lead",
    },
    {
        "key": "yot_worker",
        "name": "Liam Foster",
        "agency": "yot",
        "roles": [Role.PRACTITIONER],
        "title": "Youth justice worker",
    },
]

LOGIN_KEYS = ("practitioner", "designated_manager", "agency_admin", "partnership_admin", "auditor")


def demo_email(name: str) -> str:
    return f"{name.lower().replace(' ', '.')}@{DEMO_EMAIL_DOMAIN}"


def demo_totp_key(email: str) -> str:
    """Each demo user's TOTP key, derived from their email so it is the same on every machine."""
    return hashlib.sha1(f"isp-portal-demo:{email}".encode()).hexdigest()  # noqa: S324 - a key, not a password hash


def seed(demo: DemoContext) -> None:
    agencies: dict[str, Agency] = {}
    for spec in AGENCIES:
        existing = Agency.objects.filter(name=spec["name"]).first()
        agencies[spec["key"]] = existing or agency_create(
            actor=demo.actor,
            name=spec["name"],
            kind=spec["kind"],
            sector=spec["sector"],
            area=spec["area"],
            parent=agencies.get(spec.get("parent", "")),
        )
    people: dict[str, User] = {}
    for spec in PEOPLE:
        email = demo_email(spec["name"])
        user = User.objects.filter(email=email).first()
        if user is None:
            user = user_create(actor=demo.actor, email=email, full_name=spec["name"], password=DEMO_PASSWORD)
            device_register(actor=demo.actor, user=user, key_hex=demo_totp_key(email))
        agency = agencies[spec["agency"]] if spec["agency"] else None
        if not Membership.objects.filter(user=user, agency=agency).exists():
            membership_create(
                actor=demo.actor,
                user=user,
                agency=agency,
                roles=spec["roles"],
                job_title=spec["title"],
                team=spec.get("team", ""),
                is_caldicott_guardian=spec.get("caldicott", False),
            )
        people[spec["key"]] = user
    council = agencies["council"]
    if not council.api_tokens.exists():
        api_token_create(
            actor=demo.actor,
            agency=council,
            name="Case management system",
            roles=[Role.AGENCY_ADMIN],
            secret=DEMO_API_TOKEN,
        )
    demo.objects["agencies"] = agencies
    demo.objects["people"] = people
    demo.summary["agencies"] = f"{len(agencies)} agencies, {len(people)} people"
