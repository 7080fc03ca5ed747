"""`python -m benchmarks.page_profile --path /x/ --cookie '...' [--requests N] [--forms F --csrf T]`: where a
page's CPU goes.

Run by the HTTP harness (`make bench ARGS="http_pages --profile"`) with the same production settings, database
and signed-in session as the load rounds. It calls the portal's WSGI application in this process N times (after
a warm-up) under cProfile with a CPU-time clock, so waiting for PostgreSQL is left out and what remains is the
worker's own CPU, and prints one JSON line: the share of each part of the stack and the top functions. With
`--forms` (a JSON file of form bodies) each request POSTs the next body in turn with the session's CSRF token, as
the load driver does (the child search).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from typing import Any
from urllib.parse import urlencode

# Where a function lives -> the part of the stack it is counted in (first match wins).
CATEGORIES = (
    ("django/db/models/sql/compiler.py", "ORM: compiling SQL"),
    ("django/db/models/sql/", "ORM: building queries"),
    ("django/db/models/expressions.py", "ORM: building queries"),
    ("django/db/models/lookups.py", "ORM: building queries"),
    ("django/db/models/query.py", "ORM: querysets and rows to objects"),
    ("django/db/models/base.py", "ORM: querysets and rows to objects"),
    ("django/db/models/", "ORM: other"),
    ("psycopg2", "database driver"),
    ("django/db/backends/", "database driver"),
    ("django/template/", "templates"),
    ("django/templatetags/", "templates"),
    ("/templatetags/", "templates"),
    ("django/utils/html.py", "templates"),
    ("django/middleware/", "middleware and request plumbing"),
    ("django/core/handlers/", "middleware and request plumbing"),
    ("django/http/", "middleware and request plumbing"),
    ("django/contrib/sessions/", "sessions and cache"),
    ("django/core/cache/", "sessions and cache"),
    ("redis/", "sessions and cache"),
    ("csp/", "middleware and request plumbing"),
    ("whitenoise/", "middleware and request plumbing"),
    ("axes/", "middleware and request plumbing"),
    ("auditlog/", "middleware and request plumbing"),
    ("django/urls/", "URL resolving and reversing"),
    ("/work/", "portal code"),
)


def category(filename: str) -> str:
    for fragment, name in CATEGORIES:
        if fragment in filename:
            if fragment == "/work/" and "site-packages" in filename:
                continue
            return name
    if "site-packages" in filename:
        return "other libraries"
    return "Python itself"


def _backend() -> int:
    """The process id of the PostgreSQL backend of this process's connection (kept between requests)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) so far of a process on this machine; 0 when it cannot be read."""
    import psutil

    try:
        times = psutil.Process(pid).cpu_times()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0.0
    return float(times.user + times.system)


def wsgi_environ(method: str, path: str, cookie: str, body: bytes) -> dict[str, Any]:
    """A request to the portal's WSGI application as gunicorn would pass it, behind the TLS proxy."""
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "443",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_COOKIE": cookie,
        "HTTP_X_FORWARDED_PROTO": "https",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.page_profile")
    parser.add_argument("--path", required=True)
    parser.add_argument("--cookie", default="")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--forms", default="", help="a JSON file of form bodies to POST in turn")
    parser.add_argument("--csrf", default="", help="the session's CSRF form token")
    args = parser.parse_args(argv)
    forms: list[dict[str, str]] = []
    if args.forms:
        with open(args.forms, encoding="utf-8") as source:
            forms = json.load(source)
    sent = [0]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "isp_portal.settings.production")
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()

    def request() -> int:
        body_bytes = b""
        if forms:
            form = {**forms[sent[0] % len(forms)], "csrfmiddlewaretoken": args.csrf}
            sent[0] += 1
            body_bytes = urlencode(form).encode()
        environ = wsgi_environ("POST" if forms else "GET", args.path, args.cookie, body_bytes)
        if forms:
            environ.update(
                CONTENT_TYPE="application/x-www-form-urlencoded",
                CONTENT_LENGTH=str(len(body_bytes)),
                HTTP_REFERER=f"https://127.0.0.1{args.path}",
            )
        status: list[str] = []

        def start_response(code: str, headers: Any, *rest: Any) -> Any:
            status.append(code)
            return lambda data: None

        body = application(environ, start_response)
        b"".join(body)
        if hasattr(body, "close"):
            body.close()
        return int(status[0].split()[0])

    for _ in range(20):  # warm-up: imports, template loading, connections, prepared caches
        code = request()
    if code != 200:
        raise SystemExit(f"{args.path} answered {code}")
    # First without the profiler: this process's CPU and that of the PostgreSQL backend serving it, per request
    # (the steadier comparison on a shared machine: no load generator, no gunicorn, no other connections).
    backend = _backend()
    worker_began, backend_began = time.process_time(), _cpu_of(backend)
    for _ in range(args.requests):
        request()
    plain_worker = time.process_time() - worker_began
    plain_backend = _cpu_of(backend) - backend_began
    profiler = cProfile.Profile(time.process_time)
    began = time.process_time()
    profiler.enable()
    for _ in range(args.requests):
        request()
    profiler.disable()
    cpu = time.process_time() - began
    if os.environ.get("ISP_BENCH_PROFILE_DIR"):
        # The whole profile, for `python -m pstats` (cumulative times: which call of the page costs what).
        name = args.path.strip("/").replace("/", "-") or "home"
        profiler.dump_stats(os.path.join(os.environ["ISP_BENCH_PROFILE_DIR"], f"{name}.prof"))
    stats = pstats.Stats(profiler)
    by_category: dict[str, float] = {}
    functions: list[tuple[float, str]] = []
    raw: Any = stats.stats  # type: ignore[attr-defined]
    for (filename, line, name), (_, _, tottime, _, _) in raw.items():
        part = category(filename)
        by_category[part] = by_category.get(part, 0.0) + tottime
        functions.append((tottime, f"{filename.split('site-packages/')[-1]}:{line}({name})"))
    total = sum(by_category.values()) or 1.0
    functions.sort(reverse=True)
    print(
        json.dumps(
            {
                "path": args.path,
                "requests": args.requests,
                "worker_cpu_ms_per_request": round(1000 * cpu / args.requests, 2),
                "load_average": [round(value, 2) for value in os.getloadavg()],
                "unprofiled": {
                    "worker_cpu_ms_per_request": round(1000 * plain_worker / args.requests, 3),
                    "postgres_cpu_ms_per_request": round(1000 * plain_backend / args.requests, 3),
                },
                "shares": {
                    name: round(seconds / total, 3)
                    for name, seconds in sorted(by_category.items(), key=lambda item: -item[1])
                },
                "top_functions": [
                    {"ms_per_request": round(1000 * seconds / args.requests, 3), "function": where}
                    for seconds, where in functions[:15]
                ],
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
