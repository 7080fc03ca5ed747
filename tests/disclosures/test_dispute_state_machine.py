"""The dispute state machine, driven through the services by hypothesis (issue 13; Southampton 13;
docs/after-disclosure-design.md 3.3, 3.4): positions, escalation, advice, the decision, records and withdrawal, by
every member of a fixed cast, in any order, with a model `today` moved on by working days and the sweep run at it.
Whatever happens:
- the dispute's state moves only along rules.DISPUTE_TRANSITIONS (the machine keeps the previous state);
- every stage-2 dispute has an `escalated` event whose reason held at its time;
- every dispute resolved at stage 2 has both advices and was decided by a responding stage-2 assignee;
- at most one open dispute per request;
- every refusal leaves every row as it was; the sweep run twice at the same day does nothing the second time.
The World is built once; each example runs in a savepoint rolled back at its end."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from disclosures import rules
from disclosures.models import Dispute, DisputeAdvice, DisputeAssignee, DisputeEvent
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
from isp_portal.policy import AccessDenied
from tests.disclosures.after_fixtures import AfterWorld, after_world
from tests.disclosures.dispute_fixtures import GROUNDS, declined, later
from tests.disclosures.test_disputes import snapshot
from tests.factories import World

pytestmark = pytest.mark.django_db

CAST = (
    "school", "school_manager", "school_guardian", "school_colleague", "practitioner", "designated_manager",
    "second_manager", "home_guardian", "other_agency",
)  # fmt: skip
# Those a stage goes to, and one who is a party but never assigned (the rules that reach a resolution are drawn
# mostly from them, or the machine would rarely get there).
SPEAKERS = ("school_manager", "designated_manager", "second_manager")
REFUSALS = (ValidationError, AccessDenied)
POSITIONS = st.sampled_from(["share", "not_share"])


def build_machine(after: AfterWorld, seen: set[str]) -> type[RuleBasedStateMachine]:
    class DisputeLife(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            self.today: date = timezone.localdate()
            self.dispute = dispute_open(actor=after.user("school"), request=declined(after), grounds=GROUNDS)
            self.previous = self.dispute.state

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        def current(self) -> Dispute:
            return Dispute.objects.get(pk=self.dispute.pk)

        def attempt(self, call: Any) -> None:
            before = snapshot()
            try:
                with transaction.atomic():
                    call()
            except REFUSALS:
                assert snapshot() == before, "a refusal changed the rows"

        @rule(by=st.sampled_from(SPEAKERS), position=POSITIONS)
        def position(self, by: str, position: str) -> None:
            self.attempt(lambda: dispute_position_record(
                actor=after.user(by), dispute=self.current(), position=position, note="Because.", today=self.today
            ))  # fmt: skip

        @rule(by=st.sampled_from(CAST))
        def escalate(self, by: str) -> None:
            self.attempt(lambda: dispute_escalate(actor=after.user(by), dispute=self.current(), today=self.today))

        @rule(by=st.sampled_from(CAST))
        def advise(self, by: str) -> None:
            self.attempt(lambda: dispute_advice_record(
                actor=after.user(by), dispute=self.current(), advice="Advice.", today=self.today
            ))  # fmt: skip

        @rule(by=st.sampled_from(SPEAKERS), outcome=POSITIONS)
        def decide(self, by: str, outcome: str) -> None:
            self.attempt(lambda: dispute_decide(
                actor=after.user(by), dispute=self.current(), outcome=outcome, reason="Decided.", today=self.today
            ))  # fmt: skip

        @rule(by=st.sampled_from(CAST))
        def record(self, by: str) -> None:
            self.attempt(lambda: dispute_record_make(
                actor=after.user(by), dispute=self.current(), process_followed="P.", reason="R.", impact="I.",
                today=self.today,
            ))  # fmt: skip

        @rule(by=st.sampled_from(CAST))
        def withdraw(self, by: str) -> None:
            self.attempt(lambda: dispute_withdraw(
                actor=after.user(by), dispute=self.current(), reason="No longer.", today=self.today
            ))  # fmt: skip

        @rule(days=st.integers(min_value=1, max_value=12))
        def advance(self, days: int) -> None:
            self.today = later(days, self.today)
            now = timezone.now()
            disputes_sweep(now=now, today=self.today)
            assert disputes_sweep(now=now, today=self.today) == (0, 0), "the sweep did something twice"

        @invariant()
        def moves_along_the_table(self) -> None:
            state = self.current().state
            seen.add(state)
            if state != self.previous:
                assert state in rules.DISPUTE_TRANSITIONS[rules.DisputeState(self.previous)], (self.previous, state)
            self.previous = state

        @invariant()
        def stage_two_was_escalated_for_a_reason(self) -> None:
            dispute = self.current()
            if dispute.stage == 2:
                event = DisputeEvent.objects.get(dispute=dispute, kind="escalated")
                assert dispute.escalated_at is not None and event.at == dispute.escalated_at
                if dispute.escalation_reason == "deadline_passed":
                    assert timezone.localdate(dispute.escalated_at) > dispute.stage_one_due_on

        @invariant()
        def stage_two_decided_after_both_advices_by_the_holder(self) -> None:
            dispute = self.current()
            if dispute.state == "resolved" and dispute.resolved_stage == 2:
                assert DisputeAdvice.objects.filter(dispute=dispute).count() == 2
                assert DisputeAssignee.objects.filter(
                    dispute=dispute, stage=2, side="responding", user_id=dispute.decided_by_id
                ).exists()

        @invariant()
        def one_open_dispute_per_request(self) -> None:
            assert not (
                Dispute.objects.filter(state__in=rules.DISPUTE_OPEN_STATES)
                .values("request_id")
                .annotate(n=Count("pk"))
                .filter(n__gt=1)
                .exists()
            )

    return DisputeLife


def test_the_dispute_state_machine_holds_its_invariants(world: World) -> None:
    after = after_world(world)
    seen: set[str] = set()
    run_state_machine_as_test(
        build_machine(after, seen),
        settings=settings(
            max_examples=60, stateful_step_count=14, deadline=None, derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )  # fmt: skip
    # The machine reached every state (otherwise it proved little).
    assert {"stage_one", "stage_two", "resolved", "withdrawn"} <= seen, seen
