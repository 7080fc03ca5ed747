"""Audit-trail test data for the auditors' workspace: events written by the audit service at chosen times, and
disclosure-log rows by its log writer (audit.services), each for an agency of the World."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from agencies.models import Agency, Role, User
from audit.services import (
    ActorIdentity,
    DisclosureLogDraft,
    LogEntry,
    LogRecipient,
    audit_record,
    disclosure_log_record,
    disclosure_log_sha256,
)
from tests.factories import World, make_user

AT = datetime(2026, 6, 15, 9, 30, tzinfo=UTC)
SECRET = "Mother's partner threatened the child with a knife"


def agency_auditor(world: World) -> User:
    """An auditor of the home agency only (the World's own auditor is the partnership's)."""
    if "agency_auditor" not in world.users:
        world.users["agency_auditor"] = make_user(name="Agnes Agency-Auditor", agency=world.home, roles=[Role.AUDITOR])
    return world.users["agency_auditor"]


def event(
    agency: Agency | None, *, at: datetime = AT, kind: str = "child.view", outcome: str = "success", **values: Any
) -> int:
    """One event by a person of `agency` (None: nobody's), at `at`."""
    actor = ActorIdentity(
        user_id=values.pop("user_id", 41),
        label=values.pop("label", "pat@example.org"),
        agency_id=agency.pk if agency else None,
        agency_label=agency.name if agency else "",
        role="Practitioner",
    )
    return audit_record(kind=kind, actor=actor, outcome=outcome, occurred_at=at, **values)


def log_row(from_agency: Agency, to_agency: Agency, *, at: datetime = AT, **values: Any) -> int:
    """One disclosure-log row: `from_agency` disclosed to `to_agency` at `at`."""
    base = DisclosureLogDraft(
        occurred_at=at, event_id=None, kind="made", disclosure_id=7, request_id=6, disclosure_kind="requested",
        child_id=5, from_agency_id=from_agency.pk, from_agency_label=from_agency.name, discloser_id=10,
        discloser_label="Pat Practitioner", discloser_role="Practitioner", approver_id=11, approver_label="Dee Manager",
        requester_id=12, requester_label="Sam School", to_agency_id=to_agency.pk, to_agency_label=to_agency.name,
        recipients=(LogRecipient(user_id=12, label="Sam School"),), tiers=("minimum", "sensitive"),
        categories=("case_note",), entries=(LogEntry(entry_id=31, revision=2),), purpose="Safeguarding",
        legal_basis="significant_harm", consent_basis="refused", override_ground="significant_harm",
        subject_told="not_safe", retain_until=at + timedelta(days=365), protocol_version_id=3,
        protocol_version_label="World Protocol v2", snapshot_sha256="b" * 64, made_at=at,
    )  # fmt: skip
    draft = dataclasses.replace(base, **values)
    event_id = audit_record(kind="disclosure.make", actor=None, detail={"log_sha256": disclosure_log_sha256(draft)})
    return disclosure_log_record(draft=dataclasses.replace(draft, event_id=event_id))
