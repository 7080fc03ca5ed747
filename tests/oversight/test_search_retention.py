"""The retention of audit data (issue 15; docs/audit-retention.md): the months past AUDIT_RETENTION_YEARS are archived
to a file with their chain links and verified, never deleted; a month still kept is refused."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from audit.management.commands.audit_archive import verify_archive
from audit.models import AuditChainLink, AuditEvent
from audit.retention import first_kept_month, month_past_retention, parse_month
from audit.services import audit_seal
from tests.factories import build_world
from tests.oversight.fixtures import event


@pytest.mark.parametrize(
    ("today", "years", "kept"),
    [
        (date(2026, 12, 1), 7, date(2019, 12, 1)),
        (date(2026, 1, 31), 7, date(2019, 1, 1)),
        (date(2024, 2, 29), 1, date(2023, 2, 1)),
    ],
)
def test_the_first_month_kept(today: date, years: int, kept: date) -> None:
    assert first_kept_month(today, years) == kept
    assert month_past_retention(kept, today=today, years=years)
    assert not month_past_retention(date(kept.year, kept.month, 1) + timedelta(days=32), today=today, years=years)


@pytest.mark.parametrize("text", ["2019", "2019-13", "19-04", "2019-4", "april"])
def test_a_month_is_given_as_year_and_month(text: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month(text)


@pytest.mark.django_db(transaction=True)  # the sealer chains only committed events
def test_the_archive_writes_and_verifies_the_months_past_retention_and_deletes_nothing(tmp_path: Path) -> None:
    world = build_world()
    kept = first_kept_month(timezone.localdate(), 7)
    old_at = datetime(kept.year, kept.month, 1, tzinfo=UTC) - timedelta(days=20)
    old = [event(world.home, at=old_at + timedelta(minutes=n)) for n in range(5)]
    event(world.home)  # today's: not archived
    # The sealer's watermark is the oldest transaction anywhere on the server (another worker's, another checkout's):
    # wait until it has chained ours, as tests/audit/test_anchoring.py does.
    deadline = time.monotonic() + 120
    while not AuditChainLink.objects.filter(event_id=old[-1]).exists():
        assert time.monotonic() < deadline, "the events were never sealed: a transaction held the watermark"
        audit_seal()
        time.sleep(0.2)
    out = tmp_path / "archive.jsonl"
    call_command("audit_archive", before=f"{kept:%Y-%m}", out=str(out))
    report = verify_archive(out)
    assert report["links"] == 5
    assert AuditEvent.objects.filter(pk__in=old).count() == 5  # nothing deleted
    # A changed byte is caught.
    out.write_text(out.read_text().replace("child.view", "child.edit", 1))
    with pytest.raises(CommandError, match="does not match its hash"):
        verify_archive(out)


@pytest.mark.django_db
def test_a_month_still_kept_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="not all past retention"):
        call_command("audit_archive", before=f"{timezone.localdate():%Y-%m}", out=str(tmp_path / "a.jsonl"))
