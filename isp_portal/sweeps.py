"""The sweep pattern for deadlines (DESIGN 3.3).

The database is the source of truth: each obligation row stores its due time and state. Beat runs sweeps
every few minutes; a sweep changes the state of every row that is due *in one statement*, skipping rows
another sweep holds (FOR UPDATE SKIP LOCKED), only where the state is still the one it expects. So a missed
tick loses nothing, a repeated tick changes nothing twice, and two workers never fight over a row.
Notifications raised by a sweep are rows with unique keys, so each is sent once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from isp_portal.models import SweepRun


def transition_due(
    queryset: QuerySet[Any],
    *,
    set_values: Mapping[str, Any],
    returning: tuple[str, ...] = ("id",),
    limit: int | None = None,
) -> list[tuple[Any, ...]]:
    """UPDATE the rows of `queryset` (which must filter on the expected current state) to `set_values`,
    in one statement, skipping rows locked by someone else; return `returning` columns of changed rows.

    Equivalent SQL: UPDATE t SET ... WHERE id IN (SELECT id FROM t WHERE <filter> FOR UPDATE SKIP LOCKED)
    RETURNING ... — set-based, so 100,000 due rows cost one statement, not 100,000 tasks."""
    statement = transition_due_sql(queryset, set_values=set_values, returning=returning, limit=limit)
    if statement is None:  # e.g. pk__in=[]: nothing can match, so nothing to update
        return []
    with connection.cursor() as cursor:
        cursor.execute(*statement)
        return list(cursor.fetchall())


def transition_due_sql(
    queryset: QuerySet[Any],
    *,
    set_values: Mapping[str, Any],
    returning: tuple[str, ...] = ("id",),
    limit: int | None = None,
) -> tuple[str, list[Any]] | None:
    """transition_due's statement and its parameters, not run: for a sweep that feeds the changed rows to the
    notifications and audit events of the same statement (a data-modifying CTE, `WITH changed AS (<this>) ...`),
    so who is told and the change are one round trip. None when the queryset can match nothing."""
    model: type[Model] = queryset.model
    table = model._meta.db_table
    pk_column = model._meta.pk.column
    selection = queryset.values("pk")
    if limit is not None:
        selection = selection[:limit]
    try:
        select_sql, select_params = selection.query.sql_with_params()
    except EmptyResultSet:
        return None
    assignments = []
    params: list[Any] = []
    for field_name, value in set_values.items():
        column = model._meta.get_field(field_name).column  # type: ignore[union-attr]
        assignments.append(f'"{column}" = %s')
        params.append(value)
    returning_columns = ", ".join(f'"{model._meta.get_field(name).column}"' for name in returning)  # type: ignore[union-attr]
    sql = (
        f'UPDATE "{table}" SET {", ".join(assignments)} WHERE "{pk_column}" IN '  # noqa: S608 - names from model meta
        f"({select_sql} FOR UPDATE SKIP LOCKED) RETURNING {returning_columns}"
    )
    return sql, [*params, *select_params]


@contextmanager
def sweep(name: str) -> Iterator[None]:
    """Record that sweep `name` ran (start, finish, outcome), for /healthz and for operators."""
    started = timezone.now()
    try:
        yield
    except Exception as error:
        _record(name, started, ok=False, detail=f"{type(error).__name__}: {error}"[:500])
        raise
    _record(name, started, ok=True, detail="")


def _record(name: str, started: Any, *, ok: bool, detail: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO isp_portal_sweeprun (name, last_started_at, last_finished_at, last_ok, last_detail, runs) "
            "VALUES (%s, %s, %s, %s, %s, 1) ON CONFLICT (name) DO UPDATE SET "
            "last_started_at = EXCLUDED.last_started_at, last_finished_at = EXCLUDED.last_finished_at, "
            "last_ok = EXCLUDED.last_ok, last_detail = EXCLUDED.last_detail, runs = isp_portal_sweeprun.runs + 1",
            [name, started, timezone.now(), ok, detail],
        )


def last_sweep() -> SweepRun | None:
    return SweepRun.objects.order_by("-last_finished_at").first()
