"""The day's snapshot of the aggregate tier's counts (break11d finding 1; sharing.selectors.aggregate, whose
docstring says why and what risk is left).

Taken once a day: just after midnight by the beat (sharing.tasks.aggregate_snapshot, every few minutes, doing
nothing once today's exists), or, when the beat has not, by the day's first reader. Readers arriving together
would each count the index (a full pass over 1,000,000 children); a transaction-level advisory lock lets one take
it while the others wait, then find it and read it. The live kept counts (sharing.models.counts) and their
consistency checks are untouched: the snapshot copies them.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from audit.services import audit_record
from sharing.models import AggregateSnapshot
from sharing.selectors.aggregate import SNAPSHOT_COUNTS, snapshot_params

# pg_advisory_xact_lock(bigint) key of the snapshot's taking (others: audit.services, isp_portal.beat).
SNAPSHOT_LOCK_KEY = 0x15A_66A7
# Snapshots older than this many days are deleted when a new one is taken: yesterday's stays for a reader who
# looked it up just before midnight.
SNAPSHOTS_KEPT_DAYS = 1


def aggregate_snapshot_take(*, actor: Any, on: date) -> AggregateSnapshot:
    """Today's (`on`) snapshot of the counts: the existing one, or a new one taken now, under the advisory lock
    so that it is taken once however many ask at the same moment. A new one is one INSERT ... SELECT of every
    group (one view of the tables), older snapshots are deleted, and it is audited (child.aggregate_snapshot,
    with the number of groups, never a count)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SNAPSHOT_LOCK_KEY])
        # Under the lock, looked up again: whoever held it before us has taken it (READ COMMITTED: this
        # statement sees their commit).
        found = AggregateSnapshot.objects.filter(taken_on=on).first()
        if found is not None:
            return found
        snapshot = AggregateSnapshot.objects.create(taken_on=on, taken_at=timezone.now())
        cursor.execute(SNAPSHOT_COUNTS, snapshot_params(snapshot.pk, on))
        groups = cursor.rowcount
        AggregateSnapshot.objects.filter(taken_on__lt=on - timedelta(days=SNAPSHOTS_KEPT_DAYS)).delete()
        audit_record(
            kind="child.aggregate_snapshot",
            actor=actor,
            object_type="resource:child_aggregate",
            detail={"taken_on": on.isoformat(), "groups": groups},
        )
    return snapshot
