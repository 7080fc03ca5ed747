"""`make test` (scripts/dev.py): the suite in parallel under pytest-xdist, then the `serial` tests in one process;
both runs get the caller's arguments, and the command fails when either run fails."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("isp_dev_script_runs", ROOT / "scripts" / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_one_worker_per_cpu_capped_unless_told(dev: ModuleType) -> None:
    assert dev.xdist_workers({}, cpus=2) == "2"
    assert dev.xdist_workers({}, cpus=64) == str(dev.MAX_TEST_WORKERS)
    assert dev.xdist_workers({}, cpus=0) == "1"
    assert dev.xdist_workers({"ISP_TEST_WORKERS": "6"}, cpus=2) == "6"
    assert dev.xdist_workers({"ISP_TEST_WORKERS": "0"}, cpus=2) == "0"
    with pytest.raises(SystemExit, match="ISP_TEST_WORKERS"):
        dev.xdist_workers({"ISP_TEST_WORKERS": "lots"}, cpus=2)


def test_the_parallel_run_leaves_out_the_serial_tests_and_the_second_run_has_only_them(dev: ModuleType) -> None:
    parallel, serial = dev.pytest_runs([], "2")
    assert parallel[1:] == ["-m", "pytest", "-n", "2", "--dist", "worksteal", "-m", "not serial"]
    assert serial[1:] == ["-m", "pytest", "-m", "serial"]


def test_the_callers_arguments_reach_both_runs_and_their_marker_expression_is_kept(dev: ModuleType) -> None:
    parallel, serial = dev.pytest_runs(["-m", "slow or browser", "tests/audit", "-x"], "2")
    assert parallel[3:] == [
        *("-n", "2", "--dist", "worksteal"),
        *("-m", "(slow or browser) and not serial", "tests/audit", "-x"),
    ]
    assert serial[3:] == ["-m", "(slow or browser) and serial", "tests/audit", "-x"]
    _, serial = dev.pytest_runs(["-mslow", "tests/audit"], "2")
    assert serial[3:] == ["-m", "(slow) and serial", "tests/audit"]


@pytest.mark.parametrize("chosen", [["-n", "3"], ["-n3"], ["--numprocesses=3"], ["-n", "auto"], ["-p", "no:xdist"]])
def test_workers_chosen_in_the_arguments_win(dev: ModuleType, chosen: list[str]) -> None:
    parallel, _ = dev.pytest_runs(chosen, "2")
    assert parallel.count("-n") == chosen.count("-n") and "--dist" not in parallel
    assert parallel[-len(chosen) :] == chosen


class Runs:
    def __init__(self, *codes: int) -> None:
        self.codes = list(codes)
        self.argvs: list[list[str]] = []

    def __call__(self, argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        self.argvs.append(argv)
        return subprocess.CompletedProcess(argv, self.codes.pop(0))


@pytest.mark.parametrize(
    ("codes", "expected", "runs"),
    [
        ((0, 0), 0, 2),
        ((1, 0), 1, 2),  # the parallel run failed: the serial one still runs, and the command fails
        ((0, 1), 1, 2),  # the serial run failed
        ((5, 0), 0, 2),  # only serial tests selected (one file that is all serial)
        ((0, 5), 0, 2),  # no serial test selected
        ((5, 5), 5, 2),  # nothing selected at all
        ((2, 0), 2, 1),  # interrupted: stop there
    ],
)
def test_the_command_fails_when_either_run_fails(
    dev: ModuleType, codes: tuple[int, int], expected: int, runs: int
) -> None:
    run = Runs(*codes)
    assert dev.run_pytest_runs([["first"], ["second"]], run=run) == expected
    assert len(run.argvs) == runs
