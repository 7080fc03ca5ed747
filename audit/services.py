"""Writing to the audit store: recording events, and sealing them into the hash chain.

`audit_record` is the one function every app calls to record what happened. It is a single plain INSERT
(no lock, no read of the previous hash), so recording scales with the database, not with one lock.
`audit_seal` chains what has been recorded since the last seal, in one transaction, and is run by beat
every few seconds and on demand before a verification or an export (DESIGN 2.6).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from psycopg2.extras import execute_values

from audit import chain
from audit import context as request_context
from audit.models import AuditSeal, Outcome
from isp_portal import bounds

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActorIdentity:
    """Who acted, as it is written into the audit store (denormalised: later changes never rewrite it)."""

    user_id: int | None
    label: str
    agency_id: int | None = None
    agency_label: str = ""
    role: str = ""


class Auditable(Protocol):
    """Anything that can say who it is for the audit trail (the User model implements this)."""

    def audit_identity(self) -> ActorIdentity: ...


ANONYMOUS = ActorIdentity(user_id=None, label="")

_INSERT = (
    "INSERT INTO audit_event (occurred_at, kind, outcome, actor_id, actor_label, actor_agency_id, "
    "actor_agency_label, actor_role, object_type, object_id, object_label, child_id, purpose, ip, "
    "request_id, detail) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb) "
    "RETURNING id"
)


def identity_of(actor: object) -> ActorIdentity:
    if isinstance(actor, ActorIdentity):
        return actor
    identify = getattr(actor, "audit_identity", None)
    if identify is not None and getattr(actor, "is_authenticated", False):
        identity = identify()
        assert isinstance(identity, ActorIdentity)
        return identity
    return ANONYMOUS


def audit_record(
    *,
    kind: str,
    actor: object,
    outcome: str = Outcome.SUCCESS,
    target: Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    object_label: str = "",
    child_id: int | None = None,
    purpose: str = "",
    detail: Mapping[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> int:
    """Record one audit event and return its id.

    Runs inside the caller's transaction when there is one, so a write and its audit event commit or roll
    back together (DESIGN 3.1). `target` fills object type, id and label from a model instance; the label is
    the instance's `audit_label` when it has one (never sensitive content), else its class and id.
    The request id and client IP come from the current request, if any.
    """
    identity = identity_of(actor)
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or str(target.pk)
        object_label = object_label or str(getattr(target, "audit_label", f"{target._meta.verbose_name} {target.pk}"))
    row_values = _row(
        identity,
        occurred_at or timezone.now(),
        kind,
        outcome,
        EventDraft(object_type, object_id, object_label, detail, child_id),
        purpose,
    )
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, row_values)
        row = cursor.fetchone()
    assert row is not None
    event_id: int = row[0]
    return event_id


@dataclass(frozen=True)
class EventDraft:
    """One of many events of the same kind, by the same actor (see audit_record_many)."""

    object_type: str
    object_id: str | int
    object_label: str = ""
    detail: Mapping[str, Any] | None = None
    child_id: int | None = None
    purpose: str = ""  # the purpose stated for the act, when each event has its own (DESIGN 2.6)

    @classmethod
    def of(
        cls,
        target: Model,
        *,
        detail: Mapping[str, Any] | None = None,
        child_id: int | None = None,
        purpose: str = "",
    ) -> EventDraft:
        """The event of `target`, named as audit_record names its target."""
        label = str(getattr(target, "audit_label", f"{target._meta.verbose_name} {target.pk}"))
        return cls(target._meta.label_lower, str(target.pk), label, detail, child_id, purpose)


# What PostgreSQL cannot hold: NUL in text or jsonb, and half of a UTF-16 surrogate pair (not encodable as UTF-8).
# A refused request may carry either into an event (an id in a URL, a reason), and the record of the refusal must
# still be written: each becomes U+FFFD, the replacement character.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` with every character PostgreSQL cannot store replaced by U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", text)


def _row(
    identity: ActorIdentity, occurred_at: datetime, kind: str, outcome: str, event: EventDraft, purpose: str = ""
) -> tuple[Any, ...]:
    """One audit_event row, in _INSERT's column order (the request id and client IP from the current request)."""
    context = request_context.current()
    return (
        occurred_at,
        kind,
        outcome,
        *_actor_columns(identity),
        storable(event.object_type[:64]),
        storable(str(event.object_id)[:64]),
        storable(event.object_label[:200]),
        event.child_id,
        storable(bounds.truncated(purpose or event.purpose, bounds.REASON)),
        context.ip if context else None,
        context.request_id if context else None,
        json.dumps(bounded_detail(dict(event.detail or {})), cls=DjangoJSONEncoder),
    )


def _actor_columns(identity: ActorIdentity) -> tuple[Any, ...]:
    """Who acted, in _INSERT's column order (actor id, label, agency id, agency label, role), each bounded."""
    return (
        identity.user_id,
        storable(identity.label[:254]),
        identity.agency_id,
        storable(identity.agency_label[:200]),
        identity.role[:200],
    )


def bounded_detail(value: Any) -> Any:
    """An event's detail with every string cut to bounds.AUDIT_TEXT characters and every list to
    bounds.AUDIT_LIST_ITEMS items, each saying it was cut, and nothing PostgreSQL cannot hold (`storable`). The
    audit trail is append-only and kept for ever: whatever free text a request carried (a reason, a note), only
    a bounded part of it is written here."""
    if isinstance(value, str):
        return storable(bounds.truncated(value))
    if isinstance(value, Mapping):
        return {storable(bounds.truncated(str(key), 100)): bounded_detail(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        kept = [bounded_detail(item) for item in items[: bounds.AUDIT_LIST_ITEMS]]
        if len(items) > bounds.AUDIT_LIST_ITEMS:
            kept.append(f"… [truncated: {len(items)} items in all]")
        return kept
    return value


def audit_record_many(
    *,
    kind: str,
    actor: object,
    events: Iterable[EventDraft],
    outcome: str = Outcome.SUCCESS,
    occurred_at: datetime | None = None,
) -> list[int]:
    """Record many events in one statement, e.g. everything a sweep did (DESIGN 3.3: a sweep's statement
    count must not grow with the rows it touches), or the grants of one disclosure, each with its draft's purpose.
    Returns the events' ids, in the order of `events`, so a caller can name each event in rows it
    writes next (the disclosure log names its event) without a statement per event."""
    identity = identity_of(actor)
    moment = occurred_at or timezone.now()
    rows = [_row(identity, moment, kind, outcome, event) for event in events]
    if not rows:
        return []
    with connection.cursor() as cursor:
        # One multi-row INSERT ... RETURNING: PostgreSQL returns the rows in the order of the VALUES list, and
        # execute_values sends them all in one page (page_size), so the ids line up with `events`.
        returned = execute_values(cursor, _INSERT_MANY, rows, template=_MANY_TEMPLATE, page_size=len(rows), fetch=True)
    return [int(row[0]) for row in returned]


def audit_insert_sql(*, kind: str, actor: object, source: str, outcome: str = Outcome.SUCCESS) -> tuple[str, list[Any]]:
    """The INSERT of one event per row of `source`, for a statement that changes many rows and records each change
    in the same round trip (DESIGN 3.3: a sweep's statements do not grow with its rows; e.g. `WITH changed AS
    (UPDATE ... RETURNING ...), audited AS (<this>) ...`). `source` is a relation of the same statement (a CTE's
    name) with the columns occurred_at, object_type, object_id, object_label and detail (jsonb; the caller builds
    it from ids, dates and codes, never free text). Returns the SQL (with %s placeholders) and its parameters,
    which go first in the statement's parameters where the fragment sits; RETURNING id."""
    identity = identity_of(actor)
    context = request_context.current()
    columns = _INSERT.split(" VALUES ")[0]
    sql = (
        f"{columns} SELECT occurred_at, %s, %s, %s, %s, %s, %s, %s, left(object_type, 64), "  # noqa: S608
        f"left(object_id::text, 64), left(object_label, 200), NULL, '', %s::inet, %s::uuid, detail FROM {source} "
        "RETURNING id"
    )
    params = [
        kind,
        outcome,
        *_actor_columns(identity),
        context.ip if context else None,
        context.request_id if context else None,
    ]
    return sql, params


_INSERT_MANY = _INSERT.split(" VALUES ")[0] + " VALUES %s RETURNING id"
_MANY_TEMPLATE = "(" + ", ".join(["%s"] * 15) + ", %s::jsonb)"


# --- The disclosure log ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogRecipient:
    user_id: int
    label: str
    via_team: str = ""


@dataclass(frozen=True)
class LogEntry:
    entry_id: int
    revision: int  # the revision number disclosed


@dataclass(frozen=True)
class DisclosureLogDraft:
    """One row of the disclosure log, in plain values (the audit app imports no domain app: the disclosures app
    fills this in). `event_id` is the audit event recorded in the same transaction; it is left out of the row's
    SHA-256 (disclosure_log_sha256), which that event's detail carries."""

    occurred_at: datetime
    event_id: int | None
    kind: str
    disclosure_id: int
    request_id: int
    disclosure_kind: str
    child_id: int
    from_agency_id: int
    from_agency_label: str
    discloser_id: int
    discloser_label: str
    requester_id: int
    requester_label: str
    to_agency_id: int
    to_agency_label: str
    tiers: tuple[str, ...]
    purpose: str
    legal_basis: str
    consent_basis: str
    subject_told: str
    retain_until: datetime
    protocol_version_id: int
    protocol_version_label: str
    snapshot_sha256: str
    made_at: datetime
    discloser_role: str = ""
    approver_id: int | None = None
    approver_label: str = ""
    actor_id: int | None = None
    actor_label: str = ""
    outcome: str = ""
    recipients: tuple[LogRecipient, ...] = ()
    categories: tuple[str, ...] = ()
    entries: tuple[LogEntry, ...] = ()
    s29_form_reference: str = ""
    consent_record_id: int | None = None
    not_sought_reason: str = ""
    override_ground: str = ""
    emergency_reason: str = ""
    # Issue 13: an onward disclosure's parent and onward request.
    parent_disclosure_id: int | None = None
    onward_request_id: int | None = None


# Columns added after rows were written (issue 13): left out of a row's canonical form while empty, so the SHA-256
# of every row written before them is unchanged.
_LATER_COLUMNS = ("parent_disclosure_id", "onward_request_id")


def _log_columns(draft: DisclosureLogDraft) -> dict[str, Any]:
    columns = {name: getattr(draft, name) for name in DisclosureLogDraft.__dataclass_fields__}
    columns["recipients"] = [
        {"user_id": r.user_id, "label": storable(r.label[:254]), "via_team": storable(r.via_team[:200])}
        for r in draft.recipients
    ]
    columns["entries"] = [{"entry_id": e.entry_id, "revision": e.revision} for e in draft.entries]
    columns["tiers"] = list(draft.tiers)
    columns["categories"] = list(draft.categories)
    for name in ("from_agency_label", "to_agency_label", "discloser_role", "protocol_version_label"):
        columns[name] = storable(columns[name][:200])
    for name in ("discloser_label", "approver_label", "requester_label", "actor_label"):
        columns[name] = storable(columns[name][:254])
    columns["purpose"] = storable(bounds.truncated(draft.purpose, bounds.REASON))
    return columns


def disclosure_log_canonical(draft: DisclosureLogDraft) -> bytes:
    """The bytes a log row's SHA-256 is taken over: its columns but the event id, as audit.chain writes events."""
    columns = _log_columns(draft)
    del columns["event_id"]
    for name in _LATER_COLUMNS:
        if columns[name] is None:
            del columns[name]
    document = {name: chain._plain(value) for name, value in columns.items()}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def disclosure_log_sha256(draft: DisclosureLogDraft) -> str:
    return hashlib.sha256(disclosure_log_canonical(draft)).hexdigest()


_LOG_JSON = frozenset({"recipients", "entries"})
_LOG_NAMES = tuple(DisclosureLogDraft.__dataclass_fields__)
_LOG_INSERT = (
    f"INSERT INTO audit_disclosure_log ({', '.join(_LOG_NAMES)}) "  # noqa: S608 - fixed column names
    f"VALUES ({', '.join('%s::jsonb' if name in _LOG_JSON else '%s' for name in _LOG_NAMES)}) RETURNING id"
)


_EVENT_COLUMNS = _INSERT.split(" VALUES ")[0].removeprefix("INSERT INTO audit_event ")
_EVENT_VALUES = "(" + ", ".join(["%s"] * 15) + ", %s::jsonb)"
_LOG_FROM_EVENTS = (
    f"INSERT INTO audit_disclosure_log ({', '.join(_LOG_NAMES)}) SELECT "  # noqa: S608 - fixed column names
    + ", ".join(
        "(SELECT max(id) FROM made)" if name == "event_id" else "%s::jsonb" if name in _LOG_JSON else "%s"
        for name in _LOG_NAMES
    )
)


def disclosure_log_record_with_events(
    *, actor: object, occurred_at: datetime, events: Sequence[tuple[str, EventDraft, str]], draft: DisclosureLogDraft
) -> int:
    """The audit events of a disclosure, in order, each (kind, event, purpose), and its disclosure-log row naming
    the last of them (its disclosure.make event), in one statement inside the caller's transaction: the log, the
    events and the disclosure commit or roll back together (issue 12), and the audit trail costs the disclosure
    one statement, not one per event (DESIGN 5: audit adds at most a tenth to the write path). The events' ids
    are given in the order of their rows, so the last is the greatest. Returns the last event's id."""
    if not events:
        raise ValueError("a disclosure log row names the audit event recorded with it")
    identity = identity_of(actor)
    rows = [_row(identity, occurred_at, kind, Outcome.SUCCESS, event, purpose) for kind, event, purpose in events]
    columns = _log_columns(draft)
    log_values = [
        json.dumps(columns[name]) if name in _LOG_JSON else columns[name] for name in _LOG_NAMES if name != "event_id"
    ]
    sql = (
        f"WITH made AS (INSERT INTO audit_event {_EVENT_COLUMNS} VALUES "  # noqa: S608 - fixed column names
        f"{', '.join([_EVENT_VALUES] * len(rows))} RETURNING id), "
        f"logged AS ({_LOG_FROM_EVENTS} RETURNING id) SELECT max(id) FROM made"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row] + log_values)
        row = cursor.fetchone()
    assert row is not None
    event_id: int = row[0]
    return event_id


def disclosure_log_record(*, draft: DisclosureLogDraft) -> int:
    """Write one disclosure-log row (one INSERT, inside the caller's transaction, so the log and the disclosure
    commit or roll back together: issue 12) and return its id. The draft must carry its audit event's id."""
    if draft.event_id is None:
        raise ValueError("a disclosure log row names the audit event recorded with it")
    columns = _log_columns(draft)
    values = [json.dumps(columns[name]) if name in _LOG_JSON else columns[name] for name in _LOG_NAMES]
    with connection.cursor() as cursor:
        cursor.execute(_LOG_INSERT, values)
        row = cursor.fetchone()
    assert row is not None
    log_id: int = row[0]
    return log_id


def disclosure_log_record_many(*, drafts: Iterable[DisclosureLogDraft]) -> int:
    """Write many disclosure-log rows in one INSERT (a sweep's follow-ups: DESIGN 3.3, the statements do not grow
    with the rows), inside the caller's transaction. Each draft must carry its audit event's id
    (audit_record_many returns them). Returns how many were written."""
    rows = []
    for draft in drafts:
        if draft.event_id is None:
            raise ValueError("a disclosure log row names the audit event recorded with it")
        columns = _log_columns(draft)
        rows.append([json.dumps(columns[name]) if name in _LOG_JSON else columns[name] for name in _LOG_NAMES])
    if not rows:
        return 0
    with connection.cursor() as cursor:
        execute_values(cursor, _LOG_INSERT_MANY, rows, template=_LOG_TEMPLATE, page_size=len(rows))
    return len(rows)


_LOG_INSERT_MANY = _LOG_INSERT.split(" VALUES ")[0] + " VALUES %s"
_LOG_TEMPLATE = "(" + ", ".join("%s::jsonb" if name in _LOG_JSON else "%s" for name in _LOG_NAMES) + ")"


# --- Sealing --------------------------------------------------------------------------------------------------

# Session-level advisory lock key: only one sealer at a time (other callers return at once).
SEALER_LOCK_KEY = 0x15A0D17


@dataclass(frozen=True)
class SealResult:
    sealed: int
    head_seq: int
    head_hash: str
    skipped_busy: bool = False


def audit_seal(*, batch_size: int = 20_000) -> SealResult:
    """Chain every event whose inserting transaction has finished since the last seal.

    Events carry the id of the transaction that inserted them. A snapshot's xmin is the oldest transaction
    still running, so every event with a smaller transaction id is final: committed (and visible) or rolled
    back. A seal takes the events between the previous watermark and the current xmin, orders them by
    (transaction id, event id), links each to the one before, and records the new watermark and head. The
    watermark only moves over finished transactions, so an event committed late by a long transaction is
    never skipped: it is sealed later, with a later sequence number. Work is done in batches of
    `batch_size` events, each its own transaction, until nothing is left.
    """
    if connection.in_atomic_block:
        # Inside a caller's transaction (a service, or a test): wait for any running sealer, then seal with
        # this transaction's later statements. The caller's own events stay unsealed until it commits,
        # because its transaction is still running and so holds the watermark below them.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEALER_LOCK_KEY])
        return _seal_batches(batch_size)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [SEALER_LOCK_KEY])
        acquired = cursor.fetchone()
    if not acquired or not acquired[0]:
        head_seq, head_hash = current_head()
        return SealResult(sealed=0, head_seq=head_seq, head_hash=head_hash, skipped_busy=True)
    try:
        # The lock is held before any snapshot is taken, so each batch sees every earlier seal's commit.
        return _seal_batches(batch_size)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [SEALER_LOCK_KEY])


def current_head() -> tuple[int, str]:
    """The sequence number and hash of the newest sealed link (0 and the genesis hash when none)."""
    last = AuditSeal.objects.order_by("-last_seq").values_list("last_seq", "head_hash").first()
    return (int(last[0]), str(last[1])) if last else (0, chain.GENESIS_HASH)


def _seal_batches(batch_size: int) -> SealResult:
    total = 0
    while True:
        result = _seal_one_batch(batch_size)
        total += result.sealed
        if result.sealed < batch_size:
            return SealResult(sealed=total, head_seq=result.head_seq, head_hash=result.head_hash)


def _seal_one_batch(batch_size: int) -> SealResult:
    columns = ", ".join(chain.EVENT_COLUMNS)
    select = f"SELECT {columns} FROM audit_event WHERE "  # noqa: S608 - fixed column names
    with transaction.atomic():
        last = AuditSeal.objects.order_by("-last_seq").first()
        head_seq = last.last_seq if last else 0
        head_hash = last.head_hash if last else chain.GENESIS_HASH
        previous_watermark = last.watermark_txid if last else 0
        with connection.cursor() as cursor:
            # One statement reads the watermark and the events, so both come from the same snapshot.
            cursor.execute(
                f"WITH snapshot AS (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin) "  # noqa: S608
                f"SELECT snapshot.xmin, e.* FROM snapshot LEFT JOIN LATERAL ("
                f"{select} txid >= %s AND txid < snapshot.xmin ORDER BY txid, id LIMIT %s) e ON true",
                [previous_watermark, batch_size + 1],
            )
            fetched = cursor.fetchall()
            watermark: int = fetched[0][0]
            rows = [row[1:] for row in fetched if row[1] is not None]
            if watermark <= previous_watermark:
                return SealResult(sealed=0, head_seq=head_seq, head_hash=head_hash)
            txid_at = chain.EVENT_COLUMNS.index("txid")
            if len(rows) > batch_size:
                # Cut at a transaction boundary, so that "everything below the watermark is sealed" holds.
                boundary = rows[batch_size][txid_at]
                rows = [row for row in rows[:batch_size] if row[txid_at] < boundary]
                watermark = boundary
                if not rows:
                    # One transaction larger than a batch: take it whole.
                    cursor.execute(f"{select} txid = %s ORDER BY id", [boundary])
                    rows = cursor.fetchall()
                    watermark = boundary + 1
            links = []
            for row in rows:
                head_seq += 1
                record = dict(zip(chain.EVENT_COLUMNS, row, strict=True))
                this_event_hash = chain.event_hash(record)
                this_link_hash = chain.link_hash(head_hash, head_seq, this_event_hash)
                links.append((head_seq, record["id"], head_hash, this_event_hash, this_link_hash))
                head_hash = this_link_hash
            if links:
                execute_values(
                    cursor,
                    "INSERT INTO audit_chain_link (seq, event_id, prev_hash, event_hash, hash) VALUES %s",
                    links,
                    page_size=2000,
                )
        if links:
            AuditSeal.objects.create(
                sealed_at=timezone.now(),
                first_seq=links[0][0],
                last_seq=head_seq,
                head_hash=head_hash,
                watermark_txid=watermark,
                event_count=len(links),
            )
            logger.info("audit seal: %d events chained, head #%d %s", len(links), head_seq, head_hash)
    return SealResult(sealed=len(links), head_seq=head_seq, head_hash=head_hash)
