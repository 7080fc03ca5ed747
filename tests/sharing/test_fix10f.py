"""fix10f's fixes of break10e's findings, beyond the findings' own tests: a merged-away entry says its survivor's
closing (not only its erasure); the check before a create reads an initial alone as nothing, and refuses nothing;
the initial's bounded reads say "more" when they are full, even with nothing matched. Data is built through the
services (name keys added in bulk stand for a large index)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client

from sharing.models import Child, ChildName, ChildNameKey
from sharing.selectors import child_search, likely_matches
from sharing.selectors import children as child_selectors
from sharing.services import child_merge
from sharing.services.retention import child_close
from tests.factories import World, sign_in
from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world

pytestmark = pytest.mark.django_db

H: dict[str, Any] = {"HTTP_X_PURPOSE": PURPOSE}
BORN = date(2013, 6, 14)


@pytest.fixture
def sw(world: World) -> World:
    return sharing_world(world)


def test_a_merged_away_entry_says_its_survivor_is_closed(sw: World) -> None:
    """Southampton 8 with a merge: the duplicate's content went to the survivor, so once the survivor is closed
    the duplicate's `status` (and its page) say closed too, with the survivor's dates, not "open"."""
    keep = make_child(sw, "Zara", "Quinn", born_on=BORN)
    duplicate = make_child(sw, "Zarah", "Quinn", born_on=BORN, considered=range(10_000))
    child_merge(actor=fresh(sw.users["partnership_admin"]), keep=keep, merge=duplicate, reason="The same child")
    client = sign_in(Client(), sw.users["other_agency"])
    assert client.get(f"/api/v1/children/{duplicate.pk}/", **H).json()["status"] == "open"
    child_close(actor=fresh(sw.users["partnership_admin"]), child=Child.objects.get(pk=keep.pk), reason="Moved")
    closed = Child.objects.get(pk=keep.pk)
    body = client.get(f"/api/v1/children/{duplicate.pk}/", **H).json()
    assert body["status"] == "closed"
    assert closed.closed_on is not None and closed.erase_due_on is not None
    assert body["closed_on"] == closed.closed_on.isoformat()
    assert body["erase_due_on"] == closed.erase_due_on.isoformat()
    client.post(f"/children/{duplicate.pk}/purpose/", {"purpose": PURPOSE, "next": f"/children/{duplicate.pk}/"})
    assert "This record was closed on" in client.get(f"/children/{duplicate.pk}/").content.decode()


def test_the_check_before_a_create_reads_an_initial_alone_as_nothing(sw: World) -> None:
    """A child whose names are initials can still be recorded: the check before the create (not asked alone)
    refuses nothing, and offers no child on the initials, only on the NHS number or the postcode."""
    make_child(sw, "Adam", "Quinn", born_on=BORN)
    found = likely_matches(
        principal=fresh(sw.users["other_agency"]), purpose=PURPOSE, given="A", family="Q", born_on=BORN
    )
    assert found.results == []
    with pytest.raises(Exception, match="at least"):
        likely_matches(
            principal=fresh(sw.users["other_agency"]),
            purpose=PURPOSE,
            given="A",
            family="Q",
            born_on=BORN,
            asked_alone=True,
        )
    # With the whole family name the initial is not needed: Adam Quinn is offered.
    whole = likely_matches(
        principal=fresh(sw.users["other_agency"]), purpose=PURPOSE, given="A", family="Quinn", born_on=BORN
    )
    assert [result.family for result in whole.results] == ["Quinn"]


def test_a_full_read_of_the_initials_range_says_more_even_with_nothing_matched(sw: World) -> None:
    """More than HITS_CAP keys in "Z… Q…" and none of them a Zork: the search reads HITS_CAP of them, finds
    nothing, and says "more" (narrow the search), not "no child"; "Zoe Q" still finds Zoe Quayle."""
    child = make_child(sw, "Zoe", "Quayle", born_on=BORN)
    name = ChildName.objects.get(child=child, kind="legal")
    ChildNameKey.objects.bulk_create(
        ChildNameKey(name=name, child=child, born_on=BORN, key=f"ti:z|q{index:05d}x")
        for index in range(child_selectors.HITS_CAP + 10)
    )
    officer = fresh(sw.users["practitioner"])
    found = child_search(principal=officer, purpose=PURPOSE, name="Zork Q")
    assert (found.results, found.more) == ([], True)
    found = child_search(principal=fresh(sw.users["practitioner"]), purpose=PURPOSE, name="Zoe Q", born_on=BORN)
    assert [result.child_id for result in found.results] == [child.pk]
