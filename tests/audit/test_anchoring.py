"""Issue 15: the chain verified and anchored (a row, an email to the auditors), daily in beat; a broken chain alerts
every auditor once and shows on /healthz and the dashboard; a rewritten history is caught against earlier anchors;
django-auditlog's change history is append-only."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client

from agencies.models import Role
from audit import chain
from audit.anchoring import break_key, chain_anchor, chain_anchor_daily, chain_state
from audit.models import AnchorTrigger, AuditAnchor, AuditChainLink
from audit.services import audit_seal, current_head
from audit.verify import chain_verify
from isp_portal.models import Notification
from tests.audit.test_services import _tamper, record
from tests.factories import World, make_user

# Each test seals: another worker's open transaction would hold the watermark below its events.
pytestmark = [pytest.mark.serial, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def auditors(world: World) -> list[Any]:
    """The partnership's auditor and an agency's auditor: both are told, and both receive the anchor."""
    agency_auditor = make_user(name="Andy Agency Auditor", agency=world.home, roles=[Role.AUDITOR])
    return [world.users["auditor"], agency_auditor]


def recorded(n: int) -> list[int]:
    """`n` events, sealed. The sealer's watermark is the oldest transaction running anywhere on the server, so
    another test run's open transaction (another worker, another checkout) can hold it for a while: wait."""
    ids = record(n)
    deadline = time.monotonic() + 120
    while not AuditChainLink.objects.filter(event_id=ids[-1]).exists():
        assert time.monotonic() < deadline, "the events were never sealed: a transaction held the watermark"
        audit_seal()
        time.sleep(0.2)
    return ids


def _rewrite_history(event_id: int, purpose: str) -> None:
    """What a database owner covering their tracks would do: alter an event, then recompute every link and seal
    after it, so that the chain verifies on its own."""
    _tamper("UPDATE audit_event SET purpose = %s WHERE id = %s", [purpose, event_id])
    columns = ", ".join(f"e.{column}" for column in chain.EVENT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT l.seq, {columns} FROM audit_chain_link l JOIN audit_event e ON e.id = l.event_id ORDER BY l.seq"  # noqa: S608
        )
        rows = cursor.fetchall()
        cursor.execute("SET session_replication_role = replica")
        previous = chain.GENESIS_HASH
        for seq, *event in rows:
            event_hash = chain.event_hash(dict(zip(chain.EVENT_COLUMNS, event, strict=True)))
            link = chain.link_hash(previous, seq, event_hash)
            cursor.execute(
                "UPDATE audit_chain_link SET prev_hash = %s, event_hash = %s, hash = %s WHERE seq = %s",
                [previous, event_hash, link, seq],
            )
            previous = link
        cursor.execute("UPDATE audit_seal s SET head_hash = (SELECT hash FROM audit_chain_link WHERE seq = s.last_seq)")
        cursor.execute("SET session_replication_role = DEFAULT")


class TestAnchor:
    def test_a_run_writes_one_anchor_and_mails_its_head_once(self, auditors: list[Any]) -> None:
        recorded(5)
        anchor = chain_anchor()
        head_seq, head_hash = current_head()
        assert anchor.ok and anchor.problem == ""
        assert (anchor.head_seq, anchor.head_hash) == (head_seq, head_hash) and head_seq >= 5
        assert anchor.links_checked == head_seq and anchor.trigger == AnchorTrigger.COMMAND
        assert AuditAnchor.objects.count() == 1
        [message] = mail.outbox
        assert sorted(message.to) == sorted(user.email for user in auditors)
        assert f"Head sequence number: {head_seq}" in message.body and f"Head hash: {head_hash}" in message.body
        assert anchor.mailed_to == 2
        chain_anchor()
        assert AuditAnchor.objects.count() == 2 and len(mail.outbox) == 2
        # The second run checked the first run's head against the chain.
        assert chain_state().anchors_checked == 1  # type: ignore[union-attr]

    def test_configured_recipients_replace_the_auditors(self, auditors: list[Any], settings: Any) -> None:
        settings.AUDIT_ANCHOR_RECIPIENTS = ["ig-anchors@partnership.example"]
        chain_anchor()
        [message] = mail.outbox
        assert message.to == ["ig-anchors@partnership.example"]

    def test_the_anchor_table_is_append_only(self) -> None:
        chain_anchor()
        for statement in ("UPDATE audit_anchor SET ok = false", "DELETE FROM audit_anchor", "TRUNCATE audit_anchor"):
            with (
                pytest.raises(DatabaseError, match="append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement)

    def test_the_daily_run_anchors_once_a_day(self, auditors: list[Any]) -> None:
        recorded(2)
        first = chain_anchor_daily()
        assert first is not None and first.trigger == AnchorTrigger.BEAT and first.ok
        assert chain_anchor_daily() is None
        assert AuditAnchor.objects.count() == 1 and len(mail.outbox) == 1

    def test_the_command_prints_the_head_and_checks_a_mailed_anchor(self) -> None:
        recorded(3)
        out = io.StringIO()
        call_command("audit_verify", stdout=out)
        head_seq, head_hash = current_head()
        assert f"head: #{head_seq} {head_hash}" in out.getvalue()
        call_command("audit_verify", "--anchor", f"{head_seq}:{head_hash}", stdout=io.StringIO())
        with pytest.raises(CommandError, match="SEQ:HASH"):
            call_command("audit_verify", "--anchor", "twelve", stdout=io.StringIO())


class TestBrokenChain:
    def test_every_auditor_is_told_once_and_healthz_and_the_dashboard_show_it(
        self, auditors: list[Any], client_for: Any
    ) -> None:
        ids = recorded(6)
        _tamper("UPDATE audit_event SET purpose = 'nothing to see' WHERE id = %s", [ids[2]])
        anchor = chain_anchor()
        assert not anchor.ok and f"event {ids[2]}" in anchor.problem and "altered" in anchor.problem
        told = Notification.objects.filter(key=break_key(anchor.problem))
        assert sorted(told.values_list("recipient_id", flat=True)) == sorted(user.pk for user in auditors)
        # The next day's run finds the same break: nobody is told twice.
        chain_anchor()
        assert told.count() == 2
        # The anchor (the last good link) is still mailed: the run is itself evidence.
        assert len(mail.outbox) >= 2 and "BROKEN" in mail.outbox[0].subject

        response = Client().get("/healthz")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "degraded"
        assert body["checks"]["audit_chain"]["ok"] is False
        assert f"event {ids[2]}" in body["checks"]["audit_chain"]["error"]

        page = client_for("auditor").get("/").content.decode()
        assert "The audit trail&#x27;s chain is broken" in page and f"event {ids[2]}" in page

    def test_healthz_reports_an_intact_chain(self) -> None:
        chain_anchor()
        check = Client().get("/healthz").json()["checks"]["audit_chain"]
        assert check["ok"] is True and check["verified_at"] is not None

    def test_a_rewritten_history_is_caught_against_an_earlier_anchor(self, auditors: list[Any]) -> None:
        ids = recorded(8)
        first = chain_anchor()
        assert first.ok
        _rewrite_history(ids[1], "rewritten")
        assert chain_verify().ok  # consistent on its own: only the anchor shows it
        second = chain_anchor()
        assert not second.ok and "rewritten" in second.problem and second.bad_seq == first.head_seq
        assert Notification.objects.filter(key=break_key(second.problem)).count() == 2

    def test_a_mailed_anchor_catches_a_rewrite_that_also_removed_the_anchor_rows(self) -> None:
        ids = recorded(5)
        first = chain_anchor()
        _rewrite_history(ids[0], "rewritten")
        _tamper("DELETE FROM audit_anchor", [])
        call_command("audit_verify", stdout=io.StringIO())  # the rows are gone: the chain alone verifies
        with pytest.raises(CommandError) as caught:
            call_command(
                "audit_verify",
                "--anchor",
                f"{first.head_seq}:{first.head_hash}",
                stdout=io.StringIO(),
                stderr=io.StringIO(),
            )
        assert caught.value.returncode == 1


class TestAuditlogAppendOnly:
    def test_change_history_refuses_update_delete_and_flush(self, world: World) -> None:
        assert LogEntry.objects.exists()  # the world's people and agencies were logged
        for statement in (
            "UPDATE auditlog_logentry SET changes_text = ''",
            "DELETE FROM auditlog_logentry",
            "TRUNCATE auditlog_logentry",
        ):
            with (
                pytest.raises(DatabaseError, match="append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement)
        with pytest.raises(DatabaseError, match="append-only"):
            call_command("auditlogflush", "--yes", stdout=io.StringIO())
