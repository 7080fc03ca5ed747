"""Audit data past its retention is told to the auditors once a month and never deleted (issue 15;
audit.retention_alerts; docs/audit-retention.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from agencies.models import Role
from audit.models import AuditEvent
from audit.retention_alerts import retention_alert, retention_due
from isp_portal.models import Notification
from tests.factories import make_user

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 1)


def _event_at(when: datetime) -> int:
    return AuditEvent.objects.create(occurred_at=when, kind="child.view").pk


def test_nothing_is_due_while_every_event_is_inside_retention(settings: Any) -> None:
    settings.AUDIT_RETENTION_YEARS = 7
    _event_at(datetime(2019, 12, 1, 0, 30, tzinfo=UTC))  # 00:30 GMT on the first day kept
    assert retention_due(today=TODAY) is None
    assert retention_alert(today=TODAY) == 0


def test_months_past_retention_are_told_to_every_auditor_once_and_kept(settings: Any) -> None:
    settings.AUDIT_RETENTION_YEARS = 7
    auditor = make_user(name="Ada Auditor", agency=None, roles=[Role.AUDITOR])
    old = _event_at(datetime(2019, 3, 14, 9, tzinfo=UTC))
    due = retention_due(today=TODAY)
    assert due is not None and (due.oldest_month, due.first_kept) == (date(2019, 3, 1), date(2019, 12, 1))

    assert retention_alert(today=TODAY) == 1
    told = Notification.objects.get(recipient=auditor, key="audit-retention-2019-12")
    assert "March 2019" in told.body and "--before 2019-12" in told.body
    event = AuditEvent.objects.get(kind="audit.retention_due")
    assert event.detail["first_kept"] == "2019-12" and event.detail["told"] == 1

    # A repeated tick tells nobody again and records nothing more; the old event is still there.
    assert retention_alert(today=TODAY) == 0
    assert AuditEvent.objects.filter(kind="audit.retention_due").count() == 1
    assert AuditEvent.objects.filter(pk=old).exists()
    # Next month is a new reminder.
    assert retention_alert(today=date(2027, 1, 4)) == 1


def test_a_longer_retention_setting_keeps_the_month_inside(settings: Any) -> None:
    settings.AUDIT_RETENTION_YEARS = 8
    _event_at(datetime(2019, 3, 14, 9, tzinfo=UTC))
    assert retention_due(today=TODAY) is None
