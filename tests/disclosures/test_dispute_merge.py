"""A dispute follows a merge to the kept child, whatever its state, while its request stays as it was made (issue 13;
design12 5.2; DESIGN 2.3): disclosures.receivers.move_open_requests_on_merge, disclosures.services.disputes
.dispute_open, and the trigger dispute_child_follows_subject (migration 0020) - a dispute's child is its request's
child or the child that child was merged into, and changes only to the child its child was merged into."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from disclosures.models import Dispute, InformationRequest
from disclosures.services.disputes import dispute_open, dispute_position_record, dispute_withdraw
from sharing.models import Child, ChildMerge
from sharing.services import child_merge
from tests.disclosures.after_fixtures import AfterWorld, after_world
from tests.disclosures.dispute_fixtures import GROUNDS, declined, opened, refreshed
from tests.disclosures.test_after_constraints import onward_in
from tests.factories import World, sign_in
from tests.sharing.fixtures import fresh, make_child

pytestmark = pytest.mark.django_db


def twin_of(after: AfterWorld, name: str = "Twin", day: int = 9) -> Child:
    return make_child(after.world, name, "Record", born_on=date(2016, 1, day), postcode="N3 3AA")


def merged(after: AfterWorld, *, keep: Child, merge: Child) -> ChildMerge:
    return child_merge(
        actor=fresh(after.world.users["partnership_admin"]), keep=keep, merge=merge, reason="The same child",
        differences_confirmed=True,
    )  # fmt: skip


def resolved(after: AfterWorld, dispute: Dispute, position: str) -> Dispute:
    """Both line managers agree at stage 1: resolved ("share" on a decline opens a follow-up request, design Q14)."""
    dispute_position_record(actor=after.user("school_manager"), dispute=dispute, position=position, note="Agreed.")
    dispute_position_record(actor=after.user("designated_manager"), dispute=dispute, position=position, note="Yes.")
    return refreshed(dispute)


def test_a_merge_moves_an_open_dispute_over_a_declined_request_and_leaves_the_request(world: World) -> None:
    after, dispute = opened(world)
    duplicate = after.made.child
    twin = twin_of(after)
    record = merged(after, keep=twin, merge=duplicate)
    assert refreshed(dispute).child_id == twin.pk
    assert InformationRequest.objects.get(pk=dispute.request_id).child_id == duplicate.pk  # as it was made
    assert ChildMerge.objects.get(pk=record.pk).moved["disputes"] == [dispute.pk]
    events = AuditEvent.objects.filter(kind="dispute.child_merged")
    assert [(event.object_id, event.child_id) for event in events] == [(str(dispute.pk), twin.pk)]
    assert events[0].detail == {"from_child": duplicate.pk, "to_child": twin.pk}
    # The dispute goes on about the kept child: its stage 1 still resolves.
    assert resolved(after, dispute, "not_share").state == "resolved"


@pytest.mark.parametrize("position", ["share", "not_share"])
def test_a_merge_moves_a_resolved_dispute_and_its_follow_up(world: World, position: str) -> None:
    after, dispute = opened(world)
    dispute = resolved(after, dispute, position)
    follow_up = dispute.follow_up_request_id
    assert (follow_up is not None) == (position == "share")
    twin = twin_of(after)
    merged(after, keep=twin, merge=after.made.child)
    moved = refreshed(dispute)
    assert (moved.child_id, moved.state, moved.outcome) == (twin.pk, "resolved", position)
    assert moved.follow_up_request_id == follow_up
    if follow_up is not None:  # open: it moved with the child's other open requests
        assert InformationRequest.objects.get(pk=follow_up).child_id == twin.pk


def test_a_withdrawn_dispute_follows_every_merge_of_a_chain(world: World) -> None:
    after, dispute = opened(world)
    dispute_withdraw(actor=after.user("school"), dispute=dispute, reason="Sorted out by phone.")
    middle, last = twin_of(after, "Middle"), twin_of(after, "Last", day=20)
    merged(after, keep=middle, merge=after.made.child)
    assert refreshed(dispute).child_id == middle.pk
    merged(after, keep=last, merge=middle)
    assert refreshed(dispute).child_id == last.pk
    assert InformationRequest.objects.get(pk=dispute.request_id).child_id == after.made.child.pk


def test_a_dispute_raised_after_the_merge_is_about_the_kept_child(world: World) -> None:
    after = after_world(world)
    request = declined(after)
    twin = twin_of(after)
    merged(after, keep=twin, merge=after.made.child)
    dispute = dispute_open(actor=after.user("school"), request=refreshed_request(request), grounds=GROUNDS)
    assert dispute.child_id == twin.pk and refreshed_request(request).child_id == after.made.child.pk


def test_a_merge_moves_a_dispute_over_an_onward_request(world: World) -> None:
    after = after_world(world)
    dispute = dispute_open(actor=after.user("school"), onward_request=onward_in(after, "declined"), grounds=GROUNDS)
    twin = twin_of(after)
    merged(after, keep=twin, merge=after.made.child)
    assert refreshed(dispute).child_id == twin.pk


def refreshed_request(request: InformationRequest) -> InformationRequest:
    return InformationRequest.objects.get(pk=request.pk)


def test_the_dispute_page_shows_the_kept_child_and_the_register_keeps_it(world: World) -> None:
    after, dispute = opened(world)
    twin = twin_of(after)
    merged(after, keep=twin, merge=after.made.child)
    page = sign_in(Client(), after.user("school")).get(f"/disputes/{dispute.pk}/").content.decode()
    assert f"Child {twin.pk}" in page and f"Child {after.made.child.pk}" not in page
    assert reverse("child-detail", args=[twin.pk]) in page
    assert reverse("child-detail", args=[after.made.child.pk]) not in page
    register = sign_in(Client(), after.user("designated_manager")).get("/api/v1/dispute-register/").json()
    assert dispute.register_label in str(register)


# Whichever trigger refuses it first: the dispute's child is its request's child's survivor
# (dispute_child_follows_subject), and changes only to where its child was merged (dispute_transition_allowed).
MOVE_REFUSED = "dispute_child_follows_subject|moves only to the child its child was merged into"


def moved_by_hand(dispute: Dispute, child: Child) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE disclosures_dispute SET child_id = %s WHERE id = %s", [child.pk, dispute.pk])


def test_the_database_refuses_a_dispute_moved_to_any_other_child(world: World) -> None:
    after, dispute = opened(world)
    other = twin_of(after)
    with pytest.raises(DatabaseError, match=MOVE_REFUSED):
        moved_by_hand(dispute, other)  # an unrelated child
    survivor = twin_of(after, "Survivor", day=20)
    merged(after, keep=survivor, merge=after.made.child)
    with pytest.raises(DatabaseError, match=MOVE_REFUSED):
        moved_by_hand(dispute, other)  # nor, after the merge, anywhere but where it went
    with pytest.raises(DatabaseError, match=MOVE_REFUSED):
        moved_by_hand(dispute, after.made.child)  # nor back to the merged-away entry
    resolved(after, dispute, "share")
    # The child stays where it went; nothing else of a closed dispute changes either.
    with (
        pytest.raises(DatabaseError, match="a closed dispute is final"),
        transaction.atomic(),
        connection.cursor() as c,
    ):
        c.execute("UPDATE disclosures_dispute SET grounds = 'Changed.' WHERE id = %s", [dispute.pk])
    assert refreshed(dispute).child_id == survivor.pk


def test_the_database_refuses_a_dispute_about_another_child_than_its_requests(world: World) -> None:
    after = after_world(world)
    request = declined(after)
    other = twin_of(after)
    values = {
        "subject_kind": "request", "request_id": request.pk, "ground": "declined",
        "raising_agency_id": request.requester_agency_id, "responding_agency_id": request.holding_agency_id,
        "raised_by_id": request.requester_id, "raising_practitioner_id": request.requester_id,
        "grounds": GROUNDS, "stage_one_due_on": date(2027, 1, 1),
    }  # fmt: skip
    with pytest.raises(DatabaseError, match="dispute_child_follows_subject"), transaction.atomic():
        Dispute.objects.create(child=other, **values)
    merged(after, keep=other, merge=after.made.child)
    # After the merge, only the kept child: never the merged-away entry its request is still about.
    with pytest.raises(DatabaseError, match="dispute_child_follows_subject"), transaction.atomic():
        Dispute.objects.create(child=after.made.child, **values)
    assert Dispute.objects.create(child=other, **values).child_id == other.pk
