"""Telling the auditors that audit data has passed its retention (issue 15; docs/audit-retention.md).

Nothing is deleted when a month passes AUDIT_RETENTION_YEARS: archiving and detaching it is a deliberate procedure
(`manage.py audit_archive`, then a database owner's decision). So that the procedure is not forgotten, the daily tick
tells every active auditor once a month, while events older than the first month kept remain online, which months
wait and the command that archives them. The tell is keyed by the first month kept, so a repeated or missed tick
tells nobody twice; each month that tells someone is itself an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from audit.alerts import AuditorAlert, active_auditors, alert
from audit.models import AuditEvent
from audit.retention import first_kept_month
from audit.services import ActorIdentity, audit_record

LONDON = ZoneInfo("Europe/London")
SYSTEM = ActorIdentity(user_id=None, label="audit retention")


@dataclass(frozen=True)
class RetentionDue:
    """Events from `oldest_month` up to (not including) `first_kept` have passed retention (months' first days)."""

    oldest_month: date
    first_kept: date


def retention_due(*, today: date | None = None) -> RetentionDue | None:
    """Which months wait to be archived, or None when every event online is inside retention. One statement: the
    oldest event, read from the (occurred_at, id) index (audit migration 0008)."""
    today = today or timezone.localdate()
    first_kept = first_kept_month(today, settings.AUDIT_RETENTION_YEARS)
    oldest = AuditEvent.objects.order_by("occurred_at").values_list("occurred_at", flat=True).first()
    if oldest is None or oldest >= datetime.combine(first_kept, time.min, tzinfo=LONDON):
        return None
    local = oldest.astimezone(LONDON)
    return RetentionDue(oldest_month=date(local.year, local.month, 1), first_kept=first_kept)


def retention_alert(*, today: date | None = None) -> int:
    """Tell every active auditor, once per first-kept month, what waits to be archived; return how many were newly
    told (0 when nothing waits, or they were told already this month)."""
    due = retention_due(today=today)
    if due is None:
        return 0
    years = settings.AUDIT_RETENTION_YEARS
    body = (
        f"The audit trail still holds events from {due.oldest_month:%B %Y} to {due.first_kept:%B %Y} (not "
        f"included), which have passed the partnership's retention of {years} years. Nothing has been deleted. "
        "Follow the partnership's procedure for archiving audit data: an operator runs "
        f"`manage.py audit_archive --before {due.first_kept:%Y-%m} --out FILE`, which writes those months with their "
        "chain links and verifies the file, and the data protection officer decides when the archived months leave "
        "the database."
    )
    told = alert(
        [
            AuditorAlert(
                recipient_id=auditor.user_id,
                key=f"audit-retention-{due.first_kept:%Y-%m}",
                subject="Audit data has passed its retention period",
                body=body,
                link="/audit/events/",
            )
            for auditor in active_auditors()
        ]
    )
    if told:
        audit_record(
            kind="audit.retention_due",
            actor=SYSTEM,
            object_type="audit_trail",
            detail={
                "oldest_month": f"{due.oldest_month:%Y-%m}",
                "first_kept": f"{due.first_kept:%Y-%m}",
                "years": years,
                "told": told,
            },
        )
    return told
