"""Demo agencies and people for `manage.py seed_demo`, through the services so that rules and audit apply.

The fictional Northbridge partnership: ten agencies of every kind (one commissioned by the council, one in
a neighbouring area), a dozen people, training that is valid, expiring and expired, ICO registrations of
which the council's runs out within a month, checklists at different stages, and a security document with
a request waiting. Every step checks whether it has been done already, so running it again changes
nothing.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

from django.utils import timezone
from pypdf import PdfWriter

from agencies.models import (
    Agency,
    AgencyKind,
    Area,
    ChecklistConfirmation,
    Membership,
    Role,
    Sector,
    SecurityDocument,
    SecurityDocumentAccessRequest,
    SignatoryRequirement,
    TokenScope,
    TrainingCourse,
    TrainingRecord,
    User,
)
from agencies.reference_data import ensure_reference_data
from agencies.services import (
    access_request_create,
    agency_create,
    api_token_create,
    checklist_confirm,
    expiry_reminders_send,
    membership_create,
    membership_update,
    security_document_upload,
    training_record_create,
    user_create,
)
from isp_portal.demo_context import (
    DEMO_API_TOKEN,
    DEMO_EMAIL_DOMAIN,
    DEMO_PASSWORD,
    DemoContext,
    demo_mode_required,
    demo_totp_key,
)
from isp_portal.signin import device_register

# name, kind, sector, area, commissioned by, phone, ICO number, days until the ICO registration expires
AGENCIES: list[dict[str, Any]] = [
    {
        "key": "council",
        "name": "Northbridge City Council Children's Services",
        "kind": AgencyKind.LOCAL_AUTHORITY,
        "sector": Sector.STATUTORY,
        "area": "Northbridge",
        "phone": "020 7946 0000",
        "ico": "Z5510001",
        "ico_days": 25,
        "address": "Civic Centre\nHigh Road\nNorthbridge NB1 1AA",
    },
    {
        "key": "police",
        "name": "Northbridge Police Public Protection Unit",
        "kind": AgencyKind.POLICE,
        "sector": Sector.STATUTORY,
        "area": "Northbridge",
        "phone": "020 7946 0101",
        "ico": "Z5510002",
        "ico_days": 240,
        "address": "Tower Street Police Station\nNorthbridge NB2 4PP",
    },
    {
        "key": "trust",
        "name": "Northbridge Hospitals NHS Foundation Trust",
        "kind": AgencyKind.HEALTH_TRUST,
        "sector": Sector.STATUTORY,
        "area": "Northbridge",
        "phone": "020 7946 0202",
        "ico": "Z5510003",
        "ico_days": 300,
    },
    {
        "key": "riverside",
        "name": "Riverside Primary School",
        "kind": AgencyKind.SCHOOL,
        "sector": Sector.STATUTORY,
        "area": "Northbridge",
        "phone": "020 7946 0303",
        "ico": "Z5510004",
        "ico_days": 150,
    },
    {
        "key": "staidans",
        "name": "St Aidan's Church of England Academy",
        "kind": AgencyKind.SCHOOL,
        "sector": Sector.STATUTORY,
        "area": "Northbridge",
        "ico": "Z5510005",
        "ico_days": 90,
    },
    {
        "key": "college",
        "name": "Northbridge College",
        "kind": AgencyKind.COLLEGE,
        "sector": Sector.STATUTORY,
        "area": "Northbridge",
        "ico": "Z5510006",
        "ico_days": 200,
    },
    {
        "key": "yot",
        "name": "Northbridge Youth Offending Team",
        "kind": AgencyKind.YOUTH_OFFENDING_TEAM,
        "sector": Sector.STATUTORY,
        "area": "Northbridge",
        "ico": "Z5510007",
        "ico_days": 180,
    },
    {
        "key": "safefamilies",
        "name": "Safe Families Northbridge",
        "kind": AgencyKind.VOLUNTARY,
        "sector": Sector.VOLUNTARY,
        "area": "Northbridge",
        "ico": "ZA551008",
        "ico_days": 50,
        "registration": "Charity 1100123",
    },
    {
        "key": "kindersteps",
        "name": "Kinder Steps Family Support",
        "kind": AgencyKind.OTHER,
        "sector": Sector.PRIVATE,
        "area": "Northbridge",
        "parent": "council",
        "ico": "ZA551009",
        "ico_days": 120,
        "registration": "Company 09876543",
    },
    {
        "key": "eastvale",
        "name": "Eastvale Borough Council Children's Services",
        "kind": AgencyKind.LOCAL_AUTHORITY,
        "sector": Sector.STATUTORY,
        "area": "Eastvale",
        "ico": "Z5510010",
        "ico_days": 330,
    },
]

# The five people `make run` prints, one per role, then colleagues who make the demo believable.
# training: days since a valid course was completed (None: no training; "expired": completed 3 years ago).
PEOPLE: list[dict[str, Any]] = [
    {
        "key": "practitioner",
        "name": "Priya Shah",
        "agency": "council",
        "roles": [Role.PRACTITIONER],
        "title": "Social worker",
        "team": "Children's Assessment Team",
        "training": 200,
        "restricted": True,
        "line_manager": "designated_manager",
    },
    {
        "key": "designated_manager",
        "name": "Daniel Okafor",
        "agency": "council",
        "roles": [Role.DESIGNATED_MANAGER],
        "title": "Team manager",
        "team": "Children's Assessment Team",
        "training": 400,
        "restricted": True,
        "head_of_service": True,
    },
    {
        "key": "agency_admin",
        "name": "Alice Brennan",
        "agency": "council",
        "roles": [Role.AGENCY_ADMIN],
        "title": "Business support manager",
        "training": 100,
    },
    {
        "key": "partnership_admin",
        "name": "Patrick Hughes",
        "agency": None,
        "roles": [Role.PARTNERSHIP_ADMIN],
        "title": "CYPSP partnership manager",
        # The training gate holds for the partnership admin too: he searches the index to merge duplicates.
        "training": 200,
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
        "training": 30,
    },
    {
        "key": "police_manager",
        "name": "Mark Evans",
        "agency": "police",
        "roles": [Role.DESIGNATED_MANAGER],
        "title": "Detective inspector",
        "training": 500,
        "nominated": True,  # answers protocol consultations for the police (Buckinghamshire 1-2)
    },
    {
        "key": "police_admin",
        "name": "Rachel Green",
        "agency": "police",
        "roles": [Role.AGENCY_ADMIN],
        "title": "Systems administrator",
        "training": 60,
    },
    {
        "key": "health_visitor",
        "name": "Grace Mensah",
        "agency": "trust",
        "roles": [Role.PRACTITIONER],
        "title": "Health visitor",
        "training": "expired",
        "line_manager": "caldicott",
    },
    {
        "key": "caldicott",
        "name": "Helen Marsh",
        "agency": "trust",
        "roles": [Role.DESIGNATED_MANAGER, Role.AGENCY_ADMIN],
        "title": "Named nurse for safeguarding",
        "caldicott": True,
        "training": 90,
        "head_of_service": True,
    },
    {
        "key": "school_dsl",
        "name": "Joanne Clarke",
        "agency": "riverside",
        "roles": [Role.PRACTITIONER],
        "title": "Designated safeguarding lead",
        "training": 710,
        "line_manager": "school_head",
    },
    # Issue 13 (Southampton 13): line managers, heads of service and a data protection officer at the council and
    # the school, so a dispute's two stages have someone to go to; a trained health visitor to pass information to.
    {
        "key": "trust_health_visitor",
        "name": "Nadia Brooks",
        "agency": "trust",
        "roles": [Role.PRACTITIONER],
        "title": "Health visitor",
        "training": 120,
        "line_manager": "caldicott",
    },
    {
        "key": "school_head",
        "name": "Martin Price",
        "agency": "riverside",
        "roles": [Role.DESIGNATED_MANAGER],
        "title": "Headteacher",
        "training": 300,
        "head_of_service": True,
    },
    {
        "key": "school_dpo",
        "name": "Fiona Lane",
        "agency": "riverside",
        "roles": [Role.PRACTITIONER],
        "title": "School business manager",
        "training": 150,
        "dpo": True,
        "line_manager": "school_head",
    },
    {
        "key": "council_dpo",
        "name": "Oliver Grant",
        "agency": "council",
        "roles": [Role.PRACTITIONER],
        "title": "Data protection officer",
        "training": 250,
        "dpo": True,
        "line_manager": "designated_manager",
    },
    {
        "key": "yot_worker",
        "name": "Liam Foster",
        "agency": "yot",
        "roles": [Role.PRACTITIONER],
        "title": "Youth justice worker",
        "training": None,
    },
]

# The sign-ins `make run` (demo_logins) and README print. The school's designated safeguarding lead is the one who
# asks in the sharing journey (disclosures.demo.ASKER: the school asks children's social care, whose practitioner
# answers and whose designated manager approves), so a new user can make the demo request (break12b F5).
LOGIN_KEYS = ("practitioner", "designated_manager", "agency_admin", "partnership_admin", "auditor", "school_dsl")
# How demo_logins names a sign-in whose key does not say it.
LOGIN_LABELS = {"school_dsl": "school's DSL"}


def demo_pdf() -> bytes:
    """A one-page PDF for the demo security document (uploads are opened with pypdf, so it must be real)."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def demo_email(name: str) -> str:
    return f"{name.lower().replace(' ', '.')}@{DEMO_EMAIL_DOMAIN}"


# The partnership's local-authority areas: fictional, so their GSS codes are ones no real area has (E99…).
DEMO_AREAS = {"Northbridge": "E99000001", "Eastvale": "E99000002", "Westmoor": "E99000003"}


def demo_area(name: str) -> Area:
    """The demo area called `name` (created the first time)."""
    area, _ = Area.objects.get_or_create(code=DEMO_AREAS[name], defaults={"name": name})
    return area


def _agencies(demo: DemoContext, today: date) -> dict[str, Agency]:
    agencies: dict[str, Agency] = {}
    for name in DEMO_AREAS:
        demo_area(name)
    for spec in AGENCIES:
        existing = Agency.objects.filter(name=spec["name"]).first()
        agencies[spec["key"]] = existing or agency_create(
            actor=demo.actor,
            name=spec["name"],
            kind=spec["kind"],
            sector=spec["sector"],
            area=demo_area(spec["area"]),
            parent=agencies.get(spec.get("parent", "")),
            address=spec.get("address", ""),
            phone=spec.get("phone", ""),
            registration_number=spec.get("registration", ""),
            ico_registration_number=spec["ico"],
            ico_registration_expires_on=today + timedelta(days=spec["ico_days"]),
        )
    return agencies


def _people(demo: DemoContext, agencies: dict[str, Agency], today: date) -> dict[str, User]:
    people: dict[str, User] = {}
    # The two-year online course: a completion 710 days ago runs out within three weeks.
    online = TrainingCourse.objects.filter(is_information_sharing=True).order_by("validity_months", "name").first()
    assert online is not None
    for spec in PEOPLE:
        email = demo_email(spec["name"])
        user = User.objects.filter(email=email).first()
        if user is None:
            user = user_create(actor=demo.actor, email=email, full_name=spec["name"], password=DEMO_PASSWORD)
            device_register(actor=demo.actor, user=user, key_hex=demo_totp_key(email))
        agency = agencies[spec["agency"]] if spec["agency"] else None
        if not Membership.objects.filter(user=user, agency=agency).exists():
            membership = membership_create(
                actor=demo.actor,
                user=user,
                agency=agency,
                roles=spec["roles"],
                job_title=spec["title"],
                team=spec.get("team", ""),
                is_caldicott_guardian=spec.get("caldicott", False),
            )
            if spec.get("restricted"):
                membership_update(
                    actor=demo.actor,
                    membership=membership,
                    authorised_for_restricted=True,
                    vetting_checked_on=today - timedelta(days=400),
                )
            if spec.get("nominated"):
                membership_update(actor=demo.actor, membership=membership, is_nominated_representative=True)
        training = spec.get("training")
        if training is not None and not TrainingRecord.objects.filter(user=user).exists():
            if training == "expired":
                training_record_create(
                    actor=demo.actor,
                    user=user,
                    course=online,
                    agency=agency,
                    completed_on=today - timedelta(days=3 * 365),
                    evidence="MeLearning certificate",
                )
            else:
                training_record_create(
                    actor=demo.actor,
                    user=user,
                    course=online,
                    agency=agency,
                    completed_on=today - timedelta(days=training),
                    evidence=f"Certificate {user.pk:05d}",
                )
        people[spec["key"]] = user
    return people


def _line_management(demo: DemoContext, agencies: dict[str, Agency], people: dict[str, User]) -> None:
    """Issue 13 (Southampton 13): each practitioner's line manager (stage 1 of a dispute goes to them), the head of
    service of the council, the school and the trust (stage 2), and the data protection officers who advise them.
    Set through membership_update, and only where not set yet, so a second run writes nothing."""
    for spec in PEOPLE:
        if spec["agency"] is None:
            continue
        membership = Membership.objects.get(user=people[spec["key"]], agency=agencies[spec["agency"]])
        changes: dict[str, Any] = {}
        manager = people.get(spec.get("line_manager", ""))
        if manager is not None and membership.line_manager_id != manager.pk:
            changes["line_manager"] = manager
        if spec.get("head_of_service") and not membership.is_head_of_service:
            changes["is_head_of_service"] = True
        if spec.get("dpo") and not membership.is_data_protection_officer:
            changes["is_data_protection_officer"] = True
        if changes:
            membership_update(actor=demo.actor, membership=membership, **changes)


def _checklists(demo: DemoContext, agencies: dict[str, Agency], today: date) -> None:
    """The council and the police have confirmed everything (the police a year ago, so some are due for
    renewal); the trust has confirmed half; the others have not started."""
    requirements = list(SignatoryRequirement.objects.filter(is_active=True).order_by("number"))
    plan = {"council": (requirements, 20), "police": (requirements, 340), "trust": (requirements[:10], 60)}
    for key, (items, days_ago) in plan.items():
        agency = agencies[key]
        if ChecklistConfirmation.objects.filter(agency=agency).exists():
            continue
        for requirement in items:
            checklist_confirm(
                actor=demo.actor,
                agency=agency,
                requirement=requirement,
                confirmed_on=today - timedelta(days=days_ago),
                note="Confirmed by the information governance lead.",
            )


def _security_documents(demo: DemoContext, agencies: dict[str, Agency], people: dict[str, User]) -> None:
    """The police have uploaded their security summary; the council's admin has asked to see it."""
    police = agencies["police"]
    if not SecurityDocument.objects.filter(agency=police).exists():
        security_document_upload(
            actor=people["police_admin"],
            agency=police,
            upload=io.BytesIO(demo_pdf()),
            filename="Northbridge Police security summary.pdf",
        )
    document = SecurityDocument.objects.get(agency=police)
    if not SecurityDocumentAccessRequest.objects.filter(document=document).exists():
        access_request_create(
            actor=people["agency_admin"],
            document=document,
            requesting_agency=agencies["council"],
            reason="Our annual protocol audit needs to confirm partners' security arrangements.",
        )


def seed(demo: DemoContext) -> None:
    demo_mode_required("Seeding the demo people and the demo API token")  # published credentials
    today = timezone.localdate()
    ensure_reference_data(SignatoryRequirement, TrainingCourse)
    agencies = _agencies(demo, today)
    people = _people(demo, agencies, today)
    _line_management(demo, agencies, people)
    council = agencies["council"]
    if not council.api_tokens.exists():
        api_token_create(
            actor=demo.actor,
            agency=council,
            name="Case management system",
            # Least privilege (DESIGN 4): the case system reads the register and the council's people and
            # records training; it administers nobody.
            scopes=[TokenScope.REGISTER_READ, TokenScope.PEOPLE_READ, TokenScope.TRAINING_WRITE],
            expires_at=timezone.now() + timedelta(days=365),
            secret=DEMO_API_TOKEN,
        )
    _checklists(demo, agencies, today)
    _security_documents(demo, agencies, people)
    # Raise today's reminders now (the hourly sweep would), so the demo shows them at once.
    expiry_reminders_send(today=today)
    demo.objects["agencies"] = agencies
    demo.objects["people"] = people
    demo.summary["agencies"] = f"{len(agencies)} agencies, {len(people)} people"
