"""The agency's page reads the agency and its compliance figures in one plain SQL statement
(agencies.selectors.agency_page; issue 9). Its figures must be those the ORM reads give
(agency_compliance without the facts), its people those the policy lets the user see, and a missing agency
a recorded 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from agencies import selectors
from agencies.models import Agency, Role, SignatoryRequirement, TrainingCourse
from agencies.services import checklist_confirm, training_record_create
from audit.models import AuditEvent
from isp_portal.policy import OutOfScope
from tests.factories import SYSTEM, World, make_agency, make_user
from tests.matrix import client_as

pytestmark = pytest.mark.django_db


def test_the_page_facts_are_the_orm_figures(world: World) -> None:
    today = timezone.localdate()
    course = TrainingCourse.objects.filter(is_active=True, is_information_sharing=True).order_by("name").first()
    assert course is not None
    training_record_create(
        actor=SYSTEM, user=world.users["practitioner"], course=course, completed_on=today - timedelta(days=3)
    )
    make_user(name="Untrained Person", agency=world.home, roles=[Role.PRACTITIONER])
    requirements = list(SignatoryRequirement.objects.filter(is_active=True).order_by("number"))
    checklist_confirm(
        actor=SYSTEM, agency=world.home, requirement=requirements[0], confirmed_on=today - timedelta(days=400)
    )
    checklist_confirm(actor=SYSTEM, agency=world.home, requirement=requirements[0], confirmed_on=today)
    checklist_confirm(actor=SYSTEM, agency=world.home, requirement=requirements[1], confirmed_on=today)
    child = make_agency("Zeta Commissioned Service", parent=world.home)
    make_agency("Alpha Commissioned Service", parent=world.home)

    user = world.users["agency_admin"]
    agency = selectors.agency_page(user, world.home.pk, today)
    plain = Agency.objects.get(pk=world.home.pk)
    assert selectors.agency_compliance(agency, today) == selectors.agency_compliance(plain, today)
    assert agency.page_facts.latest_confirmations == {  # type: ignore[attr-defined]
        requirements[0].pk: today,
        requirements[1].pk: today,
    }
    assert [row["name"] for row in agency.page_facts.commissioned] == [  # type: ignore[attr-defined]
        "Alpha Commissioned Service",
        "Zeta Commissioned Service",
    ]
    assert selectors.agency_page(user, child.pk, today).parent.name == world.home.name  # type: ignore[union-attr]

    people = selectors.agency_people(user, agency, today)
    expected = {m.user.full_name for m in world.home.memberships.filter(is_active=True, user__is_system=False)}
    assert {m.user.full_name for m in people} == expected
    assert [m.user.full_name for m in people] == sorted(m.user.full_name for m in people)
    trained = {m.user_id: m.trained for m in people}  # type: ignore[attr-defined]
    assert trained[world.users["practitioner"].pk] is True
    assert sum(trained.values()) == selectors.agency_compliance(plain, today).members_trained


def test_a_missing_agency_is_a_recorded_404(world: World) -> None:
    with pytest.raises(OutOfScope):
        selectors.agency_page(world.users["practitioner"], 999999)
    before = AuditEvent.objects.filter(kind="access.denied").count()
    assert client_as(world, "practitioner").get("/agencies/999999/").status_code == 404
    assert AuditEvent.objects.filter(kind="access.denied").count() == before + 1
