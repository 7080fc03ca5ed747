"""The portal's pages under load, as a user meets them, against a bare Django view in the same run (issue 9).

What one run does:

1. creates a scratch database `<database>_bench_http` on the configured (or embedded) PostgreSQL, migrates it
   and collects the static files with the **production settings** (isp_portal.settings.production, given what
   it needs for a local run: a random SECRET_KEY, 127.0.0.1 as host, the configured Redis, a local mail host);
2. builds the world (benchmarks/world.py: the demo partnership plus one benchmark user per role, each with a
   random password and two-factor key) and the baseline's tables: `bench_row` with 1,000,000 rows and
   `bench_event`, created `LIKE audit_event INCLUDING ALL`;
3. starts two gunicorn servers with the portal's gunicorn configuration (3 sync workers unless
   WEB_CONCURRENCY says otherwise): the portal, and the baseline (benchmarks/baseline/: one bare view, no
   middleware, reading one row by primary key and inserting one audit-shaped row);
4. signs each role a scenario needs in over HTTP, with the password and then the current TOTP code;
5. runs interleaved rounds, `baseline, scenario` for each scenario, each segment a fixed time of closed-loop
   load from locust (benchmarks/load.py) with N connections, and measures in the same window the CPU time of
   the server processes (gunicorn master and workers, and the PostgreSQL backends of the scratch database,
   from /proc through psutil) and the SQL statements per request (a response header the portal sets only
   when ISP_COUNT_STATEMENTS=1);
6. reports per scenario the median over rounds of throughput, p50/p95/p99, CPU per request and statements,
   each as a ratio to the baseline segment just before it, with the machine and its load average; writes
   JSON to benchmarks/results/ and drops the scratch database.

A new scenario is one line in SCENARIOS (and, when it needs another role or object, one line in
benchmarks/world.py). A scenario may POST a form (`forms`: the bodies, one drawn per request, with the session's
CSRF token read from one of its pages), set something up once per signed-in session before the load (`setup`:
forms POSTed once, e.g. the purpose of viewing a child's record), run with its own number of connections
(`users`), pace its load as DESIGN 5 states its target (`think_seconds`: that many users, each thinking between
requests; `rate`: a steady total rate in requests a second; neither: saturation, each connection sending again as
soon as it is answered, the mode the ratio targets use) and carry its own targets (`target_ratio`,
`p95_target_ms`; a scenario with a `rate` must also achieve it). The child scenarios (issue 10) need the
child index filled: the world generates `--children` children (1,000,000 by default) by bulk SQL first.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from benchmarks.audit_recording import RESULTS, drop_database, recreate_database

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TARGET_RATIO = 0.5
USER_STATEMENTS_TARGET = 1
BASELINE_PATH = "/read-insert/"


Form = dict[str, str]


@dataclass(frozen=True)
class Scenario:
    """One page as one role meets it. `path` gets the world's ids (benchmarks/world.py `_ids`).

    `forms` (given the whole world) makes the scenario POST one of those bodies per request instead of a GET;
    `setup` lists forms POSTed once per signed-in session before the load, each as (page holding the form, path
    it posts to, body). `users` overrides the connections; `target_ratio` is the share of the bare view's
    throughput and CPU per request to reach (None: not judged by ratio), `p95_target_ms` a latency bound;
    `children` says the scenario needs the child index filled.

    Pacing (benchmarks/load.py; the baseline segment of the round is paced the same way): `think_seconds` makes
    each of the `users` wait 0.5 to 1.5 times that long after each answer (people, DESIGN 5's "20 users");
    `rate` sends that many requests a second in all, spread over `users` (default: one user per
    RATE_PER_USER requests a second), whatever the answers' times; neither is saturation."""

    name: str
    role: str | None
    path: Callable[[dict[str, int]], str]
    forms: Callable[[dict[str, Any]], list[Form]] | None = None
    setup: Callable[[dict[str, int]], list[tuple[str, str, Form]]] | None = None
    users: int | None = None
    target_ratio: float | None = TARGET_RATIO
    p95_target_ms: float | None = None
    children: bool = False
    think_seconds: float | None = None
    rate: float | None = None

    def __post_init__(self) -> None:
        if self.think_seconds is not None and self.rate is not None:
            raise ValueError(f"{self.name}: a scenario is paced by think time or by rate, not both")

    def connections(self, default: int) -> int:
        """How many users send its load."""
        if self.users:
            return self.users
        if self.rate:
            return max(1, math.ceil(self.rate / RATE_PER_USER))
        return default

    @property
    def pacing(self) -> str:
        """The pacing in words, for the report."""
        if self.rate:
            return f"steady {self.rate:g} req/s"
        if self.think_seconds:
            return f"think {0.5 * self.think_seconds:g}-{1.5 * self.think_seconds:g} s"
        return "saturation (no think time)"


# The child pages' forms (kidsweb's contract, issue 10), in one place: if a field is named differently on the
# pages, change it here. The date of birth is one field (ISO date) or, as a GOV.UK date input, three: the search
# form's is the GOV.UK date input (isp_portal.forms.GovukDateWidget: born_on_day, born_on_month, born_on_year).
# Until the second pass of the child search this said "born_on", which the form ignores: the searches by name and
# date of birth were measured as searches by name alone.
SEARCH_PATH = "/children/"
SEARCH_FIELDS = {"purpose": "purpose", "name": "name", "nhs_number": "nhs_number", "postcode": "postcode"}
BORN_ON_FIELDS: tuple[str] | tuple[str, str, str] = ("born_on_day", "born_on_month", "born_on_year")
PURPOSE_PATH = "/children/{pk}/purpose/"
PURPOSE_FIELD = "purpose"
BENCH_PURPOSE = "Benchmark: ensure that children and young people are adequately safeguarded"
CHILDREN_DEFAULT = 1_000_000
SEARCH_USERS = 20
SEARCH_P95_MS = 60.0
# DESIGN 5's "20 users": people searching, each waiting between searches. A practitioner reads the results,
# opens a record or changes the criteria before the next search: tens of seconds in practice, and hardly ever
# less than a few. One second on average (0.5 to 1.5 s) is conservative: 20 such users send about 20 searches
# a second, the load of hundreds of real ones (benchmarks/README.md, "Child search, second pass").
SEARCH_THINK_SECONDS = 1.0
RECORD_TARGET_RATIO = 1.0
# DESIGN 5: the child record view, p95 <= 25 ms at a steady 300 req/s.
RECORD_RATE = 300.0
RECORD_P95_MS = 25.0
# Rate-paced scenarios: at most this many requests a second per user, so that each user's interval (1/3 s)
# stays well above the answers' times and the rate holds whatever they are (open loop in practice).
RATE_PER_USER = 3.0
# A rate-paced scenario must achieve at least this share of its rate (a server that cannot keep up falls behind).
RATE_ACHIEVED_SHARE = 0.95


def search_form(criteria: dict[str, str], purpose: str = BENCH_PURPOSE) -> Form:
    """A search as the page's form sends it: `criteria` (name, born_on as an ISO date, nhs_number, postcode) under
    the field names above, with the purpose."""
    form = {SEARCH_FIELDS["purpose"]: purpose}
    for key, value in criteria.items():
        if key == "born_on":
            if len(BORN_ON_FIELDS) == 1:
                form[BORN_ON_FIELDS[0]] = value
            else:
                year, month, day = value.split("-")
                form.update(zip(BORN_ON_FIELDS, (str(int(day)), str(int(month)), year), strict=True))
        else:
            form[SEARCH_FIELDS[key]] = value
    return form


def _searches(world: dict[str, Any]) -> list[Form]:
    return [search_form(criteria) for criteria in world["searches"]]


def _record(ids: dict[str, int]) -> str:
    return f"/children/{ids['child']}/"


def _record_purpose(ids: dict[str, int]) -> list[tuple[str, str, Form]]:
    return [
        (PURPOSE_PATH.format(pk=ids["child"]), PURPOSE_PATH.format(pk=ids["child"]), {PURPOSE_FIELD: BENCH_PURPOSE})
    ]


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("home", "agency_admin", lambda ids: "/"),
    Scenario("agency", "agency_admin", lambda ids: f"/agencies/{ids['agency']}/"),
    Scenario("protocol", "agency_admin", lambda ids: f"/protocols/{ids['protocol']}/"),
    # Issue 10: the child search (20 users, p95 <= 60 ms, the same statements whatever the size of the index)
    # and a child's record, which writes its audit event, at >= 1.0 x the bare read+insert view.
    # Issue 10 (DESIGN 5): the child search, 20 users thinking between searches, p95 <= 60 ms with the same
    # statements whatever the size of the index; beside it the same searches at saturation (20 connections, no
    # think time: capacity and CPU per request, no target). A child's record, which writes its audit event: at
    # >= 1.0 x the bare read+insert view at saturation, and p95 <= 25 ms at a steady 300 req/s.
    Scenario(
        "child_search",
        "practitioner",
        lambda ids: SEARCH_PATH,
        forms=_searches,
        users=SEARCH_USERS,
        target_ratio=None,
        p95_target_ms=SEARCH_P95_MS,
        children=True,
        think_seconds=SEARCH_THINK_SECONDS,
    ),
    Scenario(
        "child_search_saturation",
        "practitioner",
        lambda ids: SEARCH_PATH,
        forms=_searches,
        users=SEARCH_USERS,
        target_ratio=None,
        children=True,
    ),
    Scenario(
        "child_record", "practitioner", _record, setup=_record_purpose, target_ratio=RECORD_TARGET_RATIO, children=True
    ),
    Scenario(
        "child_record_rate",
        "practitioner",
        _record,
        setup=_record_purpose,
        target_ratio=None,
        p95_target_ms=RECORD_P95_MS,
        children=True,
        rate=RECORD_RATE,
    ),
)


# --- Environment --------------------------------------------------------------------------------------------


def _scratch_url(url: str) -> str:
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "isp_portal"
    return urlunsplit(parts._replace(path=f"/{name}_bench_http"))


def _database_exists(url: str) -> bool:
    import psycopg2

    parts = urlsplit(url)
    connection = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [parts.path.lstrip("/")])
            return cursor.fetchone() is not None
    finally:
        connection.close()


def _children_in(url: str) -> int:
    """The children in the index of a kept database (generated by an earlier run, plus the demo's)."""
    import psycopg2

    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sharing_child")
            row = cursor.fetchone()
            return int(row[0]) if row else 0
    finally:
        connection.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def production_env(database_url: str, port: int) -> dict[str, str]:
    """What isp_portal.settings.production requires, for a server on 127.0.0.1 behind an imagined TLS proxy."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DEMO_", "TWO_FACTOR", "SECURE_", "EMAIL_", "WEB_RELOAD"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="isp_portal.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        # Keep each worker's connection for the whole run, so the backends measured are the ones serving.
        DATABASE_CONN_MAX_AGE="600",
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        EMAIL_HOST="127.0.0.1",
        DEFAULT_FROM_EMAIL="ISP Portal benchmark <bench@bench.invalid>",
        SITE_URL=f"https://127.0.0.1:{port}",
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY=os.environ.get("WEB_CONCURRENCY", "3"),
        ISP_COUNT_STATEMENTS="1",
        LOG_LEVEL="WARNING",
        # The simulated searchers share a few accounts and search far faster than people: the per-person pace
        # (sharing.search_pace) would answer them 429, so it is off for the measurement.
        CHILD_SEARCHES_PER_MINUTE="0",
    )
    return env


def _run(args: list[str], env: dict[str, str], what: str) -> str:
    completed = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{completed.stdout[-2000:]}\n{completed.stderr[-4000:]}")
    return completed.stdout


def migrate(env: dict[str, str], log: Callable[[str], None]) -> None:
    """Migrate the scratch database and collect the static files, with the servers' (production) settings."""
    log("migrating the scratch database (production settings)")
    _run([PYTHON, "manage.py", "migrate", "--no-input", "-v", "0"], env, "migrate")
    if not (ROOT / "staticfiles" / "staticfiles.json").exists() or os.environ.get("ISP_BENCH_COLLECTSTATIC") == "1":
        log("collecting static files")
        _run([PYTHON, "manage.py", "collectstatic", "--no-input", "-v", "0"], env, "collectstatic")


def seed(env: dict[str, str], arguments: list[str]) -> dict[str, Any]:
    """The world (`python -m benchmarks.world` with `arguments`), seeded in demo mode with the development
    settings (seed_demo's demo partnership), as JSON."""
    seed_env = {**env, "DJANGO_SETTINGS_MODULE": "isp_portal.settings.development", "DEMO_MODE": "1"}
    output = _run([PYTHON, "-m", "benchmarks.world", *arguments], seed_env, "seeding")
    world: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return world


def prepare(database_url: str, env: dict[str, str], log: Callable[[str], None], children: int = 0) -> dict[str, Any]:
    """Migrate, collect static files, seed the world (with `children` generated children) and build the
    baseline's tables (afresh: a database kept from an earlier run has them already); return the world."""
    migrate(env, log)
    log("seeding the demo partnership and the benchmark users" + (f", and {children:,} children" if children else ""))
    world = seed(env, ["--children", str(children)])
    log("building the baseline's 1,000,000-row table")
    import psycopg2

    connection = psycopg2.connect(database_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_row, bench_event")
        cursor.execute(
            "CREATE TABLE bench_row (id bigint PRIMARY KEY, name varchar(200) NOT NULL, "
            "status varchar(32) NOT NULL, created_at timestamptz NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO bench_row SELECT n, 'Row ' || n, CASE WHEN n % 7 = 0 THEN 'suspended' ELSE 'active' END, "
            "now() - (n || ' seconds')::interval FROM generate_series(1, 1000000) AS n"
        )
        cursor.execute("CREATE TABLE bench_event (LIKE audit_event INCLUDING ALL)")
        cursor.execute("VACUUM ANALYZE bench_row")
    connection.close()
    return world


# --- Servers and their CPU -----------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_server(name: str, app: str, env: dict[str, str], log_path: Path) -> Server:
    port = int(env["PORT"])
    log_file = log_path.open("ab")
    command = [PYTHON, "-m", "gunicorn", app, "--config", str(ROOT / "isp_portal" / "gunicorn_conf.py")]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    server = Server(name=name, process=process, port=port)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} server exited; see {log_path}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return server
        time.sleep(0.2)
    raise RuntimeError(f"{name} server did not listen within 60s; see {log_path}")


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()


def _postgres_backends(database_url: str) -> list[int]:
    import psycopg2

    name = urlsplit(database_url).path.lstrip("/")
    connection = psycopg2.connect(database_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [name])
            return [row[0] for row in cursor.fetchall()]
    finally:
        connection.close()


def cpu_seconds(servers: list[Server], database_url: str) -> dict[int, float]:
    """CPU seconds (user + system) so far of every gunicorn process and every backend of the scratch database.
    Backends on another machine cannot be read: then only gunicorn is counted (the report says so)."""
    import psutil

    pids: list[int] = []
    for server in servers:
        with contextlib.suppress(psutil.NoSuchProcess):
            master = psutil.Process(server.process.pid)
            pids.append(master.pid)
            pids.extend(child.pid for child in master.children(recursive=True))
    pids.extend(_postgres_backends(database_url))
    seconds: dict[int, float] = {}
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            times = psutil.Process(pid).cpu_times()
            seconds[pid] = times.user + times.system
    return seconds


def _cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    # A process that started during the window counts from zero; one that ended is lost (rare: connections
    # are kept for the whole run and sync workers are not recycled).
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())


# --- Signing in -----------------------------------------------------------------------------------------------


def sign_in(base_url: str, user: dict[str, str]) -> str:
    """Sign in with the password and the current TOTP code, as a person would; return the Cookie header."""
    import re

    import requests
    from django_otp.oath import TOTP

    session = requests.Session()
    headers = {"X-Forwarded-Proto": "https"}
    jar: dict[str, str] = {}

    def send(method: str, path: str, **kwargs: Any) -> requests.Response:
        cookie = "; ".join(f"{key}={value}" for key, value in jar.items())
        reply = session.request(
            method,
            base_url + path,
            headers={**headers, "Cookie": cookie, "Referer": f"https://{urlsplit(base_url).netloc}{path}"},
            allow_redirects=False,
            timeout=60,
            **kwargs,
        )
        # The production cookies are Secure: a client on plain HTTP would not send them back, so keep them here.
        for key, value in reply.cookies.items():
            jar[key] = value or ""
        return reply

    def token_of(reply: requests.Response) -> str:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', reply.text)
        if not match:
            raise RuntimeError(f"no CSRF token on the page (status {reply.status_code})")
        return match.group(1)

    page = send("GET", "/sign-in/")
    reply = send(
        "POST",
        "/sign-in/",
        data={"csrfmiddlewaretoken": token_of(page), "email": user["email"], "password": user["password"]},
    )
    if reply.status_code != 302:
        raise RuntimeError(f"password step refused for {user['email']} (status {reply.status_code})")
    page = send("GET", "/sign-in/two-factor/")
    totp = TOTP(bytes.fromhex(user["key_hex"]))
    totp.time = time.time()
    reply = send(
        "POST", "/sign-in/two-factor/", data={"csrfmiddlewaretoken": token_of(page), "code": f"{totp.token():06d}"}
    )
    if reply.status_code != 302:
        raise RuntimeError(f"two-factor step refused for {user['email']} (status {reply.status_code})")
    home = send("GET", "/")
    if home.status_code != 200:
        raise RuntimeError(f"signed-in home page answered {home.status_code}")
    return "; ".join(f"{key}={value}" for key, value in jar.items())


def _cookie_header(cookie: str, reply: Any) -> str:
    """The Cookie header with whatever the reply set merged in."""
    jar = dict(part.split("=", 1) for part in cookie.split("; ") if "=" in part)
    for key, value in reply.cookies.items():
        jar[key] = value or ""
    return "; ".join(f"{key}={value}" for key, value in jar.items())


def session_token(base_url: str, cookie: str, pages: list[str]) -> tuple[str, str]:
    """The CSRF form token of the signed-in session, read from the first of `pages` that holds a form (the
    production CSRF cookie is HttpOnly, so a client takes the token from a page, as a browser's form does);
    returns (token, Cookie header)."""
    import re

    import requests

    for page in pages:
        reply = requests.get(
            base_url + page,
            headers={"X-Forwarded-Proto": "https", "Cookie": cookie},
            allow_redirects=False,
            timeout=60,
        )
        cookie = _cookie_header(cookie, reply)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', reply.text)
        if match:
            return match.group(1), cookie
    raise RuntimeError(f"no CSRF token on any of {pages}")


def post_form(base_url: str, cookie: str, page: str, path: str, body: Form) -> str:
    """POST a form once on the signed-in session (the token from `page`), as a person would; return the Cookie
    header. Refused (RuntimeError) unless the portal answers with a redirect or a page (2xx/3xx)."""
    import requests

    token, cookie = session_token(base_url, cookie, [page, SEARCH_PATH, "/"])
    reply = requests.post(
        base_url + path,
        data={**body, "csrfmiddlewaretoken": token},
        headers={
            "X-Forwarded-Proto": "https",
            "Cookie": cookie,
            "Referer": f"https://{urlsplit(base_url).netloc}{page}",
        },
        allow_redirects=False,
        timeout=60,
    )
    if reply.status_code >= 400:
        raise RuntimeError(f"POST {path} answered {reply.status_code}")
    return _cookie_header(cookie, reply)


# --- Load -----------------------------------------------------------------------------------------------------


def segment(
    server: Server,
    path: str,
    cookie: str,
    *,
    users: int,
    duration: float,
    warmup: float,
    database_url: str,
    servers: list[Server],
    forms: list[Form] | None = None,
    csrf: str = "",
    think_seconds: float | None = None,
    rate: float | None = None,
) -> dict[str, Any]:
    """One timed window of load on one path (GET, or a POST of one of `forms` per request), with the servers'
    CPU over the same window; paced by think time, by rate, or neither (saturation: benchmarks/load.py)."""
    command = [
        PYTHON,
        "-m",
        "benchmarks.load",
        "--host",
        server.url,
        "--path",
        path,
        "--users",
        str(users),
        "--duration",
        str(duration),
        "--warmup",
        str(warmup),
    ]
    if cookie:
        command += ["--cookie", cookie]
    if think_seconds:
        command += ["--think", str(think_seconds)]
    if rate:
        command += ["--rate", str(rate)]
    if forms:
        forms_file = ROOT / "var" / "bench" / f"forms-{secrets.token_hex(4)}.json"
        forms_file.parent.mkdir(parents=True, exist_ok=True)
        forms_file.write_text(json.dumps(forms))
        command += ["--forms", str(forms_file), "--csrf", csrf]
    figures = drive(command, servers, database_url, path)
    figures["cpu_ms_per_request"] = 1000 * figures["cpu_seconds"] / max(figures["requests"], 1)
    return figures


def drive(command: list[str], servers: list[Server], database_url: str, what: str) -> dict[str, Any]:
    """Run a load driver (benchmarks/load.py or benchmarks/chain_load.py) and read the servers' CPU seconds
    when it says START and STOP; its figures (its last JSON line) with `cpu_seconds` of that window and the
    load average."""
    driver = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert driver.stdout is not None
    before: dict[int, float] = {}
    after: dict[int, float] = {}
    load_before = os.getloadavg()
    figures: dict[str, Any] = {}
    for line in driver.stdout:
        line = line.strip()
        if line == "START":
            before = cpu_seconds(servers, database_url)
        elif line == "STOP":
            after = cpu_seconds(servers, database_url)
        elif line.startswith("{"):
            figures = json.loads(line)
    driver.wait(timeout=60)
    if driver.returncode != 0 or not figures:
        raise RuntimeError(f"load driver failed on {what}: {driver.stderr.read()[-3000:] if driver.stderr else ''}")
    figures.update(
        cpu_seconds=_cpu_used(before, after),
        load_average=[round(value, 2) for value in os.getloadavg()],
        load_average_before=[round(value, 2) for value in load_before],
    )
    return figures


def _ratio(value: float | None, base: float | None) -> float | None:
    if value is None or not base:
        return None
    return round(value / base, 3)


def _median(values: list[Any]) -> float | None:
    present = [value for value in values if value is not None]
    return round(statistics.median(present), 3) if present else None


def summarise(
    scenario: str,
    pairs: list[tuple[dict[str, Any], dict[str, Any]]],
    targets: dict[str, Any] | None = None,
    pacing: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Median over rounds of each figure, and of each ratio to the baseline of its own round. `per_second` is
    the rate achieved; for a rate-paced scenario, `pacing["rate"]` the rate offered."""
    base = [b for b, _ in pairs]
    page = [p for _, p in pairs]

    def median_of(rows: list[dict[str, Any]], key: str) -> float | None:
        return _median([row.get(key) for row in rows])

    return {
        "scenario": scenario,
        "rounds": len(pairs),
        "pacing": pacing or {"mode": "saturation (no think time)", "users": None, "think_seconds": None, "rate": None},
        "per_second": median_of(page, "per_second"),
        "p50_ms": median_of(page, "p50_ms"),
        "p95_ms": median_of(page, "p95_ms"),
        "p99_ms": median_of(page, "p99_ms"),
        "cpu_ms_per_request": median_of(page, "cpu_ms_per_request"),
        "statements": median_of(page, "statements"),
        "statements_before_view": median_of(page, "statements_before_view"),
        "failures": sum(row["failures"] for row in page),
        "targets": targets or {"ratio": TARGET_RATIO, "p95_ms": None},
        "baseline": {
            "per_second": median_of(base, "per_second"),
            "p50_ms": median_of(base, "p50_ms"),
            "p95_ms": median_of(base, "p95_ms"),
            "p99_ms": median_of(base, "p99_ms"),
            "cpu_ms_per_request": median_of(base, "cpu_ms_per_request"),
            "statements": median_of(base, "statements"),
        },
        # Throughput: higher is better, so page / baseline. CPU and latency: lower is better, so
        # baseline / page, which makes every ratio read "fraction of the bare view's performance".
        "ratio": {
            "throughput": _median([_ratio(p["per_second"], b["per_second"]) for b, p in pairs]),
            "cpu_per_request": _median([_ratio(b["cpu_ms_per_request"], p["cpu_ms_per_request"]) for b, p in pairs]),
            "p50": _median([_ratio(b["p50_ms"], p["p50_ms"]) for b, p in pairs]),
            "p95": _median([_ratio(b["p95_ms"], p["p95_ms"]) for b, p in pairs]),
            "p99": _median([_ratio(b["p99_ms"], p["p99_ms"]) for b, p in pairs]),
        },
    }


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


@contextlib.contextmanager
def _servers(env: dict[str, str], log_dir: Path) -> Iterator[tuple[Server, Server]]:
    portal_env = env
    baseline_env = {**env, "DJANGO_SETTINGS_MODULE": "benchmarks.baseline.settings", "PORT": str(free_port())}
    started: list[Server] = []
    try:
        started.append(start_server("portal", "isp_portal.wsgi:application", portal_env, log_dir / "portal.log"))
        started.append(
            start_server("baseline", "benchmarks.baseline.wsgi:application", baseline_env, log_dir / "baseline.log")
        )
        yield started[0], started[1]
    finally:
        for server in started:
            stop_server(server)


def measure(
    *,
    users: int,
    duration: float,
    rounds: int,
    warmup: float,
    scenarios: list[Scenario],
    log: Callable[[str], None],
    profile: bool = False,
    children: int | None = None,
    keep: bool = False,
) -> dict[str, Any]:
    """The rounds and their figures. With `keep`, the scratch database is kept after the run, and a kept one is
    used again as it is (its children not generated again: at 1,000,000 that takes minutes of both CPUs)."""
    if children is None:
        children = CHILDREN_DEFAULT if any(s.children for s in scenarios) else 0
    original = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/isp_portal")
    database_url = _scratch_url(original)
    reused = keep and _database_exists(database_url)
    if reused:
        log(f"using the kept database {urlsplit(database_url).path.lstrip('/')} as it is")
    else:
        recreate_database(database_url)
    log_dir = ROOT / "var" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    for old in log_dir.glob("*.log"):
        old.unlink()
    env = production_env(database_url, free_port())
    try:
        world = prepare(database_url, env, log, 0 if reused else children)
        if reused:
            children = _children_in(database_url)
        with _servers(env, log_dir) as (portal, baseline):
            servers = [portal, baseline]
            cookies: dict[str, str] = {}
            for role in sorted({s.role for s in scenarios if s.role}):
                log(f"signing in as {role} (password, then two-factor)")
                cookies[role] = sign_in(portal.url, world["users"][role])
            # Once per signed-in session: what a scenario needs set up (the purpose of viewing a record), and
            # the session's CSRF form token for the scenarios that POST.
            tokens: dict[str, str] = {}
            for scenario in scenarios:
                role = scenario.role or ""
                for form_page, form_path, body in scenario.setup(world["ids"]) if scenario.setup else []:
                    log(f"{scenario.name}: POST {form_path} once for {role}")
                    cookies[role] = post_form(portal.url, cookies.get(role, ""), form_page, form_path, body)
                if scenario.forms and role not in tokens:
                    tokens[role], cookies[role] = session_token(
                        portal.url, cookies.get(role, ""), [scenario.path(world["ids"]), "/"]
                    )
            # Every worker's first request compiles templates and opens connections: not part of any segment.
            import requests

            for scenario in scenarios:
                for _ in range(2 * int(env["WEB_CONCURRENCY"])):
                    requests.get(
                        portal.url + (SEARCH_PATH if scenario.forms else scenario.path(world["ids"])),
                        headers={"X-Forwarded-Proto": "https", "Cookie": cookies.get(scenario.role or "", "")},
                        allow_redirects=False,
                        timeout=60,
                    )
            pairs: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {s.name: [] for s in scenarios}
            load_averages: list[list[float]] = []
            for number in range(1, rounds + 1):
                for scenario in scenarios:
                    path = scenario.path(world["ids"])
                    # The baseline of the round is paced as the scenario is, so that their figures compare.
                    common = {
                        "users": scenario.connections(users),
                        "duration": duration,
                        "warmup": warmup,
                        "database_url": database_url,
                        "think_seconds": scenario.think_seconds,
                        "rate": scenario.rate,
                    }
                    base = segment(baseline, BASELINE_PATH, "", servers=servers, **common)  # type: ignore[arg-type]
                    # The set-up again before each of its segments: another scenario on the same session (a
                    # search, whose purpose covers the children it finds) can push this one's purpose out of
                    # the session's bounded table, and the segment would then measure the page asking for it.
                    for form_page, form_path, body in scenario.setup(world["ids"]) if scenario.setup else []:
                        role = scenario.role or ""
                        cookies[role] = post_form(portal.url, cookies.get(role, ""), form_page, form_path, body)
                    cookie = cookies.get(scenario.role or "", "")
                    page = segment(
                        portal,
                        path,
                        cookie,
                        servers=servers,
                        forms=scenario.forms(world) if scenario.forms else None,
                        csrf=tokens.get(scenario.role or "", ""),
                        **common,  # type: ignore[arg-type]
                    )
                    pairs[scenario.name].append((base, page))
                    load_averages += [base["load_average"], page["load_average"]]
                    log(
                        f"round {number} {scenario.name:<10} [{scenario.pacing}, {common['users']} users] "
                        f"{page['per_second']:7.1f}/s vs baseline "
                        f"{base['per_second']:7.1f}/s; CPU {page['cpu_ms_per_request']:6.1f} vs "
                        f"{base['cpu_ms_per_request']:5.1f} ms/request; {page['statements']} statements "
                        f"({page['statements_before_view']} before the view); p95 {page['p95_ms']} ms; "
                        f"load {page['load_average'][0]}"
                    )
            results = {
                s.name: summarise(
                    s.name,
                    pairs[s.name],
                    {"ratio": s.target_ratio, "p95_ms": s.p95_target_ms, "rate": s.rate},
                    {"mode": s.pacing, "users": s.connections(users), "think_seconds": s.think_seconds, "rate": s.rate},
                )
                for s in scenarios
            }
            profiles: dict[str, Any] = {}
            if profile:
                profile_env = {key: value for key, value in env.items() if key != "ISP_COUNT_STATEMENTS"}
                # Each page once (two scenarios of one page paced differently are profiled once); a scenario that
                # POSTs is profiled posting its forms in turn with the session's CSRF token.
                targets: list[tuple[str, str, str, str, list[str]]] = [
                    ("baseline", BASELINE_PATH, "", "benchmarks.baseline.settings", [])
                ]
                profiled: set[tuple[str, bool]] = set()
                for s in scenarios:
                    key = (s.path(world["ids"]), s.forms is not None)
                    if key in profiled:
                        continue
                    profiled.add(key)
                    extra: list[str] = []
                    if s.forms:
                        forms_file = log_dir / f"profile-forms-{s.name}.json"
                        forms_file.write_text(json.dumps(s.forms(world)))
                        extra = ["--forms", str(forms_file), "--csrf", tokens.get(s.role or "", "")]
                    targets.append(
                        (s.name, key[0], cookies.get(s.role or "", ""), env["DJANGO_SETTINGS_MODULE"], extra)
                    )
                by_name = {s.name: s for s in scenarios}
                for name, path, cookie, settings_module, extra in targets:
                    # The set-up again, as before each segment: the search profiled before it has pushed this
                    # scenario's purpose out of the session's table, and the record page would ask for it.
                    chosen = by_name.get(name)
                    if chosen is not None and chosen.setup is not None:
                        role = chosen.role or ""
                        for form_page, form_path, body in chosen.setup(world["ids"]):
                            cookies[role] = post_form(portal.url, cookies.get(role, ""), form_page, form_path, body)
                        cookie = cookies[role]
                    log(f"profiling {name} ({path}) in-process with cProfile")
                    output = _run(
                        [PYTHON, "-m", "benchmarks.page_profile", "--path", path, "--cookie", cookie, *extra],
                        {**profile_env, "DJANGO_SETTINGS_MODULE": settings_module},
                        f"profiling {name}",
                    )
                    profiles[name] = json.loads(output.strip().splitlines()[-1])
            raw = {name: [{"baseline": b, "page": p} for b, p in rows] for name, rows in pairs.items()}
    finally:
        if not keep:
            drop_database(database_url)
    one_minute = [value[0] for value in load_averages]
    return {
        "scenario": "http_pages",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average": {
            "min_1m": min(one_minute) if one_minute else None,
            "max_1m": max(one_minute) if one_minute else None,
            "median_1m": _median(one_minute),
        },
        "settings": {
            "users": users,
            "duration_seconds": duration,
            "warmup_seconds": warmup,
            "rounds": rounds,
            "children": children,
            "database_kept": keep,
            "gunicorn_workers": int(env["WEB_CONCURRENCY"]),
            "django_settings": env["DJANGO_SETTINGS_MODULE"],
            "cpu_counted": "gunicorn master and workers, and the PostgreSQL backends of the scratch database",
        },
        "targets": {"ratio": TARGET_RATIO, "statements_before_view": USER_STATEMENTS_TARGET},
        "scenarios": results,
        "profiles": profiles,
        "rounds": raw,
    }


def passed(figures: dict[str, Any]) -> bool:
    for result in figures["scenarios"].values():
        ratio = result["ratio"]
        targets = result.get("targets") or {"ratio": TARGET_RATIO, "p95_ms": None}
        wanted = targets["ratio"]
        if wanted is not None and ((ratio["throughput"] or 0) < wanted or (ratio["cpu_per_request"] or 0) < wanted):
            return False
        if targets["p95_ms"] is not None and (result["p95_ms"] is None or result["p95_ms"] > targets["p95_ms"]):
            return False
        # A steady rate the server could not keep up with is a miss, whatever the latency of what it answered.
        if targets.get("rate") and (result["per_second"] or 0) < RATE_ACHIEVED_SHARE * targets["rate"]:
            return False
        if result["failures"]:
            return False
        if (result["statements_before_view"] or 0) > USER_STATEMENTS_TARGET:
            return False
    return True


def _f(value: float | None, spec: str) -> str:
    """A figure for the table, or "-" when the segment measured none (no request answered in the window)."""
    return "-" if value is None else format(value, spec)


def table(figures: dict[str, Any]) -> str:
    """The results as the Markdown table benchmarks/README.md shows: each page under its load, after the bare
    view's row under the same load (one bare row for consecutive pages paced alike)."""
    lines = [
        "| page | load | req/s | x bare | CPU ms/req | x bare (bare / page) | p50 / p95 / p99 ms | SQL (before view) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    shown: str | None = None
    for name, result in figures["scenarios"].items():
        pacing = result.get("pacing") or {}
        load = f"{pacing.get('users') or figures['settings']['users']} users, {pacing.get('mode') or 'saturation'}"
        if load != shown:
            base = result["baseline"]
            lines.append(
                f"| bare read+insert view | {load} | {_f(base['per_second'], '.0f')} | 1.00 | "
                f"{_f(base['cpu_ms_per_request'], '.1f')} | 1.00 | {_f(base['p50_ms'], '.0f')} / "
                f"{_f(base['p95_ms'], '.0f')} / {_f(base['p99_ms'], '.0f')} | {_f(base['statements'], 'g')} |"
            )
            shown = load
        ratio = result["ratio"]
        lines.append(
            f"| {name} | {load} | {_f(result['per_second'], '.0f')} | {_f(ratio['throughput'], '.2f')} | "
            f"{_f(result['cpu_ms_per_request'], '.1f')} | {_f(ratio['cpu_per_request'], '.2f')} | "
            f"{_f(result['p50_ms'], '.0f')} / {_f(result['p95_ms'], '.0f')} / {_f(result['p99_ms'], '.0f')} | "
            f"{_f(result['statements'], 'g')} ({_f(result['statements_before_view'], 'g')}) |"
        )
    return "\n".join(lines)


def main(
    *,
    workers: int,
    duration: float,
    results: Path = RESULTS,
    rounds: int = 3,
    warmup: float = 2.0,
    only: list[str] | None = None,
    profile: bool = False,
    children: int | None = None,
    keep: bool = False,
) -> bool:
    # The child scenarios need the child pages (issue 10); by default they run only when asked for by name.
    chosen = [s for s in SCENARIOS if (s.name in only if only else not s.children)]

    started = time.monotonic()

    def log(message: str) -> None:
        print(f"  [{time.monotonic() - started:5.0f}s] {message}", flush=True)

    print(f"http_pages: {workers} connections, {rounds} rounds of {duration:g}s per segment, production settings")
    figures = measure(
        users=workers,
        duration=duration,
        rounds=rounds,
        warmup=warmup,
        scenarios=chosen,
        log=log,
        profile=profile,
        children=children,
        keep=keep,
    )
    figures["passed"] = passed(figures)
    results.mkdir(parents=True, exist_ok=True)
    stamp = figures["measured_at"].replace(":", "")
    (results / f"http_pages-{stamp}.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(table(figures))
    for name, found in figures["profiles"].items():
        shares = ", ".join(f"{part} {share:.0%}" for part, share in list(found["shares"].items())[:6])
        plain = found.get("unprofiled") or {}
        print(
            f"  profile {name}: in-process {plain.get('worker_cpu_ms_per_request')} ms worker + "
            f"{plain.get('postgres_cpu_ms_per_request')} ms PostgreSQL CPU per request (load "
            f"{found.get('load_average', ['?'])[0]}); under cProfile "
            f"{found['worker_cpu_ms_per_request']} ms: {shares}"
        )
    load = figures["load_average"]
    print(
        f"  load average (1 min) during the run: {load['min_1m']} to {load['max_1m']} "
        f"on {figures['machine']['cpus']} CPUs"
    )
    print(
        f"  {'PASS' if figures['passed'] else 'FAIL'} (targets: each scenario's ratio (default {TARGET_RATIO}) "
        f"and p95 bound, <= {USER_STATEMENTS_TARGET} statement before the view)"
    )
    return bool(figures["passed"])
