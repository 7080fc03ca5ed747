"""Audit recording under concurrency (issue 2; DESIGN 2.6).

Every page view writes an audit event, so recording must not become the portal's bottleneck. Sixteen
connections (separate processes, like gunicorn workers) each record events as fast as they can, one
transaction per event as a request would, for a fixed time. Three variants run one after the other in the
same run, on a scratch database migrated from scratch:

* ``plain``: the baseline. The same INSERT, with the same columns and values, into ``bench_plain``, a table
  created ``LIKE audit_event INCLUDING ALL`` (same shape, indexes and defaults; no chain).
* ``audit_record``: the real service, while a sealer chains the events every second as beat does. The chain
  is sealed and verified at the end: the benchmark fails if it does not verify.
* ``global_lock``: the design we rejected, for reference: each event takes one advisory lock, reads the
  previous event's hash, and inserts its own, so every commit queues behind the last (DESIGN 2.6 measured
  about a seventh of the plain rate here).

The target: ``audit_record`` reaches at least half the plain rate.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

TARGET_RATIO = 0.5
RESULTS = Path(__file__).resolve().parent / "results"
VARIANTS = ("plain", "audit_record", "global_lock")


@dataclass(frozen=True)
class VariantResult:
    variant: str
    events: int
    seconds: float
    per_second: float


# --- The scratch database ---------------------------------------------------------------------------------------


def scratch_url(url: str) -> str:
    """The DATABASE_URL with its database name suffixed `_bench`, so a run never touches real data."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "isp_portal"
    return urlunsplit(parts._replace(path=f"/{name}_bench"))


def _admin_connection(url: str) -> Any:
    import psycopg2

    parts = urlsplit(url)
    connection = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    connection.autocommit = True
    return connection


def recreate_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    connection = _admin_connection(url)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def drop_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    connection = _admin_connection(url)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    connection.close()


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "isp_portal.settings.development")
    import django

    django.setup()


def prepare_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_plain (LIKE audit_event INCLUDING ALL)")
        cursor.execute(
            "CREATE TABLE bench_locked (LIKE audit_event INCLUDING ALL, prev_hash char(64) NOT NULL, "
            "hash char(64) NOT NULL)"
        )


# --- One worker per connection ------------------------------------------------------------------------------------


def _event_values(worker: int, number: int) -> list[Any]:
    from django.utils import timezone

    return [
        timezone.now(),
        "child.view",
        "success",
        None,
        f"Benchmark user {worker}",
        None,
        "Benchmark agency",
        "practitioner",
        "child",
        str(number),
        f"Child {number}",
        None,
        "safeguarding",
        "127.0.0.1",
        None,
        json.dumps({"worker": worker, "n": number}),
    ]


def _recorder(variant: str, worker: int) -> Callable[[int], None]:
    from django.db import connection, transaction

    from audit.services import _INSERT, ActorIdentity, audit_record

    if variant == "plain":
        plain_insert = _INSERT.replace("INSERT INTO audit_event", "INSERT INTO bench_plain")

        def plain(number: int) -> None:
            with connection.cursor() as cursor:
                cursor.execute(plain_insert, _event_values(worker, number))

        return plain

    if variant == "audit_record":
        actor = ActorIdentity(user_id=None, label=f"Benchmark user {worker}", agency_label="Benchmark agency")

        def real(number: int) -> None:
            audit_record(
                kind="child.view",
                actor=actor,
                object_type="child",
                object_id=number,
                object_label=f"Child {number}",
                purpose="safeguarding",
                detail={"worker": worker, "n": number},
            )

        return real

    locked_insert = (
        _INSERT.replace("INSERT INTO audit_event", "INSERT INTO bench_locked")
        .replace("detail)", "detail, prev_hash, hash)")
        .replace("%s::jsonb)", "%s::jsonb, %s, %s)")
    )

    def global_lock(number: int) -> None:
        values = _event_values(worker, number)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(42)")
            cursor.execute("SELECT hash FROM bench_locked ORDER BY id DESC LIMIT 1")
            row = cursor.fetchone()
            previous = row[0] if row else "0" * 64
            digest = hashlib.sha256((previous + json.dumps(values, default=str)).encode()).hexdigest()
            cursor.execute(locked_insert, [*values, previous, digest])

    return global_lock


def _work(
    variant: str, worker: int, ready: Any, start: EventType, stop_at: Any, counts: Any
) -> None:  # pragma: no cover - runs in a child process
    _setup_django()
    from django.db import connection

    connection.ensure_connection()
    record = _recorder(variant, worker)
    record(-1)  # warm up: first statement, prepared plans, imports
    ready.release()
    start.wait()
    deadline = stop_at.value
    done = 0
    while time.time() < deadline:
        record(done)
        done += 1
    counts[worker] = done
    connection.close()


def _seal_every_second(start: EventType, stop_at: Any) -> None:  # pragma: no cover - runs in a child process
    _setup_django()
    from audit.services import audit_seal

    start.wait()
    while time.time() < stop_at.value:
        audit_seal()
        time.sleep(1.0)


def run_variant(variant: str, *, workers: int, duration: float) -> VariantResult:
    context = multiprocessing.get_context("spawn")
    ready = context.Semaphore(0)
    start = context.Event()
    stop_at = context.Value("d", 0.0)
    counts = context.Array("q", workers)
    processes = [
        context.Process(target=_work, args=(variant, worker, ready, start, stop_at, counts), daemon=True)
        for worker in range(workers)
    ]
    if variant == "audit_record":
        processes.append(context.Process(target=_seal_every_second, args=(start, stop_at), daemon=True))
    for process in processes:
        process.start()
    for _ in range(workers):
        if not ready.acquire(timeout=120):
            raise RuntimeError(f"{variant}: the workers did not connect within 120s")
    began = time.time()
    stop_at.value = began + duration
    start.set()
    for process in processes:
        process.join(timeout=duration + 60)
        if process.exitcode != 0:
            raise RuntimeError(f"{variant}: a worker failed (exit code {process.exitcode})")
    events = sum(int(count) for count in counts[:])
    return VariantResult(variant=variant, events=events, seconds=duration, per_second=events / duration)


def verify_chain() -> dict[str, Any]:
    from audit.services import audit_seal
    from audit.verify import chain_verify

    audit_seal()
    report = chain_verify()
    return {"ok": report.ok, "links": report.links_checked, "head_hash": report.head_hash, "problem": report.problem}


# --- The scenario ------------------------------------------------------------------------------------------------


def measure(*, workers: int, duration: float) -> dict[str, Any]:
    """Run the three variants on a fresh scratch database and return the figures (the database is dropped)."""
    from django.core.management import call_command

    original = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/isp_portal")
    url = scratch_url(original)
    recreate_database(url)
    os.environ["DATABASE_URL"] = url  # inherited by the spawned workers
    try:
        _setup_django()
        call_command("migrate", verbosity=0)
        prepare_tables()
        from django.db import connection

        connection.close()
        results = {variant: run_variant(variant, workers=workers, duration=duration) for variant in VARIANTS}
        chain = verify_chain()
        connection.close()
    finally:
        os.environ["DATABASE_URL"] = original
        drop_database(url)
    plain = results["plain"].per_second or 1.0
    ratio = results["audit_record"].per_second / plain
    return {
        "scenario": "audit_recording",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "workers": workers,
        "duration_seconds": duration,
        "variants": {name: asdict(result) for name, result in results.items()},
        "ratio_audit_to_plain": round(ratio, 3),
        "ratio_global_lock_to_plain": round(results["global_lock"].per_second / plain, 3),
        "target_ratio": TARGET_RATIO,
        "chain": chain,
        "passed": ratio >= TARGET_RATIO and bool(chain["ok"]),
    }


def main(*, workers: int, duration: float, results: Path = RESULTS) -> bool:
    figures = measure(workers=workers, duration=duration)
    results.mkdir(parents=True, exist_ok=True)
    stamp = figures["measured_at"].replace(":", "")
    (results / f"audit_recording-{stamp}.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(f"audit_recording: {workers} connections, {duration:g}s per variant")
    for name, result in figures["variants"].items():
        print(f"  {name:<13} {result['events']:>8} events  {result['per_second']:>9.0f}/s")
    print(
        f"  audit_record / plain = {figures['ratio_audit_to_plain']:.2f} (target >= {TARGET_RATIO}); "
        f"global_lock / plain = {figures['ratio_global_lock_to_plain']:.2f}"
    )
    chain = figures["chain"]
    print(f"  chain: {'verified' if chain['ok'] else 'BROKEN: ' + chain['problem']}, {chain['links']} links")
    print(f"  {'PASS' if figures['passed'] else 'FAIL'}")
    return bool(figures["passed"])
