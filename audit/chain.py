"""The hash chain, as pure functions: the canonical form of an event, its SHA-256, and the link hash.

The sealer and the verifier both use these, so what is written and what is checked can never disagree.
Changing anything here invalidates every existing chain: it is versioned by GENESIS_HASH.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

# The previous hash of link #1.
GENESIS_HASH = "0" * 64

# The columns of audit_event that the hash covers, in the order the sealer and verifier select them.
EVENT_COLUMNS: tuple[str, ...] = (
    "id",
    "occurred_at",
    "txid",
    "kind",
    "outcome",
    "actor_id",
    "actor_label",
    "actor_agency_id",
    "actor_agency_label",
    "actor_role",
    "object_type",
    "object_id",
    "object_label",
    "child_id",
    "purpose",
    "ip",
    "request_id",
    "detail",
)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        # Always UTC with microseconds, so the text never depends on the session time zone.
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def canonical_event(row: Mapping[str, Any]) -> bytes:
    """The bytes an event's hash is taken over: its columns as JSON with sorted keys, no spaces, UTF-8."""
    document = {column: _plain(row[column]) for column in EVENT_COLUMNS}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def event_hash(row: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_event(row)).hexdigest()


def link_hash(prev_hash: str, seq: int, this_event_hash: str) -> str:
    """Hash of a link: the previous link's hash, this sequence number and the event's hash."""
    digest = hashlib.sha256()
    digest.update(bytes.fromhex(prev_hash))
    digest.update(seq.to_bytes(8, "big"))
    digest.update(bytes.fromhex(this_event_hash))
    return digest.hexdigest()
