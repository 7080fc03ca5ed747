"""Every task beat runs, run as beat runs it: outside any transaction (autocommit), through Celery's own call path.

The tests of each sweep run inside a test transaction, where a sweep that claims its rows FOR UPDATE SKIP LOCKED
works whether or not it opens a transaction of its own. Outside one Django refuses that read
(TransactionManagementError), so a sweep whose `@transaction.atomic` slid onto a helper failed on every tick while
its tests passed (b11l: consent.review_sweep after fix11h). This runs each scheduled task on the demo partnership
and on an empty database, so a task that cannot run for real fails here, whatever its own tests do."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from isp_portal.celery import app

# The tasks modules, imported as a worker imports them at start (autodiscover_tasks is lazy until then).
app.loader.import_default_modules()
SCHEDULED = sorted({entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()})


def run(name: str) -> Any:
    # apply(): the task's own call path (its arguments, its retries' wrapper), in this process; throw=True re-raises
    # what the task raised rather than storing it in the result.
    return app.tasks[name].apply(throw=True).get()


def test_every_scheduled_task_is_registered() -> None:
    assert SCHEDULED, "beat schedules nothing"
    missing = [name for name in SCHEDULED if name not in app.tasks]
    assert not missing, f"scheduled but not registered: {missing}"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", SCHEDULED)
def test_each_scheduled_task_runs_outside_a_transaction_on_an_empty_database(name: str) -> None:
    run(name)


@pytest.mark.django_db(transaction=True)
def test_every_scheduled_task_runs_outside_a_transaction_on_the_demo_partnership(settings: Any) -> None:
    settings.DEMO_MODE = True
    call_command("seed_demo", verbosity=0)
    failed: dict[str, str] = {}
    for name in SCHEDULED:
        try:
            run(name)
        except Exception as error:  # every task is tried, and all failures are named together
            failed[name] = f"{type(error).__name__}: {error}"
    assert not failed, failed
