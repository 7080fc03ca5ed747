"""Cross-cutting records: notifications (in-app and email) and the heartbeat of each background sweep."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from isp_portal import bounds, db_bounds


class EmailState(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Could not be sent"
    NOT_REQUIRED = "not_required", "In-app only"


class Notification(models.Model):
    """Something a person must know: a deadline coming, a request waiting, a breach reported.

    `key` makes each reminder unique per recipient (e.g. "ico-expiry:agency-12:60d"), so a sweep that runs
    twice, or two sweeps racing, create it once and it is emailed once (DESIGN 3.3)."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications")
    key = models.CharField(max_length=200)
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=bounds.LONG_TEXT)
    link = models.CharField(max_length=300, blank=True, help_text="A path inside the portal, never personal data.")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email_state = models.CharField(max_length=16, choices=EmailState.choices, default=EmailState.PENDING)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_key"),
            models.CheckConstraint(
                condition=~models.Q(email_state="sent") | models.Q(email_sent_at__isnull=False),
                name="notification_sent_has_time",
            ),
            db_bounds.text_length("notification", "body", bounds.LONG_TEXT),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(
                fields=["email_state", "created_at"],
                name="notification_outbox",
                condition=models.Q(email_state__in=["pending", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def audit_label(self) -> str:
        return f"notification {self.key}"


class SweepRun(models.Model):
    """When each background sweep last ran: /healthz reports beat's last sweep from here."""

    name = models.CharField(max_length=100, primary_key=True)
    last_started_at = models.DateTimeField()
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_ok = models.BooleanField(default=True)
    last_detail = models.CharField(max_length=500, blank=True)
    runs = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} at {self.last_finished_at}"
