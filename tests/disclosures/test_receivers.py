"""A merge of two entries for the same child moves the duplicate's open requests to the kept entry; what was
disclosed, and a closed request, stay as they were made (design12 5.2; DESIGN 2.3)."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from disclosures.models import Disclosure, InformationRequest
from disclosures.services import request_answer_decline
from sharing.models import ChildMerge
from sharing.services import child_merge, entry_record
from tests.disclosures.fixtures import Case, case, refreshed, submit
from tests.disclosures.test_sweeps import emergency
from tests.factories import World
from tests.sharing.fixtures import fresh, make_child

pytestmark = pytest.mark.django_db


def test_a_merge_moves_open_requests_and_leaves_disclosures_and_closed_requests(world: World) -> None:
    kept = case(world)
    twin = make_child(world, born_on=kept.child.born_on, considered=[kept.child.pk])
    entry = entry_record(
        actor=fresh(world.users["practitioner"]), child=twin, agency=world.home, category="case_note", fields={},
        text="Seen with a bruise on the arm.", basis="fact",
    )  # fmt: skip
    duplicate = Case(world, twin, entry)
    waiting = submit(duplicate)
    declined = submit(duplicate)
    request_answer_decline(actor=duplicate.user("practitioner"), request=declined, reason="nothing_held", detail="")
    disclosure = emergency(duplicate)
    untouched = submit(kept)

    record = child_merge(
        actor=fresh(world.users["partnership_admin"]), keep=kept.child, merge=twin, reason="The same child"
    )

    assert refreshed(waiting).child_id == kept.child.pk
    assert refreshed(declined).child_id == twin.pk  # a closed request is final (trigger request_terminal_is_final)
    assert Disclosure.objects.get(pk=disclosure.pk).child_id == twin.pk  # as made; the page follows the merge
    assert InformationRequest.objects.get(pk=disclosure.request_id).child_id == twin.pk
    assert refreshed(untouched).child_id == kept.child.pk
    assert ChildMerge.objects.get(pk=record.pk).moved["requests"] == [waiting.pk]
    events = AuditEvent.objects.filter(kind="request.child_merged")
    assert [(event.object_id, event.child_id) for event in events] == [(str(waiting.pk), kept.child.pk)]
    assert events[0].detail == {"from_child": twin.pk, "to_child": kept.child.pk}


def test_a_merge_without_requests_moves_none(world: World) -> None:
    kept = case(world)
    twin = make_child(world, born_on=kept.child.born_on, considered=[kept.child.pk])
    record = child_merge(
        actor=fresh(world.users["partnership_admin"]), keep=kept.child, merge=twin, reason="The same child"
    )
    assert ChildMerge.objects.get(pk=record.pk).moved["requests"] == []
    assert not AuditEvent.objects.filter(kind="request.child_merged").exists()
