"""Defects found by a fresh tester trying to break issue 14 (breaches of protocol). Each was a strict xfail; both are
fixed (F1: breaches.hearing_policy.deliberation_item_scope; F2: breaches.rules.done_on)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from agencies.models import Role, User
from agencies.services.people import membership_create
from breaches import rules
from breaches.models import Breach, Obligation, ObligationKind
from breaches.services import hearings
from breaches.services.breaches import breach_report
from tests.breaches.hearing_fixtures import advance, breach_of
from tests.factories import SYSTEM, World, make_user, sign_in
from tests.protocol_fixtures import protocol_in_force

pytestmark = pytest.mark.django_db


def _partnership_member_of_the_agency_in_breach(world: World, role: str) -> User:
    """A partnership admin (or partnership auditor) who is also a practitioner of the agency in breach: a user in two
    memberships, one of them in the withdrawn agency."""
    user = make_user(name=f"Dual {role}", agency=None, roles=[role])
    membership_create(actor=SYSTEM, user=user, agency=world.other, roles=[Role.PRACTITIONER])
    return user


@pytest.mark.parametrize("role", [Role.PARTNERSHIP_ADMIN, Role.AUDITOR])
def test_f1_a_partnership_member_of_the_agency_in_breach_sees_no_draft_sanctions_or_votes_in_the_api(
    world: World, role: str
) -> None:
    breach = breach_of(world, world.other, key="b")
    advance(world, breach, "deliberating")  # a formal warning drafted and the home agency's vote cast
    dual = _partnership_member_of_the_agency_in_breach(world, role)
    client = sign_in(Client(), dual)
    # The deliberation itself is refused (403, audited): recusal does reach this user...
    assert client.get(f"/api/v1/breaches/{breach.pk}/hearing/?notes=1").status_code == 403
    body = client.get(f"/api/v1/breaches/{breach.pk}/hearing/").json()
    assert body["withdrawn"] is True
    # ...but the hearing read lists the draft sanctions and the votes.
    assert body["sanctions"] == [] and body["votes"] == []


@pytest.mark.parametrize("role", [Role.PARTNERSHIP_ADMIN, Role.AUDITOR])
def test_f1_a_partnership_member_of_the_agency_in_breach_sees_no_draft_sanctions_or_votes_on_the_page(
    world: World, role: str
) -> None:
    breach = breach_of(world, world.other, key="b")
    advance(world, breach, "deliberating")
    dual = _partnership_member_of_the_agency_in_breach(world, role)
    page = sign_in(Client(), dual).get(f"/breaches/{breach.pk}/hearing/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Your agency is withdrawn" in html
    assert "Draft sanctions" not in html and "The breach was serious." not in html
    assert "Votes" not in html


def test_f2_a_meeting_held_in_time_but_recorded_later_is_not_late(world: World) -> None:
    today = timezone.localdate()
    admin = world.users["partnership_admin"]
    occurred = today - timedelta(days=45)
    breach: Breach = breach_report(
        actor=admin,
        protocol=protocol_in_force(world),
        alleged_agency=world.other,
        occurred_on=occurred,
        identified_on=occurred + timedelta(days=1),
        description="A case note was emailed to the wrong school.",
    )
    due_on = rules.obligation_due_dates(occurred, occurred + timedelta(days=1))["partners_meeting"]
    assert due_on < today  # the meeting was held on its last day, in time; it is recorded afterwards
    hearings.hearing_schedule(actor=admin, breach=breach, held_on=due_on)
    hearings.hearing_present(actor=admin, breach=breach)
    step = Obligation.objects.get(breach=breach, kind=ObligationKind.PARTNERS_MEETING)
    assert step.completed_at is not None
    assert rules.lateness(step.due_at, step.completed_at, now=step.completed_at) is None
