"""Recounting the aggregate tier's kept counts (sharing.models.counts) from the index.

The triggers of sharing migration 0006 keep the counts exact on every write; a write that skips triggers (a
superuser session with `session_replication_role = replica`, as `benchmarks.children`'s bulk COPY is) leaves them
behind, and `child_counts_rebuild` counts them again. `sharing.selectors.aggregate.child_counts_differences`
says whether they agree.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction

from audit.services import audit_record
from sharing.selectors.aggregate import KEPT_COUNTS, counted_groups_sql

# Writers of children and involvements wait while the counts are made (SHARE conflicts with their ROW
# EXCLUSIVE), so no write falls between the count and the tables; readers go on. Plain statements, so a caller
# with a connection of its own (benchmarks.children) runs the same ones.
REBUILD_STATEMENTS: tuple[str, ...] = (
    "LOCK TABLE sharing_child, sharing_involvement IN SHARE MODE",
    *(
        statement
        for table, columns in KEPT_COUNTS.items()
        for statement in (
            f"DELETE FROM {table}",  # noqa: S608 - fixed fragments
            f"INSERT INTO {table} ({', '.join(columns)}, n, key_sum) {counted_groups_sql(table)}",
        )
    ),
)


def child_counts_rebuild(*, actor: Any) -> dict[str, int]:
    """Count the kept counts again from the children and their open involvements, in one transaction; return the
    groups per table. Audit: child.counts_rebuild (with the groups, never a count)."""
    groups: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in REBUILD_STATEMENTS:
            cursor.execute(statement)
            if statement.startswith("INSERT INTO "):
                groups[statement.split()[2]] = cursor.rowcount
        audit_record(
            kind="child.counts_rebuild",
            actor=actor,
            object_type="resource:child_aggregate",
            detail={"groups": groups},
        )
    return groups
