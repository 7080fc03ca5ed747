"""Reads of the per-child access history and of a record's change history (issue 15; DESIGN 2.6). Each starts from
the decisions of oversight.history_policy and records its own reading as an audit event.

A child's access history is read from the audit store alone (the audit app's two tables, never a domain table but the
child's own row for the decision): the access events naming the child (`audit_event.child_id`), the searches that
returned it (`detail.child_ids` of child.search, audit migration 0009's index), and the disclosure log's rows about it
(`audit_disclosure_log.child_id`), merged newest first and paged by keyset over (occurred_at, source, id) with a signed
cursor, never OFFSET. A disclosure's own event is left out where its log row says more (the same transaction). The
ids of the duplicates merged into the child are read with it: their history follows the child they were merged into.
Nothing of any entry's content is read: kinds, people, agencies, purposes, legal bases and outcomes only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.db import models
from django.db.models import Model

from audit.models import LogKind
from audit.services import audit_record
from isp_portal import bounds
from isp_portal.rows import fetch
from oversight import history_rules as rules
from oversight.filters import day_start
from oversight.history_policy import HistoryChild, HistoryReader, access_history_reader, require_change_history

PAGE_SIZE = 50
CHANGES_SHOWN = 100
_CURSOR_SALT = "oversight.access-history"
# A cursor is good for a day: long enough to page through a history, short enough that an old link is not a key.
CURSOR_MAX_AGE = 24 * 60 * 60

_CHILD = """
SELECT c.id, c.merged_into_id, c.is_shielded, c.shielding_agency_id, c.closed_on,
       ARRAY(SELECT m.id FROM sharing_child m WHERE m.merged_into_id = c.id ORDER BY m.id),
       ARRAY(SELECT i.agency_id FROM sharing_involvement i WHERE i.child_id = c.id
             UNION SELECT r.agency_id FROM sharing_recordentry r WHERE r.child_id = c.id)
FROM sharing_child c WHERE c.id = %s
"""


def history_child(child_id: int) -> HistoryChild | None:
    """The child as the decision needs it, with the duplicates merged into it and the agencies holding records on
    it. One statement. None when there is no such child (or the id is not one the portal could have made)."""
    if not 1 <= child_id <= bounds.ID_MAX:
        return None
    rows = fetch(_CHILD, [child_id])
    if not rows:
        return None
    pk, merged_into, shielded, shielding, closed_on, merged, holding = rows[0]
    return HistoryChild(pk, merged_into, shielded, shielding, closed_on, tuple(merged), frozenset(holding))


class HistoryError(ValueError):
    """A filter or cursor that cannot be used: `field` names it, `message` says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class HistoryFilter:
    occurred_from: date | None = None
    occurred_to: date | None = None
    group: rules.KindGroup | None = None
    cursor: str | None = None

    def as_detail(self) -> dict[str, Any]:
        detail: dict[str, Any] = {}
        if self.occurred_from:
            detail["occurred_from"] = self.occurred_from.isoformat()
        if self.occurred_to:
            detail["occurred_to"] = self.occurred_to.isoformat()
        if self.group:
            detail["group"] = str(self.group)
        if self.cursor:
            detail["next_page"] = True
        return detail


def filter_problems(history_filter: HistoryFilter) -> list[HistoryError]:
    problems = []
    for name in ("occurred_from", "occurred_to"):
        day = getattr(history_filter, name)
        if day is not None and not bounds.date_in_era(day):
            problems.append(HistoryError(name, bounds.ERA_ERROR))
    start, end = history_filter.occurred_from, history_filter.occurred_to
    if start is not None and end is not None and end < start:
        problems.append(HistoryError("occurred_to", "The last day must be the same as or after the first day."))
    return problems


@dataclass(frozen=True)
class HistoryRow:
    """One thing that happened to the child's information. `source`: "event" (an access event, or a search that
    returned the child: `hit`), or "disclosure" (the disclosure log)."""

    source: str
    id: int
    occurred_at: datetime
    group: rules.KindGroup
    kind: str
    outcome: str
    actor_label: str
    agency_label: str
    role: str
    purpose: str
    child_id: int
    hit: bool = False
    legal_basis: str = ""
    from_agency: str = ""
    to_agency: str = ""
    disclosure_id: int | None = None
    parent_disclosure_id: int | None = None

    @property
    def group_label(self) -> str:
        return rules.GROUP_LABELS[self.group]

    @property
    def what(self) -> str:
        """What happened, in words (never the content of what was looked at or shared)."""
        if self.source == "disclosure":
            label = LogKind(self.kind).label if self.kind in LogKind.values else self.kind
            onward = f" onward (from disclosure {self.parent_disclosure_id})" if self.parent_disclosure_id else ""
            return f"Disclosure {self.disclosure_id}{onward}: {label.lower()}, {self.from_agency} to {self.to_agency}"
        if self.hit:
            return "A search returned this child"
        return self.kind


@dataclass(frozen=True)
class HistoryPage:
    child_id: int
    merged_ids: tuple[int, ...]
    reader: HistoryReader
    rows: list[HistoryRow]
    next_cursor: str | None
    filters: HistoryFilter = field(default_factory=HistoryFilter)


_E_COLUMNS = (
    "e.id, e.occurred_at, e.kind, e.outcome, e.actor_label, e.actor_agency_label, e.actor_role, e.purpose, "
    "COALESCE(e.child_id, 0), NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::bigint"
)
_D_COLUMNS = (
    "d.id, d.occurred_at, d.kind, d.outcome, COALESCE(NULLIF(d.actor_label, ''), d.discloser_label), "
    "d.from_agency_label, d.discloser_role, d.purpose, d.child_id, d.legal_basis, d.from_agency_label, "
    "d.to_agency_label, d.disclosure_id, d.parent_disclosure_id"
)


def _cursor_encode(child_id: int, row: HistoryRow, source: str) -> str:
    return signing.dumps({"c": child_id, "t": row.occurred_at.isoformat(), "s": source, "i": row.id}, salt=_CURSOR_SALT)


def _cursor_decode(child_id: int, cursor: str) -> tuple[datetime, str, int]:
    try:
        data = signing.loads(cursor, salt=_CURSOR_SALT, max_age=CURSOR_MAX_AGE)
        if data["c"] != child_id or data["s"] not in {"d", "e", "h"}:
            raise ValueError
        return datetime.fromisoformat(data["t"]), str(data["s"]), int(data["i"])
    except (signing.BadSignature, ValueError, KeyError, TypeError):
        raise HistoryError(
            "cursor", "This page link has expired or was changed: start again from the first page."
        ) from None


def _branch(source: str, where: list[str]) -> str:
    columns = _D_COLUMNS if source == "d" else _E_COLUMNS
    table = "audit_disclosure_log d" if source == "d" else "audit_event e"
    alias = "d" if source == "d" else "e"
    return (
        f"(SELECT '{source}' AS src, {columns} FROM {table} WHERE {' AND '.join(where)} "  # noqa: S608 - constants
        f"ORDER BY {alias}.occurred_at DESC, {alias}.id DESC LIMIT %(limit)s)"
    )


def _history_sql(history_filter: HistoryFilter, scope: frozenset[int] | None) -> tuple[str, list[str]]:
    """The UNION of the three branches, each limited, the whole ordered by the keyset. Returns the SQL and the
    branches it read (a group filter leaves some out)."""
    group = history_filter.group
    common_e: list[str] = []
    common_d: list[str] = []
    if scope is not None:
        common_e.append("e.actor_agency_id = ANY(%(scope)s)")
        common_d.append("(d.from_agency_id = ANY(%(scope)s) OR d.to_agency_id = ANY(%(scope)s))")
    if history_filter.occurred_from is not None:
        common_e.append("e.occurred_at >= %(start)s")
        common_d.append("d.occurred_at >= %(start)s")
    if history_filter.occurred_to is not None:
        common_e.append("e.occurred_at < %(before)s")
        common_d.append("d.occurred_at < %(before)s")
    if history_filter.cursor is not None:
        for alias, where in (("e", common_e), ("d", common_d)):
            where.append(f"{alias}.occurred_at <= %(c_at)s")
    sources: list[tuple[str, list[str]]] = []
    if group is None or group is not rules.KindGroup.SEARCHES:
        where = [
            "e.child_id = ANY(%(ids)s)",
            # A disclosure's own event: its log row says more (who to, on what legal basis).
            "e.id <> ALL(ARRAY(SELECT x.event_id FROM audit_disclosure_log x WHERE x.child_id = ANY(%(ids)s)))",
            *common_e,
        ]
        if group is not None:
            where.append(rules.event_group_sql(group))
        sources.append(("e", where))
    if group in {None, rules.KindGroup.SEARCHES}:
        hits = "(e.detail -> 'child_ids') @> ANY(%(hits)s::jsonb[])"
        sources.append(("h", ["e.kind = 'child.search'", hits, *common_e]))
    if group in {None, rules.KindGroup.DISCLOSURES, rules.KindGroup.CORRECTIONS}:
        where = ["d.child_id = ANY(%(ids)s)", *common_d]
        if group is not None:
            where.append(rules.log_group_sql(group))
        sources.append(("d", where))
    branches = []
    for source, where in sources:
        if history_filter.cursor is not None:
            # The keyset: strictly after the last row shown, in the page's order (occurred_at, source, id).
            alias = "d" if source == "d" else "e"
            where = [*where, f"({alias}.occurred_at, '{source}'::text, {alias}.id) < (%(c_at)s, %(c_src)s, %(c_id)s)"]
        branches.append(_branch(source, where))
    # Columns 1-3 are the source, the id and the time.
    union = " UNION ALL ".join(branches)
    sql = f"SELECT * FROM ({union}) h ORDER BY 3 DESC, 1 DESC, 2 DESC LIMIT %(limit)s"  # noqa: S608 - constants
    return sql, [s for s, _ in sources]


def _row(values: Sequence[Any]) -> HistoryRow:
    src, pk, at, kind, outcome, actor, agency, role, purpose, child, basis, from_a, to_a, disclosure, parent = values
    if src == "d":
        return HistoryRow(
            "disclosure", pk, at, rules.log_group(kind), kind, outcome, actor, agency, role, purpose, child,
            legal_basis=basis or "", from_agency=from_a or "", to_agency=to_a or "", disclosure_id=disclosure,
            parent_disclosure_id=parent,
        )  # fmt: skip
    hit = src == "h"
    group = rules.KindGroup.SEARCHES if hit else rules.event_group(kind)
    return HistoryRow("event", pk, at, group, kind, outcome, actor, agency, role, purpose, child, hit=hit)


def access_history(*, reader: Any, child_id: int, history_filter: HistoryFilter) -> HistoryPage:
    """A page of child `child_id`'s access history as `reader` may read it (oversight.history_policy), newest first.

    Raises OutOfScope/NotPermitted (the policy's 404/403), HistoryError for a filter or cursor that cannot be used.
    Audit: child.access_history, with the filters used and the number of rows shown. Two statements and the audit
    event, whatever the history's length (the child with its merged duplicates and holders; the page)."""
    child = history_child(child_id)
    who = access_history_reader(reader, child, child_id)
    assert child is not None  # the policy raised otherwise
    problems = filter_problems(history_filter)
    if problems:
        raise problems[0]
    ids = [child.pk, *child.merged_ids]
    params: dict[str, Any] = {
        "ids": ids,
        "hits": [f"[{pk}]" for pk in ids],
        "scope": sorted(who.scope) if who.scope is not None else None,
        "limit": PAGE_SIZE + 1,
    }
    if history_filter.occurred_from is not None:
        params["start"] = day_start(history_filter.occurred_from)
    if history_filter.occurred_to is not None:
        params["before"] = day_start(history_filter.occurred_to + timedelta(days=1))
    if history_filter.cursor is not None:
        params["c_at"], params["c_src"], params["c_id"] = _cursor_decode(child.pk, history_filter.cursor)
    sql, _ = _history_sql(history_filter, who.scope)
    fetched = fetch(sql, params)
    rows = [_row(values) for values in fetched[:PAGE_SIZE]]
    next_cursor = None
    if len(fetched) > PAGE_SIZE:
        last = fetched[PAGE_SIZE - 1]
        next_cursor = _cursor_encode(child.pk, rows[-1], str(last[0]))
    audit_record(
        kind="child.access_history",
        actor=reader,
        object_type="sharing.child",
        object_id=child.pk,
        child_id=child.pk,
        detail={
            **history_filter.as_detail(),
            "rows": len(rows),
            "scope": "whole" if who.scope is None else sorted(who.scope),
            "merged": list(child.merged_ids),
        },
    )
    return HistoryPage(child.pk, child.merged_ids, who, rows, next_cursor, history_filter)


# --- Change history --------------------------------------------------------------------------------------------


def registered_models() -> dict[str, type[Model]]:
    """The models django-auditlog records, by label ("agencies.agency")."""
    return {model._meta.label_lower: model for model in auditlog.get_models()}


def _free_text(model: type[Model], name: str) -> bool:
    try:
        model_field = model._meta.get_field(name)
    except Exception:  # a field since removed: its old values are not shown
        return True
    return isinstance(model_field, models.TextField | models.JSONField)


@dataclass(frozen=True)
class ChangeEntry:
    occurred_at: datetime
    actor: str
    action: str
    changes: list[rules.FieldChange]


@dataclass(frozen=True)
class ChangeHistory:
    label: str
    pk: int
    record: str
    entries: list[ChangeEntry]
    more: bool


_ACTIONS = {0: "Created", 1: "Changed", 2: "Deleted", 3: "Accessed"}


def change_history(*, reader: Any, obj: Model, audit: bool = True) -> ChangeHistory:
    """The newest CHANGES_SHOWN entries of `obj`'s change history (django-auditlog), each field's values shown or
    hidden by history_rules.value_hidden. Raises the policy's OutOfScope/NotPermitted. Audit: record.change_history
    (unless the page it is part of records its own reading). Two statements: the content type (cached by Django
    after the first) and the entries with their actors."""
    require_change_history(reader, obj)
    model = type(obj)
    content_type = ContentType.objects.get_for_model(model)
    found = list(
        LogEntry.objects.filter(content_type=content_type, object_id=obj.pk)
        .select_related("actor")
        .only("timestamp", "action", "changes", "actor__full_name", "actor_email")
        .order_by("-timestamp", "-id")[: CHANGES_SHOWN + 1]
    )
    concrete = list(model._meta.concrete_fields)
    labels = {f.name: str(f.verbose_name).capitalize() for f in concrete}
    labels.update({f.attname: str(f.verbose_name).capitalize() for f in concrete})
    entries = []
    for entry in found[:CHANGES_SHOWN]:
        names = list((entry.changes or {}).keys())
        hidden = [name for name in names if rules.value_hidden(name, free_text=_free_text(model, name))]
        actor = getattr(entry.actor, "full_name", "") if entry.actor_id else ""
        entries.append(
            ChangeEntry(
                entry.timestamp,
                actor or "The portal",
                _ACTIONS.get(entry.action, "Changed"),
                rules.field_changes(
                    entry.changes if isinstance(entry.changes, dict) else {}, labels=labels, hidden=hidden
                ),
            )
        )
    if audit:
        audit_record(
            kind="record.change_history",
            actor=reader,
            target=obj,
            detail={"entries": len(entries)},
        )
    record = str(getattr(obj, "audit_label", obj))
    return ChangeHistory(model._meta.label_lower, int(obj.pk), record, entries, len(found) > CHANGES_SHOWN)
