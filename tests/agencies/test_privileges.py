"""Nobody widens their own access, and the partnership and each agency keep an administrator (issue 8,
item 2; DESIGN 4). Through the services, the pages and the API, with each refusal on the record."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from agencies.models import Membership, Role, TokenScope, User
from agencies.rules import WIDENING_FLAGS
from agencies.services import (
    PrivilegeRefused,
    invitation_create,
    membership_deactivate,
    membership_update,
    user_deactivate,
)
from audit.models import AuditEvent
from audit.services import audit_record
from isp_portal.audit_panel import _context as audit_panel
from tests.factories import SYSTEM, World, make_api_token, make_user, sign_in

pytestmark = pytest.mark.django_db


def own(world: World, role: str = "agency_admin") -> Membership:
    user = world.users[role]
    return Membership.objects.get(user=user, is_active=True)


def refusals(actor: User) -> int:
    return AuditEvent.objects.filter(kind="access.refused", actor_id=actor.pk, outcome="denied").count()


def api_client(user: User) -> Client:
    return sign_in(Client(), user)


def patch(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.patch(url, data=body, content_type="application/json")


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, data=body, content_type="application/json")


# --- Nobody widens their own access -------------------------------------------------------------------------


@pytest.mark.parametrize("flag", list(WIDENING_FLAGS))
def test_an_agency_admin_cannot_give_herself_a_widening_flag(world: World, flag: str) -> None:
    admin = world.users["agency_admin"]
    membership = own(world)
    with pytest.raises(PrivilegeRefused) as refused:
        membership_update(actor=admin, membership=membership, **{flag: True})
    assert "yourself" in refused.value.message_dict[flag][0]
    membership.refresh_from_db()
    assert getattr(membership, flag) is False
    assert refusals(admin) == 1


@pytest.mark.parametrize("flag", ["is_data_protection_officer", "is_caldicott_guardian", "authorised_for_restricted"])
def test_through_the_api_the_self_grant_is_a_400_on_the_field_and_on_the_record(world: World, flag: str) -> None:
    admin = world.users["agency_admin"]
    response = patch(api_client(admin), f"/api/v1/memberships/{own(world).pk}/", {flag: True})
    assert response.status_code == 400, response.content
    assert "yourself" in response.json()["error"]["fields"][flag][0]
    assert getattr(Membership.objects.get(pk=own(world).pk), flag) is False
    assert refusals(admin) == 1


def test_another_admin_of_the_agency_can_give_her_the_flag_and_take_it_away(world: World) -> None:
    colleague = make_user(name="Cole Colleague", agency=world.home, roles=[Role.AGENCY_ADMIN])
    membership = own(world)
    membership_update(actor=colleague, membership=membership, is_data_protection_officer=True)
    membership.refresh_from_db()
    assert membership.is_data_protection_officer
    # She may drop it herself (narrowing), and her colleague may take it away.
    membership_update(actor=world.users["agency_admin"], membership=membership, is_data_protection_officer=False)
    membership.refresh_from_db()
    assert not membership.is_data_protection_officer


def test_nobody_gives_themselves_a_role(world: World) -> None:
    admin = world.users["agency_admin"]
    with pytest.raises(PrivilegeRefused) as refused:
        membership_update(actor=admin, membership=own(world), roles=[Role.AGENCY_ADMIN, Role.DESIGNATED_MANAGER])
    assert "yourself" in refused.value.message_dict["roles"][0]
    partnership_admin = world.users["partnership_admin"]
    with pytest.raises(PrivilegeRefused):
        membership_update(
            actor=partnership_admin,
            membership=own(world, "partnership_admin"),
            roles=[Role.PARTNERSHIP_ADMIN, Role.AUDITOR],
        )


def test_nobody_invites_themselves(world: World) -> None:
    partnership_admin = world.users["partnership_admin"]
    with pytest.raises(PrivilegeRefused) as refused:
        invitation_create(
            actor=partnership_admin,
            agency=world.home,
            email=partnership_admin.email.upper(),
            full_name="Me Again",
            roles=[Role.AGENCY_ADMIN],
        )
    assert "yourself" in refused.value.message_dict["email"][0]


def test_the_membership_page_does_not_offer_a_flag_she_cannot_give_herself(world: World) -> None:
    admin = world.users["agency_admin"]
    client = sign_in(Client(), admin)
    url = f"/memberships/{own(world).pk}/edit/"
    page = client.get(url).content.decode()
    assert 'name="is_data_protection_officer"' in page and "disabled" in page
    assert "You cannot mark yourself data protection officer" in page
    # Sending it anyway changes nothing: a disabled field keeps its value.
    client.post(url, {"roles": [Role.AGENCY_ADMIN], "is_data_protection_officer": "on", "job_title": "Admin"})
    assert not Membership.objects.get(pk=own(world).pk).is_data_protection_officer


# --- A role given by someone with the standing is taken away only by such a person -------------------------------


def test_an_agency_admin_cannot_remove_the_auditor_role_a_partnership_admin_gave(world: World) -> None:
    member = Membership.objects.get(user=world.users["designated_manager"])
    membership_update(
        actor=world.users["partnership_admin"], membership=member, roles=[Role.DESIGNATED_MANAGER, Role.AUDITOR]
    )
    admin = world.users["agency_admin"]
    with pytest.raises(PrivilegeRefused) as refused:
        membership_update(actor=admin, membership=member, roles=[Role.DESIGNATED_MANAGER])
    assert "partnership admin" in refused.value.message_dict["roles"][0]
    response = patch(api_client(admin), f"/api/v1/memberships/{member.pk}/", {"roles": ["designated_manager"]})
    assert response.status_code == 400
    # On the page the role is not offered, and saving the form keeps it.
    client = sign_in(Client(), admin)
    page = client.get(f"/memberships/{member.pk}/edit/").content.decode()
    assert 'value="auditor"' not in page and "Also holds: auditor" in page
    client.post(f"/memberships/{member.pk}/edit/", {"roles": [Role.DESIGNATED_MANAGER], "job_title": "Lead"})
    member.refresh_from_db()
    assert member.roles == [Role.AUDITOR, Role.DESIGNATED_MANAGER] and member.job_title == "Lead"
    # The partnership admin, who gave it, can take it away.
    membership_update(actor=world.users["partnership_admin"], membership=member, roles=[Role.DESIGNATED_MANAGER])
    member.refresh_from_db()
    assert member.roles == [Role.DESIGNATED_MANAGER]


# --- The partnership and each agency keep an administrator -------------------------------------------------------


def test_the_only_partnership_admin_cannot_end_his_own_membership_through_the_api(world: World) -> None:
    admin = world.users["partnership_admin"]
    membership = own(world, "partnership_admin")
    response = post(api_client(admin), f"/api/v1/memberships/{membership.pk}/deactivate/", {"reason": "Bye"})
    assert response.status_code == 400, response.content
    # The body has no "membership" field: a refusal about the membership itself is named as no field.
    assert "only active admin of the partnership" in response.json()["error"]["fields"]["non_field_errors"][0]
    assert Membership.objects.get(pk=membership.pk).is_active
    assert refusals(admin) == 1
    # With a second partnership admin he may go.
    make_user(name="Second Admin", agency=None, roles=[Role.PARTNERSHIP_ADMIN])
    response = post(api_client(admin), f"/api/v1/memberships/{membership.pk}/deactivate/", {"reason": "Bye"})
    assert response.status_code == 200, response.content


def test_the_only_agency_admin_cannot_end_her_own_membership_and_a_token_does_not_count(world: World) -> None:
    admin = world.users["agency_admin"]
    make_api_token(world.home, [TokenScope.PEOPLE_ADMIN])  # a system account with the agency admin role
    with pytest.raises(PrivilegeRefused) as refused:
        membership_deactivate(actor=admin, membership=own(world), reason="Leaving")
    assert "only active admin of Home Council" in refused.value.message_dict["membership"][0]
    with pytest.raises(PrivilegeRefused):
        membership_deactivate(actor=world.users["partnership_admin"], membership=own(world), reason="Leaving")
    with pytest.raises(PrivilegeRefused):
        user_deactivate(actor=world.users["partnership_admin"], user=admin, reason="Leaving")
    with pytest.raises(PrivilegeRefused):
        membership_update(actor=world.users["partnership_admin"], membership=own(world), roles=[Role.PRACTITIONER])
    assert own(world).roles == [Role.AGENCY_ADMIN]


def test_an_inactive_admin_does_not_count_either(world: World) -> None:
    sleeper = make_user(name="Sleepy Admin", agency=world.home, roles=[Role.AGENCY_ADMIN])
    User.objects.filter(pk=sleeper.pk).update(is_active=False, deactivated_at=timezone.now())
    with pytest.raises(PrivilegeRefused):
        membership_deactivate(actor=SYSTEM, membership=own(world), reason="Leaving")


def test_with_another_admin_she_may_step_down(world: World) -> None:
    colleague = make_user(name="New Admin", agency=world.home, roles=[Role.AGENCY_ADMIN])
    membership_update(actor=colleague, membership=own(world), roles=[Role.AGENCY_ADMIN, Role.DESIGNATED_MANAGER])
    membership_update(actor=world.users["agency_admin"], membership=own(world), roles=[Role.DESIGNATED_MANAGER])
    assert own(world).roles == [Role.DESIGNATED_MANAGER]


def test_stepping_down_into_a_role_she_did_not_hold_is_giving_it_to_herself(world: World) -> None:
    # A practitioner opens child records, which an agency admin does not: that is a widening.
    make_user(name="New Admin", agency=world.home, roles=[Role.AGENCY_ADMIN])
    with pytest.raises(PrivilegeRefused):
        membership_update(actor=world.users["agency_admin"], membership=own(world), roles=[Role.PRACTITIONER])


def test_when_an_agency_leaves_every_membership_ends_admins_included(world: World) -> None:
    from agencies.services import agency_status_change

    agency_status_change(actor=world.users["partnership_admin"], agency=world.home, to_status="left", reason="Gone")
    assert not Membership.objects.filter(agency=world.home, is_active=True).exists()


# --- API tokens never administer administrators ---------------------------------------------------------------


def test_a_people_token_cannot_end_or_change_an_admins_membership_or_make_an_admin(world: World) -> None:
    _, secret = make_api_token(world.home, [TokenScope.PEOPLE_ADMIN])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    admin_membership = own(world)
    ended = post(client, f"/api/v1/memberships/{admin_membership.pk}/deactivate/", {"reason": "Sync"})
    assert ended.status_code == 403
    assert "cannot change or end an agency admin's membership" in ended.json()["error"]["message"]
    assert Membership.objects.get(pk=admin_membership.pk).is_active
    practitioner = Membership.objects.get(user=world.users["practitioner"])
    promoted = patch(client, f"/api/v1/memberships/{practitioner.pk}/", {"roles": ["agency_admin"]})
    assert promoted.status_code == 400
    assert "API token" in promoted.json()["error"]["fields"]["roles"][0]
    flagged = patch(client, f"/api/v1/memberships/{practitioner.pk}/", {"is_data_protection_officer": True})
    assert flagged.status_code == 400
    invited = post(
        client,
        "/api/v1/invitations/",
        {"agency": world.home.pk, "email": "boss@test.example", "full_name": "Boss", "roles": ["agency_admin"]},
    )
    assert invited.status_code == 400
    # What it is for: keeping the staff list in step.
    moved = patch(client, f"/api/v1/memberships/{practitioner.pk}/", {"job_title": "Senior practitioner"})
    assert moved.status_code == 200


def test_a_people_token_cannot_end_or_change_another_systems_account(world: World) -> None:
    """The fault as found: a people:admin token ended the membership of another token's system account, and so
    revoked that token, although no token makes or revokes tokens; it could change that account's roles too."""
    from agencies.models import ApiToken

    victim, victim_secret = make_api_token(world.home, [TokenScope.REGISTER_READ], name="Register reader")
    _, secret = make_api_token(world.home, [TokenScope.PEOPLE_ADMIN], name="People sync")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    account = Membership.objects.get(user=victim.user, agency=world.home)
    for response in (
        post(client, f"/api/v1/memberships/{account.pk}/deactivate/", {"reason": "Sync"}),
        patch(client, f"/api/v1/memberships/{account.pk}/", {"roles": ["designated_manager"]}),
    ):
        assert response.status_code == 403
        assert "another system's account" in response.json()["error"]["message"]
    account.refresh_from_db()
    assert account.is_active and account.roles == ["practitioner"]
    assert ApiToken.objects.get(pk=victim.pk).revoked_at is None
    assert Client(HTTP_AUTHORIZATION=f"Bearer {victim_secret}").get("/api/v1/me/").status_code == 200
    # Its agency's admin still can (it revokes the token with it).
    assert (
        post(
            api_client(world.users["agency_admin"]),
            f"/api/v1/memberships/{account.pk}/deactivate/",
            {"reason": "Retired"},
        ).status_code
        == 200
    )


# --- The DPO flag reads its own agency's part of the audit trail, not the partnership's --------------------------


def test_a_dpo_counts_only_her_own_agencys_audit_events(world: World) -> None:
    colleague = make_user(name="Cole Colleague", agency=world.home, roles=[Role.AGENCY_ADMIN])
    dpo = world.users["practitioner"]
    membership_update(actor=colleague, membership=own(world, "practitioner"), is_data_protection_officer=True)
    dpo = User.objects.get(pk=dpo.pk)
    other = world.users["other_agency"]
    for _ in range(3):
        audit_record(kind="test.other", actor=other, outcome="denied")
    audit_record(kind="test.home", actor=world.users["designated_manager"], outcome="denied")
    mine = audit_panel(dpo)
    everyone = audit_panel(world.users["auditor"])  # a partnership auditor
    assert mine["whole_partnership"] is False and everyone["whole_partnership"] is True
    assert everyone["denials_today"] - mine["denials_today"] >= 3
    home_denials = AuditEvent.objects.filter(actor_agency_id=world.home.pk, outcome="denied").count()
    assert mine["denials_today"] == home_denials


def test_refusals_are_validation_errors_for_forms_and_the_api() -> None:
    assert issubclass(PrivilegeRefused, ValidationError)


@pytest.mark.django_db(transaction=True)
def test_two_admins_ending_each_others_memberships_at_once_leave_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """The race: each request counts the other admin, then ends a membership. Counting happens under a lock
    for the agency, so the second request waits, counts again and is refused (and nobody deadlocks)."""
    import contextlib
    import threading
    import uuid

    from django.db import connection

    from agencies.services import people
    from tests.factories import make_agency

    agency = make_agency(f"Race Agency {uuid.uuid4().hex[:8]}")
    first = make_user(name="First Admin", agency=agency, roles=[Role.AGENCY_ADMIN], device=False)
    second = make_user(name="Second Admin", agency=agency, roles=[Role.AGENCY_ADMIN], device=False)
    memberships = [Membership.objects.get(user=user) for user in (first, second)]
    counted = threading.Barrier(2)
    real = people.last_admin_problem

    def count_then_wait(**values: Any) -> Any:
        # Without the lock both requests would count one other admin here before either writes.
        with contextlib.suppress(threading.BrokenBarrierError):
            counted.wait(timeout=2)
        return real(**values)

    monkeypatch.setattr(people, "last_admin_problem", count_then_wait)
    outcomes: list[str] = []

    def end(membership: Membership) -> None:
        try:
            membership_deactivate(actor=SYSTEM, membership=membership, reason="Race")
            outcomes.append("ended")
        except PrivilegeRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=end, args=(membership,)) for membership in memberships]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["ended", "refused"]
    assert Membership.objects.filter(agency=agency, is_active=True).count() == 1


def test_ending_a_membership_cannot_take_away_a_role_the_ender_could_not_remove(world: World) -> None:
    """Ending a membership removes every role it holds: an agency admin may not use it to take away the auditor
    role a partnership admin gave, by the service, the API or the page; the partnership admin may."""
    member = Membership.objects.get(user=world.users["designated_manager"])
    membership_update(
        actor=world.users["partnership_admin"], membership=member, roles=[Role.DESIGNATED_MANAGER, Role.AUDITOR]
    )
    admin = world.users["agency_admin"]
    before = refusals(admin)
    with pytest.raises(PrivilegeRefused) as refused:
        membership_deactivate(actor=admin, membership=member, reason="Removing the auditor")
    assert "auditor role" in refused.value.message_dict["membership"][0]
    assert refusals(admin) == before + 1
    response = post(api_client(admin), f"/api/v1/memberships/{member.pk}/deactivate/", {"reason": "Again"})
    assert response.status_code == 400
    page = sign_in(Client(), admin).post(f"/memberships/{member.pk}/deactivate/", {"reason": "And again"})
    assert page.status_code == 200 and "auditor role" in page.content.decode()
    member.refresh_from_db()
    assert member.is_active and Role.AUDITOR in member.roles
    membership_deactivate(actor=world.users["partnership_admin"], membership=member, reason="Left the council")
    member.refresh_from_db()
    assert not member.is_active


def test_the_agency_page_does_not_offer_to_end_the_only_admins_membership(world: World) -> None:
    admin = world.users["agency_admin"]
    own_membership = own(world)
    other = Membership.objects.get(user=world.users["practitioner"])
    page = sign_in(Client(), admin).get(f"/agencies/{world.home.pk}/").content.decode()
    assert f"/memberships/{own_membership.pk}/deactivate/" not in page
    assert "Only admin" in page
    assert f"/memberships/{other.pk}/deactivate/" in page


# --- Training opens child records (the training gate), so nobody records their own ----------------------------


def _sharing_course() -> Any:
    from agencies.models import TrainingCourse

    course = TrainingCourse.objects.filter(is_information_sharing=True, is_active=True).order_by("name").first()
    assert course is not None
    return course


def test_an_agency_admin_cannot_record_her_own_training_by_any_route(world: World) -> None:
    """The fault as found: an agency admin recorded her own information-sharing course, through the API and
    by importing a CSV naming herself, and so lifted the training gate on child records for herself."""
    from agencies.models import TrainingRecord

    admin = world.users["agency_admin"]
    course = _sharing_course()
    client = sign_in(Client(), admin)
    today = timezone.localdate().isoformat()
    response = client.post(
        "/api/v1/training-records/",
        {"user": admin.pk, "course": course.pk, "completed_on": today},
        content_type="application/json",
    )
    assert response.status_code == 400 and "own training" in str(response.json()["error"]["fields"]["user"])
    assert (
        AuditEvent.objects.filter(kind="access.refused", actor_id=admin.pk, detail__action="training.record").count()
        == 1
    )
    csv = f"email,course,completed_on\n{admin.email},{course.name},{today}\n"
    response = client.post(
        "/api/v1/training-records/import/", {"agency": world.home.pk, "csv": csv}, content_type="application/json"
    )
    assert response.status_code == 400 and "own training" in str(response.json()["error"]["fields"])
    assert not TrainingRecord.objects.filter(user=admin).exists()
    # The page does not offer her herself.
    page = client.get(f"/agencies/{world.home.pk}/training/add/").content.decode()
    assert f'<option value="{admin.pk}"' not in page
    assert f'<option value="{world.users["practitioner"].pk}"' in page


def test_another_admin_records_her_training(world: World) -> None:
    from agencies.services import training_record_create

    admin = world.users["agency_admin"]
    record = training_record_create(
        actor=world.users["partnership_admin"], user=admin, course=_sharing_course(), completed_on=timezone.localdate()
    )
    assert record.user == admin


# --- Separation of duties: nobody audits their own administration (issue 8, item 2) ------------------------------


@pytest.mark.parametrize(
    ("roles", "refused"),
    [
        (["auditor", "partnership_admin"], True),
        (["agency_admin", "auditor"], True),
        (["agency_admin", "auditor", "practitioner"], True),
        (["auditor"], False),
        (["auditor", "designated_manager"], False),
        (["agency_admin", "partnership_admin"], False),
    ],
)
def test_the_auditor_role_is_never_held_with_an_admin_role(roles: list[str], refused: bool) -> None:
    from agencies.rules import role_combination_problem

    problem = role_combination_problem(
        roles, {"partnership_admin": "Partnership admin", "agency_admin": "Agency admin"}
    )
    assert (problem is not None) is refused
    assert problem is None or "separation of duties" in problem


def test_a_partnership_admin_cannot_make_an_auditor_an_admin_too_by_any_route(world: World) -> None:
    """The fault as found: a partnership admin PATCHed another person's membership to auditor and partnership
    admin (200), and that person then audited her own administration."""
    admin = world.users["partnership_admin"]
    auditor = own(world, "auditor")
    response = patch(
        api_client(admin), f"/api/v1/memberships/{auditor.pk}/", {"roles": ["auditor", "partnership_admin"]}
    )
    assert response.status_code == 400, response.content
    assert "separation of duties" in response.json()["error"]["fields"]["roles"][0]
    assert Membership.objects.get(pk=auditor.pk).roles == [Role.AUDITOR]
    assert refusals(admin) == 1
    # Within an agency too: the agency admin who is also its auditor.
    member = Membership.objects.get(user=world.users["agency_admin"])
    with pytest.raises(PrivilegeRefused) as refused:
        membership_update(actor=admin, membership=member, roles=[Role.AGENCY_ADMIN, Role.AUDITOR])
    assert "separation of duties" in refused.value.message_dict["roles"][0]
    assert refusals(admin) == 2
    # The page says so before anyone ticks both, and refuses the pair when sent.
    client = sign_in(Client(), admin)
    page = client.get(f"/memberships/{auditor.pk}/edit/").content.decode()
    assert "cannot be held with an admin role" in page
    response = client.post(f"/memberships/{auditor.pk}/edit/", {"roles": [Role.AUDITOR, Role.PARTNERSHIP_ADMIN]})
    assert response.status_code == 200 and "separation of duties" in response.content.decode()
    assert Membership.objects.get(pk=auditor.pk).roles == [Role.AUDITOR]
    assert refusals(admin) == 3


def test_the_database_refuses_an_auditor_who_is_an_admin() -> None:
    from django.db import IntegrityError, transaction

    user = make_user(name="Ava Auditor", agency=None, roles=[Role.AUDITOR])
    with pytest.raises(IntegrityError, match="membership_auditor_not_admin"), transaction.atomic():
        Membership.objects.filter(user=user).update(roles=[Role.AUDITOR, Role.PARTNERSHIP_ADMIN])


# --- A token is its maker's hand: it records no training for them (issue 8, item 2) -------------------------------


def test_a_token_cannot_record_training_for_the_person_who_made_it_nor_for_its_own_account(world: World) -> None:
    """The fault as found: an agency admin, refused her own training, made a training:write token and recorded
    it through that."""
    from agencies.models import TrainingRecord

    admin = world.users["agency_admin"]
    token, secret = make_api_token(world.home, [TokenScope.TRAINING_WRITE], actor=admin)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    course = _sharing_course()
    today = timezone.localdate().isoformat()
    for person in (admin, token.user):
        response = post(
            client, "/api/v1/training-records/", {"user": person.pk, "course": course.pk, "completed_on": today}
        )
        assert response.status_code == 400, response.content
        assert "own training" in str(response.json()["error"]["fields"]["user"])
        assert not TrainingRecord.objects.filter(user=person).exists()
    assert (
        AuditEvent.objects.filter(
            kind="access.refused", actor_id=token.user_id, detail__action="training.record"
        ).count()
        == 2
    )
    # Its import refuses the same row.
    csv = f"email,course,completed_on\n{admin.email},{course.name},{today}\n"
    response = post(client, "/api/v1/training-records/import/", {"agency": world.home.pk, "csv": csv})
    assert response.status_code == 400 and "own training" in str(response.json()["error"]["fields"])
    # What it is for: recording the training of others.
    practitioner = world.users["practitioner"]
    response = post(
        client, "/api/v1/training-records/", {"user": practitioner.pk, "course": course.pk, "completed_on": today}
    )
    assert response.status_code == 201, response.content


# --- A vetting check date widens access: nobody sets their own (issue 8, item 2) ---------------------------------


def test_an_agency_admin_cannot_set_her_own_vetting_date_by_any_route(world: World) -> None:
    admin = world.users["agency_admin"]
    membership = own(world)
    day = timezone.localdate().isoformat()
    response = patch(api_client(admin), f"/api/v1/memberships/{membership.pk}/", {"vetting_checked_on": day})
    assert response.status_code == 400, response.content
    assert "own vetting check date" in response.json()["error"]["fields"]["vetting_checked_on"][0]
    assert Membership.objects.get(pk=membership.pk).vetting_checked_on is None
    assert refusals(admin) == 1
    # The page shows it disabled, with the reason; sending it anyway changes nothing.
    client = sign_in(Client(), admin)
    url = f"/memberships/{membership.pk}/edit/"
    page = client.get(url).content.decode()
    assert "You cannot set your own vetting check date" in page
    today = timezone.localdate()
    client.post(
        url,
        {
            "roles": [Role.AGENCY_ADMIN],
            "vetting_checked_on_day": today.day,
            "vetting_checked_on_month": today.month,
            "vetting_checked_on_year": today.year,
        },
    )
    assert Membership.objects.get(pk=membership.pk).vetting_checked_on is None
    # Someone with the standing sets it.
    membership_update(actor=world.users["partnership_admin"], membership=membership, vetting_checked_on=today)
    assert Membership.objects.get(pk=membership.pk).vetting_checked_on == today
    # A practitioner's is set by her admin.
    practitioner = Membership.objects.get(user=world.users["practitioner"])
    membership_update(actor=admin, membership=practitioner, vetting_checked_on=today)
    assert Membership.objects.get(pk=practitioner.pk).vetting_checked_on == today


# --- A refusal inside the caller's view says why (issue 8, item 11) ----------------------------------------------


def test_a_practitioner_asking_for_a_token_for_her_agency_is_told_who_can_make_one(world: World) -> None:
    practitioner = world.users["practitioner"]
    response = post(
        api_client(practitioner),
        "/api/v1/api-tokens/",
        {
            "agency": world.home.pk,
            "name": "Case system",
            "scopes": ["register:read"],
            "expires_at": (timezone.now() + timezone.timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 403, response.content
    assert "does not exist" not in response.content.decode()
    assert "admin" in response.json()["error"]["message"]
    # The same for every body relation in her view but not hers to act on (the kind): 403 with the reason.
    client = api_client(practitioner)
    today = timezone.localdate().isoformat()
    for url, body in (
        (
            "/api/v1/invitations/",
            {"agency": world.home.pk, "email": "x@test.example", "full_name": "X", "roles": ["practitioner"]},
        ),
        ("/api/v1/training-records/", {"user": practitioner.pk, "course": _sharing_course().pk, "completed_on": today}),
    ):
        response = post(client, url, body)
        assert response.status_code == 403, (url, response.content)
        assert "does not exist" not in response.content.decode()
