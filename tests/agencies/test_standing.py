"""What an agency that may not share may still do (issue 8, item 4): every write an agency's admin makes
for it, against every standing the agency can be in. One table decides (agencies.rules.STANDING_ALLOWS,
applied by agencies.policy); this test holds every write to it, so a new write that forgets the table,
or a table change nobody meant, fails here."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from agencies.models import (
    Agency,
    AgencyStatus,
    Membership,
    Role,
    SecurityDocument,
    SignatoryRequirement,
    TokenScope,
    TrainingCourse,
)
from agencies.rules import STANDING_ALLOWS, STANDING_REMEDY, AgencyAct, AgencyStanding
from agencies.services import (
    access_request_create,
    access_request_decide,
    agency_status_change,
    agency_update,
    api_token_create,
    api_token_revoke,
    checklist_confirm,
    invitation_create,
    invitation_resend,
    invitation_revoke,
    membership_deactivate,
    membership_update,
    security_document_upload,
    training_record_create,
    training_records_import,
)
from audit.models import AuditEvent
from isp_portal.policy import AccessDenied, NotPermitted
from protocols.services import (
    consultation_respond,
    extract_respond,
    protocol_audit_create,
    review_action_update,
    signature_withdraw,
)
from tests import protocol_fixtures as fx
from tests.factories import SYSTEM, World, make_api_token, make_user
from tests.pdf_samples import PDF

pytestmark = pytest.mark.django_db


@dataclass
class Scene:
    world: World
    agency: Agency
    admin: Any
    objects: dict[str, Any]


def _course() -> TrainingCourse:
    course = TrainingCourse.objects.filter(is_information_sharing=True, is_active=True).order_by("name").first()
    assert course is not None
    return course


def build(world: World, standing: AgencyStanding) -> Scene:
    """The home agency, with something of everything to act on, then put into `standing`."""
    agency = world.home
    admin = world.users["agency_admin"]
    today = timezone.localdate()
    Agency.objects.filter(pk=agency.pk).update(
        ico_registration_number="Z1234567", ico_registration_expires_on=today + timedelta(days=200)
    )
    agency.refresh_from_db()
    protocol = fx.protocol_in_force(world)
    second = fx.make_protocol("Second Protocol")
    consultation = fx.consultation(world)
    other_admin = make_user(name="Olive Other", agency=world.other, roles=[Role.AGENCY_ADMIN])
    security_document_upload(actor=other_admin, agency=world.other, upload=io.BytesIO(PDF), filename="o.pdf")
    member = make_user(name="Mo Member", agency=agency, roles=[Role.PRACTITIONER])
    leaver = make_user(name="Lee Leaver", agency=agency, roles=[Role.PRACTITIONER])
    invitation, _ = invitation_create(
        actor=admin, agency=agency, email="invitee@test.example", full_name="In Vitee", roles=[Role.PRACTITIONER]
    )
    withdrawn, _ = invitation_create(
        actor=admin, agency=agency, email="withdrawn@test.example", full_name="With Drawn", roles=[Role.PRACTITIONER]
    )
    token, _ = make_api_token(agency, [TokenScope.REGISTER_READ])
    security_document_upload(actor=admin, agency=agency, upload=io.BytesIO(PDF), filename="h.pdf")
    asked = access_request_create(
        actor=other_admin,
        document=SecurityDocument.objects.get(agency=agency),
        requesting_agency=world.other,
        reason="Our audit",
    )
    fx.protocol_audit(world)  # by the other agency, with an extract naming the home agency
    objects = {
        "member": Membership.objects.get(user=member, agency=agency),
        "leaver": Membership.objects.get(user=leaver, agency=agency),
        "member_user": member,
        "invitation": invitation,
        "withdrawn": withdrawn,
        "token": token,
        "signature": protocol.current_version.signatures.get(agency=agency),  # type: ignore[union-attr]
        "second": second,
        "consultation": consultation,
        "other_document": SecurityDocument.objects.get(agency=world.other),
        "asked": asked,
        "review_action": fx.review_action(world),
        "protocol": protocol,
        "extract": world.objects["extract"],
    }
    if standing is AgencyStanding.SUSPENDED:
        agency_status_change(actor=SYSTEM, agency=agency, to_status=AgencyStatus.SUSPENDED, reason="Sanction")
    elif standing is AgencyStanding.LEFT:
        agency_status_change(actor=SYSTEM, agency=agency, to_status=AgencyStatus.LEFT, reason="Left")
    elif standing is AgencyStanding.ICO_LAPSED:
        Agency.objects.filter(pk=agency.pk).update(ico_registration_expires_on=today - timedelta(days=1))
    elif standing is AgencyStanding.ICO_MISSING:
        Agency.objects.filter(pk=agency.pk).update(ico_registration_number="", ico_registration_expires_on=None)
    agency.refresh_from_db()
    for key in ("member", "leaver", "invitation", "withdrawn", "token", "signature"):
        objects[key].refresh_from_db()
    fresh_admin = type(admin).objects.get(pk=admin.pk)  # a new principal, as in the next request
    return Scene(world=world, agency=agency, admin=fresh_admin, objects=objects)


def _checklist(scene: Scene) -> Any:
    requirement = SignatoryRequirement.objects.filter(is_active=True).order_by("number").first()
    return checklist_confirm(
        actor=scene.admin, agency=scene.agency, requirement=requirement, confirmed_on=timezone.localdate()
    )


def _import(scene: Scene) -> Any:
    member = scene.objects["member_user"]
    csv_text = f"email,course,completed_on\n{member.email},{_course().name},{timezone.localdate().isoformat()}\n"
    return training_records_import(actor=scene.admin, agency=scene.agency, csv_text=csv_text)


# Every write an agency's admin makes for the agency, and what it is for the agency's standing.
WRITES: dict[str, tuple[AgencyAct, Callable[[Scene], Any]]] = {
    "edit contact details": (
        AgencyAct.KEEP_DETAILS,
        lambda s: agency_update(actor=s.admin, agency=s.agency, phone="0161 496 0000"),
    ),
    "record training": (
        AgencyAct.KEEP_TRAINING,
        lambda s: training_record_create(
            actor=s.admin, user=s.objects["member_user"], course=_course(), completed_on=timezone.localdate()
        ),
    ),
    "import training": (AgencyAct.KEEP_TRAINING, _import),
    "invite someone": (
        AgencyAct.MANAGE_PEOPLE,
        lambda s: invitation_create(
            actor=s.admin, agency=s.agency, email="new@test.example", full_name="New Person", roles=["practitioner"]
        ),
    ),
    "resend an invitation": (
        AgencyAct.MANAGE_PEOPLE,
        lambda s: invitation_resend(actor=s.admin, invitation=s.objects["invitation"]),
    ),
    "promote a member": (
        AgencyAct.MANAGE_PEOPLE,
        lambda s: membership_update(actor=s.admin, membership=s.objects["member"], roles=[Role.DESIGNATED_MANAGER]),
    ),
    "change a member's job title": (
        AgencyAct.MANAGE_PEOPLE,
        lambda s: membership_update(actor=s.admin, membership=s.objects["member"], job_title="Lead"),
    ),
    "make an API token": (
        AgencyAct.MANAGE_PEOPLE,
        lambda s: api_token_create(
            actor=s.admin,
            agency=s.agency,
            name="New system",
            scopes=[TokenScope.REGISTER_READ],
            expires_at=timezone.now() + timedelta(days=30),
        ),
    ),
    "confirm a checklist item": (AgencyAct.COMPLIANCE, _checklist),
    "upload the security document": (
        AgencyAct.COMPLIANCE,
        lambda s: security_document_upload(actor=s.admin, agency=s.agency, upload=io.BytesIO(PDF), filename="h.pdf"),
    ),
    "ask to see another agency's security document": (
        AgencyAct.TAKE_PART,
        lambda s: access_request_create(
            actor=s.admin, document=s.objects["other_document"], requesting_agency=s.agency, reason="Audit"
        ),
    ),
    "sign a protocol": (AgencyAct.TAKE_PART, lambda s: fx.sign(s.objects["second"], s.agency, actor=s.admin)),
    "answer a consultation": (
        AgencyAct.TAKE_PART,
        lambda s: consultation_respond(
            actor=s.admin, consultation=s.objects["consultation"], agency=s.agency, response="agree"
        ),
    ),
    "decide on a request to see its security document": (
        AgencyAct.TAKE_PART,
        lambda s: access_request_decide(actor=s.admin, access_request=s.objects["asked"], grant=False, note="No"),
    ),
    "update its review action": (
        AgencyAct.TAKE_PART,
        lambda s: review_action_update(actor=s.admin, action=s.objects["review_action"], status="done"),
    ),
    "audit the protocol": (
        AgencyAct.TAKE_PART,
        lambda s: protocol_audit_create(
            actor=s.admin,
            protocol=s.objects["protocol"],
            auditing_agency=s.agency,
            scope="Consent",
            notice_given_on=timezone.localdate(),
            starts_on=timezone.localdate() + timedelta(days=40),
            responses_due_on=timezone.localdate() + timedelta(days=90),
        ),
    ),
    "respond to an audit extract": (
        AgencyAct.TAKE_PART,
        lambda s: extract_respond(actor=s.admin, extract=s.objects["extract"], agency=s.agency, text="Agreed."),
    ),
    "end a membership": (
        AgencyAct.REMOVE_ACCESS,
        lambda s: membership_deactivate(actor=s.admin, membership=s.objects["leaver"], reason="Moved on"),
    ),
    "withdraw an invitation": (
        AgencyAct.REMOVE_ACCESS,
        lambda s: invitation_revoke(actor=s.admin, invitation=s.objects["withdrawn"]),
    ),
    "revoke an API token": (
        AgencyAct.REMOVE_ACCESS,
        lambda s: api_token_revoke(actor=s.admin, token=s.objects["token"]),
    ),
    "withdraw its signature": (
        AgencyAct.REMOVE_ACCESS,
        lambda s: signature_withdraw(actor=s.admin, signature=s.objects["signature"], reason="Leaving"),
    ),
}


@pytest.mark.parametrize("standing", list(AgencyStanding), ids=[s.value for s in AgencyStanding])
@pytest.mark.parametrize("write", list(WRITES))
def test_every_write_against_every_standing(world: World, standing: AgencyStanding, write: str) -> None:
    act, perform = WRITES[write]
    scene = build(world, standing)
    if standing is AgencyStanding.LEFT:
        # Leaving ends every membership: its former admin can do nothing for it at all.
        with pytest.raises((AccessDenied, ValidationError)):
            perform(scene)
        return
    if act in STANDING_ALLOWS[standing]:
        perform(scene)
        return
    before = AuditEvent.objects.count()
    with pytest.raises(NotPermitted) as refused:
        perform(scene)
    # Refused with the reason: the agency's standing, what it can still do, and what lifts it.
    assert scene.agency.name in refused.value.reason
    assert "cannot" in refused.value.reason and STANDING_REMEDY[standing] in refused.value.reason
    assert AuditEvent.objects.count() == before  # nothing written (the denial is recorded by the request)


def test_the_table_lets_a_suspended_agency_keep_its_training_and_details_and_remove_access() -> None:
    allowed = STANDING_ALLOWS[AgencyStanding.SUSPENDED]
    assert allowed == {AgencyAct.READ, AgencyAct.REMOVE_ACCESS, AgencyAct.KEEP_TRAINING, AgencyAct.KEEP_DETAILS}
    assert STANDING_ALLOWS[AgencyStanding.ICO_LAPSED] == allowed
    assert STANDING_ALLOWS[AgencyStanding.LEFT] == {AgencyAct.READ, AgencyAct.REMOVE_ACCESS}
    assert STANDING_ALLOWS[AgencyStanding.ACTIVE] == set(AgencyAct)


def test_a_suspended_agencys_answer_does_not_count(world: World) -> None:
    """The fault as found: a suspended agency's admin answered a consultation and it counted."""
    scene = build(world, AgencyStanding.SUSPENDED)
    with pytest.raises(NotPermitted, match="suspended"):
        consultation_respond(
            actor=scene.admin,
            consultation=scene.objects["consultation"],
            agency=scene.agency,
            response="object",
            comment="No",
        )
    row = scene.objects["consultation"].responses.get(agency=scene.agency)
    assert row.response == "pending"


def test_a_partnership_admin_keeps_the_register_entry_of_an_agency_that_has_left(world: World) -> None:
    agency_status_change(actor=SYSTEM, agency=world.home, to_status=AgencyStatus.LEFT, reason="Merged")
    world.home.refresh_from_db()
    agency_update(actor=world.users["partnership_admin"], agency=world.home, name="Home Council (merged)")
    world.home.refresh_from_db()
    assert world.home.name == "Home Council (merged)"
    # Acting for it is another matter: nobody takes people on for an agency that has left.
    with pytest.raises(NotPermitted, match="has left the partnership"):
        invitation_create(
            actor=world.users["partnership_admin"],
            agency=world.home,
            email="late@test.example",
            full_name="Late Comer",
            roles=[Role.PRACTITIONER],
        )


@pytest.mark.parametrize("status", [AgencyStatus.SUSPENDED, AgencyStatus.LEFT], ids=["suspended", "left"])
def test_an_invitation_sent_before_the_agency_was_suspended_takes_nobody_on(world: World, status: str) -> None:
    """The fault as found: an invitation sent while the agency was active, accepted after it was suspended
    (or had left), made a new agency admin of it. The invitee's page says why before a password is chosen,
    the attempt is on the record, and the service refuses whoever calls it."""
    from django.test import Client

    from agencies.services import invitation_accept

    invitation, token = invitation_create(
        actor=world.users["agency_admin"],
        agency=world.home,
        email="late@test.example",
        full_name="Late Joiner",
        roles=[Role.AGENCY_ADMIN],
    )
    agency_status_change(actor=SYSTEM, agency=world.home, to_status=status, reason="Sanction")
    response = Client().get(f"/invitations/{token}/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "cannot take on people" in page and 'name="password"' not in page
    event = AuditEvent.objects.get(kind="auth.invitation_rejected", object_id=str(invitation.pk))
    assert event.outcome == "denied" and world.home.name in event.detail["reason"]
    with pytest.raises(ValidationError, match="cannot take on people"):
        invitation_accept(token=token, password="A-long-pass-phrase-for-2026!")
    assert not Membership.objects.filter(user__email="late@test.example").exists()
    if status == AgencyStatus.SUSPENDED:  # reinstated within its seven days, the link works again
        agency_status_change(actor=SYSTEM, agency=world.home, to_status=AgencyStatus.ACTIVE, reason="Reinstated")
        membership = invitation_accept(token=token, password="A-long-pass-phrase-for-2026!")
        assert membership.is_active and membership.agency_id == world.home.pk
