"""`python -m benchmarks [audit_recording] [--workers N] [--duration S]`: run the benchmarks, exit 1 on a miss."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks import audit_recording
from benchmarks.audit_recording import RESULTS

SCENARIOS = {"audit_recording": audit_recording.main}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("scenario", nargs="?", choices=sorted(SCENARIOS), help="run only this scenario")
    parser.add_argument("--workers", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per variant (default 8)")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to write the JSON results")
    args = parser.parse_args(argv)
    chosen = [args.scenario] if args.scenario else sorted(SCENARIOS)
    failures = 0
    for name in chosen:
        failures += 0 if SCENARIOS[name](workers=args.workers, duration=args.duration, results=args.results) else 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
