"""`make run`'s supervisor (scripts/dev.py): a dead process is restarted with a back-off while the others keep
running; only a crash loop makes it give up, and it says so (issue 8 item 16)."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("isp_dev_script", ROOT / "scripts" / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _wait_exit(process: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while process.poll() is None:
        assert time.monotonic() < deadline, "the process did not exit"
        time.sleep(0.02)


def test_a_dead_process_is_restarted_and_the_others_keep_running(dev: ModuleType, tmp_path: Path) -> None:
    marker = tmp_path / "crashed-once"
    crash_once = (
        f"import pathlib, sys, time\np = pathlib.Path({str(marker)!r})\n"
        "if not p.exists():\n    p.touch(); sys.exit(3)\ntime.sleep(60)"
    )
    said: list[str] = []
    supervisor = dev.Supervisor(
        {"web": [sys.executable, "-c", "import time; time.sleep(60)"], "worker": [sys.executable, "-c", crash_once]},
        report=said.append,
    )
    supervisor.start_all()
    try:
        web = supervisor.processes["web"]
        _wait_exit(supervisor.processes["worker"])
        now = time.monotonic()
        assert supervisor.check(now) is True
        assert said == ["worker exited with status 3; restarting it in 1s"]
        assert supervisor.check(now + 0.5) is True and "worker" in supervisor.restart_at  # backing off
        assert supervisor.check(now + 1.1) is True
        assert said[-1] == "restarting worker"
        time.sleep(0.5)
        assert supervisor.check() is True
        assert supervisor.processes["worker"].poll() is None  # running again
        assert supervisor.processes["web"] is web and web.poll() is None  # never stopped
        assert supervisor.gave_up is None
    finally:
        supervisor.stop_all()
    assert all(process.poll() is not None for process in supervisor.processes.values())


def test_a_crash_loop_gives_up_saying_so(dev: ModuleType) -> None:
    said: list[str] = []
    supervisor = dev.Supervisor(
        {
            "web": [sys.executable, "-c", "import time; time.sleep(60)"],
            "beat": [sys.executable, "-c", "raise SystemExit(2)"],
        },
        report=said.append,
    )
    supervisor.start_all()
    now = time.monotonic()
    try:
        for _ in range(20):
            _wait_exit(supervisor.processes["beat"])
            if not supervisor.check(now):
                break
            now = supervisor.restart_at["beat"]  # the back-off passes (all within the crash window)
            assert supervisor.check(now) is True
        assert supervisor.gave_up == "beat"
        assert supervisor.processes["web"].poll() is None  # the others ran until it gave up
        assert "beat keeps crashing (5 exits within 60s" in said[-1]
        delays = [line for line in said if "restarting it in" in line]
        assert [line.rsplit(" ", 1)[-1] for line in delays] == ["1s", "2s", "4s", "8s"]
    finally:
        supervisor.stop_all()
