"""The three processes, started with exactly the commands docker-compose.yml and `make run` use
(`python -m isp_portal.serve web|worker|beat`): gunicorn serves, a real Celery worker takes tasks from
real Redis, and beat runs the sweeps that /healthz reports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from isp_portal.celery import app as celery_app
from isp_portal.models import EmailState, Notification, SweepRun
from isp_portal.notifications import notify
from tests.factories import World, build_world

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _database_url() -> str:
    db = connection.settings_dict
    host = db["HOST"] or "127.0.0.1"
    if host.startswith("/"):
        return f"postgresql://{db['USER']}:{db['PASSWORD']}@/{db['NAME']}?host={host}"
    return f"postgresql://{db['USER']}:{db['PASSWORD']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def process_env(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DJANGO_SETTINGS_MODULE="isp_portal.settings.test",
        DATABASE_URL=_database_url(),
        ISP_TEST_SAME_REDIS_DB="1",
        REDIS_URL=_redis_url(),
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(tmp_path / "mail"),
        CELERY_BEAT_SCHEDULE_FILE=str(tmp_path / "beat-schedule"),
        CELERY_CONCURRENCY="1",
        HOST="127.0.0.1",
        PORT=str(_free_port()),
        WEB_CONCURRENCY="1",
    )
    return env


def _redis_url() -> str:
    redis = settings.REDIS
    if redis.socket_path:
        return f"unix://{redis.socket_path}?db={redis.db}"
    return f"redis://{redis.host}:{redis.port}/{redis.db}"


@pytest.fixture
def started(process_env: dict[str, str], tmp_path: Path) -> Iterator[Any]:
    processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(name: str) -> subprocess.Popen[bytes]:
        log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        processes[name] = subprocess.Popen(
            [sys.executable, "-m", "isp_portal.serve", name],
            cwd=ROOT,
            env=process_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return processes[name]

    yield start
    for process in processes.values():
        process.terminate()
    for name, process in processes.items():
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        print(f"--- {name} log ---\n{(tmp_path / f'{name}.log').read_text(errors='replace')[-3000:]}")


def _wait_for(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception as error:  # the process is still starting
            last_error = error
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what} ({last_error})")


@pytest.mark.django_db(transaction=True)
def test_web_worker_and_beat_run_with_the_shipped_commands(started: Any, process_env: dict[str, str]) -> None:
    world: World = build_world()
    started("web")
    base = f"http://127.0.0.1:{process_env['PORT']}"

    def health() -> dict[str, Any]:
        with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310 - local test server
            import json

            return dict(json.loads(response.read()))

    body = _wait_for(health, 30, "gunicorn to answer /healthz")
    assert body["checks"]["database"]["ok"] and body["checks"]["redis"]["ok"]
    with urllib.request.urlopen(f"{base}/sign-in/", timeout=5) as response:  # noqa: S310
        assert response.status == 200 and b"Sign in to ISP Portal" in response.read()

    # A real worker on real Redis delivers a notification email queued by this process.
    started("worker")
    notify(recipient_id=world.users["practitioner"].pk, key="worker-test", subject="Worker test", body="b")
    with celery_app.connection_for_write(settings.CELERY_BROKER_URL) as broker:
        celery_app.send_task("isp_portal.notifications_deliver", connection=broker, queue="isp")
    _wait_for(
        lambda: Notification.objects.filter(key="worker-test", email_state=EmailState.SENT).exists(),
        60,
        "the worker to send the email",
    )
    mails = list(Path(process_env["EMAIL_FILE_PATH"]).glob("*.log"))
    assert mails and "Worker test" in mails[0].read_text()

    # Beat schedules the audit sealer every few seconds; its run shows up in /healthz.
    started("beat")
    _wait_for(lambda: SweepRun.objects.filter(name="audit.seal").exists(), 60, "beat to run the audit sealer")
    beat = _wait_for(lambda: health()["checks"]["beat"]["ok"] and health(), 30, "healthz to report beat")
    assert beat["checks"]["beat"]["sweep"] in {"audit.seal", "notifications.deliver"}


def test_docker_compose_runs_exactly_the_tested_commands() -> None:
    """docker-compose.yml must start the same commands this file tests, or the test proves nothing."""
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name in ("web", "worker", "beat"):
        assert compose["services"][name]["command"] == ["python", "-m", "isp_portal.serve", name]
    assert compose["services"]["migrate"]["command"] == ["python", "manage.py", "migrate", "--no-input"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["python", "-m", "isp_portal.serve", "web"]' in dockerfile
    assert {"postgres", "redis", "web", "worker", "beat", "mail"} <= set(compose["services"])
