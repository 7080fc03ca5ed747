"""Notifications: the in-app list and email (DESIGN 3.3).

`notify` / `notify_many` create rows with unique keys (INSERT ... ON CONFLICT DO NOTHING), so a reminder
raised twice exists once. Emails are sent by `notifications_deliver`, which is queued when the creating
transaction commits and also swept every minute, so a broker outage delays email but never loses it.
Each email is recorded as sent the moment it is sent, with a Message-ID derived from its row, so a crash
resends at most the one in flight, recognisably the same message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
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


def notify_selected(
    recipients: QuerySet[Any] | tuple[str, Sequence[Any]],
    *,
    key: str,
    subject: str,
    body: str,
    link: str = "",
    email: bool = True,
) -> int:
    """notify_many for the people `recipients` selects (a queryset of one column, their user ids, or its SQL and
    parameters as isp_portal.rows.CompiledSQL gives them), each once with the key f"{key}-{user id}", in one
    statement whoever they are (INSERT ... SELECT ... ON CONFLICT DO NOTHING): who is told and the telling are one
    round trip. Returns how many were new."""
    sql, params = recipients if isinstance(recipients, tuple) else recipients.query.sql_with_params()
    state = EmailState.PENDING if email else EmailState.NOT_REQUIRED
    with connection.cursor() as cursor:
        # The queryset's own SQL, its values bound as parameters.
        insert = (
            "INSERT INTO isp_portal_notification (recipient_id, key, subject, body, link, "  # noqa: S608
            "created_at, email_state, email_attempts) SELECT DISTINCT picked.id, left(%s || picked.id::text, 200), "
            f"%s, %s, %s, %s, %s, 0 FROM ({sql}) AS picked(id) ON CONFLICT (recipient_id, key) DO NOTHING RETURNING id"
        )
        cursor.execute(
            insert,
            [
                f"{key}-", subject[:200], bounds.truncated(body, bounds.LONG_TEXT), link, timezone.now(), state,
                *params,
            ],
        )  # fmt: skip
        inserted = cursor.fetchall()
    if inserted and email:
        transaction.on_commit(_queue_delivery)
    return len(inserted)


def notifications_insert_sql(source: str) -> str:
    """The INSERT of the notifications `source` lists, for a statement that decides who is told and tells them in
    one round trip whatever their number (DESIGN 3.3; a sweep's `WITH changed AS (UPDATE ... RETURNING ...), told AS
    (<this>) ...`). `source` is a relation of the same statement (a CTE's name) with the columns recipient_id, key,
    subject, body, link and created_at; each is emailed. ON CONFLICT DO NOTHING on (recipient, key), so a row raised
    twice, by two sweeps or one sweep twice, exists once; RETURNING id of the new ones. The caller calls
    notifications_queue_email() when any were new."""
    return (
        "INSERT INTO isp_portal_notification (recipient_id, key, subject, body, link, created_at, email_state, "  # noqa: S608
        f"email_attempts) SELECT recipient_id, left(key, 200), left(subject, 200), left(body, {bounds.LONG_TEXT}), "
        f"left(link, 300), created_at, '{EmailState.PENDING.value}', 0 FROM {source} "
        "ON CONFLICT (recipient_id, key) DO NOTHING RETURNING id"
    )


def notifications_queue_email() -> None:
    """Ask a worker to send the new emails once the surrounding transaction commits (what notify_many does for
    the rows it inserts), after a statement built with notifications_insert_sql inserted some."""
    transaction.on_commit(_queue_delivery)


def notify(*, recipient_id: int, key: str, subject: str, body: str, link: str = "", email: bool = True) -> int:
    return notify_many([NotificationDraft(recipient_id, key, subject, body, link, email)])


# While the broker is unreachable, queueing is not tried again for this long: the every-minute sweep sends the
# emails anyway, and each try would make the user's request wait for the connection timeout.
BROKER_RETRY_AFTER_SECONDS = 30.0
_broker_down_since: float | None = None
_broker_retry_at = 0.0


def _queue_delivery() -> None:
    """Ask a worker to send the new emails now. With the broker down: one concise warning per outage (not a
    traceback per notification), and the every-minute delivery sweep sends them once the worker can."""
    global _broker_down_since, _broker_retry_at
    from isp_portal.tasks import notifications_deliver_task

    now = time.monotonic()
    if _broker_down_since is not None and now < _broker_retry_at:
        return
    try:
        # No retries: when the broker is down, answer the user now; the delivery sweep sends it later.
        notifications_deliver_task.apply_async(retry=False)
    except Exception as error:  # the broker is down: the every-minute sweep will send them
        if _broker_down_since is None:
            _broker_down_since = now
            logger.warning(
                "the task broker cannot be reached (%s: %s); emails will go out with the delivery sweep "
                "once it is back",
                type(error).__name__,
                str(error).splitlines()[0][:200] if str(error) else "",
            )
        _broker_retry_at = now + BROKER_RETRY_AFTER_SECONDS
        return
    if _broker_down_since is not None:
        logger.info("the task broker is reachable again after %.0f s", now - _broker_down_since)
        _broker_down_since = None


def message_id(notification: Notification) -> str:
    """The email's Message-ID, derived from the notification row: a resend after a crash carries the same
    one, so mail systems (and people) can recognise it as the same message."""
    domain = urlsplit(settings.SITE_URL).hostname or "isp-portal.invalid"
    return f"<notification-{notification.pk}.{int(notification.created_at.timestamp())}@{domain}>"


def notifications_deliver(*, limit: int = 200) -> int:
    """Send pending notification emails, one at a time. Returns how many were sent.

    Each email is claimed (pending, or a claim that timed out), sent, and recorded as sent, each step in its
    own commit, so a worker killed mid-batch leaves at most the one email in flight claimed-but-unrecorded:
    that one is sent again after CLAIM_TIMEOUT with the same Message-ID, and the rest are still pending for
    the next run. Claims skip rows another worker holds, so two workers never send the same email."""
    sent = 0
    tried: list[int] = []
    mail: Any = get_connection()
    opened = False
    try:
        while len(tried) < limit:
            notification = _claim_next(exclude=tried)
            if notification is None:
                break
            tried.append(notification.pk)
            if not opened:
                try:
                    mail.open()
                    opened = True
                except Exception as error:
                    logger.warning("could not reach the mail server: %s: %s", type(error).__name__, error)
                    _record_failure(notification.pk)
                    break
            email = EmailMessage(
                subject=f"[{settings.SERVICE_NAME}] {notification.subject}",
                body=_email_body(notification),
                to=[notification.recipient.email],
                connection=mail,
                headers={"Message-ID": message_id(notification)},
            )
            try:
                email.send()
            except Exception as error:
                logger.warning("email for notification %s failed: %s: %s", notification.pk, type(error).__name__, error)
                _record_failure(notification.pk)
                continue
            _record_sent(notification.pk)
            sent += 1
    finally:
        if opened:
            try:
                mail.close()
            except Exception:
                logger.debug("closing the mail connection failed", exc_info=True)
    return sent


def _claim_next(*, exclude: list[int]) -> Notification | None:
    now = timezone.now()
    claimable = (
        Notification.objects.filter(
            Q(email_state=EmailState.PENDING)
            | Q(email_state=EmailState.SENDING, email_claimed_at__lt=now - CLAIM_TIMEOUT),
            email_attempts__lt=MAX_EMAIL_ATTEMPTS,
        )
        .exclude(pk__in=exclude)
        .order_by("created_at", "id")
    )
    with transaction.atomic():  # its own commit: the claim holds even if this worker dies next
        claimed = transition_due(
            claimable, set_values={"email_state": EmailState.SENDING, "email_claimed_at": now}, limit=1
        )
    if not claimed:
        return None
    return Notification.objects.select_related("recipient").get(pk=claimed[0][0])


def _record_sent(pk: int) -> None:
    with transaction.atomic():  # its own commit, the moment the email has gone
        Notification.objects.filter(pk=pk).update(
            email_state=EmailState.SENT, email_sent_at=timezone.now(), email_attempts=F("email_attempts") + 1
        )


def _record_failure(pk: int) -> None:
    with transaction.atomic():
        Notification.objects.filter(pk=pk).update(
            email_attempts=F("email_attempts") + 1,
            email_state=Case(
                When(email_attempts__gte=MAX_EMAIL_ATTEMPTS - 1, then=Value(EmailState.FAILED)),
                default=Value(EmailState.PENDING),
            ),
        )


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
