"""Disputes about onward requests (issue 13; design Q10: an originator's refusal to let information be passed on is
a Southampton 13 dispute "whether or not information should be shared"). WP2's services are not on this branch:
the onward requests are written as the constraint tests write them (tests/disclosures/test_after_constraints.py),
which is what the schema allows; the dispute itself goes through its service."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from disclosures.models import DisputeAssignee
from disclosures.services.disputes import dispute_open, dispute_position_record
from tests.disclosures.after_fixtures import after_world
from tests.disclosures.dispute_fixtures import GROUNDS, later, refreshed
from tests.disclosures.test_after_constraints import onward_in
from tests.factories import World

pytestmark = pytest.mark.django_db


def test_a_declined_onward_request_is_disputed_between_the_passer_and_the_originator(world: World) -> None:
    after = after_world(world)
    onward = onward_in(after, "declined")
    dispute = dispute_open(actor=after.user("school"), onward_request=onward, grounds=GROUNDS)
    assert (dispute.subject_kind, dispute.ground) == ("onward", "declined")
    assert (dispute.raising_agency_id, dispute.responding_agency_id) == (after.school.pk, world.home.pk)
    assert dispute.responding_practitioner_id == after.user("designated_manager").pk
    assignees = set(DisputeAssignee.objects.filter(dispute=dispute).values_list("side", "user_id", "basis"))
    # The decider has no line manager: the originator's other designated managers, never the decider themselves.
    assert assignees == {
        ("raising", after.user("school_manager").pk, "line_manager"),
        ("responding", after.user("second_manager").pk, "designated_manager"),
    }
    dispute_position_record(actor=after.user("school_manager"), dispute=dispute, position="share", note="Needed.")
    dispute_position_record(actor=after.user("second_manager"), dispute=dispute, position="share", note="Agreed.")
    dispute = refreshed(dispute)
    # No follow-up request for an onward subject (dispute_follow_up_on_share): the passer asks again.
    assert dispute.state == "resolved" and dispute.follow_up_request is None


@pytest.mark.parametrize(("state", "words"), [("agreed", "it was agreed"), ("withdrawn", "withdrawn")])
def test_an_agreed_or_withdrawn_onward_request_is_not_disputable(world: World, state: str, words: str) -> None:
    after = after_world(world)
    onward = onward_in(after, state)
    with pytest.raises(ValidationError) as refused:
        dispute_open(actor=after.user("school"), onward_request=onward, grounds=GROUNDS)
    assert words in refused.value.message_dict["onward_request"][0]


def test_an_open_onward_request_is_disputable_once_overdue(world: World) -> None:
    after = after_world(world)
    onward = onward_in(after, "requested")
    with pytest.raises(ValidationError):
        dispute_open(actor=after.user("school"), onward_request=onward, grounds=GROUNDS)
    dispute = dispute_open(
        actor=after.user("school"), onward_request=onward, grounds=GROUNDS, today=later(1, onward.due_on)
    )
    assert dispute.ground == "overdue" and dispute.responding_practitioner_id is None
