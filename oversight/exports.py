"""The audit trail's exports (issue 15; DESIGN 2.6): the disclosure log and the access events as CSV or JSON Lines,
streamed by PostgreSQL's `COPY (SELECT ...) TO STDOUT` in chunks of bounded size, so memory stays flat whatever
the number of rows.

Every cell is made in SQL, so Python only passes bytes through:
- CSV (UTF-8 with a byte-order mark, so Excel reads the characters right): a header row from the column dictionary
  (COLUMNS; docs/disclosure-log-columns.md), then one row per record. Every text cell that begins with =, +, -, @,
  a tab or a carriage return starts with an apostrophe instead, so a spreadsheet shows it and never runs it as a
  formula (CSV injection, OWASP; the same rule as isp_portal.csv_export.csv_safe).
- JSON Lines: one JSON object per record (json_build_object), its keys the dictionary's column names.
Rows come in the order (occurred_at, id). The reader's scope and filters are oversight.filters.trail_where's.

The file is never silently short (issue 15: "a failure halfway is reported"): when the COPY fails (the database
restarted, a statement was cancelled), what has been sent is followed by a failure marker, FAILURE_MARKER, a CSV row
or a JSON object the dictionary documents, and the failure is recorded. A download cut short by the client is
recorded as failed too.

The COPY runs on a thread of its own (psycopg2's copy_expert writes into a file and returns only at the end); it
hands chunks of about CHUNK_BYTES through a queue of QUEUE_CHUNKS, so at most a few hundred kilobytes are held
whatever the export's size, and the COPY waits while the client reads."""

from __future__ import annotations

import hashlib
import json
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from oversight.filters import Source, TrailFilter, trail_where

UTF8_BOM = b"\xef\xbb\xbf"
CHUNK_BYTES = 64 * 1024
QUEUE_CHUNKS = 4
# How long the COPY's thread waits for a reader before it checks whether the export was abandoned.
_PUT_WAIT_SECONDS = 0.5
FAILURE_MARKER = "#EXPORT FAILED"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "jsonl")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl; charset=utf-8"}


@dataclass(frozen=True)
class Column:
    """One column of an export: its name (the CSV header and the JSON key), its type, the table's column it is
    read from, and what it means (the dictionary, docs/disclosure-log-columns.md)."""

    name: str
    type: str  # text, integer, timestamp, json, list, address, uuid
    meaning: str
    column: str = ""  # the table's column, when named differently

    @property
    def source_column(self) -> str:
        return self.column or self.name


def _t(name: str, meaning: str) -> Column:
    return Column(name, "text", meaning)


def _i(name: str, meaning: str) -> Column:
    return Column(name, "integer", meaning)


def _ts(name: str, meaning: str) -> Column:
    return Column(name, "timestamp", meaning)


DISCLOSURE_COLUMNS: tuple[Column, ...] = (
    _i("id", "The log row's number (rises with time of writing)."),
    _ts("occurred_at", "When this row's event happened (UTC)."),
    _i("event_id", "The audit event written in the same transaction; its detail carries this row's SHA-256."),
    _t("kind", "What the row records: made, reviewed, escalated, revoked, retention_ended or corrected."),
    _i("actor_id", "Who did the follow-up (a reviewer, a revoker); empty for what the portal's sweeps did."),
    _t("actor_label", "Their name and email as they were then."),
    _t("outcome", "The follow-up's outcome as written, e.g. upheld; empty for a disclosure made."),
    _i("disclosure_id", "The disclosure the row concerns."),
    _i("request_id", "The request it answered."),
    _t("disclosure_kind", "requested, unrequested, emergency or onward."),
    _i("child_id", "The child whose information was shared (a number: never a name)."),
    _i("from_agency_id", "The agency that disclosed."),
    _t("from_agency_label", "Its name as it was then."),
    _i("discloser_id", "The person who disclosed."),
    _t("discloser_label", "Their name and email as they were then."),
    _t("discloser_role", "Their role at the time."),
    _i("approver_id", "The designated manager who approved, when approval was needed."),
    _t("approver_label", "Their name and email as they were then."),
    _i("requester_id", "The person who asked."),
    _t("requester_label", "Their name and email as they were then."),
    _i("to_agency_id", "The agency that received."),
    _t("to_agency_label", "Its name as it was then."),
    Column("recipients", "json", "The named recipients: [{user_id, label, via_team}]."),
    Column("tiers", "list", "The tiers shared (minimum, sensitive), separated by ; in the CSV."),
    Column("categories", "list", "The categories of information shared, separated by ; in the CSV."),
    Column("entries", "json", "What was shared, by entry and revision: [{entry_id, revision}] (never the content)."),
    _t("purpose", "The purpose stated for the disclosure."),
    _t("legal_basis", "The legal basis recorded (the protocol's grounds for sharing)."),
    _t("s29_form_reference", "The police data-protection request form's reference, when there was one."),
    _i("consent_record_id", "The consent relied on, when consent was the basis."),
    _t("consent_basis", "Whether consent was given, not sought, or overridden."),
    _t("not_sought_reason", "Why consent was not sought, when it was not."),
    _t("override_ground", "The ground for sharing without consent, when there was one."),
    _t("emergency_reason", "The emergency's reason code, for an emergency disclosure."),
    _t("subject_told", "Whether the child or family was told of the disclosure."),
    _ts("retain_until", "When the recipients must delete what they received (UTC)."),
    _i("protocol_version_id", "The protocol version in force."),
    _t("protocol_version_label", "Its name and version as it was then."),
    _t("snapshot_sha256", "The SHA-256 of the snapshot of what was shared (the content itself is never exported)."),
    _ts("made_at", "When the disclosure itself was made (UTC)."),
    _i("parent_disclosure_id", "For an onward disclosure: the disclosure it passed on."),
    _i("onward_request_id", "For an onward disclosure: the request recording the originator's agreement."),
)

EVENT_COLUMNS: tuple[Column, ...] = (
    _i("id", "The event's number."),
    _ts("occurred_at", "When it happened (UTC)."),
    _i("txid", "The inserting transaction's id (the sealer orders the chain by it)."),
    _t("kind", "What happened, e.g. child.view, disclosure.make, access.denied, audit.export."),
    _t("outcome", "success, denied or failed."),
    _i("actor_id", "Who acted; empty for an anonymous request or the portal itself."),
    _t("actor_label", "Their name and email as they were then."),
    _i("actor_agency_id", "The agency they acted for."),
    _t("actor_agency_label", "Its name as it was then."),
    _t("actor_role", "Their role at the time."),
    _t("object_type", "The kind of thing acted on, e.g. sharing.child."),
    _t("object_id", "Its number."),
    _t("object_label", "Its non-sensitive label (never the content of a sensitive entry)."),
    _i("child_id", "The child concerned, when there was one (a number: never a name)."),
    _t("purpose", "The purpose stated for the act (why)."),
    Column("ip", "address", "The client's IP address."),
    Column("request_id", "uuid", "The web request's id (the same in the server's logs)."),
)

COLUMNS: dict[Source, tuple[Column, ...]] = {Source.DISCLOSURES: DISCLOSURE_COLUMNS, Source.EVENTS: EVENT_COLUMNS}
TABLES = {Source.DISCLOSURES: "audit_disclosure_log", Source.EVENTS: "audit_event"}
_TIMESTAMP_FORMAT = """'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'"""
# PostgreSQL's text for the characters a formula can begin with.
_FORMULA_SQL = ", ".join(
    "'" + c + "'" if c not in "\t\r" else ("E'\\t'" if c == "\t" else "E'\\r'") for c in FORMULA_STARTS
)


def inert(expression: str) -> str:
    """SQL making a text cell inert in a spreadsheet: prefixed with an apostrophe when it begins with a character a
    formula begins with (left(..., 1) IN (...): cheaper per row than a regular expression)."""
    return f"CASE WHEN left({expression}, 1) IN ({_FORMULA_SQL}) THEN '''' || {expression} ELSE {expression} END"


def csv_expression(column: Column) -> str:
    source = f"e.{column.source_column}"
    if column.type == "text":
        return inert(source)
    if column.type == "timestamp":
        return f"to_char({source} AT TIME ZONE 'UTC', {_TIMESTAMP_FORMAT})"
    if column.type == "list":
        return inert(f"array_to_string({source}, ';')")
    if column.type == "json":
        return f"{source}::text"  # begins with [ or {: never a formula
    if column.type == "address":
        return f"host({source})"
    if column.type == "uuid":
        return f"{source}::text"
    return source


def json_expression(column: Column) -> str:
    source = f"e.{column.source_column}"
    if column.type == "timestamp":
        return f"to_char({source} AT TIME ZONE 'UTC', {_TIMESTAMP_FORMAT})"
    if column.type == "address":
        return f"host({source})"
    return source  # text, numbers, jsonb and arrays are JSON as they are


def header(source: Source) -> bytes:
    """The CSV's first line: the byte-order mark and the column names."""
    return UTF8_BOM + (",".join(column.name for column in COLUMNS[source]) + "\r\n").encode()


def select_sql(source: Source, fmt: str, where: str) -> str:
    """The SELECT an export copies: every column in the dictionary's order (CSV) or one JSON object a row."""
    columns = COLUMNS[source]
    if fmt == "csv":
        selected = ", ".join(f"{csv_expression(column)} AS {column.name}" for column in columns)
    else:
        # json_build_object takes at most 100 arguments: 50 columns.
        assert len(columns) <= 50, "split the object with jsonb concatenation"
        pairs = ", ".join(f"'{column.name}', {json_expression(column)}" for column in columns)
        selected = f"json_build_object({pairs})::text"
    return f"SELECT {selected} FROM {TABLES[source]} e WHERE {where} ORDER BY e.occurred_at, e.id"  # noqa: S608


def copy_sql(source: Source, fmt: str, where: str) -> str:
    """The COPY of select_sql. JSON Lines are copied as CSV with a quote and a delimiter that JSON text never holds
    (PostgreSQL escapes every control character inside a JSON string), so each object is sent as it is, where the
    text format would double its backslashes."""
    options = "FORMAT csv" if fmt == "csv" else "FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02'"
    return f"COPY ({select_sql(source, fmt, where)}) TO STDOUT WITH ({options})"


def raw_copy_sql(source: Source, where: str) -> str:
    """The baseline of the benchmark: the same rows and columns, copied as they are stored."""
    names = ", ".join(f"e.{column.source_column}" for column in COLUMNS[source])
    return (
        f"COPY (SELECT {names} FROM {TABLES[source]} e WHERE {where} ORDER BY e.occurred_at, e.id) "  # noqa: S608
        "TO STDOUT WITH (FORMAT csv)"
    )


def failure_marker(fmt: str, *, rows: int, reason: str) -> bytes:
    """What ends a file whose export failed: a CSV row whose first cell begins #EXPORT FAILED, or a JSON object
    {"export_failed": true, ...}. Documented in docs/disclosure-log-columns.md."""
    text = f"{FAILURE_MARKER} after {rows} rows: {reason}"
    if fmt == "csv":
        return ('"' + text.replace('"', '""') + '"\r\n').encode()
    return (json.dumps({"export_failed": True, "rows_before_failure": rows, "reason": reason}) + "\n").encode()


@dataclass
class Progress:
    """What has gone out so far: rows and bytes, and the SHA-256 of every byte (the header and any marker too)."""

    rows: int = 0
    bytes_sent: int = 0
    sha256: Any = None
    failed: str = ""

    def __post_init__(self) -> None:
        self.sha256 = hashlib.sha256()

    def add(self, chunk: bytes) -> bytes:
        self.bytes_sent += len(chunk)
        self.sha256.update(chunk)
        return chunk


class ExportAbandoned(Exception):
    """The reader went away (the client disconnected): the COPY stops."""


class _Pipe:
    """The file psycopg2's copy_expert writes into: one write a row. Rows are gathered into chunks of about
    CHUNK_BYTES and put on a bounded queue, so the COPY waits while the reader is slower."""

    def __init__(self, chunks: queue.Queue[Any], abandoned: threading.Event) -> None:
        self.chunks = chunks
        self.abandoned = abandoned
        self.buffer = bytearray()
        self.rows = 0

    def write(self, data: bytes | str) -> int:
        self.rows += 1
        self.buffer += data.encode() if isinstance(data, str) else data
        if len(self.buffer) >= CHUNK_BYTES:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self.buffer:
            self.put(bytes(self.buffer))
            self.buffer.clear()

    def put(self, item: Any) -> None:
        while True:
            if self.abandoned.is_set():
                raise ExportAbandoned
            try:
                self.chunks.put(item, timeout=_PUT_WAIT_SECONDS)
                return
            except queue.Full:
                continue


_END = object()


def copy_chunks(
    connection: Any, sql: str, *, progress: Progress, before_copy: Callable[[], object] | None = None
) -> Iterator[bytes]:
    """The output of `sql` (a COPY ... TO STDOUT, parameters already bound) on `connection` (a psycopg2 connection
    nobody else uses meanwhile), as chunks of at most about CHUNK_BYTES + one row. `progress.rows` counts the rows
    as they arrive. Raises what the COPY raised, after the chunks that came before it. When the consumer stops early
    (close()), the COPY is cancelled and its thread joined."""
    chunks: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_CHUNKS)
    abandoned = threading.Event()
    pipe = _Pipe(chunks, abandoned)

    def run() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.copy_expert(sql, pipe)
            pipe.flush()
            pipe.put(_END)
        except ExportAbandoned:
            return
        except BaseException as error:
            try:
                pipe.flush()
                pipe.put(error)
            except ExportAbandoned:
                return

    if before_copy is not None:
        before_copy()
    worker = threading.Thread(target=run, name="audit-export-copy", daemon=True)
    worker.start()
    finished = False
    try:
        while True:
            item = chunks.get()
            if item is _END:
                finished = True
                return
            if isinstance(item, BaseException):
                finished = True
                raise item
            progress.rows = pipe.rows
            yield item
    finally:
        if not finished:
            # The COPY's next write raises ExportAbandoned, which psycopg2 passes up after ending the COPY, so
            # the connection is usable again once the thread is joined. (Not connection.cancel(): a cancel that
            # arrives late would cancel the caller's next statement, the record of the failure.)
            abandoned.set()
        worker.join(timeout=30)
        progress.rows = pipe.rows


def bound_copy(connection: Any, source: Source, fmt: str, trail_filter: TrailFilter, scope: Any) -> str:
    """The COPY statement of an export with its parameters bound (copy_expert takes none)."""
    where, params = trail_where(trail_filter, source=source, scope=scope)
    with connection.cursor() as cursor:
        bound: bytes = cursor.mogrify(copy_sql(source, fmt, where), params)
    return bound.decode()


def estimate_rows(connection: Any, source: Source, trail_filter: TrailFilter, scope: Any) -> int:
    """The planner's estimate of an export's rows (for a progress bar: never a count of millions of rows)."""
    where, params = trail_where(trail_filter, source=source, scope=scope)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {TABLES[source]} e WHERE {where}", params)  # noqa: S608
        row = cursor.fetchone()
    plan = row[0] if isinstance(row[0], list) else json.loads(row[0])
    return int(plan[0]["Plan"]["Plan Rows"])


def export_stream(
    connection: Any,
    *,
    source: Source,
    fmt: str,
    trail_filter: TrailFilter,
    scope: Any,
    progress: Progress,
    before_copy: Callable[[], object] | None = None,
) -> Iterator[bytes]:
    """The whole file: the header (CSV), the rows, and the failure marker if the COPY failed (then
    `progress.failed` says why, and the caller records it). Every byte is counted and hashed in `progress`."""
    if fmt == "csv":
        yield progress.add(header(source))
    sql = bound_copy(connection, source, fmt, trail_filter, scope)
    try:
        for chunk in copy_chunks(connection, sql, progress=progress, before_copy=before_copy):
            yield progress.add(chunk)
    except ExportAbandoned:
        raise
    except Exception as error:
        progress.failed = failure_reason(error)
        yield progress.add(failure_marker(fmt, rows=progress.rows, reason=progress.failed))


def failure_reason(error: BaseException) -> str:
    """Why an export failed, in words for the auditor (the database's first line; never a traceback)."""
    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return f"the database stopped the export ({type(error).__name__}: {first_line[:300]})"
