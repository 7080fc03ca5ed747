"""The agencies services under bad input (Issue 3): each refusal names the field (or is a policy denial) and
leaves nothing half-written (row counts and the audit trail unchanged); invitations expire and work once;
ending a membership ends its person's sessions at once; status changes keep their reason and date; every
successful write is on the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from agencies.models import (
    Agency,
    AgencyKind,
    AgencyStatus,
    AgencyStatusChange,
    Invitation,
    Membership,
    Role,
    SignatoryRequirement,
    TrainingCourse,
    User,
)
from agencies.policy import audited_agencies, is_auditor, is_partnership_auditor
from agencies.services import (
    agency_create,
    agency_status_change,
    agency_update,
    checklist_confirm,
    invitation_accept,
    invitation_create,
    invitation_for_token,
    invitation_resend,
    invitation_revoke,
    membership_create,
    membership_deactivate,
    membership_update,
    training_record_create,
)
from audit.models import AuditEvent
from isp_portal import policy
from tests.factories import SYSTEM, World, make_agency, make_user, sign_in

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Lantern-orchard-quietly-1987"


def messages_of(refused: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return dict(refused.value.message_dict)


def snapshot() -> dict[str, int]:
    """Row counts of everything these services write, and of the audit trail."""
    return {
        "agencies": Agency.objects.count(),
        "groups": Group.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "active_memberships": Membership.objects.filter(is_active=True).count(),
        "invitations": Invitation.objects.count(),
        "status_changes": AgencyStatusChange.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


def register(actor: Any, name: str, **values: Any) -> Agency:
    return agency_create(actor=actor, name=name, kind=AgencyKind.SCHOOL, sector="statutory", **values)


def today_plus(days: int) -> date:
    return timezone.localdate() + timedelta(days=days)


@pytest.fixture
def other_admin(world: World) -> User:
    return make_user(name="Oona Otheradmin", agency=world.other, roles=[Role.AGENCY_ADMIN])


# --- The register: names and ICO registrations ---------------------------------------------------------------


@pytest.mark.parametrize(
    "clash", ["RIVERSIDE PRIMARY SCHOOL", "riverside primary school", "  Riverside   Primary School "]
)
def test_a_second_agency_with_the_same_name_in_any_case_or_spacing_is_refused(world: World, clash: str) -> None:
    admin = world.users["partnership_admin"]
    register(admin, "Riverside Primary School")
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        register(admin, clash)
    normalised = " ".join(clash.split())
    assert messages_of(refused) == {"name": [f"An agency called {normalised} is already registered."]}
    assert snapshot() == before


def test_renaming_an_agency_onto_another_name_is_refused(world: World) -> None:
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        agency_update(
            actor=world.users["partnership_admin"], agency=world.other, name="home council children's SERVICES"
        )
    assert list(messages_of(refused)) == ["name"]
    assert "already registered" in messages_of(refused)["name"][0]
    world.other.refresh_from_db()
    assert world.other.name == "Other Police Force"
    assert snapshot() == before


def test_a_duplicate_ico_number_is_refused_however_it_is_typed(world: World) -> None:
    admin = world.users["partnership_admin"]
    register(
        admin,
        "Riverside Primary School",
        ico_registration_number="Z7654321",
        ico_registration_expires_on=today_plus(200),
    )
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        register(
            admin,
            "Hillside Academy",
            ico_registration_number=" z765 4321 ",
            ico_registration_expires_on=today_plus(200),
        )
    assert messages_of(refused) == {
        "ico_registration_number": ["ICO registration Z7654321 is already recorded for another agency."]
    }
    assert snapshot() == before


def test_an_agency_admin_cannot_record_another_agencys_ico_number(world: World, other_admin: User) -> None:
    agency_update(
        actor=SYSTEM, agency=world.home, ico_registration_number="Z1112223", ico_registration_expires_on=today_plus(90)
    )
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        agency_update(
            actor=other_admin,
            agency=world.other,
            ico_registration_number="Z1112223",
            ico_registration_expires_on=today_plus(90),
        )
    assert list(messages_of(refused)) == ["ico_registration_number"]
    world.other.refresh_from_db()
    assert (world.other.ico_registration_number, world.other.ico_registration_expires_on) == ("", None)
    assert snapshot() == before


def test_an_ico_registration_that_has_already_expired_is_refused_on_creation(world: World) -> None:
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        register(
            world.users["partnership_admin"],
            "Lapsed Academy",
            ico_registration_number="Z2223334",
            ico_registration_expires_on=today_plus(-1),
        )
    assert messages_of(refused) == {
        "ico_registration_expires_on": [
            "The ICO registration has already expired; renew it with the ICO before registering it here."
        ]
    }
    assert snapshot() == before
    # Its last day is still a registration in force.
    agency = register(
        world.users["partnership_admin"],
        "Last Day Academy",
        ico_registration_number="Z2223334",
        ico_registration_expires_on=today_plus(0),
    )
    assert agency.ico_status() == "expiring"


def test_an_expired_registration_is_refused_on_update_too(world: World) -> None:
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        agency_update(
            actor=world.users["agency_admin"],
            agency=world.home,
            ico_registration_number="Z3334445",
            ico_registration_expires_on=today_plus(-30),
        )
    assert messages_of(refused)["ico_registration_expires_on"] == [
        "The ICO registration has already expired; renew it with the ICO before recording it here."
    ]
    assert snapshot() == before


def test_every_bad_field_is_reported_at_once(world: World) -> None:
    register(world.users["partnership_admin"], "Riverside Primary School")
    with pytest.raises(ValidationError) as refused:
        agency_create(
            actor=world.users["partnership_admin"],
            name="riverside primary school",
            kind="spaceship",
            sector="galactic",
            phone="call the office",
            ico_registration_number="12345",
            ico_registration_expires_on=today_plus(10),
        )
    assert set(messages_of(refused)) == {"name", "kind", "sector", "phone", "ico_registration_number"}


@pytest.mark.parametrize(
    ("number", "expires_in_days", "field"),
    [
        ("Z4445556", None, "ico_registration_expires_on"),  # a number needs its expiry
        ("", 100, "ico_registration_number"),  # an expiry needs its number
    ],
)
def test_an_ico_number_and_its_expiry_come_together(
    world: World, number: str, expires_in_days: int | None, field: str
) -> None:
    expires = None if expires_in_days is None else today_plus(expires_in_days)
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        register(
            world.users["partnership_admin"],
            "Half Recorded School",
            ico_registration_number=number,
            ico_registration_expires_on=expires,
        )
    assert list(messages_of(refused)) == [field]
    assert snapshot() == before


# --- Who may change the register ------------------------------------------------------------------------------


def test_an_agency_admin_cannot_update_another_agency(world: World) -> None:
    before = snapshot()
    with pytest.raises(policy.NotPermitted):
        agency_update(actor=world.users["agency_admin"], agency=world.other, phone="020 8489 0000")
    world.other.refresh_from_db()
    assert world.other.phone == ""
    assert snapshot() == before


def test_an_agency_admin_cannot_change_the_register_fields_of_their_own_agency(world: World) -> None:
    before = snapshot()
    with pytest.raises(policy.NotPermitted):
        # The phone number alone would be allowed; together with the name, nothing is written.
        agency_update(actor=world.users["agency_admin"], agency=world.home, phone="020 8489 0000", name="Renamed")
    world.home.refresh_from_db()
    assert (world.home.name, world.home.phone) == ("Home Council Children's Services", "")
    assert snapshot() == before


@pytest.mark.parametrize("field", ["status", "created_at", "id"])
def test_fields_outside_the_register_cannot_be_changed_by_update(world: World, field: str) -> None:
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        agency_update(actor=world.users["partnership_admin"], agency=world.home, **{field: "left"})
    assert messages_of(refused) == {field: ["This cannot be changed here."]}
    world.home.refresh_from_db()
    assert world.home.status == AgencyStatus.ACTIVE
    assert snapshot() == before


@pytest.mark.parametrize("role", ["practitioner", "designated_manager", "agency_admin", "auditor", "other_agency"])
def test_only_partnership_admins_register_agencies(world: World, role: str) -> None:
    before = snapshot()
    with pytest.raises(policy.NotPermitted):
        register(world.users[role], "Self Registered Charity")
    assert snapshot() == before


# --- Partnership roles are never given by an agency admin ------------------------------------------------------


@pytest.mark.parametrize("whose", ["agency_admin", "practitioner"])
def test_an_agency_admin_cannot_make_anyone_a_partnership_admin(world: World, whose: str) -> None:
    admin = world.users["agency_admin"]
    membership = Membership.objects.get(user=world.users[whose], agency=world.home)
    roles_before = list(membership.roles)
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        membership_update(actor=admin, membership=membership, roles=[*roles_before, Role.PARTNERSHIP_ADMIN])
    assert messages_of(refused) == {"roles": ["The partnership admin role cannot be given within an agency."]}
    membership.refresh_from_db()
    assert membership.roles == roles_before
    assert snapshot() == before


def test_an_agency_admin_cannot_invite_a_partnership_admin(world: World) -> None:
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        invitation_create(
            actor=world.users["agency_admin"],
            agency=world.home,
            email="boss@test.example",
            full_name="Would-be Boss",
            roles=[Role.PRACTITIONER, Role.PARTNERSHIP_ADMIN],
        )
    assert messages_of(refused) == {"roles": ["The partnership admin role cannot be given within an agency."]}
    assert snapshot() == before


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.PARTNERSHIP_ADMIN])
def test_an_agency_admin_cannot_create_a_partnership_level_membership(world: World, role: str) -> None:
    """A partnership auditor or admin is a membership with no agency: only a partnership admin gives one."""
    before = snapshot()
    for target in (world.users["agency_admin"], world.users["no_role"]):
        with pytest.raises(policy.NotPermitted):
            membership_create(actor=world.users["agency_admin"], user=target, agency=None, roles=[role])
    assert not is_partnership_auditor(world.users["agency_admin"])
    assert snapshot() == before


def test_an_agency_admin_cannot_touch_a_partnership_membership(world: World) -> None:
    auditors = Membership.objects.get(user=world.users["auditor"], agency=None)
    before = snapshot()
    with pytest.raises(policy.OutOfScope):
        membership_update(actor=world.users["agency_admin"], membership=auditors, roles=[Role.PARTNERSHIP_ADMIN])
    with pytest.raises(policy.OutOfScope):
        membership_deactivate(actor=world.users["agency_admin"], membership=auditors, reason="Taking over")
    auditors.refresh_from_db()
    assert auditors.roles == [Role.AUDITOR] and auditors.is_active
    assert snapshot() == before


def test_the_auditor_role_given_inside_an_agency_is_scoped_to_that_agency(world: World) -> None:
    auditor = world.users["designated_manager"]  # an admin may not also be the auditor
    own = Membership.objects.get(user=auditor, agency=world.home)
    membership_update(
        actor=world.users["partnership_admin"], membership=own, roles=[Role.DESIGNATED_MANAGER, Role.AUDITOR]
    )
    auditor = User.objects.get(pk=auditor.pk)  # a fresh principal
    assert is_auditor(auditor)
    assert not is_partnership_auditor(auditor)
    assert audited_agencies(auditor) == frozenset({world.home.pk})


def test_an_agency_admin_cannot_make_themselves_its_auditor(world: World) -> None:
    admin = world.users["agency_admin"]
    own = Membership.objects.get(user=admin, agency=world.home)
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        membership_update(actor=admin, membership=own, roles=[Role.AGENCY_ADMIN, Role.AUDITOR])
    assert "partnership admin" in messages_of(refused)["roles"][0]
    after = snapshot()
    # Nothing changed but the record of the refused attempt (issue 8: every refusal is on the record).
    assert after.pop("audit_events") == before.pop("audit_events") + 1
    assert after == before
    assert AuditEvent.objects.filter(kind="access.refused", actor_id=admin.pk, outcome="denied").exists()


def test_an_agency_auditor_cannot_see_another_agencys_people(world: World) -> None:
    auditor = world.users["designated_manager"]  # an admin may not also be the auditor
    own = Membership.objects.get(user=auditor, agency=world.home)
    membership_update(
        actor=world.users["partnership_admin"], membership=own, roles=[Role.DESIGNATED_MANAGER, Role.AUDITOR]
    )
    auditor = User.objects.get(pk=auditor.pk)
    assert policy.can(auditor, "view_people", world.home)
    assert not policy.can(auditor, "view_people", world.other)


def test_inviting_someone_as_an_auditor_gets_a_field_level_answer(world: World) -> None:
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        invitation_create(
            actor=world.users["agency_admin"],
            agency=world.home,
            email="inspector@test.example",
            full_name="Ivy Inspector",
            roles=[Role.AUDITOR],
        )
    assert list(messages_of(refused)) == ["roles"]
    assert snapshot() == before


# --- Invitations --------------------------------------------------------------------------------------------------


def invite(world: World, email: str = "new.starter@test.example", **values: Any) -> tuple[Invitation, str]:
    return invitation_create(
        actor=world.users["agency_admin"],
        agency=world.home,
        email=email,
        full_name=values.pop("full_name", "New Starter"),
        roles=values.pop("roles", [Role.PRACTITIONER, Role.DESIGNATED_MANAGER]),
        job_title="Family support worker",
        **values,
    )


def test_an_invitation_is_accepted_once_with_the_password_the_person_chose(world: World) -> None:
    invitation, token = invite(world, email="  New.Starter@Test.Example ")
    assert invitation.email == "new.starter@test.example"
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    assert token not in invitation.token_digest  # only a digest is kept
    membership = invitation_accept(token=token, password=GOOD_PASSWORD)

    person = User.objects.get(email="new.starter@test.example")
    assert membership.user == person and membership.agency == world.home and membership.is_active
    assert sorted(membership.roles) == [Role.DESIGNATED_MANAGER, Role.PRACTITIONER]
    assert membership.job_title == "Family support worker"
    assert person.check_password(GOOD_PASSWORD) and person.full_name == "New Starter"
    assert person.groups.filter(name=f"agency:{world.home.pk}").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_by == person and invitation.accepted_at is not None
    accepted = AuditEvent.objects.get(kind="invitation.accept")
    assert accepted.actor_id == person.pk and accepted.object_id == str(invitation.pk)

    before = snapshot()
    with pytest.raises(ValidationError) as again:
        invitation_accept(token=token, password="Another-long-passphrase-55")
    assert messages_of(again) == {"token": ["This invitation link has expired, been used or been withdrawn."]}
    assert snapshot() == before
    assert User.objects.get(pk=person.pk).check_password(GOOD_PASSWORD)  # the second try changed nothing


def test_an_expired_invitation_is_refused(world: World) -> None:
    invitation, token = invite(world)
    # Eight days on: created a week and a day ago, ran out a day ago.
    now = timezone.now()
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=now - timedelta(days=8), expires_at=now - timedelta(days=1)
    )
    assert invitation_for_token(token) is None
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        invitation_accept(token=token, password=GOOD_PASSWORD)
    assert list(messages_of(refused)) == ["token"]
    assert snapshot() == before
    assert not User.objects.filter(email="new.starter@test.example").exists()


def test_an_invitation_still_works_in_its_last_minute(world: World) -> None:
    invitation, token = invite(world)
    now = timezone.now()
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=now - timedelta(days=7) + timedelta(minutes=1), expires_at=now + timedelta(minutes=1)
    )
    assert invitation_accept(token=token, password=GOOD_PASSWORD).agency == world.home


def test_a_weak_password_writes_nothing_and_the_link_still_works(world: World) -> None:
    invitation, token = invite(world)
    before = snapshot()
    for weak in ("short", "password123456", ""):
        with pytest.raises(ValidationError) as refused:
            invitation_accept(token=token, password=weak)
        assert list(messages_of(refused)) == ["password"]
    assert snapshot() == before
    assert Invitation.objects.get(pk=invitation.pk).accepted_at is None
    assert invitation_accept(token=token, password=GOOD_PASSWORD).user.email == "new.starter@test.example"


def test_a_withdrawn_or_resent_link_is_refused(world: World) -> None:
    withdrawn, withdrawn_token = invite(world, email="withdrawn@test.example")
    invitation_revoke(actor=world.users["agency_admin"], invitation=withdrawn)
    resent, old_token = invite(world, email="resent@test.example")
    _, new_token = invitation_resend(actor=world.users["agency_admin"], invitation=resent)
    before = snapshot()
    for token in (withdrawn_token, old_token, "not-a-token-at-all"):
        with pytest.raises(ValidationError) as refused:
            invitation_accept(token=token, password=GOOD_PASSWORD)
        assert list(messages_of(refused)) == ["token"]
    assert snapshot() == before
    assert invitation_accept(token=new_token, password=GOOD_PASSWORD).user.email == "resent@test.example"


def test_an_invitation_is_for_the_person_it_was_sent_to(world: World) -> None:
    _, token = invite(world, email=world.users["other_agency"].email)
    before = snapshot()
    with pytest.raises(ValidationError) as has_account:  # an existing account accepts signed in
        invitation_accept(token=token, password=GOOD_PASSWORD)
    assert list(messages_of(has_account)) == ["email"]
    with pytest.raises(ValidationError) as someone_else:
        invitation_accept(token=token, user=world.users["practitioner"])
    assert list(messages_of(someone_else)) == ["email"]
    assert snapshot() == before
    membership = invitation_accept(token=token, user=world.users["other_agency"])
    assert membership.agency == world.home and membership.user == world.users["other_agency"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"email": "EXISTING MEMBER"}, "email"),  # replaced below by an existing member's address, in capitals
        ({"full_name": "   "}, "full_name"),
        ({"roles": []}, "roles"),
    ],
)
def test_bad_invitations_are_refused_by_field(world: World, values: dict[str, Any], field: str) -> None:
    if values.get("email") == "EXISTING MEMBER":
        values = {"email": world.users["practitioner"].email.upper()}
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        invite(world, **values)
    assert list(messages_of(refused)) == [field]
    assert snapshot() == before


def test_a_suspended_agency_cannot_invite(world: World) -> None:
    agency_status_change(actor=SYSTEM, agency=world.home, to_status=AgencyStatus.SUSPENDED, reason="ICO lapsed")
    world.home.refresh_from_db()
    before = snapshot()
    # Refused by the policy with the reason (issue 8, item 4), before any input is looked at.
    with pytest.raises(policy.NotPermitted) as refused:
        invite(world)
    assert "is suspended from the partnership" in refused.value.reason
    assert snapshot() == before


def test_an_agency_admin_cannot_invite_into_another_agency(world: World) -> None:
    before = snapshot()
    with pytest.raises(policy.NotPermitted):
        invitation_create(
            actor=world.users["agency_admin"],
            agency=world.other,
            email="mole@test.example",
            full_name="Mole",
            roles=[Role.AGENCY_ADMIN],
        )
    assert snapshot() == before


def test_someone_whose_membership_ended_can_be_invited_back(world: World) -> None:
    person = world.users["practitioner"]
    membership = Membership.objects.get(user=person, agency=world.home)
    membership_deactivate(actor=world.users["agency_admin"], membership=membership, reason="Career break")
    with pytest.raises(ValidationError, match="invite the person again"):
        membership_update(actor=world.users["agency_admin"], membership=membership, job_title="Back")
    _, token = invite(world, email=person.email, full_name=person.full_name, roles=[Role.PRACTITIONER])
    back = invitation_accept(token=token, user=person)
    assert back.is_active and back.agency == world.home


# --- Ending a membership ends its person's sessions at once -----------------------------------------------------


def signed_in(client: Client) -> bool:
    response = client.get("/")
    return response.status_code == 200 and response.wsgi_request.user.is_authenticated


def test_deactivating_a_membership_ends_every_session_of_that_person_at_once(world: World) -> None:
    person = make_user(name="Leaving Soon", agency=world.home, roles=[Role.PRACTITIONER])
    laptop, phone = sign_in(Client(), person), sign_in(Client(), person)
    colleague = sign_in(Client(), world.users["practitioner"])
    assert signed_in(laptop) and signed_in(phone) and signed_in(colleague)
    membership = Membership.objects.get(user=person)

    membership_deactivate(actor=world.users["agency_admin"], membership=membership, reason="Left the service")

    response = laptop.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")
    assert not response.wsgi_request.user.is_authenticated
    assert not signed_in(phone)
    assert signed_in(colleague)  # nobody else is signed out
    membership.refresh_from_db()
    assert not membership.is_active and membership.deactivated_at is not None
    assert not User.objects.get(pk=person.pk).groups.filter(name=f"agency:{world.home.pk}").exists()
    event = AuditEvent.objects.get(kind="membership.deactivate", object_id=str(membership.pk))
    assert event.actor_id == world.users["agency_admin"].pk and event.detail == {"reason": "Left the service"}


def test_a_refused_deactivation_leaves_the_membership_and_its_sessions(world: World) -> None:
    person = world.users["practitioner"]
    browser = sign_in(Client(), person)
    membership = Membership.objects.get(user=person)
    stamp = User.objects.get(pk=person.pk).session_stamp
    before = snapshot()
    with pytest.raises(ValidationError) as no_reason:
        membership_deactivate(actor=world.users["agency_admin"], membership=membership, reason="   ")
    assert messages_of(no_reason) == {"reason": ["Say why this membership is ending."]}
    stranger = Membership.objects.get(user=world.users["other_agency"])
    with pytest.raises(policy.OutOfScope):
        membership_deactivate(actor=world.users["agency_admin"], membership=stranger, reason="Not ours")
    with pytest.raises(policy.NotPermitted):  # a practitioner sees their own membership but cannot end it
        membership_deactivate(actor=person, membership=membership, reason="I quit")
    assert snapshot() == before
    assert User.objects.get(pk=person.pk).session_stamp == stamp
    assert signed_in(browser)


def test_an_ended_membership_cannot_be_ended_again(world: World) -> None:
    membership = Membership.objects.get(user=world.users["practitioner"])
    membership_deactivate(actor=world.users["agency_admin"], membership=membership, reason="Left")
    before = snapshot()
    with pytest.raises(ValidationError) as again:
        membership_deactivate(actor=world.users["agency_admin"], membership=membership, reason="Left again")
    assert list(messages_of(again)) == ["membership"]
    assert snapshot() == before


# --- Status changes ------------------------------------------------------------------------------------------------


def test_a_status_change_is_recorded_with_its_reason_and_date(world: World) -> None:
    admin = world.users["partnership_admin"]
    last_week = today_plus(-7)
    change = agency_status_change(
        actor=admin,
        agency=world.home,
        to_status=AgencyStatus.SUSPENDED,
        reason="  Breach sanction  ",
        effective_on=last_week,
    )
    stored = AgencyStatusChange.objects.get(pk=change.pk)
    assert (stored.agency, stored.from_status, stored.to_status) == (world.home, "active", "suspended")
    assert (stored.reason, stored.effective_on, stored.changed_by) == ("Breach sanction", last_week, admin)
    world.home.refresh_from_db()
    assert world.home.status == AgencyStatus.SUSPENDED
    event = AuditEvent.objects.get(kind="agency.status_change")
    assert event.actor_id == admin.pk and event.object_id == str(world.home.pk)
    assert event.detail == {
        "from": "active",
        "to": "suspended",
        "reason": "Breach sanction",
        "effective_on": last_week.isoformat(),
    }

    agency_status_change(actor=admin, agency=world.home, to_status=AgencyStatus.ACTIVE, reason="Sanction served")
    history = list(AgencyStatusChange.objects.filter(agency=world.home).order_by("id"))
    assert [(c.from_status, c.to_status, c.effective_on) for c in history] == [
        ("active", "suspended", last_week),
        ("suspended", "active", timezone.localdate()),  # no date given: today
    ]


def test_a_bad_status_change_writes_nothing_and_names_every_field(world: World) -> None:
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        agency_status_change(
            actor=world.users["partnership_admin"],
            agency=world.home,
            to_status=AgencyStatus.ACTIVE,  # it already is
            reason=" ",
            effective_on=today_plus(1),
        )
    assert set(messages_of(refused)) == {"to_status", "reason", "effective_on"}
    with pytest.raises(ValidationError) as unknown:
        agency_status_change(
            actor=world.users["partnership_admin"], agency=world.home, to_status="dissolved", reason="x"
        )
    assert list(messages_of(unknown)) == ["to_status"]
    with pytest.raises(policy.NotPermitted):
        agency_status_change(
            actor=world.users["agency_admin"], agency=world.home, to_status=AgencyStatus.LEFT, reason="Leaving"
        )
    world.home.refresh_from_db()
    assert world.home.status == AgencyStatus.ACTIVE
    assert snapshot() == before


def test_an_agency_that_leaves_ends_its_memberships_and_their_sessions(world: World) -> None:
    browser = sign_in(Client(), world.users["practitioner"])
    outsider = sign_in(Client(), world.users["other_agency"])
    agency_status_change(
        actor=world.users["partnership_admin"], agency=world.home, to_status=AgencyStatus.LEFT, reason="Decommissioned"
    )
    assert not Membership.objects.filter(agency=world.home, is_active=True).exists()
    home_members = Membership.objects.filter(agency=world.home).count()
    assert AuditEvent.objects.filter(kind="membership.deactivate").count() == home_members == 3
    assert not signed_in(browser)
    assert signed_in(outsider)


# --- Every successful write is on the audit trail -----------------------------------------------------------------


def _create(world: World) -> tuple[str, User, Any]:
    admin = world.users["partnership_admin"]
    return "agency.create", admin, register(admin, "Audited Academy")


def _update(world: World) -> tuple[str, User, Any]:
    admin = world.users["agency_admin"]
    return "agency.update", admin, agency_update(actor=admin, agency=world.home, phone="020 8489 0000")


def _status(world: World) -> tuple[str, User, Any]:
    admin = world.users["partnership_admin"]
    agency_status_change(actor=admin, agency=world.other, to_status=AgencyStatus.SUSPENDED, reason="Audit")
    return "agency.status_change", admin, world.other


def _roles(world: World) -> tuple[str, User, Any]:
    admin = world.users["agency_admin"]
    membership = Membership.objects.get(user=world.users["practitioner"])
    return (
        "membership.update",
        admin,
        membership_update(actor=admin, membership=membership, roles=[Role.DESIGNATED_MANAGER]),
    )


def _member(world: World) -> tuple[str, User, Any]:
    admin = world.users["agency_admin"]
    membership = membership_create(
        actor=admin, user=world.users["no_role"], agency=world.home, roles=[Role.PRACTITIONER]
    )
    return "membership.create", admin, membership


def _invite(world: World) -> tuple[str, User, Any]:
    return "invitation.create", world.users["agency_admin"], invite(world)[0]


def _training(world: World) -> tuple[str, User, Any]:
    admin = world.users["agency_admin"]
    course = TrainingCourse.objects.filter(is_active=True).order_by("name").first()
    assert course is not None
    record = training_record_create(
        actor=admin, user=world.users["practitioner"], course=course, completed_on=today_plus(-3)
    )
    return "training.record", admin, record


def _checklist(world: World) -> tuple[str, User, Any]:
    admin = world.users["agency_admin"]
    requirement = SignatoryRequirement.objects.filter(is_active=True).order_by("number").first()
    assert requirement is not None
    confirmation = checklist_confirm(
        actor=admin, agency=world.home, requirement=requirement, confirmed_on=timezone.localdate()
    )
    return "checklist.confirm", admin, confirmation


@pytest.mark.parametrize("write", [_create, _update, _status, _roles, _member, _invite, _training, _checklist])
def test_each_successful_write_records_one_audit_event_naming_actor_and_target(
    world: World, write: Callable[[World], tuple[str, User, Any]]
) -> None:
    before = AuditEvent.objects.count()
    kind, actor, target = write(world)
    events = list(AuditEvent.objects.filter(kind=kind, object_id=str(target.pk)))
    assert len(events) == 1
    event = events[0]
    assert event.outcome == "success"
    assert (event.actor_id, event.actor_label) == (actor.pk, actor.email)
    assert event.object_type == target._meta.label_lower
    assert AuditEvent.objects.count() >= before + 1


def test_the_audit_event_names_the_actors_agency(world: World) -> None:
    agency_update(actor=world.users["agency_admin"], agency=world.home, phone="020 8489 0000")
    event = AuditEvent.objects.get(kind="agency.update")
    assert (event.actor_agency_id, event.actor_agency_label) == (world.home.pk, world.home.name)
    assert event.actor_role == "agency_admin"
    assert event.detail == {"changed": {"phone": ["", "+442084890000"]}}  # stored in E.164


def test_a_change_to_nothing_records_nothing(world: World) -> None:
    agency_update(actor=world.users["agency_admin"], agency=world.home, phone="020 8489 0000")
    membership = Membership.objects.get(user=world.users["practitioner"])
    before = snapshot()
    agency_update(actor=world.users["agency_admin"], agency=world.home, phone="020 8489 0000")
    membership_update(actor=world.users["agency_admin"], membership=membership, roles=[Role.PRACTITIONER])
    assert snapshot() == before


def test_the_system_is_named_when_it_writes(world: World) -> None:
    agency = make_agency("Seeded Service")
    event = AuditEvent.objects.get(kind="agency.create", object_id=str(agency.pk))
    assert event.actor_id is None and event.actor_label == "system: tests"
