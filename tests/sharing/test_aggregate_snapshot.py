"""The aggregate tier's counts as at the start of the day (break11d finding 1; sharing.services.snapshots): the
day's snapshot is taken once (by the beat, or the day's first reader under an advisory lock), read all day by the
page and the API, which say "as at" its time; same-day edits show the next day."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from isp_portal.policy import SystemActor
from isp_portal.wording import long_datetime
from sharing.cell_key import perturb
from sharing.models import AggregateSnapshot, AggregateSnapshotCount, Child, SnapshotKind
from sharing.selectors.aggregate import Dimension, children_aggregate
from sharing.services.snapshots import aggregate_snapshot_take
from sharing.tasks import aggregate_snapshot
from tests.factories import World, sign_in
from tests.sharing.fixtures import counts_retaken, fresh, make_child, sharing_world

pytestmark = pytest.mark.django_db

LETTERS = "bcdfghjklmnpqrstvwxz"


def _children(world: World, count: int, start: int = 0) -> list[Child]:
    """`count` children, each born on a day of its own with a name of its own (no likely match)."""
    return [
        make_child(
            world,
            "Counted",
            LETTERS[n % 20].upper() + "o" + LETTERS[n // 20] + "ley",
            born_on=date(2014, 1, 3) + timedelta(days=37 * n),
            postcode="",
        )
        for n in range(start, start + count)
    ]


def _grand_total(world: World) -> int | None:
    return children_aggregate(
        actor=fresh(world.users["auditor"]), rows=Dimension.GENDER, columns=Dimension.AGE_BAND, threshold=0
    ).table.grand_total


def test_same_day_changes_show_the_next_day(world: World) -> None:
    sharing_world(world)
    _children(world, 5)
    Child.objects.update(cell_key=0)  # the noise known: perturb(n, 0)
    first = children_aggregate(
        actor=fresh(world.users["auditor"]), rows=Dimension.GENDER, columns=Dimension.AGE_BAND, threshold=0
    )
    assert first.on == timezone.localdate() and first.table.grand_total == perturb(5, 0)
    _children(world, 4, start=5)
    Child.objects.update(cell_key=0)
    again = children_aggregate(
        actor=fresh(world.users["auditor"]), rows=Dimension.GENDER, columns=Dimension.AGE_BAND, threshold=0
    )
    # The same counts, the same moment: the four children added today are not counted yet.
    assert again.as_at == first.as_at and again.table.grand_total == perturb(5, 0)
    assert AggregateSnapshot.objects.count() == 1
    assert AuditEvent.objects.filter(kind="child.aggregate_snapshot").count() == 1
    # The next day's snapshot counts them (here: today's dropped and taken again).
    counts_retaken()
    assert perturb(9, 0) != perturb(5, 0) and _grand_total(world) == perturb(9, 0)


def test_the_snapshot_holds_each_kind_with_its_own_columns_and_older_ones_go(world: World) -> None:
    sharing_world(world)
    _children(world, 3)
    today = timezone.localdate()
    actor = SystemActor("test")
    old = aggregate_snapshot_take(actor=actor, on=today - timedelta(days=3))
    taken = aggregate_snapshot_take(actor=actor, on=today)
    assert aggregate_snapshot_take(actor=actor, on=today) == taken  # once a day
    assert not AggregateSnapshot.objects.filter(pk=old.pk).exists()
    assert not AggregateSnapshotCount.objects.filter(snapshot_id=old.pk).exists()
    kinds = {row.kind: row for row in AggregateSnapshotCount.objects.filter(snapshot=taken)}
    assert set(kinds) == set(SnapshotKind.values)
    assert (
        sum(row.n for row in AggregateSnapshotCount.objects.filter(snapshot=taken, kind=SnapshotKind.CHILDREN))
        == Child.objects.filter(merged_into__isnull=True, closed_on__isnull=True).count()
    )
    assert kinds[SnapshotKind.AGENCY_AGE].area_id is None and kinds[SnapshotKind.CHILDREN].agency_id is None


def test_the_beat_takes_the_days_snapshot_once(world: World) -> None:
    sharing_world(world)
    assert aggregate_snapshot() == {"taken_on": timezone.localdate().isoformat()}
    aggregate_snapshot()
    assert AggregateSnapshot.objects.count() == 1
    event = AuditEvent.objects.get(kind="child.aggregate_snapshot")
    assert event.detail["taken_on"] == timezone.localdate().isoformat()


def test_the_page_and_the_api_say_as_at_when(world: World) -> None:
    sharing_world(world)
    _children(world, 3)
    client = sign_in(Client(), world.users["practitioner"])
    page = client.get(reverse("child-aggregate"), {"rows": "gender", "columns": "age_band"}).content.decode()
    snapshot = AggregateSnapshot.objects.get()
    assert f"as at {long_datetime(snapshot.taken_at)}" in page
    assert "counted tomorrow" in page
    body = client.get("/api/v1/children/aggregate/", {"rows": "gender", "columns": "age_band"}).json()
    assert body["as_at"] and body["on"] == snapshot.taken_on.isoformat()


@pytest.mark.django_db(transaction=True)
def test_first_readers_at_once_take_one_snapshot(world: World) -> None:
    """Readers arriving together when there is no snapshot of today: the advisory lock lets one take it; the
    others wait, then find it (one snapshot, one audit event, the same counts for all)."""
    sharing_world(world)
    _children(world, 3)
    go = threading.Barrier(3)
    seen: list[object] = []
    errors: list[BaseException] = []

    def read() -> None:
        try:
            go.wait(10)
            seen.append(
                children_aggregate(
                    actor=fresh(world.users["auditor"]), rows=Dimension.AREA, columns=Dimension.GENDER
                ).as_at
            )
        except BaseException as error:  # reported by the test below
            errors.append(error)
        finally:
            connections.close_all()

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(30)
    assert errors == []
    assert len(seen) == 3 and len(set(seen)) == 1
    assert AggregateSnapshot.objects.count() == 1
    assert AuditEvent.objects.filter(kind="child.aggregate_snapshot").count() == 1
