"""Never lost (issue 13; Southampton 9: the originator advises "appropriate agencies"; docs/after-disclosure-design.md
3.4): disclosures to the school and the health visitors, onward disclosures school -> health visitors at the revision
the school received, and corrections, in any order, driven by hypothesis through the services. After every step,
for every correction C of the entry and every agency A other than the originator holding a live disclosure of it at
an older revision than C's - directly or a hop away - exactly one notice (C, A) exists. An onward disclosure made
after a correction is caught up by correction_notices_catch_up, as the onward path calls it (WP2's
onward_request_disclose; until it lands, the onward rows are written with WP1's constraint-test helpers, hop 1 only).
The World is built once; each example runs in a savepoint rolled back at its end."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from disclosures.models import Correction, CorrectionNotice, Disclosure, DisclosureEntry
from disclosures.services.corrections import correction_notices_catch_up
from sharing.services.entries import entry_revise
from tests.disclosures.after_fixtures import AfterWorld, after_world, disclose
from tests.disclosures.fixtures import submit
from tests.disclosures.test_after_constraints import onward_disclosure_values, onward_ready
from tests.factories import World

pytestmark = pytest.mark.django_db


def owed(after: AfterWorld) -> set[tuple[int, int]]:
    """(correction, agency) for every agency but the originator holding a live disclosure of the entry at an
    revision older than the correction's: read from the rows, independently of the fan-out's SQL."""
    now = timezone.now()
    held = [
        (row.disclosure.to_agency_id, row.revision.number)
        for row in DisclosureEntry.objects.filter(entry=after.made.entry, disclosure__retain_until__gt=now)
        .select_related("disclosure", "revision")
    ]  # fmt: skip
    return {
        (correction.pk, agency_id)
        for correction in Correction.objects.filter(entry=after.made.entry).select_related("revision")
        for agency_id, number in held
        if number < correction.revision.number and agency_id != correction.originator_agency_id
    }


def build_machine(after: AfterWorld) -> type[RuleBasedStateMachine]:
    class FanOut(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        @rule()
        def correct(self) -> None:
            entry_revise(
                actor=after.user("practitioner"), entry=after.made.entry, fields={}, text="Corrected again.",
                basis="fact", reason="A detail was wrong.",
            )  # fmt: skip

        @rule()
        def disclose_to_the_school(self) -> None:
            disclose(after.made)

        @rule()
        def disclose_to_the_health_visitors(self) -> None:
            disclose(after.made, submit(after.made, by="health_visitor"))

        @rule()
        def pass_on_to_the_health_visitors(self) -> None:
            # At the revision the school first received, whatever was corrected since (Southampton 10-11: only
            # what was received is passed on).
            ready = onward_ready(after)
            made = Disclosure.objects.create(**onward_disclosure_values(after, ready))
            received = DisclosureEntry.objects.get(disclosure=after.disclosure, entry=after.made.entry)
            DisclosureEntry.objects.create(disclosure=made, entry=after.made.entry, revision_id=received.revision_id)
            correction_notices_catch_up(entry_ids=[after.made.entry.pk], disclosure_id=made.pk)

        @invariant()
        def never_lost_never_twice(self) -> None:
            notices = Counter(CorrectionNotice.objects.values_list("correction_id", "agency_id"))
            assert set(notices) == owed(after)
            assert all(count == 1 for count in notices.values())

    return FanOut


def test_every_agency_that_received_an_older_revision_is_told_exactly_once(world: World) -> None:
    after = after_world(world)
    run_state_machine_as_test(
        build_machine(after),
        settings=settings(
            max_examples=8, stateful_step_count=5, deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )  # fmt: skip
