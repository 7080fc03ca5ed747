"""The child record page's read: one prepared plain SQL statement (docs/fast-pages.md §3; issue 10 "Speed").

`record_page` gives what `sharing.selectors.child_record` gives (the ORM path, kept for the API and other
callers), read in ONE statement by the child's primary key whatever the size of the index: the reader's
signatures (what `sharing.policy.signatory_agencies` asks), the child, its names, addresses and involvements
(with the agencies' and lead professionals' names), the live grants the reader holds to its entries, whether
the reader reached it today on the shield's exact terms, the agencies whose held entries the protocol versions
in force let the reader be told of, its reopenings, and its entries with the latest revision's content where the
reader's own index agencies recorded it, or the newest revision a live grant opens (the one disclosed, never a later
correction: sharing.policy.content_revision) where one does (a superset of what the policy opens: content is never
read for an entry the reader could not read). The policy then decides in memory from the principal and those
rows, as it does for the ORM path: `found_or_deny` with the shield's facts (`ShieldFacts`), `entry_access`
with the grants, `entry_listed` with the protocol's say. Then the audit event (`record_viewed`): two statements
in all, as the bare read+insert view. tests/sharing/test_record_page.py compares the two paths.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from agencies.models import Agency, Area, Membership, User
from isp_portal import bounds
from isp_portal.policy import found_or_deny
from isp_portal.rows import Statement, fetch, instance, relate
from protocols.models import IN_FORCE_STATUSES
from sharing.models import Child, ChildAddress, ChildName, EntryRevision, Involvement, RecordEntry
from sharing.policy import (
    EntryAccess,
    EntryFacts,
    ShieldFacts,
    entry_access,
    entry_listed,
    index_agencies,
    index_candidates,
    member_agencies,
    remember_signatory_agencies,
    restricted_readers,
    shield_withholds,
)
from sharing.selectors.children import (
    ChildRecord,
    EntryView,
    _purpose,
    record_as_seen,
    record_viewed,
)

_IN_FORCE = [str(status) for status in IN_FORCE_STATUSES]

CHILD_FIELDS = (
    "id",
    "born_on",
    "gender",
    "ethnicity",
    "languages",
    "phone",
    "setting",
    "setting_name",
    "nhs_number",
    "area_id",
    "has_additional_needs",
    "is_care_leaver",
    "is_shielded",
    "shielding_agency_id",
    "merged_into_id",
)

RETENTION_FIELDS = ("closed_on", "closed_under", "close_reason", "erase_due_on", "erased_at")

INVOLVEMENT_FIELDS = (
    "id",
    "child_id",
    "agency_id",
    "service",
    "lead_professional_id",
    "is_key_contact",
    "started_on",
    "ended_on",
)

# Parameters: pk (the child), user (the reader's id), mine (every agency the reader is a member of: the
# signatures asked as signatory_agencies asks), candidates (sharing.policy.index_candidates: the index
# agencies before the signatures), in_force (protocol statuses), today, now.
_RECORD_PAGE_SQL = Statement(
    "isp_child_record_page",
    """
SELECT sig.agencies,
       c.id, c.born_on, c.gender, c.ethnicity, c.languages, c.phone, c.setting, c.setting_name, c.nhs_number,
       c.area_id, c.has_additional_needs, c.is_care_leaver, c.is_shielded, c.shielding_agency_id, c.merged_into_id,
       EXISTS (SELECT 1 FROM sharing_shieldedaccess sa
               WHERE sa.child_id = c.id AND sa.user_id = %(user)s AND sa.on_date = %(today)s),
       names.ids, names.kinds, names.givens, names.families,
       addresses.ids, addresses.texts, addresses.postcodes, addresses.froms, addresses.tos,
       involved.ids, involved.agencies, involved.agency_names, involved.services, involved.leads,
       involved.lead_users, involved.lead_names, involved.key_contacts, involved.starts, involved.ends,
       grants.entries, grants.agencies,
       shown.agencies,
       entries.ids, entries.agencies, entries.agency_names, entries.categories, entries.restricted,
       entries.counts, entries.created, entries.numbers, entries.recorded, entries.bases, entries.texts,
       (SELECT ar.name FROM agencies_area ar WHERE ar.code = c.area_id),
       c.closed_on, c.closed_under, c.close_reason, c.erase_due_on, c.erased_at,
       entries.revisions_restricted,
       reopened.ons, reopened.reasons, reopened.names,
       corrected.ats, corrected.reasons, corrected.names
FROM (SELECT coalesce(array_agg(DISTINCT s.agency_id), '{}'::bigint[]) AS agencies
      FROM protocols_signature s JOIN protocols_protocol p ON p.id = s.protocol_id
      WHERE s.agency_id = ANY(%(mine)s) AND s.withdrawn_at IS NULL AND s.version_id = p.current_version_id
        AND p.status = ANY(%(in_force)s)) sig
LEFT JOIN sharing_child c ON c.id = %(pk)s
-- Each list is sorted once in its subquery and aggregated in that order (the aggregate reads the sorted
-- subquery's rows as they come), rather than sorted again by every array_agg(... ORDER BY ...).
CROSS JOIN LATERAL (
    SELECT array_agg(n.id) AS ids, array_agg(n.kind) AS kinds, array_agg(n.given) AS givens,
           array_agg(n.family) AS families
    FROM (SELECT n.id, n.kind, n.given, n.family FROM sharing_childname n WHERE n.child_id = c.id
          ORDER BY n.kind, n.id) n) names
CROSS JOIN LATERAL (
    SELECT array_agg(a.id) AS ids, array_agg(a.address) AS texts, array_agg(a.postcode) AS postcodes,
           array_agg(a.from_on) AS froms, array_agg(a.to_on) AS tos
    FROM (SELECT a.id, a.address, a.postcode, a.from_on, a.to_on FROM sharing_childaddress a
          WHERE a.child_id = c.id ORDER BY a.from_on DESC, a.id DESC) a) addresses
CROSS JOIN LATERAL (
    SELECT array_agg(i.id) AS ids, array_agg(i.agency_id) AS agencies, array_agg(i.agency_name) AS agency_names,
           array_agg(i.service) AS services, array_agg(i.lead_professional_id) AS leads,
           array_agg(i.lead_user) AS lead_users, array_agg(i.lead_name) AS lead_names,
           array_agg(i.is_key_contact) AS key_contacts, array_agg(i.started_on) AS starts,
           array_agg(i.ended_on) AS ends
    FROM (SELECT i.id, i.agency_id, ag.name AS agency_name, i.service, i.lead_professional_id,
                 m.user_id AS lead_user, u.full_name AS lead_name, i.is_key_contact, i.started_on, i.ended_on
          FROM sharing_involvement i
          JOIN agencies_agency ag ON ag.id = i.agency_id
          LEFT JOIN agencies_membership m ON m.id = i.lead_professional_id
          LEFT JOIN agencies_user u ON u.id = m.user_id
          WHERE i.child_id = c.id
          ORDER BY i.ended_on, i.started_on DESC, i.id) i) involved
CROSS JOIN LATERAL (
    SELECT array_agg(g.entry_id) AS entries, array_agg(g.agency_id) AS agencies
    FROM sharing_entrygrant g JOIN sharing_recordentry ge ON ge.id = g.entry_id
    WHERE ge.child_id = c.id AND g.user_id = %(user)s AND g.revoked_at IS NULL
      AND g.granted_at <= %(now)s AND g.expires_at > %(now)s) grants
CROSS JOIN LATERAL (
    SELECT array_agg(DISTINCT s2.agency_id) AS agencies
    FROM protocols_signature s1
    JOIN protocols_protocol p1 ON p1.id = s1.protocol_id AND p1.current_version_id = s1.version_id
    JOIN protocols_protocolversion v ON v.id = s1.version_id
    JOIN protocols_signature s2 ON s2.version_id = s1.version_id AND s2.withdrawn_at IS NULL
    WHERE s1.agency_id = ANY(%(candidates)s) AND s1.withdrawn_at IS NULL AND p1.status = ANY(%(in_force)s)
      AND v.shows_held_categories) shown
CROSS JOIN LATERAL (
    SELECT array_agg(e.id) AS ids, array_agg(e.agency_id) AS agencies, array_agg(e.agency_name) AS agency_names,
           array_agg(e.category) AS categories, array_agg(e.is_restricted) AS restricted,
           array_agg(e.revision_count) AS counts, array_agg(e.created_at) AS created,
           array_agg(e.number) AS numbers, array_agg(e.recorded_at) AS recorded, array_agg(e.basis) AS bases,
           array_agg(e.text) AS texts, array_agg(e.revision_restricted) AS revisions_restricted
    FROM (SELECT e.id, e.agency_id, ea.name AS agency_name, e.category, e.is_restricted, e.revision_count,
                 e.created_at, r.number, r.recorded_at, r.basis, r.text, r.is_restricted AS revision_restricted
          FROM sharing_recordentry e
          JOIN agencies_agency ea ON ea.id = e.agency_id
          -- The latest revision for the recording agency; for a grant holder the newest revision a live grant
          -- opens: the one it names, or the latest for a grant naming none (sharing.policy.content_revision).
          LEFT JOIN LATERAL (
              SELECT r.number, r.recorded_at, r.basis, r.text, r.is_restricted FROM sharing_entryrevision r
              WHERE r.entry_id = e.id
                AND ((e.agency_id = ANY(%(candidates)s) AND e.agency_id = ANY(sig.agencies))
                     OR EXISTS (SELECT 1 FROM sharing_entrygrant g
                                WHERE g.entry_id = e.id AND g.user_id = %(user)s
                                  AND g.agency_id = ANY(%(candidates)s) AND g.agency_id = ANY(sig.agencies)
                                  AND g.revoked_at IS NULL AND g.granted_at <= %(now)s AND g.expires_at > %(now)s
                                  AND (g.revision_id = r.id
                                       OR (g.revision_id IS NULL
                                           AND NOT EXISTS (SELECT 1 FROM sharing_entryrevision r2
                                                           WHERE r2.entry_id = e.id AND r2.number > r.number)))))
              ORDER BY r.number DESC LIMIT 1) r
            ON (e.agency_id = ANY(%(candidates)s) AND e.agency_id = ANY(sig.agencies))
               OR EXISTS (SELECT 1 FROM sharing_entrygrant g
                          WHERE g.entry_id = e.id AND g.user_id = %(user)s AND g.agency_id = ANY(%(candidates)s)
                            AND g.agency_id = ANY(sig.agencies) AND g.revoked_at IS NULL
                            AND g.granted_at <= %(now)s AND g.expires_at > %(now)s)
          WHERE e.child_id = c.id
          ORDER BY e.category, e.created_at DESC, e.id DESC) e) entries
-- The record's reopenings, oldest first, with who reopened it (sharing.selectors.children.REOPENING_ARRAYS).
CROSS JOIN LATERAL (
    SELECT array_agg(r.reopened_on) AS ons, array_agg(r.reason) AS reasons, array_agg(r.full_name) AS names
    FROM (SELECT r.reopened_on, r.reason, u.full_name FROM sharing_childreopening r
          LEFT JOIN agencies_user u ON u.id = r.reopened_by_id
          WHERE r.child_id = c.id ORDER BY r.reopened_at, r.id) r) reopened
-- The corrections of its legal name, oldest first (sharing.selectors.children.NAME_CORRECTION_ARRAYS).
CROSS JOIN LATERAL (
    SELECT array_agg(n.corrected_at) AS ats, array_agg(n.reason) AS reasons, array_agg(n.full_name) AS names
    FROM (SELECT n.corrected_at, n.reason, u.full_name FROM sharing_childnamecorrection n
          LEFT JOIN agencies_user u ON u.id = n.corrected_by_id
          WHERE n.child_id = c.id ORDER BY n.corrected_at, n.id) n) corrected
""",
)


def _zip(*columns: list[Any] | None) -> list[tuple[Any, ...]]:
    """Parallel arrays back into rows (an aggregate over no rows is NULL)."""
    return list(zip(*(column or [] for column in columns), strict=True))


def record_page(*, principal: Any, child_id: Any, purpose: str) -> ChildRecord:
    """The child's record for its page, as `child_record` reads it (same policy, same audit event), in one
    statement. Each entry's `history` is left empty (the page shows the latest revision; the entry's own page
    shows the history). Raises OutOfScope (404) for a child missing or out of the reader's scope, ValidationError
    for a missing purpose."""
    why = _purpose(purpose)
    try:
        wanted = int(child_id)
    except (TypeError, ValueError):
        wanted = -1
    now = timezone.now()
    involved: list[tuple[Any, ...]] = []
    grants: list[tuple[Any, ...]] = []
    row = fetch(
        _RECORD_PAGE_SQL,
        {
            "pk": wanted if 0 < wanted <= bounds.ID_MAX else -1,
            "user": getattr(principal, "pk", None) or 0,
            "mine": member_agencies(principal),
            "candidates": sorted(index_candidates(principal)),
            "in_force": _IN_FORCE,
            "today": timezone.localdate(now),
            "now": now,
        },
    )[0]
    remember_signatory_agencies(principal, frozenset(row[0]))
    child = None
    if row[1] is not None:
        child = instance(Child, CHILD_FIELDS, row[1:16])
        area = instance(Area, ("code", "name"), (child.area_id, row[50])) if child.area_id else None
        for name, value in zip(RETENTION_FIELDS, row[51:56], strict=True):
            setattr(child, name, value)  # whether the record is closed or erased, and why (its page says so)
        relate(child, "area", area)  # the area's name, shown on the page (its code decides restricted access)
        involved = _zip(*row[26:36])
        grants = _zip(row[36], row[37])
        child.shield_facts = ShieldFacts(  # type: ignore[attr-defined]
            involved=frozenset(line[1] for line in involved if line[9] is None),
            granted_through=frozenset(agency for _, agency in grants),
            reached_today=row[16],
        )
    child = found_or_deny(principal, Child, child, target_id=child_id)
    mine = index_agencies(principal)
    names = [
        instance(ChildName, ("id", "child_id", "kind", "given", "family"), (pk, child.pk, kind, given, family))
        for pk, kind, given, family in _zip(*row[17:21])
    ]
    addresses = [
        instance(
            ChildAddress,
            ("id", "child_id", "address", "postcode", "from_on", "to_on"),
            (pk, child.pk, text, postcode, from_on, to_on),
        )
        for pk, text, postcode, from_on, to_on in _zip(*row[21:26])
    ]
    involvements = []
    for pk, agency_id, agency_name, service, lead, lead_user, lead_name, key, started, ended in involved:
        involvement = instance(
            Involvement,
            INVOLVEMENT_FIELDS,
            (pk, child.pk, agency_id, service, lead, key, started, ended),
        )
        relate(involvement, "agency", instance(Agency, ("id", "name"), (agency_id, agency_name)))
        membership = None
        if lead is not None:
            membership = instance(Membership, ("id", "user_id", "agency_id"), (lead, lead_user, agency_id))
            relate(membership, "user", instance(User, ("id", "full_name"), (lead_user, lead_name)))
        relate(involvement, "lead_professional", membership)
        involvements.append(involvement)
    granted = {entry for entry, agency in grants if agency in mine}
    shown = frozenset(row[38] or ())
    views: list[EntryView] = []
    rows = _zip(*row[39:50], row[56])
    for pk, agency_id, agency_name, category, restricted, count, created, number, recorded, basis, text, marked in rows:
        access = entry_access(principal, EntryFacts(agency_id, restricted, child.area_id), granted=pk in granted)
        if not entry_listed(access, agency_id, shown):
            continue
        entry = instance(
            RecordEntry,
            ("id", "child_id", "agency_id", "category", "is_restricted", "revision_count", "created_at"),
            (pk, child.pk, agency_id, category, restricted, count, created),
        )
        relate(entry, "agency", instance(Agency, ("id", "name"), (agency_id, agency_name)))
        revision = None
        # A granted revision recorded as restricted (the mark lifted since) is for restricted readers only, as
        # sharing.policy.content_revision says for the ORM path.
        if (
            access >= EntryAccess.CONTENT
            and number is not None
            and (access >= EntryAccess.HISTORY or not marked or restricted_readers(principal, child.area_id, agency_id))
        ):
            revision = instance(
                EntryRevision,
                ("entry_id", "number", "recorded_at", "basis", "text", "is_restricted"),
                (pk, number, recorded, basis, text, restricted),
            )
        views.append(EntryView(entry=entry, access=access, revision=revision))
    withheld = shield_withholds(principal, child, involvements)
    record = record_as_seen(
        principal,
        child,
        names,
        addresses,
        involvements,
        views,
        withheld=withheld,
        reopenings=_zip(*row[57:60]),
        name_corrections=_zip(*row[60:63]),
    )
    record_viewed(principal, child, why, record.entries)
    return record
