"""The break12b fixes beyond the tester's findings: the shield at submission names no involvement, an open request
is kept too, a second withdrawal click is not an access denial."""

from __future__ import annotations

import contextlib
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape

from agencies.models import Agency
from audit.models import AuditEvent
from disclosures.models import InformationRequest
from disclosures.services import request_submit
from disclosures.services.requests import SHIELDED_HOLDER
from sharing.models import Child, ShieldedAccess
from tests.disclosures.fixtures import case, school_of, school_world, submit
from tests.disclosures.test_api import client
from tests.disclosures.test_unrequested_pages import with_purpose
from tests.factories import World
from tests.sharing.fixtures import PURPOSE, fresh, make_child

pytestmark = pytest.mark.django_db


def _ask(world: World, child: Child, holding: Agency) -> InformationRequest:
    return request_submit(
        actor=fresh(world.users["school"]), child=child, holding_agency=holding, purpose=PURPOSE,
        tiers=["minimum"], categories=[], need_to_know="The child is frightened at home.",
        consent_basis="refused", override_ground="significant_harm",
    )  # fmt: skip


def test_a_shielded_child_is_asked_about_only_of_the_agency_the_shield_names(world: World) -> None:
    school_world(world)
    kid = make_child(world, "Sia", "Hidden", shielded=True, born_on=date(2014, 5, 6), nhs_number="9990000026")
    ShieldedAccess.objects.create(
        child=kid, user=world.users["school"], agency=school_of(world), on_date=timezone.localdate()
    )
    with pytest.raises(ValidationError) as refused:
        _ask(world, kid, world.other)  # the police: not involved, not named to the school
    assert refused.value.message_dict == {"holding_agency": [SHIELDED_HOLDER]}
    assert not InformationRequest.objects.filter(child=kid).exists()
    assert _ask(world, kid, world.home).holding_agency_id == world.home.pk  # the shielding agency, the contact


def test_an_open_request_cannot_be_deleted_in_the_database(world: World) -> None:
    made = case(world)
    request = submit(made)
    with contextlib.suppress(Exception), transaction.atomic():
        InformationRequest.objects.filter(pk=request.pk).delete()
    assert InformationRequest.objects.filter(pk=request.pk).exists()


def test_a_second_withdrawal_click_says_it_was_withdrawn(world: World) -> None:
    made = case(world)
    request = submit(made)
    school = client(world, "school")
    withdraw = f"/requests/{request.pk}/withdraw/"
    assert school.post(withdraw, {"reason": "No longer needed."}).status_code == 302
    denials = AuditEvent.objects.filter(kind="access.denied").count()
    again = school.post(withdraw, {"reason": "No longer needed."}, follow=True)
    assert again.status_code == 200 and "already withdrawn" in again.content.decode()
    assert AuditEvent.objects.filter(kind="access.denied").count() == denials


def test_the_request_form_offers_only_the_agencies_the_shield_lets_the_requester_ask(world: World) -> None:
    school_world(world)
    kid = make_child(world, "Sia", "Hidden", shielded=True, born_on=date(2014, 5, 6), nhs_number="9990000026")
    ShieldedAccess.objects.create(
        child=kid, user=world.users["school"], agency=school_of(world), on_date=timezone.localdate()
    )
    school = with_purpose(client(world, "school"), kid)
    form = school.get(f"/children/{kid.pk}/requests/new/").content.decode()
    assert escape(world.home.name) in form and world.other.name not in form
    plain = case(world)  # an unshielded child: every agency the school shares a protocol with
    form = with_purpose(school, plain.child).get(f"/children/{plain.child.pk}/requests/new/").content.decode()
    assert escape(world.home.name) in form and world.other.name in form
