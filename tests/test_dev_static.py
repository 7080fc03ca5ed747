"""`scripts/dev.py run`, `test` and `pytest` rebuild the CSS when its sources are newer than the last build,
as `make` does, or stop saying what to do: run directly they never serve stale CSS (issue 8)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("isp_dev_script_static", ROOT / "scripts" / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A checkout's static sources, built once (the stamp newer than every source)."""
    (tmp_path / "static" / "src").mkdir(parents=True)
    (tmp_path / "static" / "src" / "application.scss").write_text("body { color: black; }")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "copy-govuk-assets.mjs").write_text("// copy")
    (tmp_path / "package.json").write_text("{}")
    (tmp_path / "package-lock.json").write_text("{}")
    (tmp_path / "node_modules").mkdir()
    stamp = tmp_path / "static" / "dist" / ".built"
    stamp.parent.mkdir(parents=True)
    stamp.touch()
    now = time.time()
    for path in tmp_path.rglob("*"):
        os.utime(path, (now - 100, now - 100))
    os.utime(stamp, (now - 50, now - 50))  # built after its sources were last changed
    return tmp_path


def edit(path: Path) -> None:
    """Change a source after the last build (and before now, so a build now is newer)."""
    path.write_text(path.read_text() + "\n")
    os.utime(path, (time.time() - 10, time.time() - 10))


class Npm:
    def __init__(self, returncode: int = 0) -> None:
        self.calls: list[list[str]] = []
        self.returncode = returncode

    def __call__(self, command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        self.calls.append(command)
        return subprocess.CompletedProcess(command, self.returncode)


def test_nothing_is_built_when_the_build_is_newer_than_its_sources(dev: ModuleType, checkout: Path) -> None:
    npm = Npm()
    dev.ensure_static_built(checkout, run=npm)
    assert npm.calls == [] and dev.stale_static_sources(checkout) == []


@pytest.mark.parametrize(
    "source", ["static/src/application.scss", "scripts/copy-govuk-assets.mjs", "package-lock.json"]
)
def test_a_newer_source_rebuilds_and_stamps(
    dev: ModuleType, checkout: Path, source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dev.shutil, "which", lambda name: "/usr/bin/npm")
    edit(checkout / source)
    assert dev.stale_static_sources(checkout) == [checkout / source]
    npm = Npm()
    dev.ensure_static_built(checkout, run=npm)
    assert npm.calls == [["/usr/bin/npm", "run", "--silent", "build"]]
    assert dev.stale_static_sources(checkout) == []


def test_no_build_yet_builds(dev: ModuleType, checkout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dev.shutil, "which", lambda name: "/usr/bin/npm")
    (checkout / "static" / "dist" / ".built").unlink()
    npm = Npm()
    dev.ensure_static_built(checkout, run=npm)
    assert len(npm.calls) == 1 and (checkout / "static" / "dist" / ".built").exists()


def test_a_failed_build_stops_with_a_clear_message_and_no_stamp(
    dev: ModuleType, checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dev.shutil, "which", lambda name: "/usr/bin/npm")
    edit(checkout / "static" / "src" / "application.scss")
    with pytest.raises(SystemExit, match="npm run build` failed"):
        dev.ensure_static_built(checkout, run=Npm(returncode=1))
    assert dev.stale_static_sources(checkout)  # still stale: the next run tries again


def test_without_npm_it_stops_saying_what_to_run(
    dev: ModuleType, checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dev.shutil, "which", lambda name: None)
    edit(checkout / "static" / "src" / "application.scss")
    with pytest.raises(SystemExit, match="make setup"):
        dev.ensure_static_built(checkout, run=Npm())


@pytest.mark.parametrize("command", ["command_run", "command_test", "command_pytest"])
def test_run_test_and_pytest_check_the_build_first(
    dev: ModuleType, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def stop(*args: Any, **kwargs: Any) -> None:
        raise SystemExit("checked")

    monkeypatch.setattr(dev, "ensure_static_built", stop)
    monkeypatch.setattr(dev, "ensure_postgres", lambda stoppers: pytest.fail("services started before the build check"))
    with pytest.raises(SystemExit, match="checked"):
        getattr(dev, command)(mock_args())


def mock_args() -> Any:
    import argparse

    return argparse.Namespace(pytest_args=[])
