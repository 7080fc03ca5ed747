"""breakt1311: a fresh tester's findings on fix13h (issue 13: "no new free text about an erased record",
disclosures.services.checks.text_about). The rule covers the services its findings named, but other services still
write new free text about a child whose record was erased (Southampton 6, 8: deleted beyond recovery). Each test
fails today because of the defect it names (strict xfail) and passes once it is fixed: either the action is refused
(ValidationError / AccessDenied) or, for an action that only closes a workflow, its text is stored as erased."""

from __future__ import annotations

import contextlib

import pytest
from django.core.exceptions import ValidationError

from disclosures.models import Dispute, DisputeEvent, InformationRequest, OnwardRequest
from disclosures.services import request_answer_decline
from disclosures.services.disputes import dispute_escalate, dispute_open, dispute_position_record
from disclosures.services.onward import onward_request_agree, onward_request_decline
from disclosures.services.requests import request_withdraw
from isp_portal.policy import AccessDenied, SystemActor
from sharing.services.retention import child_close, child_erase
from tests.disclosures.after_fixtures import AfterWorld, after_world, onward_submit
from tests.disclosures.dispute_fixtures import opened
from tests.disclosures.fixtures import submit
from tests.factories import World
from tests.sharing.fixtures import fresh

pytestmark = pytest.mark.django_db

SECRET = "John Smith visits the child at 12 Elm Road"
REFUSED = (ValidationError, AccessDenied)


def erase(after: AfterWorld) -> None:
    child = child_close(actor=fresh(after.world.users["partnership_admin"]), child=after.made.child, reason="Moved")
    child_erase(actor=SystemActor("test"), child=child, today=child.erase_due_on)


def _texts(row: object) -> str:
    return str([getattr(row, f.name) for f in row._meta.fields])  # type: ignore[attr-defined]


def test_f1_an_erased_childs_dispute_escalation_takes_no_free_text(world: World) -> None:
    after, dispute = opened(world)
    dispute_position_record(actor=after.user("school_manager"), dispute=dispute, position="share", note="Needed.")
    dispute_position_record(
        actor=after.user("designated_manager"), dispute=Dispute.objects.get(pk=dispute.pk), position="not_share",
        note="Not proportionate.",
    )  # fmt: skip
    erase(after)
    with contextlib.suppress(*REFUSED):
        dispute_escalate(actor=after.user("school_manager"), dispute=Dispute.objects.get(pk=dispute.pk), reason=SECRET)
    assert not DisputeEvent.objects.filter(dispute=dispute, note__contains=SECRET).exists()


def test_f2_an_erased_childs_onward_request_is_not_agreed_with_new_conditions(world: World) -> None:
    after = after_world(world)
    onward = onward_submit(after)
    erase(after)
    with contextlib.suppress(*REFUSED):
        onward_request_agree(actor=after.user("designated_manager"), onward=onward, conditions=SECRET)
    assert not OnwardRequest.objects.filter(pk=onward.pk, conditions__contains=SECRET).exists()


def test_f3_no_dispute_is_opened_about_an_erased_child(world: World) -> None:
    after = after_world(world)
    onward = onward_request_decline(
        actor=after.user("designated_manager"), onward=onward_submit(after), reason="not_proportionate"
    )
    erase(after)
    with contextlib.suppress(*REFUSED):
        dispute_open(actor=after.user("school"), onward_request=onward, grounds=SECRET)
    assert not Dispute.objects.filter(child=after.made.child, grounds__contains=SECRET).exists()


def test_f4_a_request_about_an_erased_child_is_declined_without_new_free_text(world: World) -> None:
    after = after_world(world)
    request = submit(after.made)
    erase(after)
    with contextlib.suppress(*REFUSED):
        request_answer_decline(actor=after.user("practitioner"), request=request, reason="other", detail=SECRET)
    assert SECRET not in _texts(InformationRequest.objects.get(pk=request.pk))


def test_f5_a_request_about_an_erased_child_is_withdrawn_without_new_free_text(world: World) -> None:
    after = after_world(world)
    request = submit(after.made)
    erase(after)
    with contextlib.suppress(*REFUSED):
        request_withdraw(actor=after.user("school"), request=request, reason=SECRET)
    assert SECRET not in _texts(InformationRequest.objects.get(pk=request.pk))
