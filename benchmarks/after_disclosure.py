"""`python -m benchmarks after_disclosure`: issue 13's reads and writes after a disclosure, measured in-process.

Each figure is a ratio to a baseline taken in the same run, on the same rows (benchmarks/README.md): absolute
times drift between runs and machines, the ratios and the statement counts do not.

* **lineage, 4 hops**: `onward_selectors.entry_lineage` and `disclosure_lineage` (the pages' and the API's reads,
  policy included) for an entry passed council -> school -> health -> two more agencies (hop 4, the most
  rules.MAX_ONWARD_HOPS allows), against the bare recursive statement of the same shape (roots carrying the entry,
  down by parent, depth-bounded; ids only).
* **lineage, fan-out**: the same for an entry the school passed on to FANOUT agencies (hop 1 each).
* **register CSV**: the export the register's page streams (`dispute_selectors.dispute_register_rows`, keyset pages
  of 500, `csv_cells` and `csv_safe` through `csv.writer`, as `views.register.register_export`), over DISPUTES
  disputes, against `COPY (SELECT the same columns) TO STDOUT WITH CSV`.
* **revise fan-out**: `sharing.services.entry_revise` of the fanned-out entry (the correction, its notices to
  every receiving agency in one INSERT ... SELECT, the grants twinned, the log rows), against `entry_revise` of an
  entry of the same agency that was never disclosed; each call rolled back, so every call meets the same world.

The world is built through the services (tests/disclosures/after_fixtures.py's cast, each onward hop submitted,
agreed by the council's designated manager and disclosed; each fan-out agency created, signed and staffed), in a
scratch database `<database>_bench_after` created, migrated and dropped by the run. The disputes: one opened and
withdrawn through the services, then copied DISPUTES - 1 times by SQL with every trigger and constraint on (each
copy inserted at stage 1, as the triggers require, and withdrawn), so the register holds DISPUTES rows.

Reported per measure: statements per call (must not grow with the tree or the register), median and p95 ms of the
measured call and of its baseline, and the ratio of the medians. Nothing is judged against a target: issue 13 sets
none; the run fails only when the statements grow with the size (the lineage's) or a fan-out takes more than one
statement to write its notices.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.audit_recording import RESULTS
from benchmarks.scratch import scratch_world

HOPS = 4
FANOUT = 200
DISPUTES = 10_000
CALLS = 50

# The bare recursive shape both lineage reads share (onward_selectors._ENTRY_TREE without the agencies, the
# revocation, the entries' arrays and the notices): the baseline.
BASELINE_TREE = """
WITH RECURSIVE down AS (
    SELECT de.disclosure_id AS id, 0 AS depth FROM disclosures_disclosureentry de
    JOIN disclosures_disclosure r ON r.id = de.disclosure_id WHERE de.entry_id = %(entry)s AND r.hop = 0
    UNION ALL
    SELECT d.id, down.depth + 1 FROM disclosures_disclosure d JOIN down ON d.parent_id = down.id
    WHERE down.depth < %(max)s
)
SELECT d.id, d.parent_id, d.hop FROM down JOIN disclosures_disclosure d ON d.id = down.id
WHERE EXISTS (SELECT 1 FROM disclosures_disclosureentry x WHERE x.disclosure_id = d.id AND x.entry_id = %(entry)s)
ORDER BY d.hop, d.made_at, d.id
"""
# The register's CSV columns, as dispute_selectors.REGISTER_COLUMNS, in one COPY: the baseline.
BASELINE_COPY = """
COPY (
    SELECT 'DR-' || lpad(d.register_number::text, 6, '0'), d.subject_kind, d.ground, ra.name, rs.name, d.state,
           d.stage, (d.opened_at AT TIME ZONE 'Europe/London')::date, d.stage_one_due_on, d.stage_two_due_on,
           d.escalation_reason, d.referred_at IS NOT NULL, d.outcome,
           (d.resolved_at AT TIME ZONE 'Europe/London')::date,
           (SELECT count(*) FROM disclosures_disputerecord r WHERE r.dispute_id = d.id)
    FROM disclosures_dispute d
    JOIN agencies_agency ra ON ra.id = d.raising_agency_id
    JOIN agencies_agency rs ON rs.id = d.responding_agency_id
    ORDER BY d.register_number DESC
) TO STDOUT WITH CSV
"""


@contextmanager
def _counting() -> Iterator[list[str]]:
    from django.db import connection

    statements: list[str] = []

    def count(execute: Any, sql: str | bytes, params: Any, many: bool, context: Any) -> Any:
        # A statement compiled once per process (isp_portal.rows) arrives as bytes.
        statements.append(sql.decode() if isinstance(sql, bytes) else sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield statements


def timed(call: Callable[[], Any], calls: int, *, rollback: bool = False) -> dict[str, Any]:
    """`call` `calls` times, each in its own transaction (rolled back when `rollback`): statements per call (the
    distinct counts seen), median and p95 ms, and what the last call returned (`result`, not in the figures)."""
    from django.db import transaction

    counts: list[int] = []
    times: list[float] = []
    result: Any = None
    for _ in range(calls):
        with _counting() as statements:
            started = time.perf_counter()
            with transaction.atomic():
                result = call()
                if rollback:
                    transaction.set_rollback(True)
            times.append((time.perf_counter() - started) * 1000)
        # The transaction's own statements (a savepoint and its release or rollback inside a test) are not the call's.
        counts.append(sum(1 for sql in statements if "SAVEPOINT" not in sql.upper()))
    times.sort()
    return {
        "calls": calls,
        "statements": sorted(set(counts)),
        "median_ms": round(statistics.median(times), 3),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 3),
        "result": result,
    }


def _versus(name: str, measured: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    ratio = measured["median_ms"] / baseline["median_ms"] if baseline["median_ms"] else None
    return {
        "name": name,
        "measured": {key: value for key, value in measured.items() if key != "result"},
        "baseline": {key: value for key, value in baseline.items() if key != "result"},
        "ratio": round(ratio, 2) if ratio is not None else None,
    }


# --- The world ----------------------------------------------------------------------------------------------------


def build(world: Any, *, hops: int, fanout: int, disputes: int, log: Callable[[str], None]) -> dict[str, Any]:
    """The world measured, built on `world` (tests.factories.World): ids of the entries, disclosures and people."""
    from agencies.models import AgencyKind
    from disclosures.services.disputes import dispute_open, dispute_withdraw
    from sharing.services import entry_record
    from tests.disclosures.after_fixtures import after_world, disclose, pass_on, passed_on, staffed_agency
    from tests.disclosures.dispute_fixtures import GROUNDS, declined
    from tests.disclosures.fixtures import case

    if not 1 <= hops <= 4:
        raise ValueError("after_disclosure: an entry is passed on 1 to 4 hops (rules.MAX_ONWARD_HOPS)")
    log(f"the issue-13 world and an entry passed on {hops} hops")
    after = after_world(world)
    chain = [after.disclosure, passed_on(after)]  # council -> school (hop 0) -> health (hop 1)
    holder = "health_visitor"
    for hop in range(2, hops + 1):
        key = f"hop_{hop}"
        agency = staffed_agency(world, f"Hop {hop} Service", key, AgencyKind.VOLUNTARY)
        chain.append(pass_on(after, by=holder, parent=chain[-1], entry=after.made.entry, to_agency=agency, to=key))
        holder = key
    log(f"a second entry disclosed to the school and passed on to {fanout} agencies")
    # Another child (the first one, whose details it shares, was considered: not a duplicate).
    wide = case(world, given="Wren", family="Fanout", considered=[after.made.child.pk])
    root = disclose(wide)
    for number in range(fanout):
        key = f"fan_{number}"
        agency = staffed_agency(world, f"Fan-out Service {number:03d}", key, AgencyKind.VOLUNTARY)
        pass_on(after, by="school", parent=root, entry=wide.entry, to_agency=agency, to=key)
    # The baseline of the revise: an entry of the same agency, about the same child, never disclosed.
    kept = entry_record(
        actor=after.user("practitioner"), child=wide.child, agency=world.home, category="case_note", fields={},
        text="Seen at home; no concerns today.", basis="fact",
    )  # fmt: skip
    log(f"{disputes} disputes on the register")
    dispute = dispute_open(actor=after.user("school"), request=declined(after), grounds=GROUNDS)
    dispute_withdraw(actor=after.user("school"), dispute=dispute, reason="The council shared it in the end.")
    _copy_disputes(dispute.pk, disputes - 1)
    return {
        "chain_entry": after.made.entry.pk,
        "chain_leaf": chain[-1].pk,
        "chain_nodes": len(chain),
        "wide_entry": wide.entry.pk,
        "wide_root": root.pk,
        "wide_nodes": fanout + 1,
        "kept_entry": kept.pk,
        "originator": after.user("practitioner").pk,
        "keeper": after.user("partnership_admin").pk,
    }


def _copy_disputes(original: int, copies: int) -> None:
    """`copies` copies of the withdrawn dispute `original`, each through the path the triggers allow: inserted at
    stage 1 (a new register number) and withdrawn, one at a time (one open dispute per subject)."""
    from django.db import connection

    if copies <= 0:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'disclosures_dispute' "
            "AND column_name NOT IN ('id', 'register_number') ORDER BY ordinal_position"
        )
        columns = [row[0] for row in cursor.fetchall()]
        ended = ("state", "withdrawn_at", "withdraw_reason", "records_due_on")
        opened = [
            {"state": "'stage_one'", "withdrawn_at": "NULL", "withdraw_reason": "''", "records_due_on": "NULL"}.get(
                column, column
            )
            for column in columns
        ]
        cursor.execute(
            f"""
            DO $$
            DECLARE copy_id bigint;
            BEGIN
                FOR i IN 1..{int(copies)} LOOP
                    INSERT INTO disclosures_dispute ({", ".join(columns)})
                    SELECT {", ".join(opened)} FROM disclosures_dispute WHERE id = {int(original)}
                    RETURNING id INTO copy_id;
                    UPDATE disclosures_dispute d SET ({", ".join(ended)}) = (
                        SELECT {", ".join("o." + column for column in ended)} FROM disclosures_dispute o
                        WHERE o.id = {int(original)}
                    ) WHERE d.id = copy_id;
                END LOOP;
            END $$
            """
        )


# --- The measures -------------------------------------------------------------------------------------------------


def measure_in(world: Any, *, hops: int, fanout: int, disputes: int, calls: int, log: Callable[[str], None]) -> dict:
    """Build the world on `world` and take every measure (the database is the current connection's)."""
    from django.db import connection

    from agencies.models import User
    from disclosures import rules
    from disclosures.dispute_selectors import (
        CSV_HEADER,
        RegisterFilters,
        csv_cells,
        dispute_register_rows,
    )
    from disclosures.onward_selectors import disclosure_lineage, entry_lineage
    from isp_portal.csv_export import csv_safe
    from sharing.models import RecordEntry
    from sharing.services import entry_revise

    ids = build(world, hops=hops, fanout=fanout, disputes=disputes, log=log)
    originator = User.objects.get(pk=ids["originator"])
    keeper = User.objects.get(pk=ids["keeper"])
    results: list[dict[str, Any]] = []

    def bare(entry: int) -> Callable[[], Any]:
        def run() -> Any:
            with connection.cursor() as cursor:
                cursor.execute(BASELINE_TREE, {"entry": entry, "max": rules.MAX_ONWARD_HOPS})
                return cursor.fetchall()

        return run

    for label, entry, start, nodes in (
        (f"{hops} hops", ids["chain_entry"], ids["chain_leaf"], ids["chain_nodes"]),
        (f"fan-out {fanout}", ids["wide_entry"], ids["wide_root"], ids["wide_nodes"]),
    ):
        log(f"lineage, {label}")
        entry_lineage(originator, entry)  # the principal loaded, the plans cached
        baseline = timed(bare(entry), calls)
        by_entry = timed(functools.partial(entry_lineage, originator, entry), calls)
        by_disclosure = timed(functools.partial(disclosure_lineage, originator, start), calls)
        assert len(baseline["result"]) == nodes == len(by_entry["result"].nodes), (label, nodes)
        results.append({**_versus(f"entry_lineage, {label}", by_entry, baseline), "nodes": nodes})
        results.append({**_versus(f"disclosure_lineage, {label}", by_disclosure, baseline), "nodes": nodes})

    log(f"the register's CSV, {disputes} disputes")
    writer = csv.writer(_Echo())

    def export() -> int:
        size = len(writer.writerow(CSV_HEADER))
        rows = 0
        for row in dispute_register_rows(keeper, RegisterFilters()):
            size += len(writer.writerow([csv_safe(cell) for cell in csv_cells(row)]))
            rows += 1
        return rows

    def copy() -> int:
        buffer = io.StringIO()
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(BASELINE_COPY, buffer)  # psycopg2 under Django's cursor wrapper
        return buffer.getvalue().count("\n")

    exports = max(3, calls // 10)
    copied = timed(copy, exports)
    copied["statements"] = [1]  # the COPY, sent on the driver's cursor: past Django's counting wrapper
    exported = timed(export, exports)
    assert exported["result"] == copied["result"] == disputes, (exported["result"], copied["result"])
    results.append({**_versus(f"register CSV, {disputes} disputes", exported, copied), "rows": disputes})

    log(f"a correction fanned out to {fanout + 1} agencies")
    wide = RecordEntry.objects.get(pk=ids["wide_entry"])
    kept = RecordEntry.objects.get(pk=ids["kept_entry"])

    def revise(entry: RecordEntry) -> Callable[[], Any]:
        def run() -> Any:
            return entry_revise(
                actor=originator, entry=entry, fields={}, text="Mother's partner threatened the child again.",
                basis="fact", reason="The date of the threat was wrong.",
            )  # fmt: skip

        return run

    notices: list[int] = []

    def revise_counted() -> Any:
        with _counting() as statements:
            revision = revise(wide)()
        notices.append(sum(1 for sql in statements if "INSERT INTO" in sql and "disclosures_correctionnotice" in sql))
        return revision

    revises = max(3, calls // 10)
    plain = timed(revise(kept), revises, rollback=True)
    fanned = timed(revise_counted, revises, rollback=True)
    results.append(
        {
            **_versus(f"entry_revise, notices to {fanout + 1} agencies", fanned, plain),
            "notice_statements": sorted(set(notices)),
        }
    )
    return {"ids": ids, "results": results}


class _Echo:
    def write(self, value: str) -> str:
        return value


def judge(figures: dict[str, Any]) -> dict[str, bool]:
    """The statements of each lineage read are the same whatever the tree (4 hops and the fan-out), and a fan-out
    writes its notices in one statement."""
    by_name: dict[str, list[tuple[int, ...]]] = {row["name"].split(",")[0]: [] for row in figures["results"]}
    for row in figures["results"]:
        by_name[row["name"].split(",")[0]].append(tuple(row["measured"]["statements"]))
    checks = {
        f"{name} statements constant": len(set(seen)) == 1 and len(seen[0]) == 1
        for name, seen in by_name.items()
        if name.endswith("_lineage")
    }
    revise = next(row for row in figures["results"] if row["name"].startswith("entry_revise"))
    checks["notices in one statement"] = revise["notice_statements"] == [1]
    return checks


def table(figures: dict[str, Any]) -> str:
    lines = [
        "| measure | statements | median / p95 ms | baseline statements | baseline median / p95 ms | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for row in figures["results"]:
        measured, baseline = row["measured"], row["baseline"]
        lines.append(
            f"| {row['name']} | {', '.join(map(str, measured['statements']))} | {measured['median_ms']} / "
            f"{measured['p95_ms']} | {', '.join(map(str, baseline['statements']))} | {baseline['median_ms']} / "
            f"{baseline['p95_ms']} | {row['ratio']} |"
        )
    return "\n".join(lines)


def measure(*, hops: int, fanout: int, disputes: int, calls: int, log: Callable[[str], None]) -> dict[str, Any]:
    """Every measure on a fresh scratch database (dropped afterwards)."""
    with scratch_world("after", log) as world:
        before = [round(value, 2) for value in os.getloadavg()]
        figures = measure_in(world, hops=hops, fanout=fanout, disputes=disputes, calls=calls, log=log)
    figures.update(
        scenario="after_disclosure",
        measured_at=datetime.now(UTC).isoformat(timespec="seconds"),
        settings={"hops": hops, "fanout": fanout, "disputes": disputes, "calls": calls},
        load_average=[before, [round(value, 2) for value in os.getloadavg()]],
    )
    figures["checks"] = judge(figures)
    return figures


def main(*, hops: int, fanout: int, disputes: int, calls: int, results: Path = RESULTS) -> bool:
    figures = measure(
        hops=hops, fanout=fanout, disputes=disputes, calls=calls, log=lambda line: print(line, flush=True)
    )
    results.mkdir(parents=True, exist_ok=True)
    stamp = figures["measured_at"].replace(":", "")
    (results / f"after_disclosure-{stamp}.json").write_text(json.dumps(figures, indent=2, default=str) + "\n")
    print(f"after_disclosure: {hops} hops, fan-out {fanout}, {disputes} disputes; load {figures['load_average']}")
    print(table(figures))
    for check, ok in figures["checks"].items():
        print(f"  {check}: {'yes' if ok else 'NO'}")
    passed = all(figures["checks"].values())
    print(f"  {'PASS' if passed else 'FAIL'}")
    return passed
