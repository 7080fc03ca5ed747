"""The onward pages (issue 13; Southampton 10-11; docs/after-disclosure-design.md 9): what each person is offered,
the decision refused on the page with the rule, and the lineage page's picture and table."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils.html import escape

from disclosures.models import OnwardRequest
from tests.disclosures.after_fixtures import AfterWorld, after_world, onward_submit, passed_on
from tests.factories import World, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def after(world: World) -> AfterWorld:
    return after_world(world)


def client(after: AfterWorld, role: str) -> Client:
    return sign_in(Client(), after.user(role))


def test_the_decision_is_offered_to_the_originators_manager_only(after: AfterWorld) -> None:
    onward = onward_submit(after)
    manager = client(after, "designated_manager").get(f"/onward/{onward.pk}/").content.decode()
    practitioner = client(after, "practitioner").get(f"/onward/{onward.pk}/").content.decode()
    school = client(after, "school").get(f"/onward/{onward.pk}/").content.decode()
    assert f"/onward/{onward.pk}/decide/" in manager and f"/onward/{onward.pk}/withdraw/" not in manager
    assert f"/onward/{onward.pk}/decide/" not in practitioner
    assert f"/onward/{onward.pk}/withdraw/" in school and f"/onward/{onward.pk}/decide/" not in school


def test_a_decline_without_a_reason_is_refused_on_the_page(after: AfterWorld) -> None:
    onward = onward_submit(after)
    response = client(after, "designated_manager").post(f"/onward/{onward.pk}/decide/", {"decision": "decline"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page and "Choose why the information may not be passed on." in page
    assert OnwardRequest.objects.get(pk=onward.pk).state == "requested"


def test_agreed_on_the_page(after: AfterWorld) -> None:
    onward = onward_submit(after)
    response = client(after, "designated_manager").post(f"/onward/{onward.pk}/decide/", {"decision": "agree"})
    assert response.status_code == 302
    assert OnwardRequest.objects.get(pk=onward.pk).state == "agreed"


def test_the_lineage_page_draws_the_picture_and_the_table(after: AfterWorld) -> None:
    made = passed_on(after)
    page = client(after, "designated_manager").get(f"/disclosures/{made.pk}/lineage/").content.decode()
    assert page.count("<rect ") == 3 and page.count("<line ") == 2
    assert 'role="img"' in page and 'aria-describedby="lineage-caption"' in page
    assert str(after.health) in page and str(after.school) in page


def test_the_received_list_names_the_originator(after: AfterWorld) -> None:
    passed_on(after)
    page = client(after, "health_visitor").get("/disclosures/received/").content.decode()
    assert escape(f"Passed on with the agreement of {after.world.home}") in page
