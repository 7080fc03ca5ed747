"""The disclosure-log export over HTTP against a raw COPY of the same rows (issue 15: "the disclosure-log export of
5,000,000 rows over HTTP at >= 0.3 x a raw COPY ... TO STDOUT of the same rows measured in the same run, with the
web worker's peak memory reported at 1M and 5M rows (flat)").

`python -m benchmarks.audit_export [--rows 1000000,5000000] [--keep]`, with DATABASE_URL pointing at your server:

1. A scratch database `<database>_bench_export` is migrated and seeded with the demo partnership (`seed_demo`); the
   demo's partnership auditor gets a random password and two-factor key only this run knows
   (benchmarks.world.credentials). The disclosure log is then filled, in one INSERT ... SELECT generate_series per
   step (server-side), up to each size in --rows: rows spread over the last 360 days, 40 agencies, 5,000 people,
   200,000 children, with recipients, tiers, categories and entries as the sharing app writes them, and one purpose
   in fifty beginning with "=" (a formula the export must make inert). session_replication_role = replica skips the
   append-only triggers, in this scratch database only.
2. At each size, in the same run and on the same rows (the date range covering them all, as a partnership auditor
   asks for it):
   - baseline: the raw `COPY (SELECT <the dictionary's columns> ...) TO STDOUT (FORMAT csv)`
     (oversight.exports.raw_copy_sql), read by psycopg2's copy_expert into a sink that only counts bytes;
   - in-process: the export's own COPY (oversight.exports.copy_sql: ISO times, formula-safe cells, lists joined),
     so the cost of the export's formatting is shown apart from HTTP;
   - HTTP: `GET /audit/disclosures/export.csv?occurred_from=...&occurred_to=...` from one gunicorn sync worker of
     the production settings (isp_portal/gunicorn_conf.py), signed in as the auditor over HTTP, the body read in
     1 MiB pieces and only counted. The worker's peak resident memory (VmHWM) is reset before each export
     (/proc/<pid>/clear_refs, "5") and read after it.
   The ratio reported is rows/s over HTTP / rows/s of the raw COPY (target >= 0.3), and the peak RSS at each size
   (target: flat, i.e. the 5M peak within a few MiB of the 1M peak).

The worker's timeout (WEB_TIMEOUT) is raised for the run: gunicorn's arbiter kills a sync worker busy longer than it
(60 s by default), and a multi-gigabyte download takes longer; see the README's note on it. Results go to
benchmarks/results/audit_export-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from benchmarks.audit_recording import RESULTS, _setup_django, drop_database, recreate_database, scratch_url
from benchmarks.http_pages import ROOT, free_port, production_env, sign_in, start_server, stop_server

DAYS = 360
AGENCIES = 40
PEOPLE = 5_000
CHILDREN = 200_000
PIECE = 1 << 20
TARGET_RATIO = 0.3

# Rows first..last of the generated log: the sharing app's shapes (disclosures.services: log_disclosure), cheap to
# make on the server. Row g happens g/n of the way through the period, so each step appends later rows.
_GENERATE = """
INSERT INTO audit_disclosure_log (occurred_at, event_id, kind, actor_id, actor_label, outcome, disclosure_id,
    request_id, disclosure_kind, child_id, from_agency_id, from_agency_label, discloser_id, discloser_label,
    discloser_role, approver_id, approver_label, requester_id, requester_label, to_agency_id, to_agency_label,
    recipients, tiers, categories, entries, purpose, legal_basis, s29_form_reference, consent_record_id,
    consent_basis, not_sought_reason, override_ground, emergency_reason, subject_told, retain_until,
    protocol_version_id, protocol_version_label, snapshot_sha256, made_at, onward_request_id, parent_disclosure_id)
SELECT t.at, 1000000000 + g, 'made', NULL, '', '', 1000000000 + g, 1000000000 + g,
    CASE WHEN g %% 10 = 0 THEN 'emergency' ELSE 'requested' END,
    1 + (g::bigint * 7919) %% %(children)s,
    1 + g %% %(agencies)s, 'Agency ' || (1 + g %% %(agencies)s),
    1 + g %% %(people)s, 'Person ' || (g %% %(people)s) || ' <person' || (g %% %(people)s) || '@agency.example>',
    'Practitioner',
    CASE WHEN g %% 3 = 0 THEN 1 + (g + 17) %% %(people)s END,
    CASE WHEN g %% 3 = 0 THEN 'Manager ' || ((g + 17) %% %(people)s) || ' <m@agency.example>' ELSE '' END,
    1 + (g + 31) %% %(people)s, 'Requester ' || ((g + 31) %% %(people)s) || ' <r@school.example>',
    1 + (g + 7) %% %(agencies)s, 'Agency ' || (1 + (g + 7) %% %(agencies)s),
    jsonb_build_array(jsonb_build_object('user_id', 1 + (g + 31) %% %(people)s,
        'label', 'Requester ' || ((g + 31) %% %(people)s), 'via_team', false)),
    CASE WHEN g %% 4 = 0 THEN ARRAY['minimum', 'sensitive'] ELSE ARRAY['minimum'] END::varchar(16)[],
    ARRAY['health', 'education']::varchar(32)[],
    jsonb_build_array(jsonb_build_object('entry_id', g, 'revision', 1),
        jsonb_build_object('entry_id', g + 1, 'revision', 2)),
    CASE WHEN g %% 50 = 0 THEN '=HYPERLINK("http://x.example")' ELSE
        'Section 47 enquiry: is the child suffering, or likely to suffer, significant harm?' END,
    CASE WHEN g %% 2 = 0 THEN 'consent' ELSE 'significant_harm' END, '',
    CASE WHEN g %% 2 = 0 THEN 1000000000 + g END,
    CASE WHEN g %% 2 = 0 THEN 'given' ELSE 'not_sought' END,
    CASE WHEN g %% 2 = 0 THEN '' ELSE 'risk_of_harm' END, '', '',
    CASE WHEN g %% 2 = 0 THEN 'yes' ELSE 'no' END,
    t.at + interval '2 years', 1, 'Protocol 1 version 1.0', md5(g::text) || md5((g + 1)::text), t.at, NULL, NULL
FROM generate_series(%(first)s, %(last)s) AS g
CROSS JOIN LATERAL (SELECT now() - interval '%(days)s days'
    + (g::float8 / %(total)s) * interval '%(days)s days' - interval '1 hour' AS at) AS t
"""


class Counter:
    """The sink of the baseline COPYs: counts what psycopg2 writes, keeps nothing."""

    def __init__(self) -> None:
        self.bytes = 0
        self.rows = 0

    def write(self, data: bytes | str) -> int:
        self.bytes += len(data)
        self.rows += 1  # copy_expert writes one row a call
        return len(data)


def fill(first: int, last: int, total: int) -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            _GENERATE,
            {
                "first": first,
                "last": last,
                "total": total,
                "days": DAYS,
                "agencies": AGENCIES,
                "people": PEOPLE,
                "children": CHILDREN,
            },
        )
        cursor.execute("SET session_replication_role = origin")
        cursor.execute("VACUUM ANALYZE audit_disclosure_log")
    return time.perf_counter() - started


def _where(occurred_from: Any, occurred_to: Any) -> tuple[str, dict[str, Any]]:
    from oversight.filters import Source, TrailFilter, trail_where

    return trail_where(
        TrailFilter(occurred_from=occurred_from, occurred_to=occurred_to), source=Source.DISCLOSURES, scope=None
    )


def copy_in_process(sql: str, params: dict[str, Any]) -> dict[str, float]:
    """One COPY of `sql` read to the end by copy_expert; its rows, bytes and rows per second."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cursor:
        bound = cursor.mogrify(sql, params).decode()
        sink = Counter()
        started = time.perf_counter()
        cursor.copy_expert(bound, sink)
        seconds = time.perf_counter() - started
    return {
        "rows": sink.rows,
        "mib": round(sink.bytes / PIECE, 1),
        "seconds": round(seconds, 2),
        "rows_per_second": round(sink.rows / seconds),
    }


def _worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    assert len(children) == 1, f"expected one gunicorn worker, found {children}"
    return int(children[0])


def _status(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])  # kB
    raise KeyError(field)


def export_over_http(base_url: str, cookie: str, worker: int, query: str) -> dict[str, Any]:
    """One streamed download, counted; the worker's peak RSS during it (MiB) and what it held before."""
    import requests

    Path(f"/proc/{worker}/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    before = _status(worker, "VmRSS")
    received = lines = 0
    started = time.perf_counter()
    with requests.get(
        f"{base_url}/audit/disclosures/export.csv?{query}",
        headers={"X-Forwarded-Proto": "https", "Cookie": cookie},
        stream=True,
        timeout=600,
    ) as reply:
        reply.raise_for_status()
        for piece in reply.iter_content(PIECE):
            received += len(piece)
            lines += piece.count(b"\n")
        seconds = time.perf_counter() - started
        tail = piece[-200:]
    assert b"EXPORT FAILED" not in tail, tail
    return {
        "lines": lines,  # the header, then one a row (no generated cell holds a newline)
        "mib": round(received / PIECE, 1),
        "seconds": round(seconds, 2),
        "rows_per_second": round((lines - 1) / seconds),
        "worker_rss_before_mib": round(before / 1024, 1),
        "worker_peak_rss_mib": round(_status(worker, "VmHWM") / 1024, 1),
    }


def _auditor() -> dict[str, str]:
    from agencies.models import Membership, Role
    from benchmarks.world import credentials
    from isp_portal.policy import SystemActor

    membership = (
        Membership.objects.filter(roles__contains=[Role.AUDITOR], agency__isnull=True, is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    assert membership is not None, "seed_demo made no partnership auditor"
    return credentials(SystemActor("audit_export benchmark"), membership.user)


def measure(*, sizes: list[int], keep: bool, log: Any = print) -> dict[str, Any]:
    original = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/isp_portal")
    parts = urlsplit(scratch_url(original))
    url = urlunsplit(parts._replace(path=parts.path + "_export"))
    recreate_database(url)
    os.environ["DATABASE_URL"] = url
    # seed_demo runs in demo mode only (DESIGN 4); the server runs the production settings, where the published demo
    # credentials open nothing, and the auditor signs in with this run's own (benchmarks.world.credentials).
    os.environ["DEMO_MODE"] = "1"
    load = os.getloadavg()
    steps: list[dict[str, Any]] = []
    server = None
    try:
        _setup_django()
        from django.core.management import call_command
        from django.db import connection
        from django.utils import timezone

        from oversight.exports import copy_sql, raw_copy_sql
        from oversight.filters import Source

        log("migrating and seeding the demo partnership")
        call_command("migrate", verbosity=0)
        call_command("seed_demo", verbosity=0)
        user = _auditor()
        today = timezone.localdate()
        occurred_from, occurred_to = today - timedelta(days=DAYS + 1), today
        query = f"occurred_from={occurred_from.isoformat()}&occurred_to={occurred_to.isoformat()}"
        where, params = _where(occurred_from, occurred_to)
        connection.close()

        env = production_env(url, free_port())
        env.update(WEB_CONCURRENCY="1", WEB_TIMEOUT="3600", DATABASE_CONN_MAX_AGE="0", ISP_COUNT_STATEMENTS="0")
        log_dir = ROOT / "var" / "bench"
        log_dir.mkdir(parents=True, exist_ok=True)
        server = start_server("portal", "isp_portal.wsgi:application", env, log_dir / "export.log")
        cookie = sign_in(server.url, user)
        worker = _worker_pid(server.process.pid)

        made = 0
        total = max(sizes)
        for size in sorted(sizes):
            log(f"filling the disclosure log to {size:,} rows")
            fill_seconds = fill(made + 1, size, total)
            made = size
            raw = copy_in_process(raw_copy_sql(Source.DISCLOSURES, where), params)
            log(f"  raw COPY: {raw}")
            formatted = copy_in_process(copy_sql(Source.DISCLOSURES, "csv", where), params)
            log(f"  the export's COPY in-process: {formatted}")
            connection.close()
            http = export_over_http(server.url, cookie, worker, query)
            log(f"  over HTTP: {http}")
            steps.append(
                {
                    "rows_generated": size,
                    "fill_seconds": round(fill_seconds, 1),
                    "raw_copy": raw,
                    "export_copy_in_process": formatted,
                    "http": http,
                    "ratio_http_to_raw_copy": round(http["rows_per_second"] / raw["rows_per_second"], 3),
                    "ratio_export_copy_to_raw_copy": round(formatted["rows_per_second"] / raw["rows_per_second"], 3),
                }
            )
    finally:
        if server is not None:
            stop_server(server)
        os.environ["DATABASE_URL"] = original
        if not keep:
            drop_database(url)
    return {
        "scenario": "audit_export",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "git": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip(),
        "load_average_at_start": [round(value, 2) for value in load],
        "load_average_at_end": [round(value, 2) for value in os.getloadavg()],
        "steps": steps,
    }


def main(*, sizes: list[int], keep: bool = False, results: Path = RESULTS) -> bool:
    figures = measure(sizes=sizes, keep=keep)
    results.mkdir(parents=True, exist_ok=True)
    stamp = figures["measured_at"].replace(":", "")
    (results / f"audit_export-{stamp}.json").write_text(json.dumps(figures, indent=2) + "\n")
    print("| rows | raw COPY rows/s | export COPY rows/s | HTTP rows/s | HTTP / raw | HTTP MiB | worker peak RSS MiB |")
    print("|---|---|---|---|---|---|---|")
    for step in figures["steps"]:
        raw, formatted, http = step["raw_copy"], step["export_copy_in_process"], step["http"]
        print(
            f"| {raw['rows']:,} | {raw['rows_per_second']:,} | {formatted['rows_per_second']:,} | "
            f"{http['rows_per_second']:,} | {step['ratio_http_to_raw_copy']} | {http['mib']} | "
            f"{http['worker_peak_rss_mib']} |"
        )
    peaks = [step["http"]["worker_peak_rss_mib"] for step in figures["steps"]]
    ratios = [step["ratio_http_to_raw_copy"] for step in figures["steps"]]
    met = min(ratios) >= TARGET_RATIO and max(peaks) - min(peaks) <= 16
    print(f"audit_export: target {'met' if met else 'MISSED'} (ratio >= {TARGET_RATIO}, peak RSS within 16 MiB)")
    return met


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="1000000,5000000", help="the sizes measured, comma-separated")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    arguments = parser.parse_args()
    raise SystemExit(0 if main(sizes=[int(n) for n in arguments.rows.split(",")], keep=arguments.keep) else 1)
