"""The agencies services: the bad input issue 3 names, each refused with a field-level message (or a policy
denial) and nothing half-written; invitations; ending memberships ends sessions at once; status history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from agencies.models import (
    Agency,
    AgencyKind,
    AgencyStatusChange,
    Invitation,
    Membership,
    Role,
    TrainingCourse,
    TrainingRecord,
    User,
)
from agencies.services import (
    agency_create,
    agency_status_change,
    agency_update,
    invitation_accept,
    invitation_create,
    invitation_resend,
    membership_deactivate,
    membership_update,
    training_record_create,
    training_records_import,
)
from audit.models import AuditEvent
from isp_portal import policy
from tests.factories import SYSTEM, World, make_agency, make_user, sign_in

pytestmark = pytest.mark.django_db


def field_errors(error: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return dict(error.value.message_dict)


def register(actor: Any, **values: Any) -> Agency:
    return agency_create(actor=actor, **{"kind": AgencyKind.SCHOOL, "sector": "statutory", **values})


# --- The register --------------------------------------------------------------------------------------------


def test_duplicate_names_and_ico_numbers_are_refused(world: World) -> None:
    admin = world.users["partnership_admin"]
    expires = timezone.localdate() + timedelta(days=100)
    register(admin, name="Riverside Primary", ico_registration_number="Z7654321", ico_registration_expires_on=expires)
    before = (Agency.objects.count(), AuditEvent.objects.filter(kind="agency.create").count())
    with pytest.raises(ValidationError) as refused:
        register(
            admin,
            name="  riverside   PRIMARY ",
            ico_registration_number="z 765 4321",
            ico_registration_expires_on=expires,
        )
    errors = field_errors(refused)
    assert "already registered" in errors["name"][0]
    assert "already recorded" in errors["ico_registration_number"][0]
    assert (Agency.objects.count(), AuditEvent.objects.filter(kind="agency.create").count()) == before


def test_an_ico_expiry_in_the_past_is_refused_on_creation(world: World) -> None:
    with pytest.raises(ValidationError) as refused:
        register(
            world.users["partnership_admin"],
            name="Lapsed Academy",
            ico_registration_number="Z1111111",
            ico_registration_expires_on=timezone.localdate() - timedelta(days=1),
        )
    assert "already expired" in field_errors(refused)["ico_registration_expires_on"][0]
    assert not Agency.objects.filter(name="Lapsed Academy").exists()


def test_an_ico_number_needs_its_expiry_and_a_valid_format(world: World) -> None:
    with pytest.raises(ValidationError) as refused:
        register(world.users["partnership_admin"], name="Half Recorded", ico_registration_number="Z1111111")
    assert "ico_registration_expires_on" in field_errors(refused)
    with pytest.raises(ValidationError) as bad_format:
        register(
            world.users["partnership_admin"],
            name="Badly Recorded",
            ico_registration_number="12345",
            ico_registration_expires_on=timezone.localdate() + timedelta(days=10),
            phone="call us",
        )
    assert set(field_errors(bad_format)) == {"ico_registration_number", "phone"}


def test_only_partnership_admins_register_agencies(world: World) -> None:
    with pytest.raises(policy.NotPermitted):
        register(world.users["agency_admin"], name="Self-registered Charity")
    assert not Agency.objects.filter(name="Self-registered Charity").exists()


def test_an_agency_admin_cannot_edit_another_agency_or_the_register(world: World) -> None:
    admin = world.users["agency_admin"]
    with pytest.raises(policy.AccessDenied):
        agency_update(actor=admin, agency=world.other, phone="020 7946 0000")
    with pytest.raises(policy.NotPermitted):
        agency_update(actor=admin, agency=world.home, name="Renamed by its admin")
    world.other.refresh_from_db()
    world.home.refresh_from_db()
    assert world.other.phone == "" and world.home.name == "Home Council Children's Services"
    agency_update(actor=admin, agency=world.home, phone="020 7946 0000")
    assert AuditEvent.objects.filter(kind="agency.update", object_id=str(world.home.pk)).exists()


def test_a_commissioning_cycle_is_refused(world: World) -> None:
    parent = make_agency("Commissioning Council")
    child = make_agency("Commissioned Service", parent=parent)
    with pytest.raises(ValidationError) as refused:
        agency_update(actor=SYSTEM, agency=parent, parent=child)
    assert "parent" in field_errors(refused)


def test_status_changes_are_recorded_with_reason_and_date_and_leaving_ends_memberships(world: World) -> None:
    admin = world.users["partnership_admin"]
    with pytest.raises(ValidationError) as no_reason:
        agency_status_change(actor=admin, agency=world.home, to_status="suspended", reason=" ")
    assert "reason" in field_errors(no_reason)
    agency_status_change(actor=admin, agency=world.home, to_status="suspended", reason="ICO lapsed")
    change = AgencyStatusChange.objects.get(agency=world.home)
    assert (change.from_status, change.to_status, change.reason) == ("active", "suspended", "ICO lapsed")
    assert change.effective_on == timezone.localdate() and change.changed_by == admin
    with pytest.raises(ValidationError) as same:
        agency_status_change(actor=admin, agency=world.home, to_status="suspended", reason="Again")
    assert "to_status" in field_errors(same)

    agency_status_change(actor=admin, agency=world.home, to_status="left", reason="Service decommissioned")
    assert not Membership.objects.filter(agency=world.home, is_active=True).exists()


# --- People ------------------------------------------------------------------------------------------------------


def test_an_admin_cannot_give_the_partnership_admin_role(world: World) -> None:
    admin = world.users["agency_admin"]
    own = Membership.objects.get(user=admin, agency=world.home)
    with pytest.raises(ValidationError) as refused:
        membership_update(actor=admin, membership=own, roles=[Role.AGENCY_ADMIN, Role.PARTNERSHIP_ADMIN])
    assert "roles" in field_errors(refused)
    own.refresh_from_db()
    assert own.roles == [Role.AGENCY_ADMIN]
    with pytest.raises(ValidationError):
        invitation_create(
            actor=admin, agency=world.home, email="boss@test.example", full_name="Boss", roles=[Role.PARTNERSHIP_ADMIN]
        )
    assert not Invitation.objects.exists()


def test_an_admin_cannot_touch_another_agencys_people(world: World) -> None:
    stranger = Membership.objects.get(user=world.users["other_agency"])
    with pytest.raises(policy.AccessDenied):
        membership_update(actor=world.users["agency_admin"], membership=stranger, job_title="Renamed")
    with pytest.raises(policy.AccessDenied):
        invitation_create(
            actor=world.users["agency_admin"],
            agency=world.other,
            email="x@test.example",
            full_name="X",
            roles=["practitioner"],
        )
    stranger.refresh_from_db()
    assert stranger.job_title == ""


def test_restricted_information_is_only_for_local_authority_staff(world: World) -> None:
    police_officer = Membership.objects.get(user=world.users["other_agency"])
    with pytest.raises(ValidationError) as refused:
        membership_update(actor=SYSTEM, membership=police_officer, authorised_for_restricted=True)
    assert "authorised_for_restricted" in field_errors(refused)
    social_worker = Membership.objects.get(user=world.users["practitioner"])
    membership_update(actor=SYSTEM, membership=social_worker, authorised_for_restricted=True)
    social_worker.refresh_from_db()
    assert social_worker.authorised_for_restricted


def test_line_managers_and_vetting_dates(world: World) -> None:
    membership = Membership.objects.get(user=world.users["practitioner"])
    with pytest.raises(ValidationError) as other_agency:
        membership_update(actor=SYSTEM, membership=membership, line_manager=world.users["other_agency"])
    assert "line_manager" in field_errors(other_agency)
    with pytest.raises(ValidationError) as future:
        membership_update(
            actor=SYSTEM, membership=membership, vetting_checked_on=timezone.localdate() + timedelta(days=1)
        )
    assert "vetting_checked_on" in field_errors(future)
    membership_update(actor=SYSTEM, membership=membership, line_manager=world.users["designated_manager"])
    membership.refresh_from_db()
    assert membership.line_manager == world.users["designated_manager"]


def test_an_invitation_is_single_use_and_expires(world: World) -> None:
    invitation, token = invitation_create(
        actor=world.users["agency_admin"],
        agency=world.home,
        email="New.Starter@Test.Example",
        full_name="New Starter",
        roles=[Role.PRACTITIONER],
    )
    assert invitation.token_digest != token  # only a digest is stored
    membership = invitation_accept(token=token, password="Correct-horse-battery-staple-99")
    assert membership.agency == world.home and membership.roles == [Role.PRACTITIONER]
    assert User.objects.get(email="new.starter@test.example").check_password("Correct-horse-battery-staple-99")
    with pytest.raises(ValidationError):
        invitation_accept(token=token, password="Correct-horse-battery-staple-99")

    late, late_token = invitation_create(
        actor=SYSTEM, agency=world.home, email="late@test.example", full_name="Late", roles=[Role.PRACTITIONER]
    )
    # Eight days pass (the link lasts seven).
    Invitation.objects.filter(pk=late.pk).update(
        created_at=timezone.now() - timedelta(days=8), expires_at=timezone.now() - timedelta(days=1)
    )
    with pytest.raises(ValidationError):
        invitation_accept(token=late_token, password="Correct-horse-battery-staple-99")
    assert not User.objects.filter(email="late@test.example").exists()


def test_resending_an_invitation_voids_the_old_link(world: World) -> None:
    invitation, old_token = invitation_create(
        actor=SYSTEM, agency=world.home, email="resent@test.example", full_name="Resent", roles=[Role.PRACTITIONER]
    )
    _, new_token = invitation_resend(actor=SYSTEM, invitation=invitation)
    with pytest.raises(ValidationError):
        invitation_accept(token=old_token, password="Correct-horse-battery-staple-99")
    assert invitation_accept(token=new_token, password="Correct-horse-battery-staple-99").agency == world.home


def test_deactivating_a_membership_ends_the_persons_sessions_at_once(world: World) -> None:
    person = make_user(agency=world.home, roles=[Role.PRACTITIONER])
    browser = sign_in(Client(), person)
    assert browser.get("/").status_code == 200
    membership = Membership.objects.get(user=person)
    with pytest.raises(ValidationError) as no_reason:
        membership_deactivate(actor=world.users["agency_admin"], membership=membership, reason="")
    assert "reason" in field_errors(no_reason)
    assert browser.get("/").status_code == 200
    membership_deactivate(actor=world.users["agency_admin"], membership=membership, reason="Left the service")
    assert browser.get("/").status_code == 302
    assert AuditEvent.objects.filter(kind="membership.deactivate", object_id=str(membership.pk)).exists()


# --- Training (Buckinghamshire 4) -----------------------------------------------------------------------------


def _course() -> TrainingCourse:
    course = TrainingCourse.objects.filter(is_information_sharing=True, validity_months__isnull=False).first()
    assert course is not None
    return course


def test_a_training_record_gets_its_expiry_from_the_course(world: World) -> None:
    course = _course()
    completed = timezone.localdate() - timedelta(days=10)
    record = training_record_create(
        actor=world.users["agency_admin"], user=world.users["practitioner"], course=course, completed_on=completed
    )
    from agencies.rules import add_months

    assert record.expires_on == add_months(completed, course.validity_months or 0)
    with pytest.raises(ValidationError) as future:
        training_record_create(
            actor=SYSTEM,
            user=world.users["practitioner"],
            course=course,
            completed_on=timezone.localdate() + timedelta(days=1),
        )
    assert "completed_on" in field_errors(future)


def test_a_csv_with_a_malformed_date_imports_nothing(world: World) -> None:
    course = _course()
    csv_text = (
        "email,course,completed_on,expires_on,evidence\n"
        f"{world.users['practitioner'].email},{course.name},2026-01-10,,Cert 1\n"
        f"{world.users['designated_manager'].email},{course.name},2026-13-01,,Cert 2\n"
        f"{world.users['other_agency'].email},{course.name},2026-01-10,,Cert 3\n"
    )
    with pytest.raises(ValidationError) as refused:
        training_records_import(actor=world.users["agency_admin"], agency=world.home, csv_text=csv_text)
    messages = " ".join(message for values in field_errors(refused).values() for message in values)
    assert "Line 3" in messages and "Line 4" in messages  # a bad date, and someone not in this agency
    assert not TrainingRecord.objects.exists()
