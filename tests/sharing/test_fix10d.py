"""Wider tests for the fixes of break10d's findings 3, 4, 5, 8, 9 and 10 (issue 10): each fault reached through
the other door (the page and the API, a record and a correction, a create and an update). Data is built through
the services."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client

from sharing.models import RecordEntry
from sharing.services import entry_record
from tests.factories import World, sign_in
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world

pytestmark = pytest.mark.django_db

H: dict[str, Any] = {"HTTP_X_PURPOSE": PURPOSE}


@pytest.fixture
def sw(world: World) -> World:
    return sharing_world(world)


def _registration(sw: World, child: Any) -> RecordEntry:
    return entry_record(
        actor=fresh(sw.users["practitioner"]),
        child=child,
        agency=sw.home,
        category="cp_registration",
        fields={"registered_on": "2012-09-10", "category": "neglect"},
        basis="fact",
    )


# --- Finding 10: a structured field called `category` is named as a structured field ---------------------------


def test_a_correction_with_a_wrong_registration_category_is_refused_on_its_own_field(sw: World) -> None:
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9))
    entry = _registration(sw, child)
    reader = sign_in(Client(), sw.users["practitioner"])
    answer = reader.post(
        f"/api/v1/entries/{entry.pk}/revisions/",
        data={"fields": {"registered_on": "2012-09-10"}, "basis": "fact", "reason": "The category was wrong"},
        content_type="application/json",
        **H,
    )
    assert answer.status_code == 400
    assert set(answer.json()["error"]["fields"]) == {"fields.category"}, answer.json()


@pytest.mark.parametrize("revising", [False, True])
def test_a_registration_left_without_its_category_is_refused_on_the_pages_category_input(
    sw: World, revising: bool
) -> None:
    """The page's structured inputs are `f_<name>`: a registration's category left out is named on `f_category`
    (the error summary links to it), recorded or corrected."""
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9))
    reader = sign_in(Client(), sw.users["practitioner"])
    reader.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE})
    body = {
        "f_registered_on_day": "10",
        "f_registered_on_month": "9",
        "f_registered_on_year": "2012",
        "basis": "fact",
    }
    if revising:
        entry = _registration(sw, child)
        url = f"/children/{child.pk}/entries/{entry.pk}/revise/"
        body["reason"] = "The category was wrong"
    else:
        url = f"/children/{child.pk}/entries/new/?category=cp_registration"
    answer = reader.post(url, body)
    assert answer.status_code == 200
    form = answer.context["form"]
    assert "f_category" in form.errors and not form.non_field_errors(), form.errors
    assert RecordEntry.objects.filter(child=child).count() == (1 if revising else 0)
