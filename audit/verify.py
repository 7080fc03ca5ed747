"""Verifying the whole audit chain from the database's own rows (DESIGN 2.6).

Recomputes every event's hash from its columns and every link from the one before, checks the seals
against the links and that nothing below the newest watermark was left out. The first problem found is
reported with the event it concerns; the head hash is what you anchor outside the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from audit import chain
from audit.models import AuditSeal


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    links_checked: int
    head_seq: int
    head_hash: str
    problem: str = ""
    bad_event_id: int | None = None
    bad_seq: int | None = None


def chain_verify(*, fetch_size: int = 5_000) -> VerifyReport:
    """Walk the chain in sequence order with a server-side cursor (constant memory)."""
    columns = ", ".join(f"e.{column}" for column in chain.EVENT_COLUMNS)
    expected_seq = 1
    running_hash = chain.GENESIS_HASH
    checked = 0
    with transaction.atomic():
        # A repeatable-read snapshot, so links, seals and events are checked as of one moment.
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        raw = connection.connection
        assert raw is not None
        with raw.cursor(name="audit_verify") as walk:
            walk.itersize = fetch_size
            walk.execute(
                f"SELECT l.seq, l.event_id, l.prev_hash, l.event_hash, l.hash, e.id IS NOT NULL, {columns} "  # noqa: S608
                f"FROM audit_chain_link l LEFT JOIN audit_event e ON e.id = l.event_id ORDER BY l.seq"
            )
            for seq, event_id, prev_hash, stored_event_hash, stored_hash, present, *event in walk:
                failure = None
                if seq != expected_seq:
                    failure = f"link #{expected_seq} is missing (next link found is #{seq})"
                elif prev_hash != running_hash:
                    failure = f"link #{seq} does not follow link #{seq - 1} (previous hash differs)"
                elif not present:
                    failure = f"event {event_id} (link #{seq}) has been deleted"
                else:
                    recomputed = chain.event_hash(dict(zip(chain.EVENT_COLUMNS, event, strict=True)))
                    if recomputed != stored_event_hash:
                        failure = f"event {event_id} (link #{seq}) has been altered since it was sealed"
                    elif chain.link_hash(prev_hash, seq, recomputed) != stored_hash:
                        failure = f"link #{seq} (event {event_id}) has a hash that does not match its content"
                if failure:
                    return VerifyReport(
                        ok=False,
                        links_checked=checked,
                        head_seq=expected_seq - 1,
                        head_hash=running_hash,
                        problem=failure,
                        bad_event_id=event_id,
                        bad_seq=seq,
                    )
                running_hash = stored_hash
                expected_seq = seq + 1
                checked += 1
        head_seq = expected_seq - 1
        problem = _check_seals(head_seq) or ""
        bad_event_id = None
        if not problem:
            bad_event_id = _first_event_left_out()
            if bad_event_id is not None:
                problem = f"event {bad_event_id} lies below the sealed watermark but is not in the chain"
    return VerifyReport(
        ok=not problem,
        links_checked=checked,
        head_seq=head_seq,
        head_hash=running_hash,
        problem=problem,
        bad_event_id=bad_event_id,
    )


def _check_seals(head_seq: int) -> str | None:
    previous_last = 0
    previous_watermark = 0
    for seal in AuditSeal.objects.order_by("first_seq").iterator(chunk_size=2000):
        if seal.first_seq != previous_last + 1:
            return f"seal {seal.pk} starts at link #{seal.first_seq}, expected #{previous_last + 1}"
        if seal.watermark_txid < previous_watermark:
            return f"seal {seal.pk} moves the watermark backwards"
        if seal.last_seq > head_seq:
            return f"seal {seal.pk} covers link #{seal.last_seq}, beyond the end of the chain (#{head_seq})"
        with connection.cursor() as cursor:
            cursor.execute("SELECT hash FROM audit_chain_link WHERE seq = %s", [seal.last_seq])
            row = cursor.fetchone()
        if row is None or row[0] != seal.head_hash:
            return f"seal {seal.pk} records a head hash that link #{seal.last_seq} does not have"
        previous_last = seal.last_seq
        previous_watermark = seal.watermark_txid
    if previous_last != head_seq:
        return f"links #{previous_last + 1}..#{head_seq} are not covered by any seal"
    return None


def _first_event_left_out() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.id FROM audit_event e WHERE e.txid < COALESCE((SELECT max(watermark_txid) FROM audit_seal), 0) "
            "AND NOT EXISTS (SELECT 1 FROM audit_chain_link l WHERE l.event_id = e.id) ORDER BY e.id LIMIT 1"
        )
        row = cursor.fetchone()
    return int(row[0]) if row else None
