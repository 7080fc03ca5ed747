"""`python -m benchmarks.disclosure_profile prepare|run`: the disclosure path's CPU per step, in one process.

The HTTP benchmark (benchmarks/disclosure_path.py) judges the target; on a machine shared with other work its
wall-clock figures say little. This one calls the portal's WSGI application in this process (production settings,
a scratch database `<database>_profile_disclosures` seeded as the HTTP benchmark's, sessions signed in with
password and two-factor code as a person does) and, for each of the three steps (submit, answer, approve), reads
this process's CPU time and that of the PostgreSQL backend serving it, and the statements (X-Statements). CPU
time, not wall time: what the step costs, whatever else the machine runs. So two trees can be compared
alternately on the same database: `prepare` once, then `run` from each tree in turn.

* `prepare [--cases N]`: create, migrate and seed the scratch database; the world goes to var/bench/.
* `run [--paths N] [--profile DIR]`: sign in, warm up, then N paths measured; with `--profile`, N more paths under
  cProfile (CPU-time clock), one .prof per step in DIR (`python -m pstats`), and the top functions printed.

Prints one JSON line: per step the median and mean CPU ms of the worker and of PostgreSQL, and the statements.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import json
import os
import pstats
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from benchmarks.page_profile import wsgi_environ

ROOT = Path(__file__).resolve().parent.parent
WORLD = ROOT / "var" / "bench" / "disclosure-profile-world.json"
STEPS = ("submit", "answer", "approve")


def scratch_url() -> str:
    url = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/isp_portal")
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "isp_portal"
    return urlunsplit(parts._replace(path=f"/{name}_profile_disclosures"))


def _environment(database_url: str) -> dict[str, str]:
    from benchmarks.http_pages import production_env

    env = production_env(database_url, 443)
    # One fixed key across `prepare` and each `run`, so that either tree reads the same world.
    env["SECRET_KEY"] = "disclosure-profile-" + "k" * 40
    return env


def prepare(cases: int, world_file: Path) -> None:
    from benchmarks.audit_recording import recreate_database
    from benchmarks.http_pages import migrate, seed

    database_url = scratch_url()
    recreate_database(database_url)
    env = _environment(database_url)
    migrate(env, lambda message: print(message, file=sys.stderr))
    world = seed(env, ["--disclosures", str(cases)])["disclosures"]
    world_file.parent.mkdir(parents=True, exist_ok=True)
    world_file.write_text(json.dumps(world))
    print(json.dumps({"database": database_url, "cases": cases}))


class Browser:
    """One person's cookies against the in-process application, sent as a browser behind TLS would."""

    def __init__(self, application: Callable[..., Any]) -> None:
        self.application = application
        self.jar: dict[str, str] = {}
        self.csrf = ""

    def send(
        self, method: str, path: str, body: bytes = b"", content_type: str = ""
    ) -> tuple[int, dict[str, str], bytes]:
        cookie = "; ".join(f"{key}={value}" for key, value in self.jar.items())
        environ = wsgi_environ(method, path, cookie, body)
        environ["HTTP_REFERER"] = f"https://127.0.0.1{path}"
        if body:
            environ.update(CONTENT_TYPE=content_type, CONTENT_LENGTH=str(len(body)))
        if content_type == "application/json":
            environ.update(HTTP_X_CSRFTOKEN=self.csrf, HTTP_ACCEPT="application/json")
        status: list[str] = []
        headers: dict[str, str] = {}

        def start_response(code: str, response_headers: Any, *rest: Any) -> Any:
            status.append(code)
            for key, value in response_headers:
                headers[key] = value
                if key.lower() == "set-cookie":
                    name, _, rest_of = value.partition("=")
                    self.jar[name] = rest_of.split(";", 1)[0].strip('"')
            return lambda data: None

        result = self.application(environ, start_response)
        content = b"".join(result)
        if hasattr(result, "close"):
            result.close()
        return int(status[0].split()[0]), headers, content

    def token(self, path: str) -> str:
        _, _, page = self.send("GET", path)
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if not match:
            raise RuntimeError(f"no CSRF token on {path}")
        return match.group(1).decode()

    def sign_in(self, user: dict[str, str]) -> None:
        from django_otp.oath import TOTP

        form = {"csrfmiddlewaretoken": self.token("/sign-in/"), "email": user["email"], "password": user["password"]}
        code, _, _ = self.send("POST", "/sign-in/", urlencode(form).encode(), "application/x-www-form-urlencoded")
        if code != 302:
            raise RuntimeError(f"password step refused for {user['email']} ({code})")
        totp = TOTP(bytes.fromhex(user["key_hex"]))
        totp.time = time.time()
        form = {"csrfmiddlewaretoken": self.token("/sign-in/two-factor/"), "code": f"{totp.token():06d}"}
        code, _, _ = self.send(
            "POST", "/sign-in/two-factor/", urlencode(form).encode(), "application/x-www-form-urlencoded"
        )
        if code != 302:
            raise RuntimeError(f"two-factor step refused for {user['email']} ({code})")
        self.csrf = self.token("/")

    def post_json(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        return self.send("POST", path, json.dumps(body).encode(), "application/json")


def _backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def run(paths: int, profile_dir: str, world_file: Path) -> None:
    from benchmarks.disclosure_path import plan
    from benchmarks.page_profile import _cpu_of

    os.environ.update(_environment(scratch_url()))
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    world = json.loads(world_file.read_text())
    browsers: dict[str, Browser] = {}
    for role, user in world["users"].items():
        browsers[role] = Browser(application)
        browsers[role].sign_in(user)
    steps = plan(world, {})["steps"]
    bodies = plan(world, {})["bodies"]
    counter = iter(range(sys.maxsize))

    def path_once(measure: Callable[[str, Callable[[], Any]], Any]) -> None:
        case = bodies[next(counter) % len(bodies)]
        made = ""
        for step, body in zip(steps, case, strict=True):
            url = step["path"].replace("{id}", made)
            browser = browsers[step["role"]]
            code, headers, content = measure(step["name"], functools.partial(browser.post_json, url, body))
            if code != step["status"]:
                raise RuntimeError(f"{step['name']} answered {code}: {content[:500]!r}")
            if step["name"] == "submit":
                made = str(json.loads(content)["id"])
            statements[step["name"]].append(int(headers.get("X-Statements", "0")))

    statements: dict[str, list[int]] = {name: [] for name in STEPS}
    for _ in range(10):  # warm-up: imports, prepared statements, caches
        path_once(lambda name, call: call())
    backend = _backend_pid()
    worker: dict[str, list[float]] = {name: [] for name in STEPS}
    database: dict[str, list[float]] = {name: [] for name in STEPS}

    def timed(name: str, call: Callable[[], Any]) -> Any:
        began, began_backend = time.process_time(), _cpu_of(backend)
        result = call()
        worker[name].append(1000 * (time.process_time() - began))
        database[name].append(1000 * (_cpu_of(backend) - began_backend))
        return result

    statements = {name: [] for name in STEPS}
    for _ in range(paths):
        path_once(timed)
    figures: dict[str, Any] = {
        "paths": paths,
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "steps": {
            name: {
                "worker_ms_median": round(statistics.median(worker[name]), 2),
                "worker_ms_mean": round(statistics.fmean(worker[name]), 2),
                "postgres_ms_mean": round(statistics.fmean(database[name]), 2),
                "statements": statistics.median(statements[name]),
            }
            for name in STEPS
        },
    }
    figures["worker_ms_per_path_median"] = round(sum(s["worker_ms_median"] for s in figures["steps"].values()), 1)
    if profile_dir:
        profilers = {name: cProfile.Profile(time.process_time) for name in STEPS}

        def profiled(name: str, call: Callable[[], Any]) -> Any:
            profilers[name].enable()
            try:
                return call()
            finally:
                profilers[name].disable()

        for _ in range(paths):
            path_once(profiled)
        Path(profile_dir).mkdir(parents=True, exist_ok=True)
        for name, profiler in profilers.items():
            profiler.dump_stats(os.path.join(profile_dir, f"{name}.prof"))
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
            print(out.getvalue(), file=sys.stderr)
    print(json.dumps(figures))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.disclosure_profile")
    parser.add_argument("action", choices=("prepare", "run"))
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--paths", type=int, default=40)
    parser.add_argument("--profile", default="", help="a folder for one cProfile .prof per step")
    parser.add_argument("--world", default=str(WORLD), help="where `prepare` wrote the world (another tree's run)")
    args = parser.parse_args(argv)
    world_file = Path(args.world)
    if args.action == "prepare":
        prepare(args.cases, world_file)
    else:
        run(args.paths, args.profile, world_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
