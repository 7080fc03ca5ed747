"""The policy mechanism: deny by default, 404 outside scope, 403 inside, role predicates without a query
storm (DESIGN 3.2)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType

from agencies.models import Agency, Membership, Role
from agencies.policy import (
    is_agency_admin,
    is_auditor,
    is_caldicott_or_dpo,
    is_designated_manager,
    is_partnership_admin,
    is_practitioner,
    principal,
)
from isp_portal import policy
from isp_portal.audit_panel import AUDIT_TRAIL
from isp_portal.models import Notification
from isp_portal.notifications import notify
from tests.factories import World, make_user

pytestmark = pytest.mark.django_db


def test_a_model_without_a_policy_is_invisible_to_everyone(world: World) -> None:
    user = world.users["partnership_admin"]
    assert policy.restrict(user, "view", ContentType).count() == 0
    assert not policy.can(user, "view", ContentType.objects.first())
    with pytest.raises(policy.OutOfScope):
        policy.require(user, "view", ContentType.objects.first())


def test_anonymous_sees_nothing(world: World) -> None:
    assert policy.restrict(AnonymousUser(), "view", Agency).count() == 0
    assert not policy.can(AnonymousUser(), "view", world.home)


def test_a_user_without_a_role_sees_nothing(world: World) -> None:
    nobody = world.users["no_role"]
    assert policy.restrict(nobody, "view", Agency).count() == 0
    assert policy.restrict(nobody, "view", Membership).count() == 0
    assert not policy.can(nobody, "view", AUDIT_TRAIL)


def test_out_of_scope_is_404_and_in_scope_without_permission_is_403(world: World) -> None:
    user = world.users["practitioner"]
    notify(recipient_id=world.users["designated_manager"].pk, key="k", subject="s", body="b")
    someone_elses = Notification.objects.get()
    with pytest.raises(policy.OutOfScope):
        policy.get_or_deny(user, Notification, pk=someone_elses.pk)
    # The practitioner can see the agency directory but not change another agency.
    with pytest.raises(policy.NotPermitted) as denied:
        policy.require(user, "change", world.other)
    assert "agency's admins" in denied.value.reason
    policy.require(world.users["agency_admin"], "change", world.home)
    with pytest.raises(policy.NotPermitted):
        policy.require(world.users["agency_admin"], "change", world.other)


def test_agency_admin_scope_is_their_own_agency(world: World) -> None:
    admin = world.users["agency_admin"]
    visible = set(policy.restrict(admin, "view", Membership).values_list("agency_id", flat=True))
    assert visible == {world.home.pk}
    changeable = set(policy.restrict(admin, "change", Agency).values_list("pk", flat=True))
    assert changeable == {world.home.pk}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("practitioner", {"practitioner"}),
        ("designated_manager", {"practitioner", "designated_manager"}),
        ("agency_admin", {"agency_admin"}),
        ("partnership_admin", {"partnership_admin"}),
        ("auditor", {"auditor"}),
        ("other_agency", set()),  # a practitioner, but of the other agency
        ("no_role", set()),
    ],
)
def test_role_predicates(world: World, role: str, expected: set[str], django_assert_num_queries: Any) -> None:
    user = world.users[role]
    home = world.home.pk
    with django_assert_num_queries(1):  # one query loads the memberships; every question after is free
        answers = {
            "practitioner": is_practitioner(user, home),
            "designated_manager": is_designated_manager(user, home),
            "agency_admin": is_agency_admin(user, home),
            "partnership_admin": is_partnership_admin(user),
            "auditor": is_auditor(user),
        }
        for _ in range(20):
            is_practitioner(user, home)
            is_caldicott_or_dpo(user)
    assert {name for name, yes in answers.items() if yes} == expected


def test_inactive_memberships_give_no_roles(world: World) -> None:
    from agencies.services import membership_deactivate

    user = world.users["practitioner"]
    membership_deactivate(actor=world.users["agency_admin"], membership=user.memberships.get(), reason="moved")
    user.refresh_from_db()
    assert not is_practitioner(user) and principal(user).memberships == ()


def test_partnership_roles_cannot_sit_in_an_agency_even_past_the_service(world: World) -> None:
    from django.db import IntegrityError, transaction

    user = make_user(name="Sneaky Admin")
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, agency=world.home, roles=[Role.PARTNERSHIP_ADMIN])
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, agency=None, roles=[Role.PRACTITIONER])
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, agency=world.home, roles=["superuser"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, agency=world.home, roles=[])


def test_an_agency_admin_cannot_grant_partnership_roles(world: World) -> None:
    from django.core.exceptions import ValidationError

    from agencies.services import membership_create

    target = make_user(name="Would Be")
    with pytest.raises(ValidationError, match="partnership admin role cannot be given within an agency"):
        membership_create(
            actor=world.users["agency_admin"], user=target, agency=world.home, roles=[Role.PARTNERSHIP_ADMIN]
        )
    with pytest.raises(policy.NotPermitted):
        membership_create(actor=world.users["agency_admin"], user=target, agency=None, roles=[Role.PARTNERSHIP_ADMIN])
    with pytest.raises(policy.NotPermitted):
        membership_create(actor=world.users["agency_admin"], user=target, agency=world.other, roles=[Role.PRACTITIONER])
    assert not Membership.objects.filter(user=target).exists()


def test_denials_are_recorded_once_with_the_request(world: World, client_for: Any) -> None:
    from audit.models import AuditEvent

    notify(recipient_id=world.users["designated_manager"].pk, key="k", subject="s", body="b")
    pk = Notification.objects.get().pk
    response = client_for("practitioner").post(f"/notifications/{pk}/read/")
    assert response.status_code == 404
    events = AuditEvent.objects.filter(kind="access.denied")
    assert events.count() == 1
    event = events.get()
    assert event.actor_id == world.users["practitioner"].pk and event.detail["status"] == 404
    assert event.object_type == "isp_portal.notification" and event.object_id == str(pk)
    assert str(event.request_id) == response["X-Request-ID"]
