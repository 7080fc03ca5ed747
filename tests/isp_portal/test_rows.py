"""`isp_portal.rows.instance` builds the instance the ORM would load with `.only(...)` (issue 9): the same
loaded columns, the state of a loaded instance, the other columns deferred, foreign keys that load on access,
and `from_db` itself when the model has init receivers."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.models import signals
from django.test.utils import CaptureQueriesContext

from agencies.models import Agency, Membership
from isp_portal.rows import instance
from tests.factories import World

pytestmark = pytest.mark.django_db


def _loaded(obj: Any) -> dict[str, Any]:
    return {key: value for key, value in vars(obj).items() if key != "_state"}


def test_an_instance_is_what_only_loads(world: World) -> None:
    membership = Membership.objects.filter(agency=world.home).order_by("pk").first()
    assert membership is not None
    fields = ("id", "user_id", "agency_id", "roles", "job_title")
    expected = Membership.objects.only(*fields).get(pk=membership.pk)

    built = instance(Membership, fields, [getattr(membership, name) for name in fields])

    assert _loaded(built) == _loaded(expected)
    assert built.get_deferred_fields() == expected.get_deferred_fields()
    assert (built._state.adding, built._state.db) == (False, "default")
    assert built == expected and built.role_labels == expected.role_labels
    with CaptureQueriesContext(connection) as queries:
        assert built.agency.pk == world.home.pk  # a foreign key loads on access
        assert built.team == membership.team  # a deferred column loads on access
    assert len(queries) == 2


def test_a_model_with_init_receivers_goes_through_from_db(world: World) -> None:
    seen: list[Any] = []

    def receiver(sender: Any, instance: Any, **kwargs: Any) -> None:
        seen.append(instance)

    signals.post_init.connect(receiver, sender=Agency)
    try:
        built = instance(Agency, ("id", "name"), (world.home.pk, world.home.name))
    finally:
        signals.post_init.disconnect(receiver, sender=Agency)
    assert seen == [built] and built.name == world.home.name
    assert built.get_deferred_fields() == Agency.objects.only("id", "name").get(pk=world.home.pk).get_deferred_fields()
