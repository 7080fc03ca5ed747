"""Reads for onward disclosure and lineage (issue 13; Southampton 10-11; docs/after-disclosure-design.md 7).

Every read starts from the policy (restrict / get_or_deny). The lineage of a disclosure or of an entry is one
recursive statement whatever the tree's size (bounded twice: the hop CHECK in the database and the depth here), then
rules.lineage_visible decides which part of it the reader sees: the originator's people and auditors the whole tree
(metadata only), any other party the path from the origin to its own agency's nodes and the subtree below them
(Southampton 11: a recipient knows where its information came from and where it went on).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from django.conf import settings
from django.db import connection
from django.utils import timezone

from agencies.policy import audited_agencies, is_auditor
from disclosures import rules
from disclosures.dispute_policy import dispute_offered
from disclosures.models import Disclosure, OnwardRequest, OnwardRequestEntry
from isp_portal.policy import OutOfScope, can, get_or_deny, restrict
from isp_portal.workdays import nation_from
from sharing.models import RecordEntry
from sharing.policy import index_agencies

PAGE_SIZE = 50

# From one disclosure: up to its origin, then the whole tree down from there, with each receiving agency's most
# pressing correction notice of the entries it carries (pending first, earliest due; else the latest acknowledged:
# break13 F14, so the table never reads as if nobody was told).
_DISCLOSURE_TREE = """
WITH RECURSIVE up AS (
    SELECT id, parent_id, hop FROM disclosures_disclosure WHERE id = %(start)s
    UNION ALL
    SELECT d.id, d.parent_id, d.hop FROM disclosures_disclosure d JOIN up ON d.id = up.parent_id WHERE up.hop > 0
),
down AS (
    SELECT id, 0 AS depth FROM up WHERE parent_id IS NULL
    UNION ALL
    SELECT d.id, down.depth + 1 FROM disclosures_disclosure d JOIN down ON d.parent_id = down.id
    WHERE down.depth < %(max)s
)
SELECT d.id, d.parent_id, d.hop, d.kind, d.made_at, d.retain_until, d.from_agency_id, fa.name, d.to_agency_id,
       ta.name,
       EXISTS (SELECT 1 FROM disclosures_disclosureevent e WHERE e.disclosure_id = d.id AND e.kind = 'revoked'),
       ARRAY(SELECT de.entry_id FROM disclosures_disclosureentry de WHERE de.disclosure_id = d.id ORDER BY 1),
       n.acknowledged_at IS NOT NULL, n.ack_due_on
FROM down JOIN disclosures_disclosure d ON d.id = down.id
JOIN agencies_agency fa ON fa.id = d.from_agency_id
JOIN agencies_agency ta ON ta.id = d.to_agency_id
LEFT JOIN LATERAL (
    SELECT acknowledged_at, ack_due_on FROM disclosures_correctionnotice cn
    WHERE cn.agency_id = d.to_agency_id
      AND cn.entry_id IN (SELECT de.entry_id FROM disclosures_disclosureentry de WHERE de.disclosure_id = d.id)
    ORDER BY cn.acknowledged_at IS NOT NULL, cn.ack_due_on, cn.id DESC LIMIT 1
) n ON true
ORDER BY d.hop, d.made_at, d.id
"""
# From an entry: every first disclosure carrying it, down through the onward disclosures that carry it, with the
# receiving agency's latest correction notice of the entry (pending or acknowledged).
_ENTRY_TREE = """
WITH RECURSIVE down AS (
    SELECT de.disclosure_id AS id, 0 AS depth FROM disclosures_disclosureentry de
    JOIN disclosures_disclosure r ON r.id = de.disclosure_id WHERE de.entry_id = %(entry)s AND r.hop = 0
    UNION ALL
    SELECT d.id, down.depth + 1 FROM disclosures_disclosure d JOIN down ON d.parent_id = down.id
    WHERE down.depth < %(max)s
)
SELECT d.id, d.parent_id, d.hop, d.kind, d.made_at, d.retain_until, d.from_agency_id, fa.name, d.to_agency_id,
       ta.name,
       EXISTS (SELECT 1 FROM disclosures_disclosureevent e WHERE e.disclosure_id = d.id AND e.kind = 'revoked'),
       ARRAY(SELECT de.entry_id FROM disclosures_disclosureentry de WHERE de.disclosure_id = d.id ORDER BY 1),
       n.acknowledged_at IS NOT NULL, n.ack_due_on
FROM down JOIN disclosures_disclosure d ON d.id = down.id
JOIN agencies_agency fa ON fa.id = d.from_agency_id
JOIN agencies_agency ta ON ta.id = d.to_agency_id
LEFT JOIN LATERAL (
    SELECT acknowledged_at, ack_due_on FROM disclosures_correctionnotice cn
    WHERE cn.entry_id = %(entry)s AND cn.agency_id = d.to_agency_id ORDER BY cn.id DESC LIMIT 1
) n ON true
WHERE EXISTS (SELECT 1 FROM disclosures_disclosureentry x WHERE x.disclosure_id = d.id AND x.entry_id = %(entry)s)
ORDER BY d.hop, d.made_at, d.id
"""


@dataclass(frozen=True)
class Lineage:
    """Where information went: the nodes the reader may see (in hop order), the picture drawn from them, and whether
    the reader sees the whole tree."""

    origin_agency_id: int | None
    nodes: tuple[rules.LineageNode, ...]
    picture: rules.LineagePicture
    full: bool


def _nodes(sql: str, params: Mapping[str, Any], today: date) -> list[rules.LineageNode]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    now = timezone.now()
    nation = nation_from(settings.BANK_HOLIDAY_NATION)  # as the services count working days
    nodes = []
    for row in rows:
        pk, parent, hop, kind, made_at, retain_until, from_id, from_name, to_id, to_name, revoked, entry_ids = row[:12]
        acknowledged, due_on = row[12:]
        notice = rules.notice_state(bool(acknowledged), due_on, today, nation=nation) if due_on is not None else None
        node = rules.LineageNode(
            disclosure_id=pk, parent_id=parent, hop=hop, kind=kind, from_agency_id=from_id, from_label=from_name,
            to_agency_id=to_id, to_label=to_name, made_at=made_at, live=not revoked and retain_until > now,
            entry_ids=frozenset(entry_ids or ()), notice_state=notice,
        )  # fmt: skip
        nodes.append(node)
    return nodes


def _seen(user: Any, nodes: Sequence[rules.LineageNode], origin: int | None) -> tuple[list[rules.LineageNode], bool]:
    """The part of `nodes` the reader sees, and whether it is the whole tree (rules.lineage_visible)."""
    mine = index_agencies(user)
    full = origin is not None and origin in mine
    viewer = frozenset(mine)
    if not full and is_auditor(user):
        audited = audited_agencies(user)
        full = audited is None or (origin is not None and origin in audited)
        viewer = viewer | frozenset(audited or ())
    return rules.lineage_visible(nodes, viewer_agencies=viewer, full=full), full


def _lineage(user: Any, nodes: list[rules.LineageNode]) -> Lineage:
    origin = next((node.from_agency_id for node in nodes if node.parent_id is None), None)
    visible, full = _seen(user, nodes, origin)
    return Lineage(origin, tuple(visible), rules.lineage_picture(visible), full)


def disclosure_lineage(user: Any, pk: int) -> Lineage:
    """The lineage tree `pk` belongs to, as far as the reader may see it (policy: DisclosurePolicy 'lineage';
    another agency's disclosure is 404). Statements: the policy's, plus one."""
    get_or_deny(user, Disclosure, action="lineage", pk=pk)
    nodes = _nodes(_DISCLOSURE_TREE, {"start": pk, "max": rules.MAX_ONWARD_HOPS}, timezone.localdate())
    return _lineage(user, nodes)


def entry_lineage(user: Any, entry_pk: int) -> Lineage:
    """Every disclosure that carried an entry, any hop, with each receiving agency's correction notice state. The
    entry's own agency and auditors see all of it; a party sees its part; anyone else, or a missing entry, 404.
    Statements: one for the entry, one for the tree (constant in the tree's size)."""
    entry = RecordEntry.objects.filter(pk=entry_pk).values_list("agency_id", "child_id").first()
    if entry is None or getattr(user, "is_system", False):
        raise OutOfScope(action="lineage", target_type="sharing.recordentry", target_id=str(entry_pk))
    nodes = _nodes(_ENTRY_TREE, {"entry": entry_pk, "max": rules.MAX_ONWARD_HOPS}, timezone.localdate())
    visible, full = _seen(user, nodes, entry[0])
    if not full and not visible:
        raise OutOfScope(
            action="lineage", target_type="sharing.recordentry", target_id=str(entry_pk), child_id=entry[1]
        )
    return Lineage(entry[0], tuple(visible), rules.lineage_picture(visible), full)


# --- Onward requests -----------------------------------------------------------------------------------------


def onward_requests(
    user: Any, *, role: Literal["raised", "to_decide"] = "raised", state: str | None = None
) -> list[OnwardRequest]:
    """The onward requests the reader's agencies raised, or those waiting for its agencies' decision as the
    originator (`to_decide`: open first, by due date). At most PAGE_SIZE; one statement besides the policy's."""
    rows = restrict(user, "view", OnwardRequest)
    mine = index_agencies(user)
    if role == "to_decide":
        rows = rows.filter(originator_agency_id__in=mine).order_by("due_on", "pk")
        rows = rows.filter(state=state) if state else rows.filter(state=rules.OnwardState.REQUESTED)
    else:
        rows = rows.filter(from_agency_id__in=mine) if mine else rows.filter(requester_id=user.pk)
        rows = rows.filter(state=state) if state else rows
        rows = rows.order_by("-submitted_at", "-pk")
    return list(rows.select_related("child", "from_agency", "to_agency", "originator_agency", "requester")[:PAGE_SIZE])


def onward_entries(onward: OnwardRequest) -> tuple[OnwardRequestEntry, ...]:
    """The entries an onward request asks to pass on, each with its entry (for its kind) and the revision received:
    never content. One statement; the caller has the request from the policy."""
    return tuple(
        OnwardRequestEntry.objects.filter(onward_request=onward)
        .select_related("entry", "revision")
        .order_by("entry_id")
    )


@dataclass(frozen=True)
class OnwardPage:
    onward: OnwardRequest
    entries: tuple[OnwardRequestEntry, ...]
    may_decide: bool
    may_withdraw: bool
    may_disclose: bool
    disclosure_id: int | None
    may_dispute: bool = False


def onward_request_page(user: Any, pk: int) -> OnwardPage:
    """One onward request, its entries (ids and revisions: never content), and what the reader may do next. 404
    out of scope. Three statements besides the policy's."""
    onward = get_or_deny(
        user,
        OnwardRequest.objects.select_related(
            "child", "from_agency", "to_agency", "originator_agency", "requester", "decided_by", "parent_disclosure"
        ),
        pk=pk,
    )
    entries = onward_entries(onward)
    made = Disclosure.objects.filter(onward_request=onward).values_list("pk", flat=True).first()
    return OnwardPage(
        onward=onward, entries=entries, may_decide=can(user, "decide", onward),
        may_withdraw=can(user, "withdraw", onward), may_disclose=can(user, "disclose", onward), disclosure_id=made,
        may_dispute=dispute_offered(user, onward, timezone.localdate()),
    )  # fmt: skip
