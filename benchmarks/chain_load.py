"""`python -m benchmarks.chain_load ...`: one timed segment of users each going round a chain of JSON POSTs, each
step as another signed-in person, driven by locust used as a library (benchmarks/disclosure_path.py: submit,
answer, approve).

Its own process, as benchmarks/load.py (locust patches the standard library for gevent on import, and the load
generator's CPU must not be counted as the server's); the same protocol on stdout: `START` when the users are all
running (the harness reads the servers' CPU counters), `STOP` when the timed window ends (it reads them again),
then one JSON line with what the window measured.

The plan (`--plan`, a JSON file) says who does what:

* `roles`: for each role, the Cookie header of its signed-in session and the CSRF token of that session (sent as
  X-CSRFToken, with a same-origin Referer: Django's check on HTTPS);
* `steps`: in order, each `{"name", "role", "path", "status"}`: POSTed as `role`, answered with `status` when it
  went right; a path may name `{id}`, the `id` in the first step's answer (the request just made);
* `bodies`: one list of step bodies per case; user N goes round with case N (modulo their number), so each
  simulated user asks about a child of its own.

Pacing (benchmarks.load.pacing): with `--think SECONDS`, each user waits 0.5 to 1.5 times that long before each
step (after the last step: before the next chain), a person between screens; without, saturation. The figures are
raw: for each chain completed inside the window, the response time of each step in milliseconds (think time
excluded), and the median X-Statements per step when the portal sends it. A chain with a step answered otherwise
than expected is a failure (its status counted, the first few answers kept) and is abandoned.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from typing import Any

ERRORS_KEPT = 5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.chain_load")
    parser.add_argument("--host", required=True)
    parser.add_argument("--plan", required=True, help="a JSON file: roles, steps, bodies (see the module's doc)")
    parser.add_argument("--users", type=int, default=20, help="simulated users")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of load before measuring")
    parser.add_argument("--think", type=float, default=0.0, help="mean think time in seconds before each step")
    args = parser.parse_args(argv)
    if args.think < 0 or args.users < 1:
        parser.error("--think is at least 0, --users at least 1")
    with open(args.plan, encoding="utf-8") as source:
        plan: dict[str, Any] = json.load(source)
    steps: list[dict[str, Any]] = plan["steps"]
    bodies: list[list[dict[str, Any]]] = plan["bodies"]

    import gevent
    from locust import task

    from benchmarks.load import paced_user
    from benchmarks.load import window as load_window

    netloc = args.host.split("://", 1)[-1]
    headers = {
        role: {
            "X-Forwarded-Proto": "https",  # as the TLS-terminating proxy in front of gunicorn sends
            "Cookie": session["cookie"],
            "X-CSRFToken": session["csrf"],
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        for role, session in plan["roles"].items()
    }
    window: dict[str, float] = {"start": float("inf"), "stop": float("inf")}
    chains: list[list[float]] = []
    statements: dict[str, list[int]] = {step["name"]: [] for step in steps}
    statuses: dict[str, int] = {}
    errors: list[str] = []
    failures = [0]
    counter = iter(range(sys.maxsize))

    def think() -> None:
        if args.think:
            gevent.sleep(random.uniform(0.5 * args.think, 1.5 * args.think))

    class Person(paced_user(args.host, users=args.users, think=args.think, rate=0.0)):  # type: ignore[misc]
        def on_start(self) -> None:
            self.case = bodies[next(counter) % len(bodies)]
            super().on_start()

        @task
        def chain(self) -> None:
            made = ""
            times: list[float] = []
            counted: list[tuple[str, int]] = []
            for number, (step, body) in enumerate(zip(steps, self.case, strict=True)):
                if number:
                    think()
                path = step["path"].replace("{id}", made)
                sent = time.perf_counter()
                with self.client.post(
                    path,
                    data=json.dumps(body),
                    headers={**headers[step["role"]], "Referer": f"https://{netloc}{path}"},
                    name=step["name"],
                    catch_response=True,
                    allow_redirects=False,
                ) as reply:
                    elapsed = time.perf_counter() - sent
                    statuses[str(reply.status_code)] = statuses.get(str(reply.status_code), 0) + 1
                    if reply.status_code != step["status"]:
                        reply.failure(f"status {reply.status_code}")
                        if window["start"] <= time.monotonic() <= window["stop"]:
                            failures[0] += 1
                            if len(errors) < ERRORS_KEPT:
                                errors.append(f"{step['name']} {reply.status_code}: {(reply.text or '')[:500]}")
                        return
                    if number == 0:
                        made = str(json.loads(reply.text)["id"])
                    header = reply.headers.get("X-Statements")
                    if header is not None:
                        counted.append((step["name"], int(header)))
                times.append(1000 * elapsed)
            # Only chains that ended inside the window: those begun in the warm-up and ended after START count,
            # as the servers' CPU of their later steps does.
            if window["start"] <= time.monotonic() <= window["stop"]:
                chains.append(times)
                for name, value in counted:
                    statements[name].append(value)

    def measuring(environment: Any) -> None:
        statuses.clear()
        window["start"] = time.monotonic()
        window["stop"] = window["start"] + args.duration

    def measured(environment: Any, elapsed: float) -> dict[str, Any]:
        window["stop"] = window["start"]  # nothing ending after this point counts
        return {
            "chains": chains,
            "steps": [step["name"] for step in steps],
            "failures": failures[0],
            "errors": errors,
            "seconds": elapsed,
            "users": args.users,
            "pacing": "think" if args.think else "saturation",
            "think_seconds": args.think or None,
            "statuses": dict(statuses),
            "statements": {name: statistics.median(values) if values else None for name, values in statements.items()},
        }

    load_window(Person, users=args.users, warmup=args.warmup, duration=args.duration, start=measuring, stop=measured)
    return 0


if __name__ == "__main__":
    sys.exit(main())
