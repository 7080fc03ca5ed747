"""t13h: attacks on b11l's `name_corrections` (sharing/api/child_shapes.py) after a merge (b13g: child_merge marks
the duplicate merged before child_merged). Each finding is a strict xfail until fixed."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client

from sharing.models import Child
from sharing.services import NameChange, child_merge, child_update, minimum_data_of
from tests.factories import World
from tests.matrix import client_as
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world

pytestmark = pytest.mark.django_db
REASON = "Misspelt at referral: the school's letter gives Elderwick"


def _correct(world: World, child: Child) -> None:
    child = Child.objects.get(pk=child.pk)
    child_update(
        actor=fresh(world.users["practitioner"]),
        child=child,
        data=minimum_data_of(child),
        name=("Seraphina", "Elderwick"),
        name_change=NameChange.CORRECTION,
        reason=REASON,
    )


def _read(client: Client, child: Child) -> Any:
    response = client.get(f"/api/v1/children/{child.pk}/", HTTP_X_PURPOSE=PURPOSE)
    assert response.status_code == 200, response.content
    return response.json()


def _merge(world: World, *, keep: Child, merge: Child) -> None:
    child_merge(
        actor=fresh(world.users["partnership_admin"]), keep=Child.objects.get(pk=keep.pk),
        merge=Child.objects.get(pk=merge.pk), reason="The same child", differences_confirmed=True,
    )  # fmt: skip


def test_the_kept_child_lists_the_correction_of_a_name_merged_into_it(world: World) -> None:
    sw = sharing_world(world)
    duplicate = make_child(sw, "Seraphina", "Elderwik")
    _correct(sw, duplicate)
    kept = make_child(sw, "Sera", "Twin", born_on=date(2016, 1, 9), postcode="N3 3AA")
    _merge(sw, keep=kept, merge=duplicate)
    body = _read(client_as(sw, "practitioner"), kept)
    # The corrected name is now one of the kept child's names ...
    assert any(name.get("family") == "Elderwick" and name.get("given") == "Seraphina" for name in body["names"])
    # ... and its correction, with why, is listed with them (the record page and the API: b11k, b11l).
    assert [correction.get("reason") for correction in body["name_corrections"]] == [REASON]
