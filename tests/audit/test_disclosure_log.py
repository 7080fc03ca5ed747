"""The disclosure log in the audit store (issue 12; DESIGN 2.6): written from plain values in one INSERT, append-only
like the other audit tables, and hashed without its event id so the audit event of the same transaction can carry
the row's SHA-256."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import DisclosureLogEntry
from audit.services import (
    DisclosureLogDraft,
    LogEntry,
    LogRecipient,
    audit_record,
    disclosure_log_record,
    disclosure_log_sha256,
)

pytestmark = pytest.mark.django_db

MADE = datetime(2026, 11, 30, 10, 42, tzinfo=UTC)


def draft(event_id: int | None = None, **values: object) -> DisclosureLogDraft:
    base = DisclosureLogDraft(
        occurred_at=MADE, event_id=event_id, kind="made", disclosure_id=7, request_id=6, disclosure_kind="requested",
        child_id=5, from_agency_id=1, from_agency_label="Children's Social Care", discloser_id=10,
        discloser_label="Pat Practitioner", discloser_role="Practitioner", approver_id=11, approver_label="Dee Manager",
        requester_id=12, requester_label="Sam School", to_agency_id=2, to_agency_label="Hill School",
        recipients=(LogRecipient(user_id=12, label="Sam School"),), tiers=("minimum", "sensitive"),
        categories=("case_note",), entries=(LogEntry(entry_id=31, revision=2),), purpose="Safeguarding",
        legal_basis="significant_harm", consent_basis="refused", override_ground="significant_harm",
        subject_told="not_safe", retain_until=MADE + timedelta(days=365), protocol_version_id=3,
        protocol_version_label="World Protocol v2", snapshot_sha256="b" * 64, made_at=MADE,
    )  # fmt: skip
    return dataclasses.replace(base, **values)  # type: ignore[arg-type]


def test_a_row_is_written_from_plain_values() -> None:
    event_id = audit_record(kind="disclosure.make", actor=None, detail={"log_sha256": disclosure_log_sha256(draft())})
    row = DisclosureLogEntry.objects.get(pk=disclosure_log_record(draft=draft(event_id)))
    assert row.event_id == event_id and row.kind == "made" and row.approver_label == "Dee Manager"
    assert row.recipients == [{"user_id": 12, "label": "Sam School", "via_team": ""}]
    assert row.entries == [{"entry_id": 31, "revision": 2}]
    assert row.tiers == ["minimum", "sensitive"] and row.categories == ["case_note"]


def test_a_row_names_its_audit_event() -> None:
    with pytest.raises(ValueError, match="audit event"):
        disclosure_log_record(draft=draft(None))


def test_the_hash_leaves_out_the_event_id_and_covers_everything_else() -> None:
    assert disclosure_log_sha256(draft(None)) == disclosure_log_sha256(draft(99))
    assert disclosure_log_sha256(draft(99)) != disclosure_log_sha256(draft(99, legal_basis="court_order"))
    assert disclosure_log_sha256(draft(99)) != disclosure_log_sha256(
        draft(99, entries=(LogEntry(entry_id=31, revision=3),))
    )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_disclosure_log SET legal_basis = 'court_order'",
        "DELETE FROM audit_disclosure_log",
        "TRUNCATE audit_disclosure_log",
    ],
)
def test_the_log_is_append_only(statement: str) -> None:
    disclosure_log_record(draft=draft(1))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert DisclosureLogEntry.objects.filter(legal_basis="significant_harm").count() == 1
