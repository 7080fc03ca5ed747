"""Notifications: created once per key, emailed once, listed in-app (DESIGN 3.3)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import override_settings

from isp_portal.models import EmailState, Notification
from isp_portal.notifications import NotificationDraft, notifications_deliver, notify, notify_many
from tests.factories import World

pytestmark = pytest.mark.django_db


def test_same_key_creates_one_notification(world: World) -> None:
    user = world.users["practitioner"]
    assert notify(recipient_id=user.pk, key="ico:1:60", subject="ICO expiring", body="b") == 1
    assert notify(recipient_id=user.pk, key="ico:1:60", subject="ICO expiring", body="b") == 0
    assert Notification.objects.filter(recipient=user).count() == 1


def test_many_at_once_skips_existing(world: World) -> None:
    a, b = world.users["practitioner"], world.users["designated_manager"]
    notify(recipient_id=a.pk, key="k", subject="s", body="b")
    created = notify_many(
        [
            NotificationDraft(a.pk, "k", "s", "b"),
            NotificationDraft(b.pk, "k", "s", "b"),
            NotificationDraft(b.pk, "k2", "s", "b"),
        ]
    )
    assert created == 2


def test_delivery_sends_each_email_once(world: World) -> None:
    user = world.users["practitioner"]
    notify(recipient_id=user.pk, key="k", subject="A request is waiting", body="Open it", link="/notifications/")
    assert notifications_deliver() == 1
    assert notifications_deliver() == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email] and "A request is waiting" in message.subject
    assert "/notifications/" in message.body
    notification = Notification.objects.get()
    assert notification.email_state == EmailState.SENT and notification.email_sent_at is not None


def test_in_app_only_notifications_are_not_emailed(world: World) -> None:
    notify(recipient_id=world.users["practitioner"].pk, key="k", subject="s", body="b", email=False)
    assert notifications_deliver() == 0 and mail.outbox == []


@override_settings(EMAIL_BACKEND="tests.isp_portal.test_notifications.BrokenBackend")
def test_a_failing_mail_server_leaves_emails_pending_for_the_next_sweep(world: World) -> None:
    notify(recipient_id=world.users["practitioner"].pk, key="k", subject="s", body="b")
    assert notifications_deliver() == 0
    notification = Notification.objects.get()
    assert notification.email_state == EmailState.PENDING and notification.email_attempts == 1


class BrokenBackend:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def open(self) -> None:
        raise ConnectionRefusedError("mail server down")

    def close(self) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise ConnectionRefusedError("mail server down")


def test_notifications_page_lists_and_marks_read(world: World, client_for: Any) -> None:
    user = world.users["practitioner"]
    notify(recipient_id=user.pk, key="k", subject="Consultation closing", body="Respond by Friday")
    client = client_for("practitioner")
    page = client.get("/notifications/").content.decode()
    assert "Consultation closing" in page and "New" in page
    notification = Notification.objects.get()
    assert client.post(f"/notifications/{notification.pk}/read/").status_code == 302
    notification.refresh_from_db()
    assert notification.read_at is not None
    # Another person cannot mark it (404, as if it did not exist).
    assert client_for("designated_manager").post(f"/notifications/{notification.pk}/read/").status_code == 404


def test_a_stopped_broker_does_not_break_the_request(world: World, django_capture_on_commit_callbacks: Any) -> None:
    """Queueing happens after commit; if Redis is down the notification waits for the sweep."""
    import time

    from isp_portal.celery import app

    previous = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            notify(recipient_id=world.users["practitioner"].pk, key="k", subject="s", body="b")
        assert time.monotonic() - started < 15
    finally:
        app.conf.broker_url = previous
    assert Notification.objects.get().email_state == EmailState.PENDING
