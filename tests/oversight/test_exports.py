"""The disclosure-log and access-event exports (issue 15; DESIGN 2.6): CSV that Python's csv module (and so a
spreadsheet) reads back exactly, with every formula cell inert; JSON Lines each line valid JSON; constant memory
(bounded chunks); every export audited with its row count and SHA-256; a failure halfway recorded and marked in the
file; who may export and what a bad filter gets."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from agencies.models import Role
from audit.models import AuditEvent, DisclosureLogEntry
from oversight import exports, services
from oversight.exports_input import parse_filter
from oversight.filters import Source, TrailFilter
from tests.factories import World, make_user, sign_in
from tests.oversight.export_fixtures import MADE, log_row, log_rows

pytestmark = pytest.mark.django_db

NASTY = [
    'Zoë O\u2019Brien, "the" case\nworker',
    '=HYPERLINK("http://evil")',
    "+44 20 7946 0000",
    "-1+1",
    "@SUM(A1)",
    "\tTabbed",
    "\rCarriage",
    "plain, with comma",
]


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def csv_rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(exports.UTF8_BOM)
    return list(csv.DictReader(io.StringIO(data[len(exports.UTF8_BOM) :].decode("utf-8"), newline="")))


def auditor_client(world: World) -> Client:
    return sign_in(Client(), world.users["auditor"])


def test_csv_round_trips_through_the_csv_module(world: World) -> None:
    for n, text in enumerate(NASTY):
        log_row(disclosure_id=500 + n, occurred_at=MADE + timedelta(seconds=n), discloser_label=text, purpose=text)
    response = auditor_client(world).get("/audit/disclosures/export.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = csv_rows(body(response))
    assert list(rows[0]) == [column.name for column in exports.DISCLOSURE_COLUMNS]
    assert [row["disclosure_id"] for row in rows] == [str(500 + n) for n in range(len(NASTY))]
    for row, text in zip(rows, NASTY, strict=True):
        expected = f"'{text}" if text.startswith(exports.FORMULA_STARTS) else text
        assert row["discloser_label"] == expected and row["purpose"] == expected
    assert rows[0]["tiers"] == "minimum;sensitive"
    assert json.loads(rows[0]["entries"]) == [{"entry_id": 31, "revision": 2}]
    assert rows[0]["occurred_at"] == "2026-03-10T10:42:00.000000Z"


@pytest.mark.parametrize(
    "column", [c for c in exports.DISCLOSURE_COLUMNS if c.type in {"text", "list"}], ids=lambda c: c.name
)
def test_every_text_column_of_the_log_is_made_inert(column: exports.Column, world: World) -> None:
    """Each text column, written with a formula, comes out beginning with an apostrophe (the SQL of each column)."""
    value: Any = ("=1+1",) if column.type == "list" else "=1+1"
    if column.name == "snapshot_sha256":
        pytest.skip("a hex digest by constraint: never a formula")
    if column.name == "kind":
        pytest.skip("one of LogKind by constraint")
    log_row(**{column.name: value})
    rows = csv_rows(body(auditor_client(world).get("/audit/disclosures/export.csv")))
    assert rows[-1][column.name] == "'=1+1"


@pytest.mark.parametrize("column", [c for c in exports.EVENT_COLUMNS if c.type == "text"], ids=lambda c: c.name)
def test_every_text_column_of_the_events_is_made_inert(column: exports.Column, world: World) -> None:
    from audit.services import ActorIdentity, audit_record

    actor = ActorIdentity(user_id=None, label="=cmd|' /C calc'!A0", agency_label="-2+3", role="@role")
    values = {"object_type": "+x", "object_id": "=1", "object_label": "-1", "purpose": "=purpose"}
    kind = "=evil" if column.name == "kind" else "test.export"
    if column.name in {"kind", "outcome"}:
        pytest.skip("kinds and outcomes are the services' codes, checked by filters.KIND_PATTERN and Outcome")
    audit_record(kind=kind, actor=actor, **values)
    response = auditor_client(world).get("/audit/events/export.csv", {"action": "test.export"})
    rows = csv_rows(body(response))
    assert len(rows) == 1
    assert rows[0][column.name].startswith("'"), rows[0]


def test_jsonl_each_line_is_a_json_object_with_the_values_as_stored(world: World) -> None:
    for n, text in enumerate(NASTY):
        log_row(disclosure_id=600 + n, occurred_at=MADE + timedelta(seconds=n), purpose=text + "\\ back\\slash")
    response = auditor_client(world).get("/audit/disclosures/export.jsonl")
    assert response["Content-Type"].startswith("application/jsonl")
    lines = body(response).decode().splitlines()
    objects = [json.loads(line) for line in lines]
    assert [o["purpose"] for o in objects] == [text + "\\ back\\slash" for text in NASTY]
    assert list(objects[0]) == [column.name for column in exports.DISCLOSURE_COLUMNS]
    assert objects[0]["tiers"] == ["minimum", "sensitive"] and objects[0]["recipients"][0]["user_id"] == 12


def test_the_export_is_audited_with_filters_rows_bytes_and_sha256(world: World) -> None:
    log_rows(3)
    data = body(auditor_client(world).get("/audit/disclosures/export.csv", {"occurred_from": "2026-03-10"}))
    started = AuditEvent.objects.get(kind="audit.export")
    assert started.detail["filters"] == {"occurred_from": "2026-03-10"} and started.detail["format"] == "csv"
    assert started.detail["scope"] == "partnership" and started.actor_id == world.users["auditor"].pk
    finished = AuditEvent.objects.get(kind="audit.export.finished")
    assert finished.detail == {
        "started_event": started.pk, "rows": 3, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
    }  # fmt: skip
    assert finished.request_id == started.request_id is not None


def test_the_stream_is_bounded_chunks_whose_number_grows_with_the_rows(world: World, monkeypatch: Any) -> None:
    monkeypatch.setattr(exports, "CHUNK_BYTES", 2048)
    log_rows(40)
    small = list(auditor_client(world).get("/audit/disclosures/export.csv").streaming_content)
    log_rows(160, start=MADE + timedelta(days=1))
    large = list(auditor_client(world).get("/audit/disclosures/export.csv").streaming_content)
    longest_row = 2000  # a row here is well under this
    assert len(large) > 3 * len(small) > 3
    assert max(len(chunk) for chunk in large) <= 2048 + longest_row


def test_a_failure_halfway_ends_the_file_with_the_marker_and_is_recorded(world: World, monkeypatch: Any) -> None:
    monkeypatch.setattr(exports, "CHUNK_BYTES", 1024)
    log_rows(50)
    original = exports._Pipe.write

    def failing(self: Any, data: bytes) -> int:
        if self.rows == 20:
            raise ConnectionError("server closed the connection unexpectedly")
        return original(self, data)

    monkeypatch.setattr(exports._Pipe, "write", failing)
    for fmt in ("csv", "jsonl"):
        data = body(auditor_client(world).get(f"/audit/disclosures/export.{fmt}"))
        last = data.decode("utf-8-sig").strip().splitlines()[-1]
        if fmt == "csv":
            assert last.startswith('"#EXPORT FAILED after 20 rows')
        else:
            assert json.loads(last)["export_failed"] is True and json.loads(last)["rows_before_failure"] == 20
    failed = AuditEvent.objects.filter(kind="audit.export.failed").order_by("id")
    assert failed.count() == 2 and all(event.outcome == "failed" for event in failed)
    assert failed[0].detail["rows"] == 20 and "server closed the connection" in failed[0].detail["error"]
    assert not AuditEvent.objects.filter(kind="audit.export.finished").exists()
    # The connection is usable after the failed COPY.
    assert DisclosureLogEntry.objects.count() == 50


def test_a_client_that_goes_away_is_recorded_as_failed(world: World, monkeypatch: Any) -> None:
    monkeypatch.setattr(exports, "CHUNK_BYTES", 512)
    log_rows(100)
    response = auditor_client(world).get("/audit/disclosures/export.csv")
    stream = iter(response.streaming_content)
    next(stream)
    next(stream)
    # What a WSGI server does when the client goes away: close the response's iterator (the test client's wrapper,
    # which keeps the test's connection open; a server then closes the connection, after this).
    response._iterator.close()
    failed = AuditEvent.objects.get(kind="audit.export.failed")
    assert failed.detail["error"] == services.CLIENT_GONE and failed.detail["rows"] > 0
    assert DisclosureLogEntry.objects.count() == 100


def test_an_agency_auditor_sees_only_their_agency_and_is_refused_another(world: World) -> None:
    auditor = make_user(name="Aggie Agency-Auditor", agency=world.home, roles=[Role.AUDITOR])
    log_row(from_agency_id=world.home.pk, to_agency_id=world.other.pk, disclosure_id=1)
    log_row(from_agency_id=world.other.pk, to_agency_id=world.other.pk, disclosure_id=2)
    client = sign_in(Client(), auditor)
    rows = csv_rows(body(client.get("/audit/disclosures/export.csv")))
    assert [row["disclosure_id"] for row in rows] == ["1"]
    refused = client.get("/audit/disclosures/export.csv", {"agency_id": str(world.other.pk)})
    assert refused.status_code == 403
    assert AuditEvent.objects.filter(kind="access.denied", request_id=refused["X-Request-ID"]).exists()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"occurred_from": "2026-03-10", "occurred_to": "2026-03-01"}, "occurred_to"),
        ({"colour": "blue"}, "colour"),
        ({"occurred_from": "yesterday"}, "occurred_from"),
        ({"agency_id": "x"}, "agency_id"),
    ],
)
def test_bad_filters_are_refused_naming_them_and_audited(world: World, query: dict[str, str], field: str) -> None:
    client = auditor_client(world)
    response = client.get("/audit/disclosures/export.csv", query)
    assert response.status_code == 400 and field in response.content.decode()
    api = client.get("/api/v1/audit/disclosures/export/", {**query, "format": "csv"})
    assert api.status_code == 400 and field in api.json()["error"]["fields"]
    refusals = AuditEvent.objects.filter(kind="audit.export.refused", outcome="denied")
    assert refusals.count() == 2 and all(field in event.detail["problems"] for event in refusals)
    assert not AuditEvent.objects.filter(kind="audit.export").exists()


def test_a_non_auditor_is_refused_and_the_refusal_recorded(world: World) -> None:
    client = sign_in(Client(), world.users["practitioner"])
    for url in ("/audit/disclosures/export.csv", "/api/v1/audit/disclosures/export/?format=jsonl"):
        response = client.get(url)
        assert response.status_code == 403
        assert AuditEvent.objects.filter(kind="access.denied", request_id=response["X-Request-ID"]).exists()
    assert not AuditEvent.objects.filter(kind__startswith="audit.export").exists()


def test_the_api_streams_both_formats(world: World) -> None:
    log_rows(2)
    client = auditor_client(world)
    as_csv = client.get("/api/v1/audit/disclosures/export/", {"format": "csv"})
    assert as_csv.status_code == 200 and len(csv_rows(body(as_csv))) == 2
    as_jsonl = client.get("/api/v1/audit/events/export/", {"format": "jsonl", "action": "disclosure.make"})
    assert [json.loads(line)["kind"] for line in body(as_jsonl).splitlines()] == ["disclosure.make"] * 2


def test_the_export_seals_the_chain_first(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """DESIGN 2.6: what is exported is chained. The sealer runs before the COPY writes its first row (the order is
    recorded by spies on both), for a download and for a job alike."""
    order: list[str] = []
    sealed = services.audit_seal
    monkeypatch.setattr(services, "audit_seal", lambda: (order.append("seal"), sealed())[1])
    written = exports._Pipe.write

    def write(pipe: Any, data: bytes | str) -> int:
        order.append("row")
        return written(pipe, data)

    monkeypatch.setattr(exports._Pipe, "write", write)
    log_rows(2)
    assert body(auditor_client(world).get("/audit/disclosures/export.csv")).count(b"\n") == 3
    assert order[0] == "seal" and order.count("seal") == 1 and order.count("row") == 2, order


def test_the_filter_parser_reads_the_query_names() -> None:
    trail_filter, problems = parse_filter(
        {"occurred_from": "2026-01-01", "agency_id": "3", "action": "child.view", "outcome": ""},
        source=Source.EVENTS,
    )
    assert problems == [] and trail_filter == TrailFilter(
        occurred_from=MADE.date().replace(month=1, day=1), agency_id=3, action="child.view"
    )


def test_the_copy_sql_has_every_dictionary_column_and_the_order() -> None:
    sql = exports.copy_sql(Source.DISCLOSURES, "csv", "TRUE")
    assert sql.endswith("ORDER BY e.occurred_at, e.id) TO STDOUT WITH (FORMAT csv)")
    stored = {field.column for field in DisclosureLogEntry._meta.concrete_fields}
    assert {column.source_column for column in exports.DISCLOSURE_COLUMNS} == stored
    events = {field.column for field in AuditEvent._meta.concrete_fields} - {"detail"}
    assert {column.source_column for column in exports.EVENT_COLUMNS} == events


def test_the_column_dictionary_documents_every_column_and_the_marker() -> None:
    from pathlib import Path

    from django.conf import settings

    text = (Path(settings.BASE_DIR) / "docs" / "disclosure-log-columns.md").read_text()
    for column in (*exports.DISCLOSURE_COLUMNS, *exports.EVENT_COLUMNS):
        assert f"| `{column.name}` |" in text, column.name
    assert exports.FAILURE_MARKER in text and "export_failed" in text


def test_connection_is_left_usable() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
