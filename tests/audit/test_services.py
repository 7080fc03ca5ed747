"""The audit store: append-only triggers, sealing into the chain, and verification catching tampering."""

from __future__ import annotations

import io
import itertools
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audit import chain
from audit.models import AuditChainLink, AuditEvent, AuditSeal
from audit.services import ActorIdentity, audit_record, audit_seal, current_head
from audit.verify import chain_verify

ACTOR = ActorIdentity(user_id=7, label="someone@test.example", agency_id=3, agency_label="Home", role="practitioner")


def record(n: int = 1, **fields: object) -> list[int]:
    return [
        audit_record(
            kind="child.view",
            actor=ACTOR,
            object_type="sharing.child",
            object_id=i,
            purpose="assessment",
            detail={"n": i},
            **fields,
        )
        for i in range(n)
    ]


@pytest.mark.django_db(transaction=True)  # committed rows, so the sealer can chain them
class TestAppendOnly:
    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE audit_event SET kind = 'x'",
            "DELETE FROM audit_event",
            "TRUNCATE audit_event CASCADE",
            "UPDATE audit_chain_link SET hash = 'x'",
            "DELETE FROM audit_seal",
            "TRUNCATE audit_seal",
        ],
    )
    @pytest.mark.serial  # it seals: an open transaction of another worker would hold the watermark below its event
    def test_the_database_refuses_changes(self, statement: str) -> None:
        record(1)
        assert audit_seal().sealed == 1
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)

    def test_orm_update_is_refused_too(self) -> None:
        (event_id,) = record(1)
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEvent.objects.filter(pk=event_id).update(kind="changed")


@pytest.mark.serial  # the sealer chains only below the oldest transaction running anywhere on the cluster
@pytest.mark.django_db(transaction=True)
class TestSealing:
    def test_events_are_chained_in_order_and_verify(self) -> None:
        record(25)
        result = audit_seal()
        assert result.sealed == 25
        links = list(AuditChainLink.objects.order_by("seq"))
        assert [link.seq for link in links] == list(range(1, 26))
        assert links[0].prev_hash == chain.GENESIS_HASH
        for before, after in itertools.pairwise(links):
            assert after.prev_hash == before.hash
        assert current_head() == (25, links[-1].hash)
        report = chain_verify()
        assert report.ok and report.links_checked == 25 and report.head_hash == links[-1].hash

    def test_sealing_twice_adds_nothing(self) -> None:
        record(3)
        audit_seal()
        assert audit_seal().sealed == 0
        assert AuditSeal.objects.count() == 1

    def test_seal_batches_cut_at_transaction_boundaries(self) -> None:
        with transaction.atomic():
            record(4)  # one transaction of four events
        record(3)  # three transactions of one event
        result = audit_seal(batch_size=2)
        assert result.sealed == 7
        assert chain_verify().ok
        # The four events of one transaction are never split across seals.
        big = AuditEvent.objects.order_by("id")[:4]
        seals = {AuditSeal.objects.get(first_seq__lte=e.link.seq, last_seq__gte=e.link.seq).pk for e in big}
        assert len(seals) == 1

    def test_an_event_committed_late_by_a_long_transaction_is_sealed_later_not_lost(self) -> None:
        started = threading.Event()
        release = threading.Event()
        late_ids: list[int] = []

        def long_transaction() -> None:
            with transaction.atomic():
                late_ids.extend(record(1))  # gets an id before the events below
                started.set()
                release.wait(10)
            connection.close()

        worker = threading.Thread(target=long_transaction)
        worker.start()
        started.wait(10)
        record(2)
        first = audit_seal()
        assert first.sealed == 0  # the open transaction holds the watermark below everything after it
        release.set()
        worker.join(10)
        second = audit_seal()
        assert second.sealed == 3
        assert AuditChainLink.objects.filter(event_id=late_ids[0]).exists()
        assert chain_verify().ok

    def test_concurrent_sealers_never_fork_the_chain(self) -> None:
        record(50)
        results = []

        def seal() -> None:
            results.append(audit_seal())
            connection.close()

        threads = [threading.Thread(target=seal) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        assert sum(result.sealed for result in results) == 50
        assert AuditChainLink.objects.count() == 50
        assert chain_verify().ok


def _tamper(sql: str, params: list[object]) -> None:
    """What an attacker with the database owner's rights would do: switch the triggers off and edit."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET session_replication_role = DEFAULT")


@pytest.mark.serial  # each seals before it tampers: another worker's open transaction would hold the watermark
@pytest.mark.django_db(transaction=True)
class TestVerifyCatchesTampering:
    def run_verify(self) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command("audit_verify", "--no-seal", stdout=out, stderr=err)
            return 0, out.getvalue(), err.getvalue()
        except CommandError as error:
            return error.returncode, out.getvalue(), err.getvalue() + str(error)

    def test_intact_chain_prints_head_and_exits_zero(self) -> None:
        record(5)
        audit_seal()
        code, out, _ = self.run_verify()
        head_seq, head_hash = current_head()
        assert code == 0
        assert f"head: #{head_seq} {head_hash}" in out

    def test_altered_event_is_named(self) -> None:
        ids = record(10)
        audit_seal()
        _tamper("UPDATE audit_event SET purpose = 'nothing to see' WHERE id = %s", [ids[6]])
        code, _, err = self.run_verify()
        assert code == 1
        assert f"event {ids[6]}" in err and "altered" in err

    def test_deleted_event_is_named(self) -> None:
        ids = record(10)
        audit_seal()
        _tamper("DELETE FROM audit_event WHERE id = %s", [ids[3]])
        code, _, err = self.run_verify()
        assert code == 1
        assert f"event {ids[3]}" in err and "deleted" in err

    def test_deleted_link_breaks_the_sequence(self) -> None:
        record(10)
        audit_seal()
        _tamper("DELETE FROM audit_chain_link WHERE seq = 4", [])
        code, _, err = self.run_verify()
        assert code == 1
        assert "link #4 is missing" in err

    def test_rewritten_link_hash_is_caught(self) -> None:
        record(4)
        audit_seal()
        _tamper("UPDATE audit_chain_link SET hash = %s WHERE seq = 2", ["f" * 64])
        code, _, err = self.run_verify()
        assert code == 1
        assert "link #2" in err

    def test_event_smuggled_in_below_the_watermark_is_caught(self) -> None:
        record(3)
        audit_seal()
        # Insert an event claiming an old transaction id, so the sealer would never pick it up.
        _tamper(
            "INSERT INTO audit_event (occurred_at, txid, kind, outcome, actor_label, actor_agency_label, actor_role, "
            "object_type, object_id, object_label, purpose, detail) VALUES "
            "(now(), 1, 'child.view', 'success', 'x', '', '', '', '', '', '', '{}')",
            [],
        )
        code, _, err = self.run_verify()
        assert code == 1
        assert "not in the chain" in err


@pytest.mark.django_db
def test_record_takes_request_context_and_target() -> None:
    from audit import context as request_context

    context = request_context.RequestContext(request_id=__import__("uuid").uuid4(), ip="192.0.2.10", path="/x")
    with request_context.bound(context):
        event_id = audit_record(kind="agency.view", actor=ACTOR, object_type="agencies.agency", object_id=5)
    event = AuditEvent.objects.get(pk=event_id)
    assert event.request_id == context.request_id
    assert event.ip == "192.0.2.10"
    assert event.actor_label == "someone@test.example" and event.actor_agency_id == 3
    assert event.txid > 0
