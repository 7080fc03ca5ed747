"""The auditors' search over a large audit trail (issue 15: "audit-event search p95 over 10,000,000 events").

`python -m benchmarks.audit_search [--events N] [--rounds R] [--keep]`, with DATABASE_URL pointing at your server:
in a scratch database `<database>_bench_search`, migrated from scratch, N events are generated in one
INSERT ... SELECT generate_series (server-side: faster than COPY from a client) with session_replication_role =
replica, so the append-only triggers are skipped in this scratch database only; the search indexes (audit 0008) are
dropped first and built after, as a bulk load would. The events span the last 365 days over 40 agencies, 5,000
people and 200,000 children: 60% child views, 20% searches, 10% disclosure events, 9% sign-ins, 1% denials.

Then the search selector itself (oversight.selectors.search.trail_search: the SQL of the pages and the API, and its
audit event) is timed for the typical filters, on the first page and on a deep page (a cursor half a year back),
each R times with a different agency, user or child each time, against a same-run baseline: a raw primary-key read of
one event (`SELECT ... WHERE id = %s`). Reported as p50/p95 in ms and as ratios to the baseline's p50, with the index
each plan uses (EXPLAIN). Results go to benchmarks/results/audit_search-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from benchmarks.audit_recording import RESULTS, _setup_django, drop_database, recreate_database, scratch_url

DAYS = 365
AGENCIES = 40
PEOPLE = 5_000
CHILDREN = 200_000

_GENERATE = """
INSERT INTO audit_event (occurred_at, kind, outcome, actor_id, actor_label, actor_agency_id, actor_agency_label,
    actor_role, object_type, object_id, object_label, child_id, purpose, ip, request_id, detail)
SELECT now() - (%(n)s - g) * (%(span)s / %(n)s::float8) * interval '1 second',
    k.kind, CASE WHEN k.kind = 'access.denied' THEN 'denied' ELSE 'success' END,
    1 + g %% %(people)s, 'person' || (g %% %(people)s) || '@agency.example',
    1 + (g %% %(people)s) %% %(agencies)s, 'Agency ' || (1 + (g %% %(people)s) %% %(agencies)s), 'Practitioner',
    'sharing.child', (g %% %(children)s)::text, 'Child ' || (g %% %(children)s),
    CASE WHEN k.kind LIKE 'sign\\_in%%' THEN NULL ELSE 1 + (g::bigint * 7919) %% %(children)s END,
    'Assessment under section 17 of the Children Act 1989', ('10.0.' || (g %% 250) || '.' || (g %% 199))::inet,
    md5(g::text)::uuid, jsonb_build_object('n', g)
FROM generate_series(1, %(n)s) AS g
CROSS JOIN LATERAL (SELECT CASE
    WHEN g %% 100 < 60 THEN 'child.view' WHEN g %% 100 < 80 THEN 'child.search'
    WHEN g %% 100 < 85 THEN 'disclosure.make' WHEN g %% 100 < 90 THEN 'disclosure.approve'
    WHEN g %% 100 < 99 THEN 'sign_in.success' ELSE 'access.denied' END AS kind) AS k
"""


def generate(events: int) -> dict[str, float]:
    from django.db import connection

    indexes = _search_indexes()
    timings: dict[str, float] = {}
    with connection.cursor() as cursor:
        for name in indexes:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
        started = time.perf_counter()
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            _GENERATE,
            {"n": events, "span": DAYS * 86400, "people": PEOPLE, "agencies": AGENCIES, "children": CHILDREN},
        )
        cursor.execute("SET session_replication_role = origin")
        timings["insert_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for name, definition in indexes.items():
            cursor.execute(f"CREATE INDEX {name} ON {definition}")
        timings["index_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        cursor.execute("VACUUM ANALYZE audit_event")
        timings["vacuum_seconds"] = time.perf_counter() - started
    return timings


def _search_indexes() -> dict[str, str]:
    import importlib

    module = importlib.import_module("audit.migrations.0008_search_indexes")
    return {name: definition for name, definition in module.INDEXES.items() if definition.startswith("audit_event ")}


def _timed(call: Callable[[], Any], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "p50_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 3),
    }


def scenarios(today: date) -> dict[str, Callable[[random.Random], tuple[Any, Any]]]:
    """Each scenario: a function of a random generator giving (TrailFilter, scope)."""
    from oversight.filters import TrailFilter

    month = (today - timedelta(days=90), today - timedelta(days=61))
    return {
        "date range (30 days)": lambda r: (TrailFilter(occurred_from=month[0], occurred_to=month[1]), None),
        "agency + range": lambda r: (
            TrailFilter(agency_id=r.randint(1, AGENCIES), occurred_from=month[0], occurred_to=month[1]),
            None,
        ),
        "agency reader's scope": lambda r: (TrailFilter(), frozenset({r.randint(1, AGENCIES)})),
        "user": lambda r: (TrailFilter(user_id=r.randint(1, PEOPLE)), None),
        "child": lambda r: (TrailFilter(child_id=r.randint(1, CHILDREN)), None),
        "action prefix + range": lambda r: (
            TrailFilter(action="disclosure.", occurred_from=month[0], occurred_to=month[1]),
            None,
        ),
        "denials": lambda r: (TrailFilter(outcome="denied"), None),
    }


def _plan_indexes(sql: str, params: dict[str, Any]) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return sorted(
        set(
            re.findall(
                r"(?:Index Scan(?: Backward)?|Index Only Scan(?: Backward)?|Bitmap Index Scan) "
                r"(?:using |on )(\w+)",
                plan,
            )
        )
    ) or ["Seq Scan" if "Seq Scan" in plan else "?"]


def measure(*, events: int, rounds: int, keep: bool) -> dict[str, Any]:
    original = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/isp_portal")
    parts = urlsplit(scratch_url(original))
    url = urlunsplit(parts._replace(path=parts.path + "_search"))
    recreate_database(url)
    os.environ["DATABASE_URL"] = url
    load = os.getloadavg()
    try:
        _setup_django()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        timings = generate(events)
        results = _search_figures(rounds)
        connection.close()
    finally:
        os.environ["DATABASE_URL"] = original
        if not keep:
            drop_database(url)
    return {
        "scenario": "audit_search",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "load_average_at_start": [round(value, 2) for value in load],
        "load_average_at_end": [round(value, 2) for value in os.getloadavg()],
        "events": events,
        "rounds": rounds,
        **{key: round(value, 1) for key, value in timings.items()},
        **results,
    }


def _search_figures(rounds: int) -> dict[str, Any]:
    from django.db import connection
    from django.utils import timezone

    from isp_portal.policy import SystemActor
    from oversight.filters import Source, trail_where
    from oversight.selectors import search

    actor = SystemActor("audit_search benchmark")
    rng = random.Random(15)
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM audit_event")
        (top,) = cursor.fetchone()

    def baseline() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, occurred_at, kind, actor_label, purpose FROM audit_event WHERE id = %s",
                [rng.randint(1, top)],
            )
            cursor.fetchall()

    _timed(baseline, rounds)  # warm
    base = _summary(_timed(baseline, rounds * 5))
    deep = search.Cursor(occurred_at=timezone.now() - timedelta(days=DAYS // 2), id=2**62)
    figures: dict[str, Any] = {"baseline_pk_read": base, "searches": {}}
    for name, make in scenarios(timezone.localdate()).items():
        row: dict[str, Any] = {}
        for depth, after in (("first page", None), ("deep page", deep)):
            if after is not None and "range" in name:
                # A deep page of a 30-day range: a cursor in the middle of the range.
                trail_filter, _ = make(rng)
                assert trail_filter.occurred_from is not None
                after = search.Cursor(
                    occurred_at=datetime.combine(
                        trail_filter.occurred_from + timedelta(days=15), datetime.min.time(), tzinfo=UTC
                    ),
                    id=2**62,
                )
            rows: list[int] = []

            def call(after: Any = after, rows: list[int] = rows, make: Any = make) -> None:
                trail_filter, scope = make(rng)
                page = search.trail_search(actor, trail_filter, source=Source.EVENTS, scope=scope, after=after)
                rows.append(len(page.rows))

            _timed(call, 2)  # warm
            summary = _summary(_timed(call, rounds))
            trail_filter, scope = make(random.Random(1))
            where, params = trail_where(trail_filter, source=Source.EVENTS, scope=scope)
            if after is not None:
                where += " AND (e.occurred_at, e.id) < (%(after_at)s, %(after_id)s)"
                params.update(after_at=after.occurred_at, after_id=after.id)
            sql = f"SELECT e.id FROM audit_event AS e WHERE {where} ORDER BY e.occurred_at DESC, e.id DESC LIMIT 51"
            row[depth] = {
                **summary,
                "p50_ratio": round(summary["p50_ms"] / base["p50_ms"], 1),
                "p95_ratio": round(summary["p95_ms"] / base["p50_ms"], 1),
                "mean_rows": round(statistics.mean(rows), 1),
                "indexes": _plan_indexes(sql, params),
            }
        figures["searches"][name] = row
    return figures


def main(*, events: int, rounds: int, keep: bool = False, results: Path = RESULTS) -> bool:
    figures = measure(events=events, rounds=rounds, keep=keep)
    results.mkdir(parents=True, exist_ok=True)
    stamp = figures["measured_at"].replace(":", "")
    (results / f"audit_search-{stamp}.json").write_text(json.dumps(figures, indent=2) + "\n")
    base = figures["baseline_pk_read"]
    print(
        f"audit_search: {events:,} events (load {figures['load_average_at_start'][0]} -> "
        f"{figures['load_average_at_end'][0]}); insert {figures['insert_seconds']}s, indexes "
        f"{figures['index_seconds']}s, vacuum {figures['vacuum_seconds']}s"
    )
    print(f"  baseline primary-key read: p50 {base['p50_ms']} ms, p95 {base['p95_ms']} ms")
    print("| search | page | p50 ms | p95 ms | p50 ratio | p95 ratio | rows | index |")
    print("|---|---|---|---|---|---|---|---|")
    for name, row in figures["searches"].items():
        for depth, f in row.items():
            print(
                f"| {name} | {depth} | {f['p50_ms']} | {f['p95_ms']} | {f['p50_ratio']} | {f['p95_ratio']} | "
                f"{f['mean_rows']} | {', '.join(f['indexes'])} |"
            )
    return True


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database (to EXPLAIN by hand)")
    arguments = parser.parse_args()
    main(events=arguments.events, rounds=arguments.rounds, keep=arguments.keep)
