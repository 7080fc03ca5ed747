"""Disclosure-log rows for the export tests, written through the audit service as the disclosures app writes them."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from audit.services import DisclosureLogDraft, LogEntry, LogRecipient, audit_record, disclosure_log_record

MADE = datetime(2026, 3, 10, 10, 42, tzinfo=UTC)


def log_draft(**values: Any) -> DisclosureLogDraft:
    base = DisclosureLogDraft(
        occurred_at=MADE, event_id=None, kind="made", disclosure_id=7, request_id=6, disclosure_kind="requested",
        child_id=5, from_agency_id=1, from_agency_label="Children's Social Care", discloser_id=10,
        discloser_label="Pat Practitioner", discloser_role="Practitioner", approver_id=11, approver_label="Dee Manager",
        requester_id=12, requester_label="Sam School", to_agency_id=2, to_agency_label="Hill School",
        recipients=(LogRecipient(user_id=12, label="Sam School"),), tiers=("minimum", "sensitive"),
        categories=("case_note",), entries=(LogEntry(entry_id=31, revision=2),), purpose="Safeguarding",
        legal_basis="significant_harm", consent_basis="refused", override_ground="significant_harm",
        subject_told="not_safe", retain_until=MADE + timedelta(days=365), protocol_version_id=3,
        protocol_version_label="World Protocol v2", snapshot_sha256="b" * 64, made_at=MADE,
    )  # fmt: skip
    return dataclasses.replace(base, **values)


def log_row(**values: Any) -> int:
    """One disclosure-log row with its audit event (as the disclosures app writes them)."""
    event_id = audit_record(kind="disclosure.make", actor=None)
    return disclosure_log_record(draft=log_draft(event_id=event_id, **values))


def log_rows(count: int, *, agencies: tuple[int, int] = (1, 2), start: datetime = MADE) -> list[int]:
    return [
        log_row(
            occurred_at=start + timedelta(minutes=n),
            disclosure_id=100 + n,
            from_agency_id=agencies[0],
            to_agency_id=agencies[1],
            purpose=f"Safeguarding review {n}",
        )
        for n in range(count)
    ]
