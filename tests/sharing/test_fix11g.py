"""fix11g: the reopening's reason kept where the erasure reaches it and each reopening told (break11e findings 1,
2 and note b), the erasure sweep going on past a record reopened meanwhile (note a), and the aggregate tier's age
reference day (finding 4)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from audit.models import AuditEvent
from isp_portal.models import Notification
from isp_portal.policy import SystemActor
from sharing import rules
from sharing.models import Child, ChildReopening
from sharing.services import retention
from sharing.services.retention import REOPEN_KEY, child_close, child_reopen, retention_erasure_sweep
from tests.factories import World
from tests.sharing.fixtures import fresh, make_child, sharing_world

pytestmark = pytest.mark.django_db

REASON = "Closed in error: the mother rang, the girl still lives at 4 Elm Road"


def test_the_reopening_reason_is_kept_on_its_row_audited_by_length_and_erased_with_the_record(world: World) -> None:
    # Southampton 6, 8: free text lives only in a row the erasure blanks (break11e finding 1).
    sharing_world(world)
    admin = world.users["partnership_admin"]
    child = child_close(actor=fresh(admin), child=make_child(world, "Kayla", "Hollis"), reason="No longer needed")
    child = child_reopen(actor=fresh(admin), child=child, reason=REASON)
    reopening = ChildReopening.objects.get(child=child)
    assert reopening.reason == REASON and reopening.reopened_by_id == admin.pk
    event = AuditEvent.objects.get(kind="child.reopen", child_id=child.pk)
    assert event.detail["reopening_id"] == reopening.pk and event.detail["reason_length"] == len(REASON)
    assert "reason" not in event.detail
    child = child_close(actor=fresh(admin), child=child, reason="No longer needed")
    assert child.erase_due_on is not None
    erased = retention.child_erase(actor=SystemActor("test"), child=child, today=child.erase_due_on)
    assert ChildReopening.objects.get(pk=reopening.pk).reason == retention.ERASED_REASON
    detail = AuditEvent.objects.get(kind="child.erase", child_id=erased.pk).detail
    assert detail["erased"]["reopening_reasons"] == 1


def test_a_record_reopened_twice_in_a_day_is_told_both_times(world: World) -> None:
    # break11e note b: the notice is keyed by the reopening, not by the day and the child.
    sharing_world(world)
    admin = world.users["partnership_admin"]
    child = make_child(world, "Twice", "Reopened")
    for _ in range(2):
        child = child_close(actor=fresh(admin), child=child, reason="No longer needed")
        child = child_reopen(actor=fresh(admin), child=child, reason="Closed in error")
    told = Notification.objects.filter(key__startswith=REOPEN_KEY, link=f"/children/{child.pk}/")
    recipients = {notice.recipient_id for notice in told}
    assert recipients and told.count() == 2 * len(recipients)
    assert not told.filter(body__contains="Closed in error").exists()  # break11e finding 2: no reason quoted


def test_the_erasure_sweep_goes_on_past_a_record_reopened_while_it_runs(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # break11e note a: a reopen that commits after the sweep read its batch makes child_erase refuse ("not due");
    # the refusal is caught for that record and the rest of the batch is erased.
    sharing_world(world)
    admin = world.users["partnership_admin"]
    first, second, third = (
        child_close(actor=fresh(admin), child=make_child(world, "Due", name), reason="No longer needed")
        for name in ("Ashby", "Brook", "Carew")
    )
    day = max(c.erase_due_on for c in (first, second, third) if c.erase_due_on is not None)
    real_erase = retention.child_erase
    calls: list[int] = []

    def erase_reopening_the_second_first(**kwargs: Any) -> Child:
        if not calls:
            child_reopen(actor=fresh(admin), child=Child.objects.get(pk=second.pk), reason="Closed in error")
        calls.append(kwargs["child"].pk)
        return real_erase(**kwargs)

    monkeypatch.setattr(retention, "child_erase", erase_reopening_the_second_first)
    assert retention_erasure_sweep(today=day) == 2
    assert second.pk in calls  # reached, refused, and passed over
    assert Child.objects.get(pk=first.pk).erased_at is not None
    assert Child.objects.get(pk=third.pk).erased_at is not None
    kept = Child.objects.get(pk=second.pk)
    assert kept.erased_at is None and kept.closed_on is None


@pytest.mark.parametrize(
    ("on", "reference"),
    [
        (date(2026, 8, 31), date(2025, 8, 31)),  # the school year still running (break11h finding 10)
        (date(2026, 9, 1), date(2026, 8, 31)),
        (date(2026, 12, 15), date(2026, 8, 31)),
        (date(2027, 8, 30), date(2026, 8, 31)),
        (date(2027, 1, 1), date(2026, 8, 31)),
    ],
)
def test_ages_are_counted_on_the_last_31_august(on: date, reference: date) -> None:
    # break11e finding 4: a reference day that does not move daily cannot date a birthday by differencing.
    assert rules.age_reference_day(on) == reference
