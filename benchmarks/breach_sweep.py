"""`python -m benchmarks breach_sweep`: the breach deadline sweep over 100,000 open obligations all due (issue 14;
DESIGN 5: <= 3 s and <= 10 SQL statements per sweep, notifications and audit included).

The world: the test partnership (tests.factories.build_world), one breach reported through the services
(tests/breaches/fixtures.py), then by SQL (INSERT ... SELECT, every constraint and trigger on) `--agencies` agencies
with three speakers each (a designated manager, a Caldicott guardian, a DPO), `--obligations / 3` breaches copied
from the reported one and spread over those agencies, and three working-day obligations each (the partners' notice
and the report, the agency in breach responsible; the meeting, the partnership), with their reminders and due time
around one moment T. So the same rows serve two measures:

* **first reminders**: the sweep at T, when every obligation is due its first reminder (the people responsible told);
* **escalations**: the sweep at T + 3 days, when every obligation is overdue (the partnership admins and the Caldicott
  guardian and DPO of the agency responsible told).

Each against its **baseline in the same run**: the bare `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)
RETURNING id` of the same rows (the stamp alone: no notification, no audit). Each measured call is the whole sweep
as the task runs it (its three phases and the run's record, `isp_portal.sweeps.sweep`), rolled back after (so every
round meets the same rows), then VACUUMed; statements are counted by Django's execute wrapper (savepoints aside).
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.after_disclosure import _counting
from benchmarks.audit_recording import RESULTS
from benchmarks.scratch import scratch_world

OBLIGATIONS = 100_000
AGENCIES = 200
ROUNDS = 3
TARGET_SECONDS = 3.0
TARGET_STATEMENTS = 10

BASELINE = (
    "UPDATE breaches_obligation SET {stamp} = %s WHERE id IN (SELECT id FROM breaches_obligation "
    "WHERE state = 'open' AND {due} <= %s ORDER BY due_at, id FOR UPDATE SKIP LOCKED) RETURNING id"
)


def _copy(cursor: Any, table: str, template: int, count: int, overrides: dict[str, str]) -> None:
    """`count` copies of row `template` of `table` (generate_series i = 0 .. count-1), `overrides` giving SQL
    expressions of i for some columns; the id (and any column overridden as DEFAULT) from their defaults."""
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND column_name <> 'id' "
        "ORDER BY ordinal_position",
        [table],
    )
    columns = [row[0] for row in cursor.fetchall() if overrides.get(row[0]) != "DEFAULT"]
    values = [overrides.get(column, f"t.{column}") for column in columns]
    cursor.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} "
        f"FROM {table} t CROSS JOIN generate_series(0, %s) AS i WHERE t.id = %s",
        [count - 1, template],
    )


def build(world: Any, *, obligations: int, agencies: int, moment: datetime, log: Callable[[str], None]) -> dict:
    """The rows measured, on `world` (tests.factories.World). Returns the sizes written."""
    from django.db import connection

    from breaches.models import Breach
    from tests.breaches.fixtures import reported_breach

    log("one breach reported through the services")
    template = reported_breach(world)
    breaches = max(1, obligations // 3)  # three steps each (99,999 rows for 100,000: within one tick's BATCH)
    with connection.cursor() as cursor:
        log(f"{agencies} agencies with three speakers each")
        _copy(
            cursor,
            "agencies_agency",
            world.other.pk,
            agencies,
            {"name": "'Bench Agency ' || lpad(i::text, 5, '0')", "ico_registration_number": "''", "parent_id": "NULL"},
        )
        _copy(
            cursor,
            "agencies_user",
            world.users["practitioner"].pk,
            agencies * 3,
            {
                "email": "'bench-' || i || '@bench.example'",
                "full_name": "'Bench Person ' || i",
                "session_stamp": "gen_random_uuid()",
            },
        )
        cursor.execute(
            """
            WITH a AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM agencies_agency
                       WHERE name LIKE 'Bench Agency %%'),
                 u AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM agencies_user
                       WHERE email LIKE 'bench-%%')
            INSERT INTO agencies_membership (roles, job_title, team, is_caldicott_guardian, is_data_protection_officer,
                is_active, created_at, agency_id, user_id, authorised_for_restricted, is_nominated_representative,
                is_head_of_service)
            SELECT CASE WHEN u.n %% 3 = 0 THEN ARRAY['designated_manager'] ELSE ARRAY['practitioner'] END::varchar[],
                   '', '', u.n %% 3 = 1, u.n %% 3 = 2, true, now(), a.id, u.id, false, false, false
            FROM u JOIN a ON a.n = u.n / 3
            """,
            [],  # parameters, so that %% is read as %
        )
        log(f"{breaches:,} breaches and {breaches * 3:,} obligations, all due around {moment.isoformat()}")
        cursor.execute("SELECT min(id), max(id) FROM agencies_agency WHERE name LIKE 'Bench Agency %%'", [])
        first_agency, last_agency = cursor.fetchone()
        _copy(
            cursor,
            "breaches_breach",
            template.pk,
            breaches,
            {
                "register_number": "DEFAULT",
                "alleged_agency_id": f"{first_agency} + mod(i, {last_agency - first_agency + 1})",
            },
        )
        # Every step open: the first reminder due at T (two days before), the second a day after T, due two days
        # after T; so the sweep at T sends first reminders only, and at T + 3 days escalates every one.
        cursor.execute(
            """
            INSERT INTO breaches_obligation (breach_id, kind, anchor, anchor_at, due_on, due_at, state,
                responsible_agency_id, remind_at, remind_again_at, completion_note, created_at)
            SELECT b.id, k.kind, 'breach occurred', %(anchor)s, (%(due)s AT TIME ZONE 'Europe/London')::date, %(due)s,
                   'open', CASE WHEN k.kind = 'partners_meeting' THEN NULL ELSE b.alleged_agency_id END,
                   %(remind)s, %(again)s, '', now()
            FROM breaches_breach b
            CROSS JOIN (VALUES ('notify_partners'), ('breach_report'), ('partners_meeting')) AS k(kind)
            WHERE b.id <> %(template)s
            """,
            {
                "anchor": moment - timedelta(days=30),
                "due": moment + timedelta(days=2),
                "remind": moment - timedelta(minutes=1),
                "again": moment + timedelta(days=1),
                "template": template.pk,
            },
        )
        # The template's own steps are not part of the measure (obligations are never deleted: recorded done).
        cursor.execute(
            "UPDATE breaches_obligation SET state = 'done', completed_at = now() WHERE breach_id = %s", [template.pk]
        )
    _vacuum()
    return {
        "agencies": agencies,
        "speakers": agencies * 3,
        "breaches": Breach.objects.count() - 1,
        "obligations": breaches * 3,
    }


def _vacuum() -> None:
    from django.db import connection

    if connection.in_atomic_block:  # inside a test's transaction: nothing to vacuum, and VACUUM cannot run there
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE breaches_obligation, isp_portal_notification, audit_event")


def _timed(call: Callable[[], Any]) -> tuple[float, int, Any]:
    """`call` in a transaction rolled back after: ms, statements (savepoints aside), what it returned."""
    from django.db import transaction

    with _counting() as statements:
        started = time.perf_counter()
        with transaction.atomic():
            result = call()
            elapsed = (time.perf_counter() - started) * 1000
            transaction.set_rollback(True)
    _vacuum()
    return elapsed, sum(1 for sql in statements if "SAVEPOINT" not in sql.upper()), result


def measure_in(world: Any, *, obligations: int, agencies: int, rounds: int, log: Callable[[str], None]) -> dict:
    """Build the rows on `world` and time each sweep and its baseline, interleaved, `rounds` times."""
    from django.db import connection
    from django.utils import timezone

    from breaches.services.sweeps import breach_obligations_sweep
    from isp_portal.sweeps import sweep

    moment = timezone.now().replace(microsecond=0)
    sizes = build(world, obligations=obligations, agencies=agencies, moment=moment, log=log)
    results = []
    for name, at, stamp, due, field in (
        ("first reminders", moment, "reminded_at", "remind_at", "reminded"),
        ("escalations", moment + timedelta(days=3), "escalated_at", "due_at", "overdue"),
    ):

        def bare(at: datetime = at, stamp: str = stamp, due: str = due) -> int:
            with connection.cursor() as cursor:
                cursor.execute(BASELINE.format(stamp=stamp, due=due), [at, at])
                return len(cursor.fetchall())

        def swept(at: datetime = at) -> Any:
            with sweep("breaches.obligations"):
                return breach_obligations_sweep(now=at)

        baseline_ms, measured_ms, statements = [], [], set()
        baseline_statements: set[int] = set()
        last: Any = None
        for number in range(rounds):
            log(f"{name}: round {number + 1} of {rounds}")
            ms, count, changed = _timed(bare)
            assert changed == sizes["obligations"], (name, changed)
            baseline_ms.append(ms)
            baseline_statements.add(count)
            ms, count, last = _timed(swept)
            assert getattr(last, field) == sizes["obligations"], (name, last)
            measured_ms.append(ms)
            statements.add(count)
        results.append(
            {
                "name": name,
                "rows": sizes["obligations"],
                "notifications": last.notified,
                "measured": {"median_ms": round(statistics.median(measured_ms), 1), "runs_ms": measured_ms},
                "statements": sorted(statements),
                "baseline": {"median_ms": round(statistics.median(baseline_ms), 1), "runs_ms": baseline_ms},
                "baseline_statements": sorted(baseline_statements),
                "ratio": round(statistics.median(measured_ms) / statistics.median(baseline_ms), 2),
            }
        )
    return {"sizes": sizes, "results": results}


def judge(figures: dict[str, Any]) -> dict[str, bool]:
    checks: dict[str, bool] = {}
    for row in figures["results"]:
        checks[f"{row['name']}: <= {TARGET_STATEMENTS} statements"] = max(row["statements"]) <= TARGET_STATEMENTS
        checks[f"{row['name']}: <= {TARGET_SECONDS:g} s"] = row["measured"]["median_ms"] <= TARGET_SECONDS * 1000
    return checks


def table(figures: dict[str, Any]) -> str:
    lines = [
        "| sweep | rows | notifications | statements | median ms | baseline statements | baseline median ms | ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in figures["results"]:
        lines.append(
            f"| {row['name']} | {row['rows']:,} | {row['notifications']:,} | {', '.join(map(str, row['statements']))} "
            f"| {row['measured']['median_ms']:,} | {', '.join(map(str, row['baseline_statements']))} | "
            f"{row['baseline']['median_ms']:,} | {row['ratio']} |"
        )
    return "\n".join(lines)


def measure(*, obligations: int, agencies: int, rounds: int, log: Callable[[str], None]) -> dict[str, Any]:
    """Every measure on a fresh scratch database `<database>_bench_breaches` (dropped afterwards)."""
    with scratch_world("breaches", log) as world:
        before = [round(value, 2) for value in os.getloadavg()]
        figures = measure_in(world, obligations=obligations, agencies=agencies, rounds=rounds, log=log)
    figures.update(
        scenario="breach_sweep",
        measured_at=datetime.now(UTC).isoformat(timespec="seconds"),
        settings={"obligations": obligations, "agencies": agencies, "rounds": rounds},
        load_average=[before, [round(value, 2) for value in os.getloadavg()]],
    )
    figures["checks"] = judge(figures)
    return figures


def main(*, obligations: int, agencies: int, rounds: int, results: Path = RESULTS) -> bool:
    figures = measure(
        obligations=obligations, agencies=agencies, rounds=rounds, log=lambda line: print(line, flush=True)
    )
    results.mkdir(parents=True, exist_ok=True)
    stamp = figures["measured_at"].replace(":", "")
    (results / f"breach_sweep-{stamp}.json").write_text(json.dumps(figures, indent=2, default=str) + "\n")
    print(f"breach_sweep: {obligations:,} obligations over {agencies} agencies; load {figures['load_average']}")
    print(table(figures))
    for check, ok in figures["checks"].items():
        print(f"  {check}: {'yes' if ok else 'NO'}")
    passed = all(figures["checks"].values())
    print(f"  {'PASS' if passed else 'FAIL'}")
    return passed
