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
from tests.factories import World, make_agency

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


# --- h/perf12d: the array slot, the compiled SQL and the rows written together ------------------------------------


def test_a_compiled_read_by_any_of_ids_reads_what_in_reads(world: World) -> None:
    """`rows.any_of` binds the ids as one array: the same rows as `pk__in`, for one id, several, or none."""
    from isp_portal.rows import SLOT_IDS, Compiled, any_of

    by_ids = Compiled(
        "test_agencies_any_of", lambda ids: Agency.objects.filter(any_of("pk", ids)).order_by("pk"), ids=SLOT_IDS
    )
    everyone = list(Agency.objects.order_by("pk").values_list("pk", flat=True))
    assert len(everyone) >= 2
    for ids in ([everyone[0]], everyone[:2], everyone, [everyone[-1], 2_000_000_000]):
        expected = list(Agency.objects.filter(pk__in=ids).order_by("pk"))
        found = by_ids.rows(ids=ids)
        assert [(a.pk, a.name, a.status) for a in found] == [(a.pk, a.name, a.status) for a in expected]
    assert by_ids.rows(ids=[2_000_000_000]) == []


def test_compiled_sql_binds_each_slot_where_the_sentinel_was(world: World) -> None:
    """`rows.CompiledSQL` gives the queryset's SQL once compiled, with each call's values in the slots' places."""
    from isp_portal.rows import SLOT_ID, CompiledSQL

    members = CompiledSQL(
        "test_members_of",
        lambda agency: Membership.objects.filter(agency_id=agency, is_active=True).values_list("user_id"),
        agency=SLOT_ID,
    )
    for agency in (world.home, world.other):
        sql, params = members.sql_with_params(agency=agency.pk)
        assert SLOT_ID not in params and agency.pk in params
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            found = sorted(row[0] for row in cursor.fetchall())
        expected = sorted(Membership.objects.filter(agency=agency, is_active=True).values_list("user_id", flat=True))
        assert found == expected and found


def test_rows_inserted_together_are_what_bulk_create_writes(world: World) -> None:
    """`rows.insert_together` writes each group's rows, in one statement, as the ORM would (defaults included)."""
    from agencies.models import Role, User
    from isp_portal.rows import insert_together

    people = list(User.objects.order_by("pk")[:2])
    first, second = make_agency("Written together"), make_agency("Written together too")
    practitioner = [Role.PRACTITIONER.value]
    made = [
        Membership(user=person, agency=first, roles=practitioner, job_title=f"Visitor {n}")
        for n, person in enumerate(people)
    ]
    with CaptureQueriesContext(connection) as queries:
        insert_together(made, [], [Membership(user=people[0], agency=second, roles=practitioner)])
    assert len(queries) == 1 and queries[0]["sql"].startswith("WITH i0 AS (INSERT")
    assert sorted(Membership.objects.filter(agency=first).values_list("job_title", flat=True)) == [
        "Visitor 0",
        "Visitor 1",
    ]
    written = Membership.objects.get(agency=second)
    assert (written.user_id, written.is_active, written.job_title, written.created_at is not None) == (
        people[0].pk,
        True,
        "",
        True,
    )
    with CaptureQueriesContext(connection) as queries:
        insert_together([], [])
    assert len(queries) == 0
