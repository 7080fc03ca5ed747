"""`policy.in_view_scope` (the decision on a row read by its id, as the API's body fields now take the child and the
entries: isp_portal.api.ScopedPrimaryKeyField.read_by_id) agrees with `restrict(user, "view", ...)` (the scope's
query the fields used before) for every principal, on children and entries that each part of the scope decides:
an unshielded and a shielded child, one's own entries, another agency's, restricted ones (issue 12: the write
path's CPU must not move where a body's id is found)."""

from __future__ import annotations

from datetime import date

import pytest

from isp_portal.policy import in_view_scope, restrict
from sharing.models import Child, RecordEntry
from sharing.services import child_shield, entry_record, involvement_add
from tests.factories import World
from tests.sharing.fixtures import fresh, make_child, sharing_world

pytestmark = pytest.mark.django_db


def test_the_decision_on_a_row_read_by_id_is_the_scopes(world: World) -> None:
    sw = sharing_world(world)
    open_child = make_child(sw, "Zara", "Quinn", born_on=date(2012, 9, 9))
    shielded = make_child(sw, "Ola", "Reyes", born_on=date(2013, 3, 3))
    police = fresh(sw.users["other_agency"])
    involvement_add(actor=police, child=open_child, agency=sw.other, service="Youth offending")
    made = []
    for child in (open_child, shielded):
        for restricted in (False, True):
            made.append(
                entry_record(
                    actor=fresh(sw.users["practitioner"]),
                    child=child,
                    agency=sw.home,
                    category="case_note",
                    fields={},
                    text="Seen at home.",
                    basis="fact",
                    restricted=restricted,
                )
            )
    made.append(
        entry_record(
            actor=fresh(sw.users["other_agency"]),
            child=open_child,
            agency=sw.other,
            category="case_note",
            fields={},
            text="Stopped in the street.",
            basis="fact",
        )
    )
    child_shield(actor=fresh(sw.users["practitioner"]), child=shielded, agency=sw.home, reason="Fled domestic abuse")
    checked = 0
    for role in sw.users:
        for model, ids in ((Child, [open_child.pk, shielded.pk]), (RecordEntry, [entry.pk for entry in made])):
            for pk in ids:
                user = fresh(sw.users[role])
                expected = restrict(user, "view", model).filter(pk=pk).exists()
                row = model._default_manager.select_related(*(["child"] if model is RecordEntry else [])).get(pk=pk)
                assert in_view_scope(fresh(sw.users[role]), row) == expected, (role, model.__name__, pk)
                checked += 1
    assert checked >= 7 * len(sw.users)
