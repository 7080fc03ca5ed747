"""Notifications: the in-app list and email (DESIGN 3.3).

`notify` / `notify_many` create rows with unique keys (INSERT ... ON CONFLICT DO NOTHING), so a reminder
raised twice exists once. Emails are sent by `notifications_deliver`, which is queued when the creating
transaction commits and also swept every minute, so a broker outage delays email but never loses it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from psycopg2.extras import execute_values

from isp_portal import bounds
from isp_portal.models import EmailState, Notification
from isp_portal.policy import require
from isp_portal.sweeps import transition_due

logger = logging.getLogger(__name__)

# A claim older than this is assumed abandoned (a worker died mid-send) and is retried.
CLAIM_TIMEOUT = timedelta(minutes=10)
MAX_EMAIL_ATTEMPTS = 5


@dataclass(frozen=True)
class NotificationDraft:
    recipient_id: int
    key: str
    subject: str
    body: str
    link: str = ""
    email: bool = True


def notify_many(drafts: Iterable[NotificationDraft]) -> int:
    """Create the notifications that do not exist yet (by recipient and key); return how many were new.

    One INSERT ... ON CONFLICT DO NOTHING: a sweep that raises the same reminder twice creates it once.
    Emails are queued for after the surrounding transaction commits."""
    now = timezone.now()
    values = [
        (
            draft.recipient_id,
            draft.key[:200],
            draft.subject[:200],
            bounds.truncated(draft.body, bounds.LONG_TEXT),
            draft.link,
            now,
            EmailState.PENDING if draft.email else EmailState.NOT_REQUIRED,
            0,
        )
        for draft in drafts
    ]
    if not values:
        return 0
    with connection.cursor() as cursor:
        inserted = execute_values(
            cursor,
            "INSERT INTO isp_portal_notification (recipient_id, key, subject, body, link, created_at, email_state, "
            "email_attempts) VALUES %s ON CONFLICT (recipient_id, key) DO NOTHING RETURNING id, email_state",
            values,
            fetch=True,
            page_size=len(values),  # one statement however many (DESIGN 3.3)
        )
    if any(state == EmailState.PENDING for _, state in inserted):
        transaction.on_commit(_queue_delivery)
    return len(inserted)


def notify(*, recipient_id: int, key: str, subject: str, body: str, link: str = "", email: bool = True) -> int:
    return notify_many([NotificationDraft(recipient_id, key, subject, body, link, email)])


def _queue_delivery() -> None:
    from isp_portal.tasks import notifications_deliver_task

    try:
        # No retries: when the broker is down, answer the user now; the delivery sweep sends it later.
        notifications_deliver_task.apply_async(retry=False)
    except Exception:  # the broker is down: the every-minute sweep will send them
        logger.warning("could not queue notification delivery; the sweep will pick it up", exc_info=True)


def notifications_deliver(*, limit: int = 200) -> int:
    """Send pending notification emails. Returns how many were sent.

    Rows are claimed in one statement (pending, or a claim that timed out) so that two workers never send
    the same email; after sending, they are marked sent in one statement."""
    now = timezone.now()
    claimable = Notification.objects.filter(
        Q(email_state=EmailState.PENDING) | Q(email_state=EmailState.SENDING, email_claimed_at__lt=now - CLAIM_TIMEOUT),
        email_attempts__lt=MAX_EMAIL_ATTEMPTS,
    ).order_by("created_at")
    with transaction.atomic():
        claimed = transition_due(
            claimable, set_values={"email_state": EmailState.SENDING, "email_claimed_at": now}, limit=limit
        )
    ids = [row[0] for row in claimed]
    if not ids:
        return 0
    notifications = list(Notification.objects.filter(pk__in=ids).select_related("recipient"))
    sent: list[int] = []
    failed: list[int] = []
    mail: Any = get_connection()
    try:
        mail.open()
        for notification in notifications:
            message = EmailMessage(
                subject=f"[{settings.SERVICE_NAME}] {notification.subject}",
                body=_email_body(notification),
                to=[notification.recipient.email],
                connection=mail,
            )
            try:
                message.send()
                sent.append(notification.pk)
            except Exception:
                logger.warning("email for notification %s failed", notification.pk, exc_info=True)
                failed.append(notification.pk)
    except Exception:
        logger.warning("could not reach the mail server", exc_info=True)
        failed.extend(n.pk for n in notifications if n.pk not in sent)
    finally:
        try:
            mail.close()
        except Exception:
            logger.debug("closing the mail connection failed", exc_info=True)
    with transaction.atomic():
        Notification.objects.filter(pk__in=sent).update(
            email_state=EmailState.SENT, email_sent_at=timezone.now(), email_attempts=F("email_attempts") + 1
        )
        Notification.objects.filter(pk__in=failed).update(
            email_attempts=F("email_attempts") + 1,
            email_state=Case(
                When(email_attempts__gte=MAX_EMAIL_ATTEMPTS - 1, then=Value(EmailState.FAILED)),
                default=Value(EmailState.PENDING),
            ),
        )
    return len(sent)


def _email_body(notification: Notification) -> str:
    link = f"\n\n{settings.SITE_URL.rstrip('/')}{notification.link}" if notification.link else ""
    return (
        f"{notification.body}{link}\n\n"
        f"This message is from the {settings.SERVICE_NAME} of the {settings.PARTNERSHIP_NAME}. "
        "It contains no personal details: sign in to see them."
    )


@transaction.atomic
def notification_mark_read(*, actor: Any, notification: Notification) -> Notification:
    require(actor, "mark_read", notification)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification
