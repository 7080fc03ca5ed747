"""`python -m benchmarks.child_selectors`: the child search and the child record measured in-process (issue 10).

Runs against the database of DATABASE_URL (filled by `python -m benchmarks.children`; seed_demo's people give
the practitioner): for each kind of search (name, name and date of birth, NHS number, postcode) and for a
child's record, it calls the selector the page calls (`sharing.selectors.child_search`, `child_record`) as a
practitioner whose principal is already loaded (as on a request, where the identity comes from the cache), each
call in its own transaction with its audit event, and reports the SQL statements per call (which must not grow
with the index) and the wall time per call (median and p95), with the index's size and the machine's load
average. The HTTP figures come from `make bench ARGS="http_pages --only child_search --only child_record"`.

`--aggregate` (issue 11) measures the aggregate tier instead: `sharing.selectors.aggregate.children_aggregate`
(the day's snapshot looked up, one grouped statement over it, the suppression, the audit event) for each pair of
dimensions in AGGREGATE_PAIRS, against DESIGN 5's target of 300 ms for the suppressed aggregate over 1,000,000
children; and the time to take the day's snapshot (once a day: break11d finding 1).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any


def _measure(call: Callable[[], Any], calls: int) -> dict[str, Any]:
    from django.db import connection, transaction

    counts: list[int] = []
    times: list[float] = []
    found: list[int] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        counts[-1] += 1
        return execute(sql, params, many, context)

    for _ in range(calls):
        counts.append(0)
        with connection.execute_wrapper(count):
            started = time.perf_counter()
            with transaction.atomic():
                result = call()
            times.append((time.perf_counter() - started) * 1000)
        found.append(len(getattr(result, "results", None) or getattr(result, "entries", None) or []))
    times.sort()
    return {
        "calls": calls,
        "statements": sorted(set(counts)),
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 2),
        "max_ms": round(times[-1], 2),
        "mean_results": round(statistics.mean(found), 1),
    }


def measure(calls: int, email: str) -> dict[str, Any]:
    from django.test import override_settings

    # One person searching thousands of times a minute: the per-person pace (sharing.search_pace) is off here.
    with override_settings(CHILD_SEARCHES_PER_MINUTE=0):
        return _measure_selectors(calls, email)


def _measure_selectors(calls: int, email: str) -> dict[str, Any]:
    from agencies.models import User
    from benchmarks.world import child_ids, child_searches
    from isp_portal.rows import fetch
    from sharing.policy import index_agencies
    from sharing.selectors import child_record, child_search

    user = User.objects.get(email=email)
    agencies = sorted(index_agencies(user))
    if not agencies:
        raise RuntimeError(f"{email} cannot use the child index (training, signature or role)")
    searches = child_searches(count=max(calls // 4, 10))
    kinds: dict[str, list[dict[str, Any]]] = {
        "name": [],
        "one word of a name": [],
        # A given name and the family name's initial ("Zara Q"): the bounded prefix read of the family keys.
        "given name and family initial": [],
        "name_and_born_on": [],
        "nhs_number": [],
        "postcode": [],
    }
    for criteria in searches:
        if "born_on" in criteria:
            kinds["name_and_born_on"].append(criteria)
            # The broadest search: one word (the family name), thousands of children, read up to a cap.
            kinds["one word of a name"].append({"name": criteria["name"].split()[-1]})
            given, *_, family = criteria["name"].split()
            kinds["given name and family initial"].append({"name": f"{given} {family[0]}"})
        elif "name" in criteria:
            kinds["name"].append(criteria)
        else:
            kinds["nhs_number" if "nhs_number" in criteria else "postcode"].append(criteria)
    purpose = "Benchmark: ensure that children and young people are adequately safeguarded"
    results: dict[str, Any] = {}
    for kind, criteria_list in kinds.items():
        # Warm the principal and the plan cache once, then measure.
        child_search(principal=user, purpose=purpose, **criteria_list[0])
        position = iter(range(10**9))

        def search(criteria_list: list[dict[str, Any]] = criteria_list, position: Any = position) -> Any:
            criteria = dict(criteria_list[next(position) % len(criteria_list)])
            return child_search(principal=user, purpose=purpose, **criteria)

        results[f"child_search: {kind}"] = _measure(search, calls)
    child = child_ids(agencies[0]).get("child")
    if child is not None:
        child_record(principal=user, child_id=child, purpose=purpose)
        results["child_record"] = _measure(lambda: child_record(principal=user, child_id=child, purpose=purpose), calls)
    sizes: dict[str, int] = dict(
        fetch(
            "SELECT 'children', count(*) FROM sharing_child UNION ALL SELECT 'name keys', count(*) "
            "FROM sharing_childnamekey UNION ALL SELECT 'entries', count(*) FROM sharing_recordentry",
            [],
        )
    )
    return {"sizes": sizes, "load_average": [round(v, 2) for v in os.getloadavg()], "results": results}


# The tables measured: the agency's (a join with the current involvements), the widest (ethnicity: 20 columns)
# and the commonest (area by age band).
AGGREGATE_PAIRS = (("area", "age_band"), ("agency", "ethnicity"), ("gender", "ethnicity"), ("agency", "age_band"))
AGGREGATE_TARGET_MS = 300.0


def measure_aggregate(calls: int, email: str) -> dict[str, Any]:
    """Each table of AGGREGATE_PAIRS `calls` times, as `email` (a member of a signatory agency, or an auditor)."""
    from django.utils import timezone

    from agencies.models import User
    from isp_portal.rows import fetch
    from sharing.models import AggregateSnapshot
    from sharing.selectors.aggregate import Dimension, children_aggregate
    from sharing.services.snapshots import aggregate_snapshot_take

    user = User.objects.get(email=email)
    results: dict[str, Any] = {}
    # The tables are read from the day's snapshot of the counts (break11d finding 1), taken once a day: taken
    # afresh here, so it counts the index as generated, and timed on its own (the beat takes it after midnight).
    today = timezone.localdate()
    AggregateSnapshot.objects.filter(taken_on=today).delete()
    started = time.perf_counter()
    aggregate_snapshot_take(actor=user, on=today)
    snapshot_ms = round((time.perf_counter() - started) * 1000, 1)
    for rows, columns in AGGREGATE_PAIRS:

        def table(rows: str = rows, columns: str = columns) -> Any:
            return children_aggregate(actor=user, rows=Dimension(rows), columns=Dimension(columns))

        table()  # the statement prepared on this connection, the principal loaded
        figures = _measure(table, calls)
        shown = table().table
        figures["cells"] = len(shown.rows) * len(shown.columns)
        figures["suppressed"] = shown.suppressed_count
        figures["within_target"] = figures["p95_ms"] <= AGGREGATE_TARGET_MS
        results[f"children_aggregate: {rows} x {columns}"] = figures
    sizes = dict(
        fetch(
            "SELECT 'children', count(*) FROM sharing_child UNION ALL SELECT 'involvements', count(*) "
            "FROM sharing_involvement",
            [],
        )
    )
    return {
        "sizes": sizes,
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "snapshot_ms": snapshot_ms,
        "results": results,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.child_selectors", description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=200, help="calls per kind")
    parser.add_argument("--email", default="priya.shah@northbridge.example", help="the practitioner (seed_demo's)")
    parser.add_argument("--aggregate", action="store_true", help="measure the aggregate tier's tables instead")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "isp_portal.settings.development")
    import django

    django.setup()
    before = [round(v, 2) for v in os.getloadavg()]
    figures = (measure_aggregate if args.aggregate else measure)(args.calls, args.email)
    figures["load_average_before"] = before
    print(f"index: {figures['sizes']}; load average {before} -> {figures['load_average']}")
    if args.aggregate:
        target = f"p95 <= {AGGREGATE_TARGET_MS:.0f} ms"
        print(f"the day's snapshot of the counts taken in {figures['snapshot_ms']} ms (once a day)")
        print(f"| table | statements per call | median ms | p95 ms | max ms | cells | suppressed | {target} |")
        print("|---|---|---|---|---|---|---|---|")
        for name, result in figures["results"].items():
            statements = ", ".join(str(n) for n in result["statements"])
            print(
                f"| {name} | {statements} | {result['median_ms']} | {result['p95_ms']} | {result['max_ms']} | "
                f"{result['cells']} | {result['suppressed']} | {'yes' if result['within_target'] else 'no'} |"
            )
        print(json.dumps(figures))
        return 0
    print("| read | statements per call | median ms | p95 ms | max ms | results per call |")
    print("|---|---|---|---|---|---|")
    for name, result in figures["results"].items():
        statements = ", ".join(str(n) for n in result["statements"])
        print(
            f"| {name} | {statements} | {result['median_ms']} | {result['p95_ms']} | {result['max_ms']} | "
            f"{result['mean_results']} |"
        )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
