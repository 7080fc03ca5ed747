"""The lineage of a disclosure and of an entry (issue 13; Southampton 11: "record the identity of the originator";
docs/after-disclosure-design.md 7): one recursive statement whatever the tree's size; the originator and auditors
see the whole tree, a party its path and subtree, anyone else nothing (404); ReceivedRow names the originator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from disclosures.onward_selectors import disclosure_lineage, entry_lineage, onward_request_page, onward_requests
from disclosures.selectors import disclosures_received
from disclosures.services.onward import onward_request_agree
from isp_portal.policy import OutOfScope
from tests.disclosures.after_fixtures import (
    AfterWorld,
    after_world,
    onward_disclose,
    onward_submit,
    passed_on,
    staffed_agency,
)
from tests.factories import World
from tests.sharing.fixtures import fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def after(world: World) -> AfterWorld:
    return after_world(world)


def statements(call: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def test_the_originator_sees_the_whole_tree(after: AfterWorld) -> None:
    made = passed_on(after)
    tree = disclosure_lineage(after.user("designated_manager"), made.pk)
    assert tree.full and tree.origin_agency_id == after.world.home.pk
    assert [(node.hop, node.to_agency_id) for node in tree.nodes] == [(0, after.school.pk), (1, after.health.pk)]
    assert [box.label for box in tree.picture.boxes] == [str(after.world.home), str(after.school), str(after.health)]
    assert len(tree.picture.edges) == 2


def test_a_recipient_sees_where_it_came_from(after: AfterWorld) -> None:
    made = passed_on(after)
    tree = disclosure_lineage(after.user("health_visitor"), made.pk)
    assert not tree.full
    assert [node.disclosure_id for node in tree.nodes] == [after.disclosure.pk, made.pk]


def test_another_agency_sees_nothing(after: AfterWorld) -> None:
    made = passed_on(after)
    police = fresh(after.world.users["other_agency"])
    with pytest.raises(OutOfScope):
        disclosure_lineage(police, made.pk)
    with pytest.raises(OutOfScope):
        entry_lineage(police, after.made.entry.pk)


def test_the_entry_lineage_reaches_every_hop(after: AfterWorld) -> None:
    made = passed_on(after)
    tree = entry_lineage(after.user("practitioner"), after.made.entry.pk)
    assert tree.full
    assert [node.disclosure_id for node in tree.nodes] == [after.disclosure.pk, made.pk]


def test_statements_do_not_grow_with_the_tree(after: AfterWorld) -> None:
    """One recursive statement: a one-node tree and a three-node, two-hop tree cost the same."""
    manager = after.user("designated_manager")
    small = statements(lambda: disclosure_lineage(fresh(manager), after.disclosure.pk))
    small_entry = statements(lambda: entry_lineage(fresh(manager), after.made.entry.pk))
    made = passed_on(after)
    third = staffed_agency(after.world, "Riverside Youth Service", "youth")  # not the school: it holds it (b13e)
    onward = onward_submit(after, by="health_visitor", parent=made, to_agency=third)
    onward_disclose(
        after, onward_request_agree(actor=manager, onward=onward), by="health_visitor",
        recipients=[after.user("youth")],
    )  # fmt: skip
    big_tree = disclosure_lineage(fresh(manager), after.disclosure.pk)
    assert len(big_tree.nodes) == 3 and max(node.hop for node in big_tree.nodes) == 2
    assert statements(lambda: disclosure_lineage(fresh(manager), after.disclosure.pk)) == small
    assert statements(lambda: entry_lineage(fresh(manager), after.made.entry.pk)) == small_entry


def test_a_recipient_is_told_the_originator(after: AfterWorld) -> None:
    """Southampton 11: the health visitor's received list names the council, not only the school that passed it."""
    made = passed_on(after)
    rows = disclosures_received(after.user("health_visitor"))
    assert [(row.disclosure.pk, row.origin_agency) for row in rows] == [(made.pk, str(after.world.home))]
    school_rows = disclosures_received(after.user("school"))
    assert school_rows[0].origin_agency == str(after.world.home)


def test_onward_lists_and_page(after: AfterWorld) -> None:
    onward = onward_submit(after)
    manager = after.user("designated_manager")
    assert [row.pk for row in onward_requests(manager, role="to_decide")] == [onward.pk]
    assert [row.pk for row in onward_requests(after.user("school"), role="raised")] == [onward.pk]
    assert onward_requests(after.user("health_visitor"), role="to_decide") == []
    page = onward_request_page(manager, onward.pk)
    assert page.may_decide and not page.may_disclose and not page.may_withdraw
    page = onward_request_page(after.user("school"), onward.pk)
    assert page.may_withdraw and not page.may_decide and not page.may_disclose
    with pytest.raises(OutOfScope):
        onward_request_page(fresh(after.world.users["other_agency"]), onward.pk)
