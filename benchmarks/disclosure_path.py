"""The disclosure path under concurrency (issue 12; design12 8).

Twenty users at once (separate processes, like gunicorn workers, each with its own connection) each go round the
path a sensitive disclosure takes, as fast as they can, for a fixed time: a school's safeguarding lead asks
children's social care for a child's case notes, the parent having refused consent (`request_submit`); the social
worker answers "share" on significant harm (`request_answer_share`: detailed and sensitive without consent, so it
waits for approval); the designated manager approves, which makes the disclosure (`request_approve`: snapshot,
SHA-256, grants, disclosure log). Each step is its own transaction, as each is its own request on the pages.

The steps are driven through the services from the worker processes (the pattern of benchmarks/audit_recording.py):
the HTTP API was not on main when this benchmark was written. The figures are p50 and p95 per path (the three
steps one after the other) and per step.

Two variants on the same scratch database (a fresh one, migrated and seeded with the demo partnership; each worker
asks about a child of its own, so no two workers wait for the same entry's lock):

* ``audit``: the product as it is.
* ``no_audit``: `audit_record` and `audit_record_many` replaced by no-ops in the worker processes only
  (benchmarks/no_audit_app.py); the disclosure log is kept (design12 F9). The run checks that no audit event was
  written and that every disclosure still has its log row.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import platform
import time
from datetime import UTC, date, datetime
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from benchmarks.audit_recording import RESULTS, drop_database, recreate_database

VARIANTS = ("audit", "no_audit")
STEPS = ("submit", "answer", "approve")
ASKER, ANSWERER, MANAGER = "school_dsl", "practitioner", "designated_manager"


def scratch_url(url: str) -> str:
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "isp_portal"
    return urlunsplit(parts._replace(path=f"/{name}_bench_disclosures"))


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "isp_portal.settings.development")
    import django

    django.setup()


# --- The world -----------------------------------------------------------------------------------------------------


def build_world(workers: int) -> dict[str, Any]:
    """The demo partnership (seed_demo, demo mode: the development settings), and one child per worker recorded by
    children's social care with a case note, through the services."""
    from django.core.management import call_command
    from django.db import transaction

    from agencies.demo import AGENCIES, DEMO_AREAS, PEOPLE, demo_email
    from agencies.models import Agency, User
    from sharing.services import MinimumData, PossibleDuplicates, entry_record
    from sharing.services.children import child_create

    call_command("seed_demo", verbosity=0)
    names = {spec["key"]: spec["name"] for spec in PEOPLE}
    people = {key: User.objects.get(email=demo_email(names[key])).pk for key in (ASKER, ANSWERER, MANAGER)}
    agencies = {spec["key"]: spec["name"] for spec in AGENCIES}
    council = Agency.objects.get(name=agencies["council"])
    school = Agency.objects.get(name=agencies["riverside"])
    social_worker = User.objects.get(pk=people[ANSWERER])
    cases: list[tuple[int, int]] = []
    with transaction.atomic():
        for worker in range(workers):
            data = MinimumData(
                born_on=date(2016, 1 + worker % 12, 1 + worker % 28), setting="school", area=DEMO_AREAS["Northbridge"]
            )
            considered: list[int] = []
            while True:
                try:
                    # No lead professional: the request goes to the designated managers (request_submit).
                    child = child_create(
                        actor=social_worker, agency=council, given="Bench", family=f"Pathworker {worker:02d}",
                        data=data, service="Children's social care", address=f"{worker + 1} Bench Road, Northbridge",
                        postcode="N1 9GU", considered=considered,
                    )  # fmt: skip
                    break
                except PossibleDuplicates as duplicates:  # another worker's child: a different child
                    considered += [match.child_id for match in duplicates.matches]
            entry = entry_record(
                actor=social_worker, child=child, agency=council, category="case_note", fields={},
                text="The child was seen with a bruise; the mother's partner is known to the police.", basis="fact",
            )  # fmt: skip
            cases.append((child.pk, entry.pk))
    return {"people": people, "council": council.pk, "school": school.pk, "cases": cases}


# --- One worker per connection ---------------------------------------------------------------------------------------


def _path(world: dict[str, Any], worker: int) -> Any:
    """The three steps for this worker's child, each timed; returns a function running one path."""
    from agencies.models import Agency, User
    from disclosures.demo import HARM, NOT_TOLD
    from disclosures.models import InformationRequest
    from disclosures.services import request_answer_share, request_approve, request_submit
    from disclosures.services.checks import shared_version
    from sharing.models import Child, RecordEntry

    people = {key: User.objects.get(pk=pk) for key, pk in world["people"].items()}
    council, school = Agency.objects.get(pk=world["council"]), Agency.objects.get(pk=world["school"])
    child_id, entry_id = world["cases"][worker % len(world["cases"])]
    child, entry = Child.objects.get(pk=child_id), RecordEntry.objects.get(pk=entry_id)
    version = shared_version(school, council)
    assert version is not None, "the demo school and children's social care share no protocol"
    purpose = version.permitted_purposes[0]

    def run() -> tuple[float, float, float]:
        began = time.perf_counter()
        request = request_submit(
            actor=people[ASKER], child=child, holding_agency=council, purpose=purpose, tiers=["minimum", "sensitive"],
            categories=["case_note"], need_to_know="The child said at school they are frightened to go home.",
            consent_basis="refused", override_ground="significant_harm", urgency="urgent",
        )  # fmt: skip
        asked = time.perf_counter()
        waiting = request_answer_share(
            actor=people[ANSWERER], request=request, entries=[entry], legal_basis="significant_harm", decision=HARM,
            subject_told="not_safe", subject_not_told_reason=NOT_TOLD, recipients=[people[ASKER]],
        )  # fmt: skip
        answered = time.perf_counter()
        assert isinstance(waiting, InformationRequest)  # detailed and sensitive without consent waits for approval
        request_approve(actor=people[MANAGER], request=waiting, note="Proportionate.")
        approved = time.perf_counter()
        return asked - began, answered - asked, approved - answered

    return run


def _work(
    variant: str, worker: int, world: dict[str, Any], ready: Any, start: EventType, stop_at: Any, queue: Any
) -> None:  # pragma: no cover - runs in a child process
    _setup_django()
    if variant == "no_audit":
        from benchmarks.no_audit_app import disable_audit

        disable_audit()
    from django.db import connection

    run = _path(world, worker)
    run()  # warm up: first statements, imports, plans
    ready.release()
    start.wait()
    deadline = stop_at.value
    timings: list[tuple[float, float, float]] = []
    while time.time() < deadline:
        timings.append(run())
    queue.put(timings)
    connection.close()


def percentile(values: list[float], fraction: float) -> float | None:
    """The nearest-rank percentile, in milliseconds."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return round(ordered[rank] * 1000, 2)


def _counts() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM audit_event), (SELECT count(*) FROM audit_disclosure_log), "
            "(SELECT count(*) FROM disclosures_disclosure)"
        )
        row = cursor.fetchone()
    assert row is not None
    return {"audit_events": row[0], "log_rows": row[1], "disclosures": row[2]}


def run_variant(variant: str, world: dict[str, Any], *, workers: int, duration: float) -> dict[str, Any]:
    from django.db import connection

    before = _counts()
    connection.close()
    context = multiprocessing.get_context("spawn")
    ready = context.Semaphore(0)
    start = context.Event()
    stop_at = context.Value("d", 0.0)
    queue = context.Queue()
    processes = [
        context.Process(target=_work, args=(variant, worker, world, ready, start, stop_at, queue), daemon=True)
        for worker in range(workers)
    ]
    for process in processes:
        process.start()
    for _ in range(workers):
        if not ready.acquire(timeout=300):
            raise RuntimeError(f"{variant}: the workers did not start within 300s")
    stop_at.value = time.time() + duration
    start.set()
    timings: list[tuple[float, float, float]] = []
    for _ in processes:
        timings += queue.get(timeout=duration + 300)
    for process in processes:
        process.join(timeout=60)
        if process.exitcode != 0:
            raise RuntimeError(f"{variant}: a worker failed (exit code {process.exitcode})")
    after = _counts()
    connection.close()
    paths = [sum(steps) for steps in timings]
    return {
        "variant": variant,
        "paths": len(timings),
        "paths_per_second": round(len(timings) / duration, 2),
        "path": {"p50_ms": percentile(paths, 0.5), "p95_ms": percentile(paths, 0.95)},
        "steps": {
            step: {"p50_ms": percentile(values, 0.5), "p95_ms": percentile(values, 0.95)}
            for step, values in zip(STEPS, ([t[i] for t in timings] for i in range(3)), strict=True)
        },
        # Warm-up paths included: each worker ran one before the clock started.
        "written": {key: after[key] - before[key] for key in after},
    }


def measure(*, workers: int, duration: float) -> dict[str, Any]:
    """Both variants on a fresh scratch database (dropped afterwards); the figures."""
    from django.core.management import call_command

    original = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/isp_portal")
    url = scratch_url(original)
    recreate_database(url)
    os.environ["DATABASE_URL"] = url  # inherited by the spawned workers
    try:
        _setup_django()
        call_command("migrate", verbosity=0)
        world = build_world(workers)
        from django.db import connection

        connection.close()
        variants = {variant: run_variant(variant, world, workers=workers, duration=duration) for variant in VARIANTS}
    finally:
        os.environ["DATABASE_URL"] = original
        drop_database(url)
    with_audit, without = variants["audit"], variants["no_audit"]
    return {
        "scenario": "disclosure_path",
        "driven_through": "services",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "workers": workers,
        "duration_seconds": duration,
        "variants": variants,
        "ratio_no_audit_to_audit_p50": (
            round(without["path"]["p50_ms"] / with_audit["path"]["p50_ms"], 3)
            if without["path"]["p50_ms"] and with_audit["path"]["p50_ms"]
            else None
        ),
        # The no-audit variant wrote no audit event, and every disclosure still has its log row (F9).
        "passed": without["written"]["audit_events"] == 0
        and all(v["written"]["log_rows"] == v["written"]["disclosures"] > 0 for v in variants.values()),
    }


def main(*, workers: int, duration: float, results: Path = RESULTS) -> bool:
    figures = measure(workers=workers, duration=duration)
    results.mkdir(parents=True, exist_ok=True)
    stamp = figures["measured_at"].replace(":", "")
    (results / f"disclosure_path-{stamp}.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(f"disclosure_path: {workers} users at once, {duration:g}s per variant, through the services")
    print(
        "| variant | paths | paths/s | path p50 | path p95 | " + " | ".join(f"{s} p50 | {s} p95" for s in STEPS) + " |"
    )
    for name, result in figures["variants"].items():
        steps = " | ".join(f"{result['steps'][s]['p50_ms']} | {result['steps'][s]['p95_ms']}" for s in STEPS)
        print(
            f"| {name} | {result['paths']} | {result['paths_per_second']} | {result['path']['p50_ms']} | "
            f"{result['path']['p95_ms']} | {steps} |"
        )
    written = figures["variants"]["no_audit"]["written"]
    print(f"  no_audit wrote {written['audit_events']} audit events and {written['log_rows']} disclosure-log rows")
    print(f"  {'PASS' if figures['passed'] else 'FAIL'}")
    return bool(figures["passed"])
