"""Gaps in the ContactPoint shield (DESIGN 2.3) and the search that a tester left on issue 10: an involvement added
while the child is being shielded; a merge that brings agencies onto a shielded child; an involvement added
without the agencies already involved knowing; a date of birth searched alone."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from isp_portal.policy import AccessDenied, NotPermitted
from sharing.models import Child, Involvement
from sharing.selectors import child_search
from sharing.services import child_shield, involvement_add
from tests.factories import World
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def sw(world: World) -> World:
    return sharing_world(world)


# --- 1. involvement_add decides the shield on the locked row ----------------------------------------------------


def test_an_involvement_added_with_a_stale_child_is_refused_once_the_child_is_shielded(sw: World) -> None:
    child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9))
    stale = Child.objects.get(pk=child.pk)  # read before the shield, as a page or a second request would
    child_shield(actor=fresh(sw.users["practitioner"]), child=child, agency=sw.home, reason="Fled abuse")
    assert not stale.is_shielded
    police = fresh(sw.users["other_agency"])
    # Not reached exactly: the shield hides the child (404, AccessDenied's other half).
    with pytest.raises(AccessDenied):
        involvement_add(actor=police, child=stale, agency=sw.other, service="Public protection")
    # Reached exactly today: in scope, and still refused by the shield, saying whom to contact.
    police = fresh(sw.users["other_agency"])
    found = child_search(principal=police, purpose=PURPOSE, name="Zara Quinn", born_on=child.born_on)
    assert [result.child_id for result in found.results] == [child.pk]
    with pytest.raises(NotPermitted) as refused:
        involvement_add(actor=police, child=stale, agency=sw.other, service="Public protection")
    assert "shielded" in refused.value.reason
    assert not Involvement.objects.filter(child=child, agency=sw.other).exists()


def test_involvement_add_locks_the_child_before_it_checks_the_shield(sw: World) -> None:
    child = make_child(sw)
    with CaptureQueriesContext(connection) as queries:
        involvement_add(actor=fresh(sw.users["other_agency"]), child=child, agency=sw.other, service="Protection")
    locks = [
        index
        for index, query in enumerate(queries.captured_queries)
        if 'FROM "sharing_child"' in query["sql"] and "FOR UPDATE" in query["sql"]
    ]
    inserts = [
        index
        for index, query in enumerate(queries.captured_queries)
        if query["sql"].startswith('INSERT INTO "sharing_involvement"')
    ]
    assert locks and inserts and locks[0] < inserts[0], [q["sql"][:80] for q in queries.captured_queries]
