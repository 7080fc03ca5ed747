"""Disputes through their services (issue 13; Southampton 13; docs/after-disclosure-design.md 3.3, 6.3): who a
stage goes to, positions, escalation never early, advice, the decision, case-file records, withdrawal; each
refusal names the rule that refused it and leaves every row as it was."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from disclosures import rules
from disclosures.models import (
    Dispute,
    DisputeAdvice,
    DisputeAssignee,
    DisputeEvent,
    DisputePosition,
    DisputeRecord,
    InformationRequest,
)
from disclosures.services.disputes import (
    dispute_advice_record,
    dispute_decide,
    dispute_escalate,
    dispute_open,
    dispute_position_record,
    dispute_record_make,
    dispute_withdraw,
    disputes_sweep,
)
from isp_portal.models import Notification
from isp_portal.policy import NotPermitted, OutOfScope
from tests.disclosures.after_fixtures import after_world, disclose
from tests.disclosures.dispute_fixtures import GROUNDS, advised, at_stage_two, declined, later, opened, refreshed
from tests.disclosures.fixtures import submit
from tests.factories import World

pytestmark = pytest.mark.django_db


def snapshot() -> tuple[Any, ...]:
    """Every dispute row and its children: a refusal leaves them all as they were (nothing half-written)."""
    return (
        sorted(Dispute.objects.values_list("pk", "state", "stage", "outcome", "escalated_at", "withdrawn_at")),
        DisputeAssignee.objects.count(),
        DisputePosition.objects.count(),
        DisputeAdvice.objects.count(),
        DisputeRecord.objects.count(),
        DisputeEvent.objects.count(),
        InformationRequest.objects.count(),
    )


# --- Raising ------------------------------------------------------------------------------------------------------


def test_a_declined_request_is_disputed_on_the_register_and_stage_one_goes_to_both_line_managers(
    world: World,
) -> None:
    after, dispute = opened(world)
    assert dispute.state == "stage_one" and dispute.stage == 1 and dispute.ground == "declined"
    assert dispute.register_label.startswith("DR-") and dispute.register_number > 0
    assert dispute.raising_agency_id == after.school.pk and dispute.responding_agency_id == world.home.pk
    assert dispute.stage_one_due_on == later(rules.STAGE_ONE_WORKING_DAYS)
    # Southampton 13: the line managers of both practitioners.
    assignees = set(DisputeAssignee.objects.filter(dispute=dispute).values_list("stage", "side", "user_id", "basis"))
    assert assignees == {
        (1, "raising", after.user("school_manager").pk, "line_manager"),
        (1, "responding", after.user("designated_manager").pk, "line_manager"),
    }
    assert AuditEvent.objects.filter(kind="dispute.open", object_id=str(dispute.pk)).count() == 1
    told = set(Notification.objects.filter(key__startswith=f"dispute-opened-{dispute.pk}-").values_list(
        "recipient_id", flat=True))  # fmt: skip
    assert {after.user("school_manager").pk, after.user("designated_manager").pk, after.user("practitioner").pk} <= told


def test_without_line_managers_stage_one_goes_to_the_designated_managers(world: World) -> None:
    after = after_world(world)
    from agencies.models import Membership
    from agencies.services import membership_update
    from tests.factories import SYSTEM

    membership = Membership.objects.get(user=after.user("school"), agency=after.school)
    membership_update(actor=SYSTEM, membership=membership, line_manager=None)
    dispute = dispute_open(actor=after.user("school"), request=declined(after), grounds=GROUNDS)
    raising = set(DisputeAssignee.objects.filter(dispute=dispute, side="raising").values_list("user_id", "basis"))
    assert raising == {(after.user("school_manager").pk, "designated_manager")}


def test_a_request_answered_in_time_cannot_be_disputed_and_nothing_is_written(world: World) -> None:
    after = after_world(world)
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        dispute_open(actor=after.user("school"), request=after.request, grounds=GROUNDS)
    message = refused.value.message_dict["request"][0]
    assert "within its due date" in message and "nothing to dispute" in message
    assert snapshot() == before


def test_an_open_request_is_disputable_only_once_overdue(world: World) -> None:
    after = after_world(world)
    request = submit(after.made)
    with pytest.raises(ValidationError) as refused:
        dispute_open(actor=after.user("school"), request=request, grounds=GROUNDS)
    assert "is due by" in refused.value.message_dict["request"][0]
    assert request.due_on is not None
    dispute = dispute_open(actor=after.user("school"), request=request, grounds=GROUNDS, today=later(1, request.due_on))
    assert dispute.ground == "overdue"
    # Nobody answered: the responding side falls back to the council's designated managers.
    responding = set(DisputeAssignee.objects.filter(dispute=dispute, side="responding").values_list("basis", flat=True))
    assert responding == {"designated_manager"}


def test_one_open_dispute_per_request(world: World) -> None:
    after, dispute = opened(world)
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        dispute_open(actor=after.user("school"), request=dispute.request, grounds=GROUNDS)
    assert dispute.register_label in refused.value.message_dict["request"][0]
    assert snapshot() == before


def test_only_the_requester_or_a_requesting_manager_raises_one(world: World) -> None:
    after = after_world(world)
    request = declined(after)
    before = snapshot()
    with pytest.raises(NotPermitted) as refused:  # the council's own practitioner: a party, so told why
        dispute_open(actor=after.user("practitioner"), request=request, grounds=GROUNDS)
    assert "Only the person who made the request" in refused.value.reason
    with pytest.raises(OutOfScope):  # the police: cannot tell the request exists
        dispute_open(actor=after.user("other_agency"), request=request, grounds=GROUNDS)
    assert snapshot() == before
    # The school's designated manager may raise it for the school (design Q11).
    assert dispute_open(actor=after.user("school_manager"), request=request, grounds=GROUNDS).raised_by_id == (
        after.user("school_manager").pk
    )


def test_grounds_are_required(world: World) -> None:
    after = after_world(world)
    request = declined(after)
    with pytest.raises(ValidationError) as refused:
        dispute_open(actor=after.user("school"), request=request, grounds="  ")
    assert "grounds" in refused.value.message_dict


# --- Stage 1 ------------------------------------------------------------------------------------------------------


def test_equal_positions_resolve_stage_one(world: World) -> None:
    after, dispute = opened(world)
    dispute_position_record(actor=after.user("school_manager"), dispute=dispute, position="share", note="Needed.")
    assert refreshed(dispute).state == "stage_one"
    dispute_position_record(actor=after.user("designated_manager"), dispute=dispute, position="share", note="Agreed.")
    dispute = refreshed(dispute)
    assert (dispute.state, dispute.outcome, dispute.resolved_stage, dispute.decided_by_id) == (
        "resolved", "share", 1, None,
    )  # fmt: skip
    assert dispute.records_due_on == later(rules.RECORD_WORKING_DAYS)
    # Design Q14: "share" on a declined request opens a follow-up request for the council to answer.
    assert dispute.follow_up_request is not None and dispute.follow_up_request.state == "submitted"
    assert dispute.follow_up_request.holding_agency_id == world.home.pk


def test_a_position_only_by_the_line_manager_and_once(world: World) -> None:
    after, dispute = opened(world)
    before = snapshot()
    with pytest.raises(NotPermitted) as refused:
        dispute_position_record(actor=after.user("second_manager"), dispute=dispute, position="share", note="x")
    assert "Only the people stage 1 went to" in refused.value.reason
    with pytest.raises(OutOfScope):  # a colleague who is no party does not see it
        dispute_position_record(actor=after.user("school_colleague"), dispute=dispute, position="share", note="x")
    dispute_position_record(actor=after.user("school_manager"), dispute=dispute, position="share", note="Needed.")
    before = snapshot()
    with pytest.raises(NotPermitted) as again:
        dispute_position_record(actor=after.user("school_manager"), dispute=dispute, position="share", note="Again.")
    assert "already been recorded" in again.value.reason
    assert snapshot() == before


def test_escalating_early_is_refused_with_the_date(world: World) -> None:
    after, dispute = opened(world)
    before = snapshot()
    with pytest.raises(NotPermitted) as refused:
        dispute_escalate(actor=after.user("school_manager"), dispute=dispute)
    assert refused.value.reason == rules.escalation_refusal(
        stage_one_due_on=dispute.stage_one_due_on, positions={}, today=later(0)
    )
    assert "Stage 1 runs until" in refused.value.reason
    assert snapshot() == before
    # After stage 1's last day it may go (the raiser asks).
    dispute = dispute_escalate(actor=after.user("school"), dispute=dispute, today=later(1, dispute.stage_one_due_on))
    dispute = refreshed(dispute)
    assert (dispute.state, dispute.escalation_reason) == ("stage_two", "deadline_passed")


def test_differing_positions_escalate_to_the_heads_of_service(world: World) -> None:
    after, dispute = at_stage_two(world)
    dispute = refreshed(dispute)
    assert (dispute.state, dispute.stage, dispute.escalation_reason) == ("stage_two", 2, "positions_differ")
    assert dispute.stage_two_due_on == later(rules.STAGE_TWO_WORKING_DAYS)
    heads = set(DisputeAssignee.objects.filter(dispute=dispute, stage=2).values_list("side", "user_id", "basis"))
    assert heads == {
        ("raising", after.user("school_manager").pk, "head_of_service"),
        ("responding", after.user("designated_manager").pk, "head_of_service"),
    }
    # Both agencies' Caldicott guardians are asked for advice.
    asked = set(Notification.objects.filter(key__startswith=f"dispute-escalated-{dispute.pk}-").values_list(
        "recipient_id", flat=True))  # fmt: skip
    assert {after.user("school_guardian").pk, after.user("home_guardian").pk} <= asked
    assert AuditEvent.objects.filter(kind="dispute.escalate", object_id=str(dispute.pk)).count() == 1
    # Escalated once: a second escalation is refused by the policy, not left to the database (the state machine).
    before = snapshot()
    with pytest.raises(NotPermitted) as again:
        dispute_escalate(actor=after.user("school"), dispute=dispute, today=later(10))
    assert "already escalated" in again.value.reason
    assert snapshot() == before


# --- Stage 2 ------------------------------------------------------------------------------------------------------


def test_advice_only_by_that_sides_guardian_or_dpo_and_before_the_position(world: World) -> None:
    after, dispute = at_stage_two(world)
    before = snapshot()
    with pytest.raises(NotPermitted) as refused:
        dispute_advice_record(actor=after.user("school_manager"), dispute=dispute, advice="Share.")
    assert "Caldicott guardian or data protection officer" in refused.value.reason
    with pytest.raises(NotPermitted) as early:  # Southampton 13: advice before the final decision
        dispute_position_record(actor=after.user("school_manager"), dispute=dispute, position="share", note="x")
    assert "must give their advice" in early.value.reason
    assert snapshot() == before
    dispute_advice_record(actor=after.user("school_guardian"), dispute=dispute, advice="Share the minimum.")
    advice = DisputeAdvice.objects.get(dispute=dispute)
    assert (advice.side, advice.adviser_role) == ("raising", "caldicott_guardian")
    with pytest.raises(NotPermitted):
        dispute_advice_record(actor=after.user("school_guardian"), dispute=dispute, advice="Again.")


def test_the_decision_waits_for_both_advices_and_is_the_holders_head_of_services(world: World) -> None:
    after, dispute = at_stage_two(world)
    dispute_advice_record(actor=after.user("school_guardian"), dispute=dispute, advice="Share the minimum.")
    before = snapshot()
    with pytest.raises(NotPermitted) as waiting:
        dispute_decide(actor=after.user("designated_manager"), dispute=dispute, outcome="share", reason="x")
    assert "responding agency's Caldicott guardian" in waiting.value.reason
    assert snapshot() == before
    dispute_advice_record(actor=after.user("home_guardian"), dispute=dispute, advice="Lawful.")
    with pytest.raises(NotPermitted) as not_theirs:  # design Q9: the holding agency decides
        dispute_decide(actor=after.user("school_manager"), dispute=dispute, outcome="share", reason="x")
    assert "agency that holds the information" in not_theirs.value.reason
    with pytest.raises(NotPermitted) as unheard:
        dispute_decide(actor=after.user("designated_manager"), dispute=dispute, outcome="share", reason="x")
    assert "requesting agency's head of service" in unheard.value.reason
    dispute_position_record(actor=after.user("school_manager"), dispute=dispute, position="share", note="Needed.")
    dispute_decide(actor=after.user("designated_manager"), dispute=dispute, outcome="not_share", reason="Too much.")
    dispute = refreshed(dispute)
    assert (dispute.state, dispute.outcome, dispute.resolved_stage) == ("resolved", "not_share", 2)
    assert dispute.decided_by_id == after.user("designated_manager").pk and dispute.follow_up_request is None
    with pytest.raises(NotPermitted) as again:
        dispute_decide(actor=after.user("designated_manager"), dispute=dispute, outcome="share", reason="x")
    assert "already resolved" in again.value.reason


def test_after_stage_twos_deadline_the_decision_need_not_wait_for_the_requesting_side(world: World) -> None:
    after, dispute = advised(world)
    dispute = refreshed(dispute)
    assert dispute.stage_two_due_on is not None
    dispute_decide(
        actor=after.user("designated_manager"), dispute=dispute, outcome="share", reason="Agreed in the end.",
        today=later(1, dispute.stage_two_due_on),
    )  # fmt: skip
    assert refreshed(dispute).state == "resolved"


# --- Records and withdrawal ---------------------------------------------------------------------------------------


def test_both_agencies_record_once_after_the_end(world: World) -> None:
    after, dispute = opened(world)
    values: dict[str, Any] = {"process_followed": "Stage 1.", "reason": "Not proportionate.", "impact": "None yet."}
    with pytest.raises(NotPermitted) as early:
        dispute_record_make(actor=after.user("school_manager"), dispute=dispute, **values)
    assert "once it has ended" in early.value.reason
    dispute_withdraw(actor=after.user("school"), dispute=dispute, reason="Found another way.")
    with pytest.raises(ValidationError) as empty:
        dispute_record_make(actor=after.user("school_manager"), dispute=dispute, process_followed="", reason="",
                            impact="")  # fmt: skip
    assert set(empty.value.message_dict) == {"process_followed", "reason", "impact"}
    dispute_record_make(actor=after.user("school_manager"), dispute=dispute, **values)
    dispute_record_make(actor=after.user("designated_manager"), dispute=dispute, **values)
    assert set(DisputeRecord.objects.filter(dispute=dispute).values_list("side", "agency_id")) == {
        ("raising", after.school.pk), ("responding", world.home.pk),
    }  # fmt: skip
    with pytest.raises(NotPermitted) as again:
        dispute_record_make(actor=after.user("designated_manager"), dispute=dispute, **values)
    assert "already recorded" in again.value.reason


def test_withdrawal_by_the_raising_side_only(world: World) -> None:
    after, dispute = opened(world)
    before = snapshot()
    with pytest.raises(NotPermitted) as refused:
        dispute_withdraw(actor=after.user("designated_manager"), dispute=dispute, reason="No.")
    assert "Only the person who raised this dispute" in refused.value.reason
    assert snapshot() == before
    dispute_withdraw(actor=after.user("school_manager"), dispute=dispute, reason="Resolved informally.")
    dispute = refreshed(dispute)
    assert dispute.state == "withdrawn" and dispute.records_due_on is not None
    with pytest.raises(NotPermitted) as closed:
        dispute_escalate(actor=after.user("school"), dispute=dispute, today=later(10))
    assert "already withdrawn" in closed.value.reason


def test_another_agencys_dispute_is_out_of_scope(world: World) -> None:
    after, dispute = opened(world)
    before = snapshot()
    for action in (
        lambda: dispute_withdraw(actor=after.user("other_agency"), dispute=dispute, reason="x"),
        lambda: dispute_position_record(actor=after.user("other_agency"), dispute=dispute, position="share", note="x"),
    ):
        with pytest.raises(OutOfScope):
            action()
    assert snapshot() == before


# --- The sweep ----------------------------------------------------------------------------------------------------


def test_the_sweep_escalates_refers_and_chases_each_once(world: World) -> None:
    after, dispute = opened(world)
    day = later(1, dispute.stage_one_due_on)
    from django.utils import timezone

    now = timezone.now()
    assert disputes_sweep(now=now, today=later(0)) == (0, 0)
    changed, told = disputes_sweep(now=now, today=day)
    assert changed == 1 and told > 0
    dispute = refreshed(dispute)
    assert (dispute.state, dispute.escalation_reason, dispute.escalated_by_id) == ("stage_two", "deadline_passed", None)
    assert disputes_sweep(now=now, today=day) == (0, 0)
    assert dispute.stage_two_due_on is not None
    overdue = later(1, dispute.stage_two_due_on)
    changed, told = disputes_sweep(now=now, today=overdue)
    assert changed == 1 and told > 0
    assert refreshed(dispute).referred_at is not None
    assert DisputeEvent.objects.filter(dispute=dispute, kind="referred").count() == 1
    assert disputes_sweep(now=now, today=overdue) == (0, 0)
    # Ended, and records not made: each side chased once.
    dispute_withdraw(actor=after.user("school"), dispute=dispute, reason="Moved away.", today=overdue)
    dispute = refreshed(dispute)
    assert dispute.records_due_on is not None
    dispute_record_make(
        actor=after.user("designated_manager"), dispute=dispute, process_followed="Both stages.", reason="Declined.",
        impact="None.", today=overdue,
    )  # fmt: skip
    chase_day = later(1, dispute.records_due_on)
    changed, told = disputes_sweep(now=now, today=chase_day)
    assert changed == 1 and told >= 1  # only the school's side is missing
    chased = set(Notification.objects.filter(key__startswith=f"dispute-chased-{dispute.pk}-").values_list(
        "key", flat=True))  # fmt: skip
    assert chased and all(key.startswith(f"dispute-chased-{dispute.pk}-raising-") for key in chased)
    assert disputes_sweep(now=now, today=chase_day) == (0, 0)
    assert disputes_sweep(now=now, today=later(5, chase_day)) == (0, 0)


def test_a_shared_request_never_disputable_even_late(world: World) -> None:
    after = after_world(world)
    request = disclose(after.made).request
    with pytest.raises(ValidationError) as refused:
        dispute_open(actor=after.user("school"), request=request, grounds=GROUNDS, today=later(30))
    assert "nothing to dispute" in refused.value.message_dict["request"][0]


def test_the_sweep_escalates_many_disputes_in_the_statements_of_one(world: World) -> None:
    """DESIGN 3.3: a sweep is set-based. Escalating every due stage-1 dispute takes the same statements for one as
    for four, and each gets what a dispute escalated alone gets: assignees, events, its audit event and its
    notifications, once."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from disclosures.services import checks

    after, first = opened(world)
    day = later(1, first.stage_one_due_on)

    def sweep() -> tuple[int, int, int]:
        with transaction.atomic():
            with CaptureQueriesContext(connection) as captured:
                changed, told = disputes_sweep(now=timezone.now(), today=day)
            transaction.set_rollback(True)
        return changed, told, len(captured)

    one_changed, one_told, statements = sweep()
    assert one_changed == 1 and one_told > 0
    disputes = [first] + [dispute_open(actor=after.user("school"), request=declined(after), grounds=GROUNDS)
                          for _ in range(3)]  # fmt: skip
    changed, told, many_statements = sweep()
    assert (changed, told, many_statements) == (4, 4 * one_told, statements)
    # Done for real: each dispute as if escalated alone, and nothing twice.
    assert disputes_sweep(now=timezone.now(), today=day) == (4, 4 * one_told)
    assert disputes_sweep(now=timezone.now(), today=day) == (0, 0)
    for dispute in disputes:
        dispute = refreshed(dispute)
        assert (dispute.state, dispute.escalation_reason, dispute.escalated_by_id) == (
            "stage_two", "deadline_passed", None
        )  # fmt: skip
        assert dispute.stage_two_due_on == rules.stage_due_on(day, 2, nation=checks.nation())
        events = list(DisputeEvent.objects.filter(dispute=dispute, stage=2).values_list("kind", flat=True))
        assert sorted(events) == ["assigned", "assigned", "escalated"]
        assert set(DisputeAssignee.objects.filter(dispute=dispute, stage=2).values_list("side", "user_id")) == {
            ("raising", after.user("school_manager").pk), ("responding", after.user("designated_manager").pk)
        }  # fmt: skip
        audit = AuditEvent.objects.get(kind="dispute.escalate", object_id=str(dispute.pk))
        assert audit.detail == {"register_number": dispute.register_number, "stage": 2, "reason": "deadline_passed"}
        told_keys = Notification.objects.filter(key__startswith=f"dispute-escalated-{dispute.pk}-").count()
        assert told_keys == one_told
