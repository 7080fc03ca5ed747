"""Faults in the services around the portal, in process (issue 8 item 16). The same faults with real
processes, a real PostgreSQL and Redis stopped, a real worker killed: tests/test_fault_processes.py.

- The database unreachable (every query fails with OperationalError, as when PostgreSQL stops): pages
  answer the GOV.UK "service unavailable" page with 503, the API its JSON error shape with 503; no error
  page needs the database; liveness stays 200 while /healthz reports the database down.
- The broker unreachable: one concise warning line per outage, not a traceback per notification.
- A sender killed mid-batch: each email is recorded as sent the moment it is sent, so at most the one in
  flight goes again, with the same Message-ID.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.test import Client, override_settings
from django.utils import timezone

from isp_portal import notifications
from isp_portal.models import EmailState, Notification
from isp_portal.notifications import message_id, notifications_deliver, notify
from tests.factories import World, make_user
from tests.fault_mail_backend import sent_records

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_down() -> Iterator[None]:
    """Every new query fails as it does when PostgreSQL has stopped (psycopg2 raises OperationalError)."""
    error = OperationalError("connection to server on socket failed: No such file or directory")
    with mock.patch.object(connection, "ensure_connection", side_effect=error):
        yield


class TestDatabaseDown:
    def test_liveness_stays_up_and_dependencies_report_the_database(self, database_down: None) -> None:
        assert Client().get("/healthz/live").status_code == 200
        response = Client(raise_request_exception=False).get("/healthz")
        assert response.status_code == 503
        assert response.json()["checks"]["database"] == {"ok": False, "error": "OperationalError"}

    def test_liveness_needs_no_allowed_host(self, database_down: None) -> None:
        # The orchestrator probes 127.0.0.1, which production's ALLOWED_HOSTS does not list.
        with override_settings(ALLOWED_HOSTS=["isp.example.org"]):
            assert Client().get("/healthz/live", HTTP_HOST="127.0.0.1:8000").status_code == 200
            assert Client(raise_request_exception=False).get("/healthz", HTTP_HOST="127.0.0.1:8000").status_code == 400

    @pytest.mark.parametrize("path", ["/", "/notifications/", "/no-such-page/", "/agencies/"])
    def test_signed_in_pages_get_the_govuk_503_page(self, world: World, client_for: Any, path: str) -> None:
        client = client_for("practitioner")
        client.raise_request_exception = False
        with mock.patch.object(connection, "ensure_connection", side_effect=OperationalError("server closed")):
            response = client.get(path)
        assert response.status_code == 503
        page = response.content.decode()
        assert "Sorry, the service is unavailable" in page and "govuk-template" in page
        assert response["Retry-After"] == "30"

    def test_a_form_post_gets_the_503_page_too(self, world: World, client_for: Any, database_down: None) -> None:
        client = Client(raise_request_exception=False)
        response = client.post("/sign-in/", {"email": "someone@test.example", "password": "whatever it is"})
        assert response.status_code == 503 and "Sorry, the service is unavailable" in response.content.decode()

    def test_the_api_answers_its_json_error_shape(self, world: World, client_for: Any) -> None:
        client = client_for("practitioner")
        client.raise_request_exception = False
        with mock.patch.object(connection, "ensure_connection", side_effect=OperationalError("server closed")):
            response = client.get("/api/v1/me/")
        assert response.status_code == 503
        assert response.json()["error"]["status"] == 503
        assert response.json()["error"]["code"] == "service_unavailable"

    def test_the_error_pages_need_no_database(self, database_down: None) -> None:
        from django.test import RequestFactory

        from isp_portal.views.errors import server_error

        request = RequestFactory().get("/agencies/")
        request.user = mock.Mock(is_authenticated=mock.PropertyMock(side_effect=AssertionError("user touched")))
        assert server_error(request).status_code == 500
        try:
            raise OperationalError("the database has gone")
        except OperationalError:
            assert server_error(request).status_code == 503


def test_a_database_outage_is_one_log_line_per_request_not_a_traceback() -> None:
    import sys

    from isp_portal.log_filters import DatabaseOutageFilter

    try:
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused\n\tIs it up?')
    except OperationalError:
        record = logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "%s: %s", ("Service Unavailable", "/"), sys.exc_info()
        )
    assert DatabaseOutageFilter().filter(record) is True
    line = logging.Formatter().format(record)
    assert "\n" not in line and "Traceback" not in line
    assert line == (
        'Service Unavailable: / (database unavailable: OperationalError: connection to server at "127.0.0.1", '
        "port 5432 failed: Connection refused)"
    )


class TestBrokerDown:
    @pytest.fixture(autouse=True)
    def fresh_outage_state(self) -> Iterator[None]:
        notifications._broker_down_since = None
        notifications._broker_retry_at = 0.0
        yield
        notifications._broker_down_since = None
        notifications._broker_retry_at = 0.0

    def test_one_concise_warning_not_a_traceback_per_notification(
        self, world: World, caplog: pytest.LogCaptureFixture, django_capture_on_commit_callbacks: Any
    ) -> None:
        from kombu.exceptions import OperationalError as BrokerError

        user = world.users["practitioner"]
        refused = BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        with (
            mock.patch("isp_portal.tasks.notifications_deliver_task.apply_async", side_effect=refused) as queue,
            caplog.at_level(logging.INFO, logger="isp_portal.notifications"),
        ):
            for number in range(5):
                with django_capture_on_commit_callbacks(execute=True):
                    notify(recipient_id=user.pk, key=f"outage-{number}", subject="s", body="b")
        records = [record for record in caplog.records if record.name == "isp_portal.notifications"]
        assert len(records) == 1
        assert records[0].levelno == logging.WARNING and records[0].exc_info is None
        assert "\n" not in records[0].getMessage() and "broker cannot be reached" in records[0].getMessage()
        assert queue.call_count == 1  # not tried again for every notification during the outage
        # Nothing is lost: the sweep sends every one.
        assert notifications_deliver() == 5


class SenderKilled(BaseException):
    """What a SIGKILL looks like from inside: the worker stops between two statements."""


@pytest.fixture
def mail_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = str(tmp_path / "sent.jsonl")
    monkeypatch.setenv("FAULT_MAIL_LOG", path)
    return path


@override_settings(EMAIL_BACKEND="tests.fault_mail_backend.RecordingSlowBackend")
def test_a_sender_killed_mid_batch_resends_at_most_the_one_in_flight(world: World, mail_log: str) -> None:
    people = [make_user(agency=world.home) for _ in range(12)]
    for person in people:
        notify(recipient_id=person.pk, key="batch", subject="Consultation closing", body="Respond by Friday")
    real_send = notifications.EmailMessage.send
    calls = 0

    def send_then_die_on_the_seventh(self: Any, *args: Any, **kwargs: Any) -> int:
        nonlocal calls
        calls += 1
        result = real_send(self, *args, **kwargs)  # the seventh email goes out ...
        if calls == 7:
            raise SenderKilled  # ... and the worker dies before recording it
        return int(result)

    with (
        mock.patch.object(notifications.EmailMessage, "send", send_then_die_on_the_seventh),
        pytest.raises(SenderKilled),
    ):
        notifications_deliver()
    states = dict(Notification.objects.values_list("recipient_id", "email_state"))
    assert list(states.values()).count(EmailState.SENT) == 6
    assert list(states.values()).count(EmailState.SENDING) == 1  # only the one in flight is claimed
    assert list(states.values()).count(EmailState.PENDING) == 5  # the rest go with the next run, not 10 minutes later
    assert notifications_deliver() == 5
    # After the claim timeout the one in flight goes again, with the same Message-ID.
    Notification.objects.filter(email_state=EmailState.SENDING).update(
        email_claimed_at=timezone.now() - timedelta(minutes=11)
    )
    assert notifications_deliver() == 1
    assert set(Notification.objects.values_list("email_state", flat=True)) == {EmailState.SENT}
    records = sent_records(mail_log)
    assert len(records) == 13  # twelve people, one resend
    ids = [record["message_id"] for record in records]
    assert len(set(ids)) == 12
    assert {record["to"][0] for record in records} == {person.email for person in people}
    expected = {message_id(n) for n in Notification.objects.all()}
    assert set(ids) == expected


def test_message_ids_are_stable_and_distinct(world: World) -> None:
    user = world.users["practitioner"]
    notify(recipient_id=user.pk, key="a", subject="s", body="b")
    notify(recipient_id=user.pk, key="b", subject="s", body="b")
    first, second = Notification.objects.order_by("id")
    assert message_id(first) == message_id(Notification.objects.get(pk=first.pk))
    assert message_id(first) != message_id(second)
    assert message_id(first).startswith(f"<notification-{first.pk}.") and message_id(first).endswith(">")
