"""The onward-request state machine, driven through the services by hypothesis (issue 13: "an onward disclosure
never happens without the originator's recorded agreement"; Southampton 10-11; docs/after-disclosure-design.md
3.1, 6.1): requests to pass the council's case note on, the originator's agreement or decline, withdrawal, the onward
disclosure, the revocation of the parent and the sweep run at a model `today` moved on by working days, by every
member of a fixed cast (the asker, the originator's designated managers, others of each agency, another agency) in
any order. Whatever happens:
- each onward request's state moves only along rules.ONWARD_TRANSITIONS (the machine keeps the previous states),
  and the database's trigger refuses a direct UPDATE to any other state;
- every onward disclosure rests on an onward request now `disclosed` that was agreed, before it, by a designated
  manager of the originating agency, carries exactly the entries and revisions agreed, is one hop further than its
  parent and was made within the agreement's life;
- every refusal leaves every row as it was; the sweep run twice at the same moment does nothing the second time.
The World is built once; each example runs in a savepoint rolled back at its end."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from agencies.models import Membership, Role
from disclosures import rules
from disclosures.models import (
    Disclosure,
    DisclosureEntry,
    DisclosureEvent,
    InformationRequest,
    OnwardRequest,
    OnwardRequestEntry,
)
from disclosures.services import disclosure_revoke
from disclosures.services.onward import (
    onward_request_agree,
    onward_request_decline,
    onward_request_withdraw,
    onward_requests_sweep,
)
from isp_portal.policy import AccessDenied
from sharing.models import EntryGrant
from tests.disclosures.after_fixtures import AfterWorld, after_world, onward_disclose, onward_submit
from tests.disclosures.dispute_fixtures import later
from tests.disclosures.test_after_constraints import move_sql
from tests.factories import World

pytestmark = pytest.mark.django_db

# The asker (school) and a colleague; the originator's designated managers and a practitioner; the third agency's
# health visitor and manager; an agency party to nothing.
CAST = (
    "school", "school_manager", "designated_manager", "second_manager", "practitioner", "health_visitor",
    "health_manager", "other_agency",
)  # fmt: skip
# Drawn mostly from those who may act (or the machine would rarely reach an agreement and a disclosure).
DECIDERS = ("designated_manager", "designated_manager", "second_manager", "practitioner", "school")
ASKERS = ("school", "school", "school_manager", "health_visitor", "other_agency")
PASSERS = ("school", "school", "school", "school_manager", "designated_manager")
TARGETS = ("health", "health", "school", "home")
REFUSALS = (ValidationError, AccessDenied)
MOST = 3  # onward requests an example makes at most: enough for every path, few enough to stay quick
WHICH = st.sampled_from([0, 0, 0, *range(1, MOST)])  # mostly the first, which the example starts with


def snapshot() -> tuple[Any, ...]:
    """Every onward request and what an onward disclosure writes: a refusal leaves them all as they were."""
    return (
        sorted(
            OnwardRequest.objects.values_list(
                "pk", "state", "decided_by_id", "decided_at", "agreement_until", "withdrawn_at", "expired_at",
                "lapsed_at", "disclosed_at",
            )
        ),
        OnwardRequestEntry.objects.count(),
        Disclosure.objects.count(),
        DisclosureEntry.objects.count(),
        DisclosureEvent.objects.count(),
        InformationRequest.objects.count(),
        EntryGrant.objects.count(),
    )  # fmt: skip


def build_machine(after: AfterWorld, seen: set[str]) -> type[RuleBasedStateMachine]:
    agencies = {"health": after.health, "school": after.school, "home": after.world.home}
    managers = set(
        Membership.objects.filter(agency=after.world.home, roles__contains=[Role.DESIGNATED_MANAGER]).values_list(
            "user_id", flat=True
        )
    )

    class OnwardLife(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            self.today: date = timezone.localdate()
            self.onwards: list[int] = [onward_submit(after).pk]
            self.previous: dict[int, str] = {self.onwards[0]: rules.OnwardState.REQUESTED}

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        def onward(self, which: int) -> OnwardRequest:
            return OnwardRequest.objects.get(pk=self.onwards[which % len(self.onwards)])

        def now(self) -> datetime:
            """The model clock: today's real time moved on by the days the model `today` has moved."""
            return timezone.now() + timedelta(days=(self.today - timezone.localdate()).days)

        def attempt(self, call: Any) -> Any:
            before = snapshot()
            try:
                with transaction.atomic():
                    return call()
            except REFUSALS:
                assert snapshot() == before, "a refusal changed the rows"
                return None

        @initialize(at=st.sampled_from(["requested", "requested", "agreed", "disclosed"]))
        def start(self, at: str) -> None:
            """The first request, taken on by the asker and the originator's designated manager as the journey goes
            (so every example does not spend its steps getting there)."""
            if at != "requested":
                onward_request_agree(actor=after.user("designated_manager"), onward=self.onward(0))
            if at == "disclosed":
                onward_disclose(after, self.onward(0))
            self.previous[self.onwards[0]] = at

        @precondition(lambda self: len(self.onwards) < MOST)
        @rule(by=st.sampled_from(ASKERS), to=st.sampled_from(TARGETS), parent=st.booleans())
        def submit(self, by: str, to: str, parent: bool) -> None:
            # From the council's disclosure to the school, or from one made onward (a second hop, when there is one).
            onward_parent = (
                Disclosure.objects.filter(kind="onward").order_by("pk").first() if parent else None
            ) or after.disclosure
            made = self.attempt(lambda: onward_submit(after, by=by, parent=onward_parent, to_agency=agencies[to]))
            if made is not None:
                self.onwards.append(made.pk)
                self.previous[made.pk] = made.state

        @rule(by=st.sampled_from(DECIDERS), which=WHICH)
        def agree(self, by: str, which: int) -> None:
            self.attempt(lambda: onward_request_agree(actor=after.user(by), onward=self.onward(which)))

        @rule(by=st.sampled_from(DECIDERS), which=WHICH)
        def decline(self, by: str, which: int) -> None:
            self.attempt(lambda: onward_request_decline(
                actor=after.user(by), onward=self.onward(which), reason="not_proportionate"
            ))  # fmt: skip

        @rule(by=st.sampled_from(PASSERS + CAST), which=WHICH)
        def withdraw(self, by: str, which: int) -> None:
            self.attempt(lambda: onward_request_withdraw(
                actor=after.user(by), onward=self.onward(which), reason="No longer needed."
            ))  # fmt: skip

        @rule(by=st.sampled_from(PASSERS), which=WHICH)
        def disclose(self, by: str, which: int) -> None:
            self.attempt(lambda: onward_disclose(after, self.onward(which), by=by))

        # Mostly refused: the parent's revocation ends everything resting on it.
        @rule(by=st.sampled_from(("designated_manager", "school", "school_manager", "practitioner")))
        def revoke_parent(self, by: str) -> None:
            self.attempt(lambda: disclosure_revoke(
                actor=after.user(by), disclosure=after.disclosure, reason="Shared in error."
            ))  # fmt: skip

        @rule(days=st.sampled_from([1, 4, 12, 25]))
        def advance(self, days: int) -> None:
            self.today = later(days, self.today)
            now = self.now()
            onward_requests_sweep(now=now, today=self.today)
            assert onward_requests_sweep(now=now, today=self.today) == (0, 0), "the sweep did something twice"

        @rule(which=WHICH, state=st.sampled_from(sorted(rules.OnwardState)))
        def update_directly(self, which: int, state: str) -> None:
            """Around the services: the trigger refuses any move the table does not allow."""
            onward = self.onward(which)
            if state == onward.state or state in rules.ONWARD_TRANSITIONS[rules.OnwardState(onward.state)]:
                return
            before = snapshot()
            with (
                pytest.raises(DatabaseError, match="onward_transition_allowed"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(move_sql(state), {"id": onward.pk, "decider": after.user("designated_manager").pk})
            assert snapshot() == before

        @invariant()
        def moves_along_the_table(self) -> None:
            for pk, state in OnwardRequest.objects.filter(pk__in=self.onwards).values_list("pk", "state"):
                seen.add(state)
                previous = self.previous[pk]
                if state != previous:
                    assert state in rules.ONWARD_TRANSITIONS[rules.OnwardState(previous)], (pk, previous, state)
                self.previous[pk] = state

        @invariant()
        def nothing_passed_on_without_the_originators_agreement(self) -> None:
            for made in Disclosure.objects.filter(kind="onward").select_related("onward_request", "parent"):
                seen.add("onward disclosure")
                onward = made.onward_request
                assert onward is not None and made.parent is not None
                assert onward.state == rules.OnwardState.DISCLOSED
                assert onward.decided_by_id in managers and onward.originator_agency_id == after.world.home.pk
                assert onward.decided_at is not None and onward.agreement_until is not None
                assert onward.decided_at <= made.made_at <= onward.agreement_until
                assert made.parent_id == onward.parent_disclosure_id and made.hop == made.parent.hop + 1
                agreed = set(
                    OnwardRequestEntry.objects.filter(onward_request=onward).values_list("entry_id", "revision_id")
                )
                assert agreed and agreed == set(
                    DisclosureEntry.objects.filter(disclosure=made).values_list("entry_id", "revision_id")
                )

    return OnwardLife


def test_the_onward_state_machine_holds_its_invariants(world: World) -> None:
    after = after_world(world)
    seen: set[str] = set()
    run_state_machine_as_test(
        build_machine(after, seen),
        settings=settings(
            max_examples=30, stateful_step_count=12, deadline=None, derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )  # fmt: skip
    # The machine reached every state and made an onward disclosure (otherwise it proved little).
    assert {*rules.OnwardState, "onward disclosure"} <= seen, seen
