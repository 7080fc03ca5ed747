"""What an auditor may filter the audit trail by (issue 15; DESIGN 2.6; Southampton 18 items 13-14: audit trails for
all access), and each filter as SQL over the two audit tables: the access events (`audit_event`) and the disclosure
log (`audit_disclosure_log`). One definition, read by the workspace's search (oversight.selectors.search) and by the
exports (oversight.exports), on the pages and the API alike, so a filter means the same wherever it is used.

Shapes:
- a filter is a `TrailFilter` (every field optional; dates are days in the UK, inclusive at both ends);
- `trail_where(filter, source=..., scope=...)` gives `(sql, params)`: a WHERE clause (without the word) over the
  table aliased `e` with named parameters (`%(name)s`, psycopg2 style), always including the reader's scope.

The reader's scope (`scope`): None for the whole partnership's trail (a partnership auditor), or the agencies whose
part the reader may see (an agency's auditor, Caldicott guardian or DPO: isp_portal.audit_panel.AUDIT_TRAIL, as the
agencies app decides). An event is an agency's when its actor acted for the agency; a disclosure-log row when the
agency disclosed or received it. An empty scope sees nothing.

Every column filtered on leads an index (audit migrations 0001, 0004, 0008): the searches page by keyset over
(occurred_at, id), never OFFSET.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from isp_portal import bounds

LONDON = ZoneInfo("Europe/London")

# The longest range one search or export may cover: a statutory year and a bit, so an annual review of the log is one
# export, and no request asks the database for a scan of decades.
MAX_RANGE_DAYS = 400

# An event's kind as the services write it ("child.view", "disclosure.make"): lower case words and dots. A prefix
# ending in a dot ("disclosure.") matches every kind under it.
KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\.?$")
KIND_MAX = 64


class Source(StrEnum):
    """The two tables an auditor searches and exports."""

    EVENTS = "events"
    DISCLOSURES = "disclosures"


class FilterError(ValueError):
    """A filter that cannot be used: `field` names it (as the form and the API name it), `message` says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class TrailFilter:
    """An auditor's filter. `occurred_from`/`occurred_to`: days in the UK, inclusive. `agency_id`: the agency that
    acted (events) or that disclosed or received (disclosures). `user_id`: the person who acted (events); who
    disclosed, approved, requested or did the follow-up (disclosures). `action`: an event's kind, or a prefix of it
    ending in a dot (events); a disclosure-log row's kind, audit.models.LogKind (disclosures). `legal_basis`:
    disclosures only (disclosures.models.LegalBasis). `outcome`: audit.models.Outcome (events); the row's outcome
    as written, e.g. "upheld" (disclosures)."""

    occurred_from: date | None = None
    occurred_to: date | None = None
    agency_id: int | None = None
    user_id: int | None = None
    child_id: int | None = None
    action: str | None = None
    legal_basis: str | None = None
    outcome: str | None = None

    def as_detail(self) -> dict[str, Any]:
        """The filter as an audit event's detail (dates as ISO text, unset filters left out)."""
        detail: dict[str, Any] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if value is not None:
                detail[field.name] = value.isoformat() if isinstance(value, date) else value
        return detail


def filter_problems(trail_filter: TrailFilter, *, source: Source) -> list[FilterError]:
    """What is wrong with a filter as a whole (each value's own checks are the form's): a reversed range, a range
    longer than MAX_RANGE_DAYS, a date outside the era, a legal basis asked of the events. Empty when usable."""
    problems: list[FilterError] = []
    start, end = trail_filter.occurred_from, trail_filter.occurred_to
    for name, day in (("occurred_from", start), ("occurred_to", end)):
        if day is not None and not bounds.date_in_era(day):
            problems.append(FilterError(name, bounds.ERA_ERROR))
    if start is not None and end is not None:
        if end < start:
            problems.append(FilterError("occurred_to", "The last day must be the same as or after the first day."))
        elif (end - start).days + 1 > MAX_RANGE_DAYS:
            problems.append(FilterError("occurred_to", f"Choose a range of at most {MAX_RANGE_DAYS} days."))
    if source is Source.EVENTS and trail_filter.legal_basis is not None:
        problems.append(FilterError("legal_basis", "The access events have no legal basis: search the disclosures."))
    if trail_filter.action is not None and (
        len(trail_filter.action) > KIND_MAX or not KIND_PATTERN.match(trail_filter.action)
    ):
        problems.append(FilterError("action", "Give an action as the trail names it, for example child.view."))
    for name in ("agency_id", "user_id", "child_id"):
        value = getattr(trail_filter, name)
        if value is not None and not 1 <= value <= bounds.ID_MAX:
            problems.append(FilterError(name, "Give a number from the portal."))
    return problems


def day_start(day: date) -> datetime:
    """The first instant of a day in the UK, as an aware datetime (BST or GMT as the day has it)."""
    return datetime.combine(day, time.min, tzinfo=LONDON)


def trail_where(
    trail_filter: TrailFilter, *, source: Source, scope: Collection[int] | None
) -> tuple[str, dict[str, Any]]:
    """The filter and the reader's scope as one WHERE clause over `e` (the table of `source`), with its named
    parameters. Raises FilterError when filter_problems finds any (the first one)."""
    problems = filter_problems(trail_filter, source=source)
    if problems:
        raise problems[0]
    clauses: list[str] = []
    params: dict[str, Any] = {}
    events = source is Source.EVENTS
    if scope is not None:
        params["scope"] = sorted(scope)
        if events and len(params["scope"]) == 1:
            # One agency (the usual agency reader) as an equality, not "= ANY(array)": PostgreSQL 15 walks the
            # (actor_agency_id, occurred_at, id) index in order for an equality only (audit 0008), so the newest page
            # of one agency is read from the index's end rather than sorted from all of that agency's rows.
            params["scope_agency"] = params["scope"][0]
            clauses.append("e.actor_agency_id = %(scope_agency)s")
        else:
            clauses.append(
                "e.actor_agency_id = ANY(%(scope)s)"
                if events
                else "(e.from_agency_id = ANY(%(scope)s) OR e.to_agency_id = ANY(%(scope)s))"
            )
    if trail_filter.occurred_from is not None:
        params["occurred_from"] = day_start(trail_filter.occurred_from)
        clauses.append("e.occurred_at >= %(occurred_from)s")
    if trail_filter.occurred_to is not None:
        params["occurred_before"] = day_start(trail_filter.occurred_to + timedelta(days=1))
        clauses.append("e.occurred_at < %(occurred_before)s")
    if trail_filter.agency_id is not None:
        params["agency"] = trail_filter.agency_id
        clauses.append(
            "e.actor_agency_id = %(agency)s"
            if events
            else "(e.from_agency_id = %(agency)s OR e.to_agency_id = %(agency)s)"
        )
    if trail_filter.user_id is not None:
        params["user"] = trail_filter.user_id
        clauses.append(
            "e.actor_id = %(user)s"
            if events
            else "(e.discloser_id = %(user)s OR e.approver_id = %(user)s OR e.requester_id = %(user)s "
            "OR e.actor_id = %(user)s)"
        )
    if trail_filter.child_id is not None:
        params["child"] = trail_filter.child_id
        clauses.append("e.child_id = %(child)s")
    if trail_filter.action is not None:
        if events and trail_filter.action.endswith("."):
            # A prefix: "disclosure." matches every disclosure event. LIKE with the underscore escaped; an index on
            # (kind varchar_pattern_ops, occurred_at) serves it whatever the database's collation (audit 0008).
            params["kind_like"] = trail_filter.action.replace("_", "\\_") + "%"
            clauses.append("e.kind LIKE %(kind_like)s")
        else:
            params["kind"] = trail_filter.action
            clauses.append("e.kind = %(kind)s")
    if trail_filter.legal_basis is not None:
        params["legal_basis"] = trail_filter.legal_basis
        clauses.append("e.legal_basis = %(legal_basis)s")
    if trail_filter.outcome is not None:
        params["outcome"] = trail_filter.outcome
        clauses.append("e.outcome = %(outcome)s")
    return (" AND ".join(clauses) or "TRUE"), params


def scope_refusal(trail_filter: TrailFilter, *, scope: Collection[int] | None) -> FilterError | None:
    """An agency's auditor naming an agency outside their part of the trail is refused (and the caller audits the
    refusal), rather than shown an empty result that would look like "nothing happened"."""
    if scope is not None and trail_filter.agency_id is not None and trail_filter.agency_id not in scope:
        return FilterError("agency_id", "You can only see your own agency's part of the audit trail.")
    return None
