"""`python -m benchmarks.load ...`: one timed segment of load, driven by locust used as a library.

It runs in its own process because locust patches the standard library for gevent on import, and so that the
load generator's own CPU is never counted as the server's. The harness (benchmarks/http_pages.py) reads its
output: a line `START` when the users are all running and the statistics were reset (the harness then reads
the servers' CPU counters), `STOP` when the timed window ends (it reads them again), then one JSON line with
the figures of the window.

How the load is paced (DESIGN 5 states each target with its own):

* saturation (the default): each user sends its next request as soon as the last one answers (closed loop, no
  think time). The throughput is the servers' capacity; what the ratio targets compare with the bare view.
* `--think SECONDS`: N users, each waiting a think time drawn uniformly from 0.5 to 1.5 times SECONDS after
  each answer (locust `wait_time = between(...)`), the first wait drawn the same way so the users do not move
  in step. "20 users" in DESIGN 5 means this: people, not connections firing back to back.
* `--rate PER_SECOND`: a steady total rate, whatever the answers' times (open loop as long as each user's
  interval is longer than its answers): each of the N users sends every N / PER_SECOND seconds (locust
  `constant_throughput`), starting at a random point of its first interval so that the rate is spread evenly
  rather than sent in bursts of N. A server that cannot keep up shows as an achieved rate below the offered
  one (`per_second` against `offered_per_second`), which the harness judges.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any


def pacing(*, users: int, think: float, rate: float) -> tuple[float, Any]:
    """(the longest first wait, locust's `wait_time`) for the pacing asked: a steady total `rate`, `think`
    seconds on average between a user's requests, or neither (saturation). Each user's first request waits a
    random part of the first value, so that N users started together do not send in step."""
    from locust import between, constant, constant_throughput

    if rate:
        return users / rate, constant_throughput(rate / users)  # each user sends every users / rate seconds
    if think:
        return 1.5 * think, between(0.5 * think, 1.5 * think)
    return 0.0, constant(0)  # closed loop: each connection sends its next request when the last answers


def paced_user(host: str, *, users: int, think: float, rate: float) -> Any:
    """A locust user class (abstract: subclass it with a task) sending to `host`, paced as `pacing` says, each
    user's first request after a random part of the first wait. Locust must be imported (gevent's patching) first."""
    import gevent
    from locust import FastHttpUser

    first_wait, pace = pacing(users=users, think=think, rate=rate)

    class Paced(FastHttpUser):
        abstract = True
        wait_time = pace
        network_timeout = 60.0
        connection_timeout = 60.0

        def on_start(self) -> None:
            # Spread the users' first requests over one interval (or think time), so that N users started
            # together do not send in step for the whole segment.
            if first_wait:
                gevent.sleep(random.uniform(0, first_wait))

    Paced.host = host
    return Paced


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load")
    parser.add_argument("--host", required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--cookie", default="", help="the Cookie header every request sends")
    parser.add_argument("--users", type=int, default=50, help="concurrent connections")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load before measuring")
    parser.add_argument(
        "--forms",
        default="",
        help="a JSON file of form bodies: each request POSTs one of them, drawn at random, to the path",
    )
    parser.add_argument("--csrf", default="", help="the CSRF form token of the session (from one of its pages)")
    paced = parser.add_mutually_exclusive_group()
    paced.add_argument(
        "--think", type=float, default=0.0, help="mean think time in seconds between a user's requests (0: none)"
    )
    paced.add_argument("--rate", type=float, default=0.0, help="a steady total rate in requests a second (0: none)")
    args = parser.parse_args(argv)
    if args.think < 0 or args.rate < 0 or args.users < 1:
        parser.error("--think and --rate are at least 0, --users at least 1")
    forms: list[dict[str, str]] = []
    if args.forms:
        with open(args.forms, encoding="utf-8") as source:
            forms = json.load(source)

    from locust import task

    statements: list[int] = []
    before_view: list[int] = []
    statuses: dict[str, int] = {}
    headers = {"X-Forwarded-Proto": "https"}  # as the TLS-terminating proxy in front of gunicorn sends
    if args.cookie:
        headers["Cookie"] = args.cookie
    if forms:
        # Django's CSRF check on HTTPS also wants a same-origin Referer.
        headers["Referer"] = f"https://{args.host.split('://', 1)[-1]}{args.path}"

    class Visitor(paced_user(args.host, users=args.users, think=args.think, rate=args.rate)):  # type: ignore[misc]
        def send(self) -> Any:
            if not forms:
                return self.client.get(args.path, headers=headers, catch_response=True, allow_redirects=False)
            body = {**random.choice(forms), "csrfmiddlewaretoken": args.csrf}
            return self.client.post(args.path, data=body, headers=headers, catch_response=True, allow_redirects=False)

        @task
        def visit(self) -> None:
            with self.send() as reply:
                status = str(reply.status_code)
                statuses[status] = statuses.get(status, 0) + 1
                if reply.status_code != 200:
                    reply.failure(f"status {reply.status_code}")
                    return
                counted = reply.headers.get("X-Statements")
                if counted is not None:
                    statements.append(int(counted))
                    before_view.append(int(reply.headers.get("X-Statements-Before-View", "0")))

    def measuring(environment: Any) -> None:
        environment.stats.reset_all()
        statements.clear()
        before_view.clear()
        statuses.clear()

    def measured(environment: Any, elapsed: float) -> dict[str, Any]:
        stats = environment.stats.total
        return {
            "requests": stats.num_requests,
            "failures": stats.num_failures,
            "seconds": elapsed,
            "per_second": stats.num_requests / elapsed if elapsed else 0.0,
            "pacing": "rate" if args.rate else ("think" if args.think else "saturation"),
            "offered_per_second": args.rate or None,
            "think_seconds": args.think or None,
            "users": args.users,
            "p50_ms": stats.get_response_time_percentile(0.5),
            "p95_ms": stats.get_response_time_percentile(0.95),
            "p99_ms": stats.get_response_time_percentile(0.99),
            "statuses": dict(statuses),
            "statements": statistics.median(statements) if statements else None,
            "statements_before_view": statistics.median(before_view) if before_view else None,
        }

    window(Visitor, users=args.users, warmup=args.warmup, duration=args.duration, start=measuring, stop=measured)
    return 0


def window(
    user_class: Any,
    *,
    users: int,
    warmup: float,
    duration: float,
    start: Callable[[Any], None],
    stop: Callable[[Any, float], dict[str, Any]],
) -> None:
    """Run `users` of `user_class` and measure one window, speaking the protocol the harness reads
    (benchmarks.http_pages.drive): after `warmup` seconds `start(environment)` resets what is counted and `START` is
    printed; after `duration` more, `stop(environment, seconds)` gives the figures, `STOP` is printed, the users
    are stopped and the figures printed as one JSON line. Locust must be imported (gevent's patching) first."""
    import gevent
    from locust.env import Environment

    environment = Environment(user_classes=[user_class])
    runner = environment.create_local_runner()
    runner.start(users, spawn_rate=max(users, 1))
    gevent.sleep(warmup)
    start(environment)
    print("START", flush=True)
    began = time.monotonic()
    gevent.sleep(duration)
    figures = stop(environment, time.monotonic() - began)
    print("STOP", flush=True)
    runner.quit()
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    sys.exit(main())
