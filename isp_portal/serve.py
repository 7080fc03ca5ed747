"""The process commands, in one place: `python -m isp_portal.serve web|worker|beat`.

docker-compose.yml, `make run` and the tests (tests/test_processes.py) all start the portal with exactly
these commands, so what is tested is what ships.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def command(name: str) -> list[str]:
    python = sys.executable
    if name == "web":
        return [
            python,
            "-m",
            "gunicorn",
            "isp_portal.wsgi:application",
            "--config",
            str(ROOT / "isp_portal" / "gunicorn_conf.py"),
        ]
    if name == "worker":
        concurrency = os.environ.get("CELERY_CONCURRENCY", "2")
        return [
            python,
            "-m",
            "celery",
            "-A",
            "isp_portal",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            concurrency,
            "--queues",
            "isp",
            "--without-gossip",
            "--without-mingle",
        ]
    if name == "beat":
        schedule = os.environ.get("CELERY_BEAT_SCHEDULE_FILE", str(ROOT / "var" / "celerybeat-schedule"))
        Path(schedule).parent.mkdir(parents=True, exist_ok=True)
        return [
            python,
            "-m",
            "celery",
            "-A",
            "isp_portal",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            schedule,
        ]
    raise SystemExit(f"unknown process {name!r}: expected web, worker or beat")


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m isp_portal.serve web|worker|beat")
    argv = command(sys.argv[1])
    os.chdir(ROOT)
    os.execv(argv[0], argv)  # noqa: S606 - replaces this process with the server


if __name__ == "__main__":
    main()
