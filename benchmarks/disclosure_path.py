"""The disclosure path over HTTP, through the API on gunicorn, with and without audit recording (issue 12;
design12 8).

Twenty people (simulated users, thinking between steps: DESIGN 5's "20 users") each go round the path a
sensitive disclosure takes, through `/api/v1/requests/` with a signed-in, two-factor-verified browser session:

1. a school's safeguarding lead asks children's social care for a child's case notes, the parent having refused
   consent, on the significant-harm override (`POST /api/v1/requests/`, 201);
2. the social worker answers "share" on significant harm (`POST /api/v1/requests/{id}/answer/`: detailed and
   sensitive without consent, so it waits for approval);
3. the designated manager approves, which makes the disclosure (`POST /api/v1/requests/{id}/approval/`: snapshot,
   SHA-256, grants, disclosure log).

Each simulated user asks about a child of its own (no two wait for the same entry's lock). Browser sessions, not
API tokens: a token cannot make a share without consent (DESIGN 4), and a session is what a person uses.

The machinery is benchmarks/http_pages.py's: a scratch database `<database>_bench_disclosures` on the configured
PostgreSQL, migrated with the production settings and seeded (benchmarks/world.py `--disclosures`: the demo
partnership, one child with a case note per user, and a random password and two-factor key for each of the three
people, who sign in over HTTP like anyone); two gunicorn servers with the portal's gunicorn configuration and the
production settings, sharing the database, the cache and the secret key (so one session serves both):

* ``audit``: the portal's WSGI application, as it is;
* ``no_audit``: `benchmarks.no_audit_app:application`, the portal with `audit_record` and `audit_record_many` as
  no-ops in that server only; the disclosure log is kept (design12 F9).

The load is benchmarks/chain_load.py (locust, its own process): each round runs the two servers in turn (the audit
one first in odd rounds, the no-audit one in even rounds), each a fixed time after a warm-up; the servers' CPU
(gunicorn master and workers, and the scratch database's PostgreSQL backends) is read over the same window. Figures
are pooled over the rounds per variant: per-step and per-path (the three response times added, think time excluded)
p50 and p95, requests a second, CPU per path, statements per step (X-Statements), and the cost of audit,
(audit - no_audit) / no_audit, for the path's p95 and for its CPU.

Targets (issue 12), judged with think time only (`--saturation` is for information): the path's p95 <= 60 ms with
audit, and the cost of audit <= 10 % on both figures. Whatever the mode the run fails when a step failed, when
the no-audit server wrote an audit event, or when a disclosure has no log row.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from benchmarks.audit_recording import RESULTS, drop_database, recreate_database
from benchmarks.http_pages import (
    PYTHON,
    ROOT,
    Server,
    drive,
    free_port,
    machine,
    migrate,
    production_env,
    seed,
    session_token,
    sign_in,
    start_server,
    stop_server,
)
from benchmarks.world import ANSWERER, ASKER, MANAGER

VARIANTS = ("audit", "no_audit")
APPS = {"audit": "isp_portal.wsgi:application", "no_audit": "benchmarks.no_audit_app:application"}
STEPS = ("submit", "answer", "approve")
REQUESTS = "/api/v1/requests/"
# Issue 12: p95 of the whole path with 20 users; the cost of audit at most 10 %.
USERS = 20
PATH_P95_MS = 60.0
AUDIT_COST = 0.10
# A person between screens: 0.5 to 1.5 s before each step (benchmarks.load.pacing), as the child search's users.
THINK_SECONDS = 1.0
DURATION = 30.0
WARMUP = 5.0

NEED = "The child said at school they are frightened to go home."
# The decision record and the reason the family is not told (as disclosures.demo's significant-harm answer).
DECISION = {
    "is_confidential": True,
    "public_interest": "The child's safety outweighs the parent's wish for confidentiality.",
    "proportionality": "Only the most recent case note, to the school's safeguarding lead alone.",
    "why_shared": "The school sees the child every day and must know the risk to keep the child safe.",
    "why_without_consent": "Asking the parent again would put the child at risk of significant harm.",
}
NOT_TOLD = "Telling the parent would put the child at risk of significant harm."


def scratch_url(url: str) -> str:
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "isp_portal"
    return urlunsplit(parts._replace(path=f"/{name}_bench_disclosures"))


def plan(world: dict[str, Any], sessions: dict[str, dict[str, str]]) -> dict[str, Any]:
    """What benchmarks/chain_load.py sends: the three steps, who sends each, and each case's bodies."""
    asker = world["people"][ASKER]
    bodies = [
        [
            {
                "child": child, "holding_agency": world["council"], "purpose": world["purpose"],
                "tiers": ["minimum", "sensitive"], "categories": ["case_note"], "need_to_know": NEED,
                "consent_basis": "refused", "override_ground": "significant_harm", "urgency": "urgent",
            },
            {
                "outcome": "share", "entries": [entry], "legal_basis": "significant_harm", **DECISION,
                "subject_told": "not_safe", "subject_not_told_reason": NOT_TOLD, "recipients": [asker],
            },
            {"decision": "approve", "note": "Proportionate."},
        ]
        for child, entry in world["cases"]
    ]  # fmt: skip
    return {
        "roles": sessions,
        "steps": [
            {"name": "submit", "role": ASKER, "path": REQUESTS, "status": 201},
            {"name": "answer", "role": ANSWERER, "path": REQUESTS + "{id}/answer/", "status": 200},
            {"name": "approve", "role": MANAGER, "path": REQUESTS + "{id}/approval/", "status": 200},
        ],
        "bodies": bodies,
    }


def percentile(values: list[float], fraction: float) -> float | None:
    """The nearest-rank percentile of milliseconds, rounded."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return round(ordered[rank], 2)


def _counts(database_url: str) -> dict[str, int]:
    import psycopg2

    connection = psycopg2.connect(database_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT count(*) FROM audit_event), (SELECT count(*) FROM audit_disclosure_log), "
                "(SELECT count(*) FROM disclosures_disclosure)"
            )
            row = cursor.fetchone()
    finally:
        connection.close()
    assert row is not None
    return {"audit_events": row[0], "log_rows": row[1], "disclosures": row[2]}


def _settled_counts(database_url: str, *, timeout: float = 10.0) -> dict[str, int]:
    """The counts once the server has finished the requests still in flight when the driver stopped (two readings
    half a second apart agree), so that a straggler of one variant's window is not counted in the next one's."""
    deadline = time.monotonic() + timeout
    counts = _counts(database_url)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        again = _counts(database_url)
        if again == counts:
            break
        counts = again
    return counts


def segment(
    server: Server, plan_file: Path, *, users: int, duration: float, warmup: float, think: float, database_url: str
) -> dict[str, Any]:
    """One timed window of chains on one server, with its CPU and what it wrote (counted from before the driver
    starts to after it ends: warm-up and unfinished chains included)."""
    command = [
        PYTHON, "-m", "benchmarks.chain_load", "--host", server.url, "--plan", str(plan_file), "--users", str(users),
        "--duration", str(duration), "--warmup", str(warmup), "--think", str(think),
    ]  # fmt: skip
    before = _counts(database_url)
    figures = drive(command, [server], database_url, server.name)
    after = _settled_counts(database_url)
    figures["written"] = {key: after[key] - before[key] for key in after}
    return figures


def summarise(variant: str, rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """A variant's rounds pooled: percentiles over every chain measured, CPU and rates over every window."""
    chains = [chain for row in rounds for chain in row["chains"]]
    seconds = sum(row["seconds"] for row in rounds)
    cpu = sum(row["cpu_seconds"] for row in rounds)
    paths = [sum(chain) for chain in chains]
    statements = {
        step: [row["statements"].get(step) for row in rounds if row["statements"].get(step) is not None]
        for step in STEPS
    }
    return {
        "variant": variant,
        "paths": len(chains),
        "paths_per_second": round(len(chains) / seconds, 2) if seconds else None,
        "requests_per_second": round(len(STEPS) * len(chains) / seconds, 2) if seconds else None,
        "cpu_ms_per_path": round(1000 * cpu / len(chains), 2) if chains else None,
        "path": {"p50_ms": percentile(paths, 0.5), "p95_ms": percentile(paths, 0.95)},
        "steps": {
            step: {
                "p50_ms": percentile([chain[index] for chain in chains], 0.5),
                "p95_ms": percentile([chain[index] for chain in chains], 0.95),
                "statements": max(statements[step]) if statements[step] else None,
            }
            for index, step in enumerate(STEPS)
        },
        "failures": sum(row["failures"] for row in rounds),
        "errors": [error for row in rounds for error in row["errors"]][:5],
        "statuses": {
            status: sum(row["statuses"].get(status, 0) for row in rounds)
            for status in sorted({status for row in rounds for status in row["statuses"]})
        },
        "written": {key: sum(row["written"][key] for row in rounds) for key in rounds[0]["written"]},
        "load_average": [row["load_average"] for row in rounds],
    }


def cost(with_audit: float | None, without: float | None) -> float | None:
    """What audit adds, as a share of the figure without it."""
    if with_audit is None or not without:
        return None
    return round((with_audit - without) / without, 3)


def judge(figures: dict[str, Any]) -> dict[str, Any]:
    """The checks that hold in every mode (nothing failed, no audit event without audit, every disclosure logged)
    and, with think time, the targets."""
    variants = figures["variants"]
    checks = {
        "no_failures": all(v["failures"] == 0 and v["paths"] > 0 for v in variants.values()),
        "no_audit_wrote_no_event": variants["no_audit"]["written"]["audit_events"] == 0,
        "every_disclosure_logged": all(
            v["written"]["log_rows"] == v["written"]["disclosures"] > 0 for v in variants.values()
        ),
    }
    if figures["settings"]["think_seconds"]:
        p95 = variants["audit"]["path"]["p95_ms"]
        costs = figures["audit_cost"]
        checks["path_p95"] = p95 is not None and p95 <= PATH_P95_MS
        checks["audit_cost"] = all(value is not None and value <= AUDIT_COST for value in costs.values())
    return checks


def warm(server: Server, sessions: dict[str, dict[str, str]], workers: int) -> None:
    """Every worker's first requests load the application (the no-audit one loads Django then: no_audit_app),
    open connections and fill caches: not part of any window. Each role reads the requests list, twice as many at
    once as there are workers, a few times over, so that every worker has served some."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    def read(cookie: str) -> int:
        reply = requests.get(
            server.url + REQUESTS, headers={"X-Forwarded-Proto": "https", "Cookie": cookie}, timeout=120
        )
        return reply.status_code

    cookies = [session["cookie"] for session in sessions.values()] * (2 * workers)
    with ThreadPoolExecutor(max_workers=2 * workers) as pool:
        for _ in range(3):
            statuses = set(pool.map(read, cookies))
            if statuses != {200}:
                raise RuntimeError(f"{server.name}: reading the requests list answered {sorted(statuses)}")


@contextlib.contextmanager
def _servers(env: dict[str, str], log_dir: Path) -> Iterator[dict[str, Server]]:
    started: dict[str, Server] = {}
    try:
        for variant in VARIANTS:
            port = env["PORT"] if not started else str(free_port())
            started[variant] = start_server(variant, APPS[variant], {**env, "PORT": port}, log_dir / f"{variant}.log")
        yield started
    finally:
        for server in started.values():
            stop_server(server)


def measure(
    *, users: int, duration: float, warmup: float, rounds: int, think: float, log: Callable[[str], None]
) -> dict[str, Any]:
    """Both variants on a fresh scratch database (dropped afterwards); the figures."""
    if rounds < 1 or users < 1:
        raise ValueError("disclosure_path needs at least one round and one user")
    original = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/isp_portal")
    database_url = scratch_url(original)
    recreate_database(database_url)
    log_dir = ROOT / "var" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    env = production_env(database_url, free_port())
    try:
        migrate(env, log)
        log(f"seeding the demo partnership and {users} children with a case note each")
        world = seed(env, ["--disclosures", str(users)])["disclosures"]
        with _servers(env, log_dir) as servers:
            portal = servers["audit"].url
            sessions: dict[str, dict[str, str]] = {}
            for role in (ASKER, ANSWERER, MANAGER):
                log(f"signing in as {role} (password, then two-factor)")
                cookie = sign_in(portal, world["users"][role])
                token, cookie = session_token(portal, cookie, ["/"])
                sessions[role] = {"cookie": cookie, "csrf": token}
            for server in servers.values():
                log(f"warming the {server.name} server's workers")
                warm(server, sessions, int(env["WEB_CONCURRENCY"]))
            plan_file = log_dir / "disclosure-plan.json"
            plan_file.write_text(json.dumps(plan(world, sessions)))
            raw: dict[str, list[dict[str, Any]]] = {variant: [] for variant in VARIANTS}
            for number in range(1, rounds + 1):
                # Each variant goes first in every other round, so that neither always meets the caches the
                # other left (or the machine's load as it rises or falls).
                for variant in VARIANTS if number % 2 else VARIANTS[::-1]:
                    row = segment(
                        servers[variant], plan_file, users=users, duration=duration, warmup=warmup, think=think,
                        database_url=database_url,
                    )  # fmt: skip
                    raw[variant].append(row)
                    paths = [sum(chain) for chain in row["chains"]]
                    log(
                        f"round {number} {variant:<8} {len(paths)} paths, path p95 {percentile(paths, 0.95)} ms, "
                        f"CPU {1000 * row['cpu_seconds'] / max(len(paths), 1):.1f} ms/path, "
                        f"{row['failures']} failed; load {row['load_average'][0]}"
                    )
    finally:
        drop_database(database_url)
    variants = {variant: summarise(variant, raw[variant]) for variant in VARIANTS}
    with_audit, without = variants["audit"], variants["no_audit"]
    figures: dict[str, Any] = {
        "scenario": "disclosure_path",
        "driven_through": "http",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {
            "users": users,
            "think_seconds": think or None,
            "pacing": f"think {0.5 * think:g}-{1.5 * think:g} s before each step" if think else "saturation",
            "duration_seconds": duration,
            "warmup_seconds": warmup,
            "rounds": rounds,
            "gunicorn_workers": int(env["WEB_CONCURRENCY"]),
            "django_settings": env["DJANGO_SETTINGS_MODULE"],
            "cpu_counted": "the variant's gunicorn master and workers, and the PostgreSQL backends of the scratch "
            "database",
        },
        "targets": {"path_p95_ms": PATH_P95_MS, "audit_cost": AUDIT_COST},
        "variants": variants,
        "audit_cost": {
            "path_p95": cost(with_audit["path"]["p95_ms"], without["path"]["p95_ms"]),
            "cpu_per_path": cost(with_audit["cpu_ms_per_path"], without["cpu_ms_per_path"]),
        },
        "rounds": raw,
    }
    figures["checks"] = judge(figures)
    figures["passed"] = all(figures["checks"].values())
    return figures


def _f(value: float | None, spec: str = ".0f") -> str:
    return "-" if value is None else format(value, spec)


def table(figures: dict[str, Any]) -> str:
    """The variants as the Markdown table benchmarks/README.md shows."""
    lines = [
        "| variant | paths | paths/s | req/s | path p50 / p95 ms | "
        + " | ".join(f"{step} p50 / p95" for step in STEPS)
        + " | CPU ms/path | statements |",
        "|---|---|---|---|---|" + "---|" * len(STEPS) + "---|---|",
    ]
    for name, result in figures["variants"].items():
        steps = [result["steps"][step] for step in STEPS]
        lines.append(
            f"| {name} | {result['paths']} | {_f(result['paths_per_second'], '.1f')} | "
            f"{_f(result['requests_per_second'], '.1f')} | {_f(result['path']['p50_ms'])} / "
            f"{_f(result['path']['p95_ms'])} | "
            + " | ".join(f"{_f(step['p50_ms'])} / {_f(step['p95_ms'])}" for step in steps)
            + f" | {_f(result['cpu_ms_per_path'], '.1f')} | "
            + " + ".join(_f(step["statements"], "g") for step in steps)
            + " |"
        )
    return "\n".join(lines)


def main(
    *,
    users: int = USERS,
    duration: float = DURATION,
    warmup: float = WARMUP,
    rounds: int = 3,
    saturation: bool = False,
    think: float = THINK_SECONDS,
    results: Path = RESULTS,
) -> bool:
    started = time.monotonic()

    def log(message: str) -> None:
        print(f"  [{time.monotonic() - started:5.0f}s] {message}", flush=True)

    think = 0.0 if saturation else think
    pacing = f"think {0.5 * think:g}-{1.5 * think:g} s before each step" if think else "saturation"
    print(
        f"disclosure_path: {users} users ({pacing}), {rounds} rounds of {duration:g}s per variant, over HTTP "
        "(production settings)"
    )
    figures = measure(users=users, duration=duration, warmup=warmup, rounds=rounds, think=think, log=log)
    results.mkdir(parents=True, exist_ok=True)
    stamp = figures["measured_at"].replace(":", "")
    (results / f"disclosure_path-{stamp}.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(table(figures))
    costs = figures["audit_cost"]
    print(
        f"  cost of audit: path p95 {_f(costs['path_p95'], '+.1%')}, CPU per path {_f(costs['cpu_per_path'], '+.1%')}"
    )
    written = figures["variants"]["no_audit"]["written"]
    print(f"  no_audit wrote {written['audit_events']} audit events and {written['log_rows']} disclosure-log rows")
    for name, result in figures["variants"].items():
        for error in result["errors"]:
            print(f"  {name} failed: {error}")
    missed = [name for name, ok in figures["checks"].items() if not ok]
    targets = f"path p95 <= {PATH_P95_MS:g} ms, audit cost <= {AUDIT_COST:.0%}" if think else "no targets"
    print(f"  {'PASS' if figures['passed'] else 'FAIL: ' + ', '.join(missed)} ({targets})")
    return bool(figures["passed"])
