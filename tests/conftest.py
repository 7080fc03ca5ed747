"""Shared test set-up: real PostgreSQL and Redis, the cast of users, signed-in clients, browser fixtures."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
from django.db import connections
from django.test import Client, TransactionTestCase

from audit.models import AuditEvent
from tests.factories import World, build_world, sign_in

# Speed is judged by the benchmarks, never by timed tests: hypothesis's per-example deadline (200 ms) would fail
# a database-backed property test on a busy machine (a parallel run, CI) for no fault of the code.
hypothesis.settings.register_profile("isp", deadline=None)
hypothesis.settings.load_profile("isp")

# Playwright's sync API runs an event loop in the test thread; Django must still allow ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Transactional tests empty every table with TRUNCATE when they finish, and the audit tables refuse
# TRUNCATE (that is the point of them). As the test database's superuser, skip ordinary triggers for that
# clean-up only. Production connects as a non-superuser, which cannot do this.
_original_fixture_teardown = TransactionTestCase._fixture_teardown


def _fixture_teardown_past_audit_triggers(self: TransactionTestCase) -> None:
    aliases = [alias for alias in connections if alias in (self.databases or [])]
    for alias in aliases:
        with connections[alias].cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
    try:
        # The live server thread may still be answering a request the browser sent as the test ended; its
        # transaction can deadlock with the TRUNCATE, and PostgreSQL then cancels the TRUNCATE. A flush that
        # failed leaves this test's rows for every later test of the worker ("An agency called Other Police
        # Force is already registered"), so it is tried again once the request has finished; a third failure
        # is the test's error.
        for attempt in range(3):
            try:
                _original_fixture_teardown(self)
                break
            except Exception:
                if attempt == 2:
                    raise
                time.sleep(1 + attempt)
    finally:
        for alias in aliases:
            with connections[alias].cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")


TransactionTestCase._fixture_teardown = _fixture_teardown_past_audit_triggers  # type: ignore[method-assign]


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.fixture
def client_for(world: World) -> Any:
    """client_for("practitioner") -> a test client signed in as that role's user (anonymous for None)."""

    def make(role: str | None) -> Client:
        client = Client()
        if role is None or role == "anonymous":
            return client
        user = world.user(role)
        assert user is not None, role
        return sign_in(client, user)

    return make


def audit_events(**filters: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(**filters).order_by("id"))


# --- Browser tests ------------------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # axe-core is injected as a script; the portal's CSP (rightly) forbids that, so the test browser
    # bypasses CSP. CSP itself is tested on the response headers.
    return {**browser_context_args, "bypass_csp": True, "locale": "en-GB", "timezone_id": "Europe/London"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    in_xdist_worker = hasattr(config, "workerinput")
    for item in items:
        if "browser" in item.path.parts:
            item.add_marker(pytest.mark.browser)
        if in_xdist_worker and item.get_closest_marker("serial"):
            # `make test` runs these in a second pytest without -n; under -n they would fail at random.
            item.add_marker(pytest.mark.skip(reason="serial: needs the PostgreSQL cluster to itself; run without -n"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    """In CI a skipped browser test is a failure: the browser journeys must really run there."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if os.environ.get("CI") == "true" and report.skipped and item.get_closest_marker("browser"):
        report.outcome = "failed"
        report.longrepr = f"browser test skipped in CI: {report.longrepr}"
