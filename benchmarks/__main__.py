"""`python -m benchmarks [after_disclosure|audit_recording|audit_verify|breach_sweep|disclosure_path|http_pages]
[options]`: run the benchmarks, exit 1 on a miss."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from benchmarks import after_disclosure, audit_recording, audit_verify, breach_sweep, disclosure_path, http_pages
from benchmarks.audit_recording import RESULTS


def _audit(args: argparse.Namespace) -> bool:
    return audit_recording.main(workers=args.workers or 16, duration=args.duration or 8.0, results=args.results)


def _verify(args: argparse.Namespace) -> bool:
    return audit_verify.main(events=args.events, results=args.results)


def _disclosures(args: argparse.Namespace) -> bool:
    return disclosure_path.main(
        users=args.workers or disclosure_path.USERS,
        duration=args.duration or disclosure_path.DURATION,
        warmup=disclosure_path.WARMUP if args.warmup is None else args.warmup,
        rounds=args.rounds,
        saturation=args.saturation,
        think=disclosure_path.THINK_SECONDS if args.think is None else args.think,
        results=args.results,
    )


def _after(args: argparse.Namespace) -> bool:
    return after_disclosure.main(
        hops=args.hops,
        fanout=after_disclosure.FANOUT if args.fanout is None else args.fanout,
        disputes=after_disclosure.DISPUTES if args.disputes is None else args.disputes,
        calls=args.calls,
        results=args.results,
    )


def _breaches(args: argparse.Namespace) -> bool:
    return breach_sweep.main(
        obligations=args.obligations,
        agencies=args.agencies,
        rounds=args.rounds,
        results=args.results,
    )


def _http(args: argparse.Namespace) -> bool:
    return http_pages.main(
        workers=args.workers or 50,
        duration=args.duration or 10.0,
        rounds=args.rounds,
        warmup=2.0 if args.warmup is None else args.warmup,
        results=args.results,
        only=args.only,
        profile=args.profile,
        children=args.children,
        keep=args.keep,
    )


SCENARIOS: dict[str, Any] = {
    "after_disclosure": _after,
    "audit_recording": _audit,
    "audit_verify": _verify,
    "breach_sweep": _breaches,
    "disclosure_path": _disclosures,
    "http_pages": _http,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("scenario", nargs="?", choices=sorted(SCENARIOS), help="run only this benchmark")
    parser.add_argument(
        "--workers",
        type=int,
        help="concurrent connections or users (default 16 for audit_recording, 20 for disclosure_path, 50 for "
        "http_pages)",
    )
    parser.add_argument(
        "--duration", type=float, help="seconds per variant or segment (default 8, 30 for disclosure_path, 10)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="http_pages, disclosure_path, breach_sweep: interleaved rounds (default 3)",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        help="http_pages, disclosure_path: seconds of load before measuring (default 2, and 5 for disclosure_path)",
    )
    parser.add_argument(
        "--think",
        type=float,
        help="disclosure_path: mean think time in seconds before each step (default 1; 0.5 to 1.5 times it)",
    )
    parser.add_argument(
        "--saturation",
        action="store_true",
        help="disclosure_path: no think time (for information: the targets are not judged)",
    )
    parser.add_argument(
        "--only",
        action="append",
        help="http_pages: run only this page scenario (repeatable): " + ", ".join(s.name for s in http_pages.SCENARIOS),
    )
    parser.add_argument(
        "--profile", action="store_true", help="http_pages: also profile each page in-process (cProfile, CPU time)"
    )
    parser.add_argument(
        "--children",
        type=int,
        help="http_pages: children generated into the index first (default 1,000,000 when a child scenario runs)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="http_pages: keep the scratch database after the run, and use a kept one again as it is (no new children)",
    )
    parser.add_argument(
        "--hops", type=int, default=4, help="after_disclosure: hops the lineage's entry is passed on (1 to 4)"
    )
    parser.add_argument("--fanout", type=int, help="after_disclosure: agencies the wide entry is passed on to (200)")
    parser.add_argument("--disputes", type=int, help="after_disclosure: disputes on the register (10,000)")
    parser.add_argument(
        "--calls", type=int, default=after_disclosure.CALLS, help="after_disclosure: calls per lineage read (50)"
    )
    parser.add_argument(
        "--obligations", type=int, default=breach_sweep.OBLIGATIONS, help="breach_sweep: open obligations (100,000)"
    )
    parser.add_argument(
        "--agencies", type=int, default=breach_sweep.AGENCIES, help="breach_sweep: agencies in breach (200)"
    )
    parser.add_argument(
        "--events", type=int, help="audit_verify: events chained and verified (1,000,000, or 100,000 when loaded)"
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to write the JSON results")
    args = parser.parse_args(argv)
    chosen = [args.scenario] if args.scenario else sorted(SCENARIOS)
    failures = 0
    for name in chosen:
        failures += 0 if SCENARIOS[name](args) else 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
