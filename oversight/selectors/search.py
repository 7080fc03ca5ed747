"""The auditors' search of the audit trail (issue 15; DESIGN 2.6; Southampton 18 items 13-14): the access events and
the disclosure log, filtered (oversight.filters, the one definition of the filters and the reader's scope as SQL),
newest first, a page at a time by keyset over (occurred_at, id), never OFFSET, so the thousandth page costs what the
first does on a log of millions (the indexes of audit migration 0008).

What a row shows is what the audit store holds about who, when, what, why, outcome and where from, never the content
of a sensitive entry: the events' `detail` is read in the database down to a few whitelisted keys with plain values
(SUMMARY_KEYS), so nothing else of it ever leaves PostgreSQL; the disclosure log names what was shared by entry ids,
revisions and the snapshot's SHA-256 only.

The cursor in `?after=` is the last row's (occurred_at, id), signed (django.core.signing) with the source in its salt,
so a hand-made or tampered cursor, or one of the other source, is refused rather than read."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core import signing
from django.db import connection

from agencies.models import Agency
from audit.services import audit_record
from isp_portal.audit_panel import AUDIT_TRAIL
from isp_portal.policy import NotPermitted, resource_scope
from oversight.filters import FilterError, Source, TrailFilter, scope_refusal, trail_where

PAGE_SIZE = 50
SEARCH_EVENT = "audit.search"
# Keys of an event's detail a search may show, each only when its value is a number, a boolean or a short word
# (at most SUMMARY_TEXT_MAX characters): counts, tiers and states, never a reason, a note or a name.
SUMMARY_KEYS = ("rows", "tier", "tiers", "source", "status", "state", "from_state", "to_state", "method", "reason_code")
SUMMARY_TEXT_MAX = 40
DAMAGED_LINK = "This page link is damaged or was changed: start again from the newest entries."
CURSOR_MAX = 200  # a signed cursor is about 90 characters; anything much longer was not made here
_SALT = "oversight.search.cursor"

_EVENT_COLUMNS = """e.id, e.occurred_at, e.kind, e.outcome, e.actor_id, e.actor_label, e.actor_agency_id,
    e.actor_agency_label, e.actor_role, e.object_type, e.object_id, e.object_label, e.child_id, e.purpose,
    host(e.ip), e.request_id::text,
    COALESCE((SELECT jsonb_object_agg(d.key, d.value) FROM jsonb_each(e.detail) AS d
     WHERE d.key = ANY(%(summary_keys)s)
       AND (jsonb_typeof(d.value) IN ('number', 'boolean')
            OR (jsonb_typeof(d.value) = 'string' AND length(d.value #>> '{}') <= %(summary_text_max)s))),
    '{}'::jsonb)"""

_DISCLOSURE_COLUMNS = """e.id, e.occurred_at, e.kind, e.outcome, e.actor_id, e.actor_label, e.disclosure_id,
    e.disclosure_kind, e.child_id, e.from_agency_id, e.from_agency_label, e.discloser_id, e.discloser_label,
    e.discloser_role, e.approver_id, e.approver_label, e.requester_id, e.requester_label, e.to_agency_id,
    e.to_agency_label, e.recipients, e.tiers, e.categories, e.entries, e.purpose, e.legal_basis,
    e.s29_form_reference, e.consent_basis, e.subject_told, e.retain_until, e.protocol_version_id,
    e.protocol_version_label, e.snapshot_sha256, e.made_at, e.parent_disclosure_id"""

_TABLES = {Source.EVENTS: "audit_event", Source.DISCLOSURES: "audit_disclosure_log"}


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: just after (older than) this row, in (occurred_at DESC, id DESC) order."""

    occurred_at: datetime
    id: int


@dataclass(frozen=True)
class EventRow:
    id: int
    occurred_at: datetime
    kind: str
    outcome: str
    actor_id: int | None
    actor_label: str
    actor_agency_id: int | None
    actor_agency_label: str
    actor_role: str
    object_type: str
    object_id: str
    object_label: str
    child_id: int | None
    purpose: str
    ip: str | None
    request_id: str | None
    summary: dict[str, Any]


@dataclass(frozen=True)
class DisclosureRow:
    id: int
    occurred_at: datetime
    kind: str
    outcome: str
    actor_id: int | None
    actor_label: str
    disclosure_id: int
    disclosure_kind: str
    child_id: int
    from_agency_id: int
    from_agency_label: str
    discloser_id: int
    discloser_label: str
    discloser_role: str
    approver_id: int | None
    approver_label: str
    requester_id: int
    requester_label: str
    to_agency_id: int
    to_agency_label: str
    recipients: list[dict[str, Any]]
    tiers: list[str]
    categories: list[str]
    entries: list[dict[str, Any]]
    purpose: str
    legal_basis: str
    s29_form_reference: str
    consent_basis: str
    subject_told: str
    retain_until: datetime
    protocol_version_id: int
    protocol_version_label: str
    snapshot_sha256: str
    made_at: datetime
    parent_disclosure_id: int | None

    @property
    def recipient_labels(self) -> list[str]:
        return [str(recipient.get("label", "")) for recipient in self.recipients]

    @property
    def entry_revisions(self) -> list[str]:
        return [f"{entry.get('entry_id')} (revision {entry.get('revision')})" for entry in self.entries]


@dataclass(frozen=True)
class SearchPage:
    source: Source
    rows: list[Any]  # EventRow or DisclosureRow, as the source
    next_cursor: str | None  # the signed cursor of the next (older) page; None on the last page
    first_page: bool


def cursor_sign(source: Source, cursor: Cursor) -> str:
    return signing.dumps([cursor.occurred_at.isoformat(), cursor.id], salt=f"{_SALT}.{source.value}", compress=False)


def cursor_read(source: Source, token: str) -> Cursor:
    """The cursor a page link carried, or FilterError("after") when it was not made here for this source."""
    refused = FilterError("after", DAMAGED_LINK)
    if len(token) > CURSOR_MAX:
        raise refused
    try:
        at_text, row_id = signing.loads(token, salt=f"{_SALT}.{source.value}")
        at = datetime.fromisoformat(at_text)
    except (signing.BadSignature, ValueError, TypeError):
        raise refused from None
    if not isinstance(row_id, int) or isinstance(row_id, bool) or at.tzinfo is None:
        raise refused
    return Cursor(occurred_at=at, id=row_id)


def reader_scope(user: Any) -> frozenset[int] | None:
    """The agencies whose part of the trail the reader may search (None: all of it): exactly what the policy says of
    the audit trail (isp_portal.policy.resource_scope; agencies.policy.audit_trail_agencies)."""
    scope = resource_scope(user, AUDIT_TRAIL)
    return None if scope is None else frozenset(scope)


def require_in_scope(user: Any, trail_filter: TrailFilter, scope: Collection[int] | None) -> None:
    """An agency's auditor naming another agency is refused with a 403 naming the rule, and the refusal is audited as
    a denial (isp_portal.policy.NotPermitted: the middleware or the API's handler records it), never shown an empty
    page that would read as "nothing happened"."""
    refusal = scope_refusal(trail_filter, scope=scope)
    if refusal is not None:
        raise NotPermitted(
            action="view",
            target_type=f"resource:{AUDIT_TRAIL.name}",
            target_id=str(trail_filter.agency_id),
            reason=refusal.message,
        )


def named_agency(raw: str | None) -> TrailFilter:
    """The agency a query names, read before the form (whose choices are the reader's agencies only), so that naming
    another agency is refused as a denial rather than as a bad choice. Anything not a plain id is left to the form."""
    if raw is None or not raw.isdigit() or len(raw) > 19:
        return TrailFilter()
    return TrailFilter(agency_id=int(raw))


def agency_choices(scope: Collection[int] | None) -> list[tuple[int, str]]:
    """The agencies a reader may filter by, by name: all of them for the whole partnership, else their own."""
    agencies = Agency.objects.order_by("name", "pk")
    if scope is not None:
        agencies = agencies.filter(pk__in=list(scope))
    return list(agencies.values_list("pk", "name"))


def _json(value: Any) -> Any:
    # Django has psycopg2 hand jsonb back as text (its JSONField decodes it); a raw cursor decodes it here.
    return json.loads(value) if isinstance(value, str) else value


def _event_row(values: tuple[Any, ...]) -> EventRow:
    named = dict(zip((field.name for field in dataclasses.fields(EventRow)), values, strict=True))
    return EventRow(**{**named, "summary": _json(named["summary"])})


def _disclosure_row(values: tuple[Any, ...]) -> DisclosureRow:
    row = DisclosureRow(*values)
    return dataclasses.replace(row, recipients=_json(row.recipients), entries=_json(row.entries))


def trail_search(
    user: Any,
    trail_filter: TrailFilter,
    *,
    source: Source,
    scope: Collection[int] | None,
    after: Cursor | None = None,
    page_size: int = PAGE_SIZE,
) -> SearchPage:
    """One page of the reader's part of the trail, newest first, starting after `after`; audited as a search with
    its filters, source and the number of rows shown. One statement for the page, one for the audit event."""
    where, params = trail_where(trail_filter, source=source, scope=scope)
    if after is not None:
        # A row-value comparison: the (occurred_at, id) index answers it as one range, whatever the page's depth.
        where += " AND (e.occurred_at, e.id) < (%(after_at)s, %(after_id)s)"
        params.update(after_at=after.occurred_at, after_id=after.id)
    columns = _EVENT_COLUMNS if source is Source.EVENTS else _DISCLOSURE_COLUMNS
    params.update(summary_keys=list(SUMMARY_KEYS), summary_text_max=SUMMARY_TEXT_MAX, limit=page_size + 1)
    sql = (
        f"SELECT {columns} FROM {_TABLES[source]} AS e WHERE {where} "  # noqa: S608 - the clauses are ours, values bound
        "ORDER BY e.occurred_at DESC, e.id DESC LIMIT %(limit)s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    more = len(fetched) > page_size
    fetched = fetched[:page_size]
    rows: list[Any] = (
        [_event_row(values) for values in fetched]
        if source is Source.EVENTS
        else [_disclosure_row(values) for values in fetched]
    )
    next_cursor = cursor_sign(source, Cursor(rows[-1].occurred_at, rows[-1].id)) if more and rows else None
    audit_record(
        kind=SEARCH_EVENT,
        actor=user,
        object_type=f"resource:{AUDIT_TRAIL.name}",
        object_label=f"the {'access events' if source is Source.EVENTS else 'disclosure log'}",
        detail={
            "source": source.value,
            "filters": trail_filter.as_detail(),
            "rows": len(rows),
            "after": after is not None,
        },
    )
    return SearchPage(source=source, rows=rows, next_cursor=next_cursor, first_page=after is None)
