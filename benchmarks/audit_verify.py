"""Verifying the whole audit chain (issue 15: 10,000,000 events in minutes; DESIGN 2.6).

On a scratch database migrated from scratch: N events inserted into audit_event in one INSERT ... SELECT
generate_series (the real table, its defaults and triggers; each row shaped like a child view: actor, agency,
object, purpose, IP, request id, a small detail), sealed into the chain by the real sealer (audit_seal), then
the whole chain walked by the real verification (audit.verify.chain_verify, as `manage.py audit_verify` and the
daily run do). Reports events per second for the seal and the walk, and the walk's time extrapolated to
10,000,000 events (the walk is linear: one server-side cursor in sequence order, constant memory).

The target: the extrapolated walk of 10,000,000 events takes at most TARGET_SECONDS.
"""

from __future__ import annotations

import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from benchmarks.audit_recording import RESULTS, _setup_django, drop_database, recreate_database, scratch_url

TARGET_EVENTS = 10_000_000
TARGET_SECONDS = 600.0  # "in minutes": ten at most
SEAL_PATIENCE_SECONDS = 600.0

_GENERATE = """
INSERT INTO audit_event (occurred_at, kind, outcome, actor_id, actor_label, actor_agency_id, actor_agency_label,
    actor_role, object_type, object_id, object_label, child_id, purpose, ip, request_id, detail)
SELECT now() - (%(n)s - g) * interval '1 second', 'child.view', 'success', 1 + g %% 500,
    'person' || (g %% 500) || '@agency' || (g %% 40) || '.example', 1 + g %% 40, 'Agency ' || (g %% 40),
    'practitioner', 'sharing.child', (g %% 200000)::text, 'Child ' || (g %% 200000), g %% 200000,
    'Assessment under section 17 of the Children Act 1989', ('10.0.' || (g %% 250) || '.' || (g %% 199))::inet,
    md5(g::text)::uuid, jsonb_build_object('n', g, 'tier', 'case', 'search', md5((g * 7)::text))
FROM generate_series(1, %(n)s) AS g
"""


def default_events() -> int:
    """1,000,000 events on a quiet machine (load average < 3), else 100,000 (issue 15)."""
    return 1_000_000 if os.getloadavg()[0] < 3 else 100_000


def generate(events: int) -> float:
    from django.db import connection, transaction

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_GENERATE, {"n": events})
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE audit_event")
    return time.perf_counter() - started


def seal_all(events: int) -> float:
    """Seal every generated event. The sealer's watermark is the oldest transaction running on the server, so
    another client's open transaction may hold it: the sealer is called again until the chain is complete."""
    from audit.models import AuditChainLink
    from audit.services import audit_seal

    started = time.perf_counter()
    deadline = started + SEAL_PATIENCE_SECONDS
    while AuditChainLink.objects.count() < events:
        if time.perf_counter() > deadline:
            raise RuntimeError("the sealer could not chain the events: a transaction held the watermark")
        if audit_seal(batch_size=50_000).sealed == 0:
            time.sleep(0.5)
    return time.perf_counter() - started


def measure(*, events: int) -> dict[str, Any]:
    from django.core.management import call_command

    original = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/isp_portal")
    parts = urlsplit(scratch_url(original))
    url = urlunsplit(parts._replace(path=parts.path + "_verify"))
    recreate_database(url)
    os.environ["DATABASE_URL"] = url
    load = os.getloadavg()
    try:
        _setup_django()
        from django.db import connection

        call_command("migrate", verbosity=0)
        generate_seconds = generate(events)
        seal_seconds = seal_all(events)
        from audit.verify import chain_verify

        started = time.perf_counter()
        report = chain_verify()
        verify_seconds = time.perf_counter() - started
        connection.close()
    finally:
        os.environ["DATABASE_URL"] = original
        drop_database(url)
    per_second = report.links_checked / verify_seconds if verify_seconds else 0.0
    extrapolated = TARGET_EVENTS / per_second if per_second else float("inf")
    return {
        "scenario": "audit_verify",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "load_average_at_start": [round(value, 2) for value in load],
        "events": events,
        "generate_seconds": round(generate_seconds, 2),
        "seal_seconds": round(seal_seconds, 2),
        "seal_per_second": round(events / seal_seconds) if seal_seconds else None,
        "verify_seconds": round(verify_seconds, 2),
        "verify_per_second": round(per_second),
        "extrapolated_10m_seconds": round(extrapolated, 1),
        "target_seconds": TARGET_SECONDS,
        "chain": {"ok": report.ok, "links": report.links_checked, "problem": report.problem},
        "passed": report.ok and report.links_checked == events and extrapolated <= TARGET_SECONDS,
    }


def main(*, events: int | None = None, results: Path = RESULTS) -> bool:
    figures = measure(events=events or default_events())
    results.mkdir(parents=True, exist_ok=True)
    stamp = figures["measured_at"].replace(":", "")
    (results / f"audit_verify-{stamp}.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(f"audit_verify: {figures['events']:,} events (load average {figures['load_average_at_start'][0]})")
    print(f"  generated in {figures['generate_seconds']}s; sealed in {figures['seal_seconds']}s")
    print(f"  verified in {figures['verify_seconds']}s: {figures['verify_per_second']:,} events/s")
    print(f"  10,000,000 events: about {figures['extrapolated_10m_seconds']}s (target <= {TARGET_SECONDS:g}s)")
    chain = figures["chain"]
    print(f"  chain: {'verified' if chain['ok'] else 'BROKEN: ' + chain['problem']}, {chain['links']} links")
    print(f"  {'PASS' if figures['passed'] else 'FAIL'}")
    return bool(figures["passed"])
