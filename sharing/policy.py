"""Who may see and do what with children and their records: the data tiers of DESIGN 3.2 (Haringey 3.7-3.9;
WYCPS levels of information, restricted indicators and area-based access).

* **Minimum tier** (the child index): practitioners and designated managers of agencies that may share (active,
  ICO registration in force) and hold a live signature on a protocol in force, with valid information-sharing
  training (Buckinghamshire 4). They search, see a child's minimum data and *which* agencies are involved and
  which categories of entry they hold, never the content. Partnership admins see the index to merge duplicates.
* **Content of an entry**: the practitioners of the agency that recorded it; and anyone holding a live grant
  to it (EntryGrant: the named recipients of a disclosure, until it expires).
* **Restricted entries** (WYCPS: the Schedule One indicator; Barnet: victim information): only staff
  authorised for restricted information, of the originating agency or of an agency in the child's own area
  (WYCPS: "authorised social services staff will access personal details for service users within their own
  Local Authority area"), or under a grant to such a person. To anyone else a restricted entry does not exist:
  even its category would say too much.
* **Auditors** read the history of an entry's revisions (who, when, why) and never their content (DESIGN 1).

Out of scope answers 404; in scope but not allowed 403 (isp_portal.policy); every denial is recorded once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from agencies.models import Role
from agencies.policy import (
    NOBODY,
    is_auditor,
    is_partnership_admin,
    principal,
    token_scope_allows,
    training_gate_reason,
)
from agencies.rules import agency_may_share
from isp_portal.policy import NotPermitted, Policy, Resource, SystemActor, register, register_resource
from isp_portal.rows import Statement, fetch
from protocols.models import IN_FORCE_STATUSES, Signature
from sharing import rules
from sharing.models import Child, EntryGrant, EntryRevision, Involvement, RecordEntry, ShieldedAccess

PRACTISING_ROLES = frozenset({Role.PRACTITIONER.value, Role.DESIGNATED_MANAGER.value})


# --- The minimum tier: who may use the child index ------------------------------------------------------------


# Every page of the child index asks it once (docs/fast-pages.md §3: a prepared statement, no query compiled per
# request). The same as Signature.objects.filter(agency_id__in=..., withdrawn_at__isnull=True,
# version_id=F("protocol__current_version_id"), protocol__status__in=IN_FORCE_STATUSES); tests/sharing/
# test_search_fast_path.py compares the two.
_SIGNATORIES = Statement(
    "isp_signatory_agencies",
    """SELECT s.agency_id FROM protocols_signature s JOIN protocols_protocol p ON p.id = s.protocol_id
    WHERE s.agency_id = ANY(%(agencies)s::bigint[]) AND s.withdrawn_at IS NULL AND s.version_id = p.current_version_id
      AND p.status = ANY(%(statuses)s::text[])""",
)


def signatory_agencies(user: Any) -> frozenset[int]:
    """Which of the user's agencies hold a live signature on the version in force of a protocol in force (DESIGN
    2.2: sharing is only possible between agencies with a live signature on an active protocol). One query,
    cached on the user for the request."""
    cached = getattr(user, "_isp_signatory_agencies", None)
    if isinstance(cached, frozenset):
        return cached
    mine = member_agencies(user)
    found: frozenset[int] = frozenset()
    if mine:
        found = frozenset(
            row[0] for row in fetch(_SIGNATORIES, {"agencies": mine, "statuses": [str(s) for s in IN_FORCE_STATUSES]})
        )
    if user is not None and getattr(user, "is_authenticated", False):
        user._isp_signatory_agencies = found
    return found


def token_reads_index(user: Any) -> bool:
    """Whether `user` is an API token whose scopes reach the child index (DESIGN 4: least privilege)."""
    scopes = principal(user).token_scopes
    return scopes is not None and token_scope_allows(scopes, "view", f"resource:{CHILD_INDEX_NAME}")


def token_reads_content(user: Any) -> bool:
    """Whether `user` is an API token whose scopes reach its own agency's entries' content (records:read)."""
    scopes = principal(user).token_scopes
    return scopes is not None and token_scope_allows(scopes, "read", "sharing.recordentry")


def signatory_agencies_load(users: Iterable[Any]) -> None:
    """`signatory_agencies` of each of `users` (read with their principals), answered in one statement for them
    all and kept on each, as if each had asked: the same signatures of the same agencies, so a policy asked about
    several people (the managers asked to approve: disclosures.services.checks.ask_approval) asks no statement
    per person."""
    people = [user for user in users if getattr(user, "is_authenticated", False) and not isinstance(user, SystemActor)]
    wanted = sorted({agency for user in people for agency in member_agencies(user)})
    signed: frozenset[int] = frozenset()
    if wanted:
        signed = frozenset(
            row[0] for row in fetch(_SIGNATORIES, {"agencies": wanted, "statuses": [str(s) for s in IN_FORCE_STATUSES]})
        )
    for user in people:
        remember_signatory_agencies(user, frozenset(member_agencies(user)) & signed)


def forget_signatory_agencies(user: Any) -> None:
    if hasattr(user, "_isp_signatory_agencies"):
        del user._isp_signatory_agencies


def remember_signatory_agencies(user: Any, found: frozenset[int]) -> None:
    """Keep what `signatory_agencies` would answer for the request, when a page's own statement read it with its
    rows (sharing.selectors.record_page: the same signatures, folded in). Only for a signed-in person."""
    if user is not None and getattr(user, "is_authenticated", False) and not isinstance(user, SystemActor):
        user._isp_signatory_agencies = found


def index_candidates(user: Any) -> frozenset[int]:
    """The agencies for which the user may use the child index if they have signed a protocol in force: every
    condition of `index_agencies` but the signatures, answered from memory (the principal). Empty for a user
    whose training is not valid, and for an API token whose scopes do not reach the index."""
    facts = principal(user)
    today = timezone.localdate()
    key = ("index_candidates", today)
    known: frozenset[int] | None = facts.memo.get(key)
    if known is not None:
        return known
    if (getattr(user, "is_system", False) and not token_reads_index(user)) or training_gate_reason(user) is not None:
        found: frozenset[int] = frozenset()
    else:
        found = frozenset(
            m.agency_id
            for m in facts.memberships
            if m.agency_id is not None
            and m.roles & PRACTISING_ROLES
            and agency_may_share(m.agency_status, m.agency_ico_expires_on, today)
        )
    if facts is not NOBODY:  # the one principal every anonymous caller shares: nothing kept on it
        facts.memo[key] = found
    return found


def member_agencies(user: Any) -> list[int]:
    """Every agency the user is a member of (what `signatory_agencies` asks about)."""
    return [m.agency_id for m in principal(user).memberships if m.agency_id is not None]


def index_agencies(user: Any) -> frozenset[int]:
    """The agencies for which the user may use the child index now: they practise there (practitioner or
    designated manager), the agency may share today and it has signed a protocol in force; and the user's
    training is valid. Empty for everyone else. An agency system's API token uses the index only when one of
    its scopes reaches it (children:read and the scopes that imply it: agencies.policy.TOKEN_SCOPE_ACTIONS)."""
    practising = index_candidates(user)
    if not practising:
        return frozenset()
    return practising & signatory_agencies(user)


def index_refusal(user: Any) -> str | None:
    """Why the user may not use the child index (None when they may), in words they can act on."""
    if isinstance(user, SystemActor) or index_agencies(user):
        return None
    facts = principal(user)
    practising = [m for m in facts.memberships if m.agency_id is not None and m.roles & PRACTISING_ROLES]
    if is_partnership_admin(user) and not practising and training_gate_reason(user):
        return training_gate_reason(user)
    if not practising:
        return "Only practitioners and designated managers of partner agencies can search for children."
    gate = training_gate_reason(user)
    if gate:
        return gate
    today = timezone.localdate()
    for membership in practising:
        if not agency_may_share(membership.agency_status, membership.agency_ico_expires_on, today):
            return (
                f"{membership.agency_name} cannot share information now: it must be active, with its "
                "ICO registration in force."
            )
    names = ", ".join(m.agency_name for m in practising)
    return f"{names} has not signed a protocol in force, so its people cannot use the child index yet."


def may_use_index(user: Any) -> bool:
    return isinstance(user, SystemActor) or bool(index_agencies(user))


def merges_index(user: Any) -> bool:
    """Whether the user reaches the child index as a partnership admin, to find and merge duplicate entries: a
    partnership admin whose information-sharing training is valid. The training gate (Buckinghamshire 4:
    accreditation before access) holds for them as for everyone who opens a child's record."""
    return is_partnership_admin(user) and training_gate_reason(user) is None


# The child index as a whole: "may this user search it" (sharing.selectors.child_search). Partnership admins
# search it too, to find the duplicate entries they merge; they see the minimum data only, and the shield holds.
CHILD_INDEX_NAME = "child_index"
CHILD_INDEX = Resource(CHILD_INDEX_NAME, "the child index")
register_resource(
    CHILD_INDEX,
    lambda user, action: action == "view" and (may_use_index(user) or merges_index(user)),
    lambda user, action: index_refusal(user) or "You do not have permission to do this.",
)


# --- The aggregate tier ---------------------------------------------------------------------------------------


def sharing_now_agencies(user: Any) -> frozenset[int]:
    """The user's agencies that may share information today (active, ICO registration in force: agencies.rules.
    agency_may_share), whatever the user's role there. From the principal alone: no statement."""
    today = timezone.localdate()
    return frozenset(
        m.agency_id
        for m in principal(user).memberships
        if m.agency_id is not None and agency_may_share(m.agency_status, m.agency_ico_expires_on, today)
    )


def aggregate_refusal(user: Any) -> str | None:
    """Why the user may not read the counts of children (None when they may).

    DESIGN 3.2: the aggregate tier is for any member of an active signatory agency (whatever their role there:
    counts are anonymised, Haringey 3.7a "aggregate and management information ... for planning and monitoring";
    WYCPS "only anonymised data will be used for planning") and for auditors. No training gate: the
    information-sharing training is a condition of access to child records (Buckinghamshire 4), and a
    suppressed count is not one. "Active" as for sharing: active, with its ICO registration in force."""
    if isinstance(user, SystemActor) or is_auditor(user):
        return None
    active = sharing_now_agencies(user)
    if not active:
        return (
            "Counts of children are for members of partner agencies that may share information now, and for auditors."
        )
    if not active & signatory_agencies(user):
        return "Counts of children are for members of agencies that have signed a protocol in force, and for auditors."
    return None


# The counts of children by agency, area, age band, gender and ethnicity (sharing.selectors.aggregate).
CHILD_AGGREGATE_NAME = "child_aggregate"
CHILD_AGGREGATE = Resource(CHILD_AGGREGATE_NAME, "the counts of children")
register_resource(
    CHILD_AGGREGATE,
    lambda user, action: action == "view" and aggregate_refusal(user) is None,
    lambda user, action: aggregate_refusal(user) or "You do not have permission to do this.",
)


# The children past the age scope, closed or erased (Southampton 8, 11; sharing.selectors.retention): for the
# partnership admins who keep the index (with valid training, as for merging), by index number only.
CHILD_RETENTION_NAME = "child_retention"
CHILD_RETENTION = Resource(CHILD_RETENTION_NAME, "the children past the age scope and the records closed")
register_resource(
    CHILD_RETENTION,
    lambda user, action: action == "view" and merges_index(user),
    lambda user, action: (
        (training_gate_reason(user) if is_partnership_admin(user) else None)
        or "Only a partnership admin can see the records past the age scope, closed or erased."
    ),
)


# --- Entries: the grant check and the levels of access ----------------------------------------------------------


class EntryAccess(IntEnum):
    """How much of an entry someone may see, from nothing to its whole history."""

    NONE = 0  # not even that it exists
    HELD = 1  # that an entry of this category is held, and by which agency
    CONTENT = 2  # the revision a grant opens (the one disclosed; the current one for a grant naming none)
    HISTORY = 3  # every revision's content (the originating agency)


@dataclass(frozen=True)
class EntryFacts:
    """What decides access to one entry, loaded with it (no query per entry)."""

    agency_id: int
    is_restricted: bool
    child_area: str | None  # the GSS code of the child's area (agencies.Area), None when it has none


def restricted_authority(user: Any) -> tuple[frozenset[int], frozenset[str]]:
    """Where `user` is authorised for restricted information: (agency ids, area GSS codes). A restricted entry is
    theirs to read when it originates in one of those agencies or is about a child of one of those areas (WYCPS
    restricted indicators, area-based access): the flag, on a membership of an agency they still practise in for
    the index, in a local authority (agencies.policy.may_be_authorised_for_restricted). Never an API token:
    restricted information is for people (WYCPS: "authorised Social Services personnel"). The one reading of the
    flag for restricted_readers and for the queries that filter by it (_visible_entries, the approvals queue)."""
    if getattr(user, "is_system", False):
        return frozenset(), frozenset()
    indexed = index_agencies(user)
    authorised = [m for m in principal(user).memberships if m.reads_restricted and m.agency_id in indexed]
    return (
        frozenset(m.agency_id for m in authorised if m.agency_id is not None),
        frozenset(m.agency_area for m in authorised if m.agency_area),
    )


def restricted_readers(user: Any, child_area: str | None, originating_agency_id: int) -> bool:
    """Whether the user is authorised for restricted information in the originating agency, or in an agency
    of the child's own area (WYCPS area-based access; restricted_authority). Areas are compared by GSS code
    (agencies.Area), so two spellings of one area cannot give different answers."""
    agencies, areas = restricted_authority(user)
    return originating_agency_id in agencies or bool(child_area and child_area in areas)


def _live_grants_of(user: Any, agencies: frozenset[int], at: datetime | None = None) -> QuerySet[EntryGrant]:
    """The grant check's one condition: the user's grants not revoked and not expired at `at` (now), given to
    them as a member of one of `agencies` (those they still practise in for the index). Not evaluated."""
    moment = at or timezone.now()
    return EntryGrant.objects.filter(
        user_id=getattr(user, "pk", None) or 0,
        agency_id__in=agencies,
        revoked_at__isnull=True,
        granted_at__lte=moment,
        expires_at__gt=moment,
    )


# What a live grant opens of its entry: revision ids, and LATEST for a grant that names none (given before
# disclosures named the revision disclosed), which opens whatever revision is the latest, as grants always did.
LATEST: None = None
GrantedRevisions = frozenset[int | None]


def live_grant_revisions(
    user: Any, entry_ids: list[int], at: datetime | None = None, *, disclosure_id: int | None = None
) -> dict[int, GrantedRevisions]:
    """For each of `entry_ids` the user holds a live grant to (_live_grants_of), the revisions those grants open:
    the revision each names, or LATEST (None) for one that names none. A disclosure's grant opens exactly the
    revision disclosed, so a correction recorded after it is not shown to its recipients (DESIGN 2.3).
    `disclosure_id` counts only the grants that disclosure gave: what one disclosure shows is decided by its own
    grants, so revoking it hides its content even while another disclosure of the same entry lives. One query."""
    agencies = index_agencies(user)
    if not entry_ids or not agencies:
        return {}
    found: dict[int, set[int | None]] = {}
    grants = _live_grants_of(user, agencies, at).filter(entry_id__in=entry_ids)
    if disclosure_id is not None:
        grants = grants.filter(disclosure_id=disclosure_id)
    rows = grants.values_list("entry_id", "revision_id")
    for entry_id, revision_id in rows:
        found.setdefault(entry_id, set()).add(revision_id)
    return {entry_id: frozenset(revisions) for entry_id, revisions in found.items()}


def live_grants(
    user: Any, entry_ids: list[int], at: datetime | None = None, *, disclosure_id: int | None = None
) -> frozenset[int]:
    """Which of `entry_ids` the user holds a live grant to (_live_grants_of), given by `disclosure_id` when it is
    named. One query."""
    return frozenset(live_grant_revisions(user, entry_ids, at, disclosure_id=disclosure_id))


def granted_revisions(revisions: Sequence[EntryRevision], granted: GrantedRevisions) -> tuple[EntryRevision, ...]:
    """Of an entry's revisions (newest first), those the grants `granted` open: each revision named, and the
    latest for a grant that names none. No query."""
    return tuple(
        revision
        for index, revision in enumerate(revisions)
        if revision.pk in granted or (index == 0 and LATEST in granted)
    )


def content_revision(
    access: EntryAccess,
    revisions: Sequence[EntryRevision],
    granted: GrantedRevisions = frozenset(),
    *,
    restricted_ok: bool = False,
) -> EntryRevision | None:
    """The revision whose content is the entry's content for this reader (`revisions` newest first): the latest
    for the originating agency (HISTORY); for a grant holder (CONTENT) the newest of the revisions their grants
    open (granted_revisions), never a later correction (DESIGN 2.3: what was disclosed is what the recipient
    sees); none for anyone else. A granted revision recorded as restricted is shown only when `restricted_ok`
    (restricted_readers), as revisions_shown keeps it from anyone else. No query."""
    if not revisions or access < EntryAccess.CONTENT:
        return None
    if access >= EntryAccess.HISTORY:
        return revisions[0]
    shown = [r for r in granted_revisions(revisions, granted) if restricted_ok or not r.is_restricted]
    return shown[0] if shown else None


def entry_access(user: Any, facts: EntryFacts, *, granted: bool) -> EntryAccess:
    """The level of access the user has to an entry with `facts` (`granted`: they hold a live grant to it).
    Pure once the user's principal is loaded: the child's record decides every entry with no further query."""
    if isinstance(user, SystemActor):
        return EntryAccess.HISTORY
    indexed = index_agencies(user)
    if not indexed:
        return EntryAccess.NONE
    own = facts.agency_id in indexed
    if facts.is_restricted and not restricted_readers(user, facts.child_area, facts.agency_id):
        return EntryAccess.NONE
    if getattr(user, "is_system", False):
        # An API token: the content of its own agency's entries with records:read, never through a grant
        # (grants name people; DESIGN 4: system accounts are never recipients).
        return EntryAccess.HISTORY if own and token_reads_content(user) else EntryAccess.HELD
    if own:
        return EntryAccess.HISTORY
    if granted:
        return EntryAccess.CONTENT
    return EntryAccess.HELD


def may_read_entry(user: Any, entry: RecordEntry, at: datetime | None = None) -> bool:
    """Whether the user may read the content of `entry` at the moment `at` (now by default): the check every
    reader of an entry's content asks, and the one the disclosures of the next issue open by adding EntryGrant
    rows. At most two queries (the child's area, when not loaded, and the grants)."""
    facts = EntryFacts(entry.agency_id, entry.is_restricted, entry.child.area_id)
    granted = bool(live_grants(user, [entry.pk], at)) if facts.agency_id not in index_agencies(user) else False
    return entry_access(user, facts, granted=granted) >= EntryAccess.CONTENT


def held_shown_agencies(user: Any) -> frozenset[int]:
    """The agencies whose held entries (category and agency, no content: EntryAccess.HELD) the user may be told
    of: those with a live signature on a version in force of a protocol in force that says so
    (ProtocolVersion.shows_held_categories; WYCPS "levels of information") and that one of the user's index
    agencies has signed too, the protocol they share information under. One query, cached for the request;
    sharing.selectors.record_page folds the same question into the page's statement."""
    cached = getattr(user, "_isp_held_shown", None)
    if isinstance(cached, frozenset):
        return cached
    mine = index_agencies(user)
    found: frozenset[int] = frozenset()
    if mine:
        found = frozenset(_held_shown_signatures(mine).values_list("agency_id", flat=True))
    if getattr(user, "is_authenticated", False) and not isinstance(user, SystemActor):
        user._isp_held_shown = found
    return found


def _held_shown_signatures(mine: frozenset[int]) -> Any:
    """The live signatures of the agencies whose held entries a reader of `mine` is told of (held_shown_agencies:
    a queryset, so a scope can use it as a subquery with no statement of its own)."""
    versions = Signature.objects.filter(
        agency_id__in=mine,
        withdrawn_at__isnull=True,
        version_id=F("protocol__current_version_id"),
        protocol__status__in=IN_FORCE_STATUSES,
        version__shows_held_categories=True,
    ).values("version_id")
    return Signature.objects.filter(version_id__in=versions, withdrawn_at__isnull=True)


def entry_listed(access: EntryAccess, agency_id: int, held_shown: frozenset[int] | None) -> bool:
    """Whether a child's record lists an entry the reader has `access` to: always when they may read it; a held
    one (its category and agency) only where the protocol version says so (`held_shown`: held_shown_agencies;
    None for a reader who sees everything, a system actor)."""
    if access >= EntryAccess.CONTENT:
        return True
    return access == EntryAccess.HELD and (held_shown is None or agency_id in held_shown)


@dataclass(frozen=True)
class ShieldFacts:
    """What the ContactPoint shield decides on for one child and one reader, read with the child's record page
    (sharing.selectors.record_page) so the decision needs no query: the agencies with an open involvement, the
    agencies through which the reader holds a live grant to one of its entries, and whether the reader reached
    it today on the exact terms (a ShieldedAccess row)."""

    involved: frozenset[int]
    granted_through: frozenset[int]
    reached_today: bool


def shield_lets_in_by(user: Any, child: Child, facts: ShieldFacts) -> bool:
    """`shield_lets_in` decided from `facts` (shield_open's conditions, in memory)."""
    if not child.is_shielded or isinstance(user, SystemActor) or merges_index(user):
        return True
    mine = index_agencies(user)
    return (
        child.shielding_agency_id in mine
        or bool(facts.involved & mine)
        or bool(facts.granted_through & mine)
        or facts.reached_today
    )


# --- The registered policies -------------------------------------------------------------------------------------


def involved_agencies(child_id: int) -> frozenset[int]:
    """The agencies with an open involvement with the child (one query)."""
    return frozenset(
        Involvement.objects.filter(child_id=child_id, ended_on__isnull=True).values_list("agency_id", flat=True)
    )


AREA_CHANGE_REFUSAL = (
    "Only a practitioner or designated manager of an involved agency in the child's current area can change its "
    "area: the area decides who may know of restricted information (area-based access), so it is not changed by "
    "the staff it would open that information to. Ask the involved agency in the child's area."
)


def may_change_area(user: Any, child_area: str | None, involved: frozenset[int]) -> bool:
    """Whether the user may change a child's area (GSS code `child_area`, None when it has none; `involved`: the
    agencies involved with it now). WYCPS: "authorised social services staff will access personal details for
    service users within their own Local Authority area", so the area decides who may know of restricted entries
    (restricted_readers). A person who practises for an involved agency of the child's current area already has
    that area's access: moving the child elsewhere opens nothing to them. Anyone else could move the child into
    their own area and so grant themselves access, so only the former may; when the child has no area yet, any
    involved agency's practitioner sets it. Never an API token: the change is a person's judgement. The portal's
    own processes (SystemActor: commands, the demo) may."""
    if isinstance(user, SystemActor):
        return True
    if getattr(user, "is_system", False):
        return False
    mine = index_agencies(user) & involved
    if not mine:
        return False
    if not child_area:
        return True
    return any(m.agency_id in mine and m.agency_area == child_area for m in principal(user).memberships)


def _involved_now(child: Child) -> frozenset[int]:
    """The agencies involved with the child now: from the facts a page's statement already read
    (sharing.selectors.record_page sets `shield_facts`), else one query (involved_agencies)."""
    facts = getattr(child, "shield_facts", None)
    return facts.involved if facts is not None else involved_agencies(child.pk)


def shield_open(user: Any, via: str = "") -> Q:
    """The shielded children the user may reach by their number (a record, an involvement, an entry): the ContactPoint
    shield (DESIGN 2.3) lets a shielded child be found only by its exact NHS number or exact full name with date
    of birth, so reaching one by its id alone (ids are sequential) must not bypass it. Open to the shielding
    agency and the agencies involved with the child, to a person who reached it today on the exact terms (a
    search or a duplicate check: the ShieldedAccess row that told the shielding agency), and to the holder of a
    live grant to one of its entries (a disclosure made to them). Every unshielded child is open.

    `via` is the path from the model filtered to its child ("child__" for an involvement or an entry), so every
    object of a child is reached on the same terms as the child itself (one rule: a route that takes an entry or
    an involvement answers the same 404 for a shielded child as for a missing id)."""
    mine = index_agencies(user)
    granted = _live_grants_of(user, mine).values("entry__child_id")
    reached = ShieldedAccess.objects.filter(user_id=getattr(user, "pk", None) or 0, on_date=timezone.localdate())
    involved = Involvement.objects.filter(agency_id__in=mine, ended_on__isnull=True)

    def open_terms(child: str) -> Q:
        return (
            Q(**{f"{child}is_shielded": False})
            | Q(**{f"{child}shielding_agency_id__in": mine})
            | Q(**{f"{child}pk__in": involved.values("child_id")})
            | Q(**{f"{child}pk__in": granted})
            | Q(**{f"{child}pk__in": reached.values("child_id")})
        )

    # An entry merged into another is reached through its survivor's shield too (the merge moved its names,
    # addresses and involvements there; what stays on it, its phone and setting, is the same child's).
    return open_terms(via) & (Q(**{f"{via}merged_into__isnull": True}) | open_terms(f"{via}merged_into__"))


def shield_lets_in(user: Any, child: Child) -> bool:
    """Whether the shield lets the user reach `child` by its id (shield_open); partnership admins reach every
    entry, to merge duplicates. No query for an unshielded child, one for a shielded one, none for a child read
    with its `shield_facts` (ShieldFacts: the record page's statement reads them with the child). An entry merged
    into another is reached on its survivor's terms (shield_open): one query."""
    if (not child.is_shielded and child.merged_into_id is None) or isinstance(user, SystemActor):
        return True
    if merges_index(user):
        return True
    if child.merged_into_id is None:
        facts = getattr(child, "shield_facts", None)
        if isinstance(facts, ShieldFacts):
            return shield_lets_in_by(user, child, facts)
    return Child.objects.filter(pk=child.pk).filter(shield_open(user)).exists()


def shield_withholds(user: Any, child: Child, involvements: Iterable[Involvement]) -> bool:
    """Whether a child's contact details (address and its history, postcode, phone, current setting), its
    previous and known-as names and the other agencies involved with it (shield_names_agency) are withheld from
    the user: the ContactPoint shield (DESIGN 2.3) withholds every way to reach a shielded child from anyone whose
    agency is not involved with it now, and its other names, which tie an old identity (an adopted or protected
    child's) to the current one. The one rule the record page and the API both follow (through
    sharing.selectors.child_record and record_page, which leave those details out of what they return). No query:
    `involvements` are the child's, already loaded. An entry merged into another is read through its survivor's
    shield (what stays on it, its phone and setting, is the survivor's child's): one query."""
    if child.merged_into_id is not None and not isinstance(user, SystemActor):
        mine = index_agencies(user)
        return (
            Child.objects.filter(pk=child.merged_into_id, is_shielded=True)
            .exclude(pk__in=Involvement.objects.filter(agency_id__in=mine, ended_on__isnull=True).values("child_id"))
            .exists()
        )
    involved = frozenset(i.agency_id for i in involvements if i.ended_on is None)
    return shield_withholds_by(user, is_shielded=child.is_shielded, involved_now=involved)


def shield_withholds_by(user: Any, *, is_shielded: bool, involved_now: frozenset[int]) -> bool:
    """`shield_withholds` from the facts a read already holds (a search row: whether the child is shielded, the
    agencies with an open involvement). Pure once the principal is loaded."""
    if not is_shielded or isinstance(user, SystemActor):
        return False
    return not involved_now & index_agencies(user)


def shield_names_agency(user: Any, agency_id: int, *, withheld: bool, shielding_agency_id: int | None) -> bool:
    """Whether an agency involved with a child (or holding an entry about it) may be named to the user. Where the
    shield withholds (shield_withholds), only the shielding agency is named, as the one to contact, and the user's
    own agencies: the others say where the child can be found (its school, its GP, the refuge's service), which
    is what the shield withholds (ContactPoint withheld the services involved with a shielded child). An entry
    disclosed to the user names its agency with its content (a grant: the agency chose to share with them).
    Pure once the principal is loaded."""
    return not withheld or agency_id == shielding_agency_id or agency_id in index_agencies(user)


def shield_names_agency_of(user: Any, child: Child, agency_id: int) -> bool:
    """Whether `agency_id`, involved with `child` or holding an entry about it, may be named to the user
    (shield_names_agency, where shield_withholds_by says the shield withholds). No query for an unshielded child;
    one for a shielded one (the agencies involved), none when its page read them."""
    if not child.is_shielded:
        return True
    withheld = shield_withholds_by(user, is_shielded=True, involved_now=_involved_now(child))
    return shield_names_agency(user, agency_id, withheld=withheld, shielding_agency_id=child.shielding_agency_id)


def shield_names_holder(user: Any, entry: RecordEntry) -> bool:
    """Whether the agency holding `entry` may be named to the user for its child (shield_names_agency_of)."""
    return shield_names_agency_of(user, entry.child, entry.agency_id)


def shield_named_q(mine: frozenset[int], via: str = "") -> Q:
    """shield_names_agency_of as a filter on objects that name an agency (`agency_id`) and a child (`via` the path
    to it, "child__"): the child unshielded, or the agency the user's own or the shielding one, or the shield not
    withholding from the user (one of the user's agencies `mine` involved with the child now)."""
    involved = Involvement.objects.filter(agency_id__in=mine, ended_on__isnull=True).values("child_id")
    return (
        Q(**{f"{via}is_shielded": False})
        | Q(agency_id__in=mine)
        | Q(agency_id=F(f"{via}shielding_agency_id"))
        | Q(**{f"{via}pk__in": involved})
    )


def shield_admits_involvement(child: Child, agency_id: int) -> bool:
    """Whether an involvement of `agency_id` may be added to `child`: the ContactPoint shield (DESIGN 2.3) lets the
    shielding agency control who may reach a shielded child, and an involvement opens its address, phone and
    setting (shield_withholds) and its details to change (ChildPolicy `change`), so on a shielded child only the
    shielding agency adds one; any agency on an unshielded child. Pure."""
    return not child.is_shielded or child.shielding_agency_id == agency_id


def shield_admits_agency(child: Child, agency_id: int) -> bool:
    """Whether the shield lets `agency_id`, as an agency, hold and share what it knows of `child`: any agency for an
    unshielded child; for a shielded one only the shielding agency and the agencies involved with it now (the agency
    terms of shield_open: a person's own exact search today, or a grant to them, opens the child to that person, not
    to their agency). A request, or a disclosure of the child's minimum data, by an agency the shield keeps out
    would carry the index's record of the child to it (DESIGN 2.3). No query for an unshielded child, one for a
    shielded one."""
    if not child.is_shielded or child.shielding_agency_id == agency_id:
        return True
    return agency_id in involved_agencies(child.pk)


def shield_admits_request(user: Any, child: Child, holding_agency_id: int) -> bool:
    """Whether `user` may ask `holding_agency_id` about `child`: the agency is one the shield admits
    (shield_admits_agency) and one the shield lets the user know of (shield_names_agency_of: where it withholds the
    agencies involved, only the shielding agency). Refused alike whether or not the agency is involved, so the
    refusal says nothing the shield withholds. No query for an unshielded child."""
    if isinstance(user, SystemActor) or not child.is_shielded:
        return True
    return shield_names_agency_of(user, child, holding_agency_id) and shield_admits_agency(child, holding_agency_id)


def may_add_involvement(user: Any, child: Child) -> bool:
    """Whether one of the user's index agencies may add its involvement to `child` (shield_admits_involvement).
    No query once the principal is loaded."""
    if isinstance(user, SystemActor) or not child.is_shielded:
        return True
    return any(shield_admits_involvement(child, agency_id) for agency_id in index_agencies(user))


def shield_involvement_refusal(user: Any, child: Child) -> str:
    """Why an involvement may not be added to a shielded child, saying whom to contact. The shielding agency is
    named only to a reader who already reached the child on the exact terms today (a ShieldedAccess row) or whose
    agency is involved with it (told of the shield when it was set): naming it to anyone else would say which
    agency protects the child. One query, on the refusal only."""
    reached = ShieldedAccess.objects.filter(
        child_id=child.pk, user_id=getattr(user, "pk", None) or 0, on_date=timezone.localdate()
    ).exists()
    agency = child.shielding_agency if reached or involved_agencies(child.pk) & index_agencies(user) else None
    who = f"{agency}, the agency that shielded this child" if agency is not None else "the agency that shielded it"
    return (
        "This child is shielded: only the agency that shielded it can add an involvement, because an involvement "
        f"shows the child's address and setting. Contact {who}."
    )


def unshielding_agencies(user: Any) -> frozenset[int]:
    """The agencies whose shields the user may lift: those where they are a designated manager and use the index.
    People only: an API token never lifts a shield (ChildPolicy). No query once the principal is loaded."""
    if getattr(user, "is_system", False):
        return frozenset()
    return principal(user).agencies_with(Role.DESIGNATED_MANAGER.value) & index_agencies(user)


@register
class ChildPolicy(Policy[Child]):
    """The child index: index users see every child's minimum data (shielded ones are found only by an exact
    search: sharing.selectors); partnership admins see it to merge duplicates. Creating a child, adding an
    involvement and recording an entry need the index (an involvement of a shielded child, the shielding agency:
    shield_admits_involvement); changing the minimum data needs an involvement of one
    of the user's agencies; merging is a partnership admin's.

    The shield (DESIGN 2.3, the ContactPoint shield): `shield` is an involved agency's practitioners' or
    designated managers' (or its system's, with children:write), at once, because it protects the child;
    `unshield` is a designated manager's of the shielding agency, in person, because lifting it shows the
    child's address and setting to every agency again (as DESIGN 1 gives designated managers the decisions that
    share without consent)."""

    model = Child

    def scope(self, user: Any, action: str) -> Q | None:
        if merges_index(user) or isinstance(user, SystemActor):
            return Q()
        if may_use_index(user):
            return shield_open(user)
        return None

    def in_scope(self, user: Any, obj: Child) -> bool:
        return (may_use_index(user) or merges_index(user)) and shield_lets_in(user, obj)

    def permits(self, user: Any, action: str, obj: Child | None) -> bool:
        if action == "merge":
            return merges_index(user) and (obj is None or (obj.merged_into_id is None and obj.closed_on is None))
        if action == "close":
            # Southampton 8: a partnership admin closes a record no longer needed (the sweep closes those past
            # the age scope: sharing.services.retention).
            return merges_index(user) and (obj is None or (obj.merged_into_id is None and obj.closed_on is None))
        if action == "reopen":
            # The partnership admin who may close a record (above) may reopen one closed in error (a wrong date of
            # birth found after the closing date: break11d finding 11), while its content is still there; the
            # next sweep judges it afresh (sharing.services.retention.child_reopen).
            return merges_index(user) and (
                obj is None or (obj.merged_into_id is None and obj.closed_on is not None and obj.erased_at is None)
            )
        if not may_use_index(user):
            return False
        # A closed record is read (its page says it is closed, and why), never added to or changed.
        if obj is not None and obj.closed_on is not None and action != "view":
            return False
        if action == "add_involvement":
            return obj is None or (obj.merged_into_id is None and may_add_involvement(user, obj))
        if action in {"view", "search", "create", "record_entry"}:
            return obj is None or obj.merged_into_id is None or action == "view"
        if action == "change" and obj is not None:
            return obj.merged_into_id is None and bool(_involved_now(obj) & index_agencies(user))
        if action == "shield" and obj is not None:
            return (
                obj.merged_into_id is None and not obj.is_shielded and bool(_involved_now(obj) & index_agencies(user))
            )
        if action == "unshield" and obj is not None:
            return (
                obj.merged_into_id is None and obj.is_shielded and obj.shielding_agency_id in unshielding_agencies(user)
            )
        return False

    def reason(self, user: Any, action: str, obj: Child | None) -> str:
        if obj is not None and obj.merged_into_id is not None and action != "view":
            return rules.merged_refusal(obj.merged_into_id)
        if action == "reopen":
            if obj is not None and obj.closed_on is None:
                return "This record is open: there is nothing to reopen."
            if obj is not None and obj.erased_at is not None:
                return "This record's content was erased at the end of its retention period: it cannot be reopened."
            return "Only a partnership admin can reopen a child's record."
        if obj is not None and obj.closed_on is not None and action != "view":
            return "This record is closed: nothing can be added to it or changed."
        if action == "close":
            return "Only a partnership admin can close a child's record."
        if action == "merge":
            if is_partnership_admin(user):
                return training_gate_reason(user) or "You do not have permission to do this."
            return "Only a partnership admin can merge two entries for the same child."
        why = index_refusal(user)
        if why:
            return why
        if action == "add_involvement" and obj is not None and obj.is_shielded:
            return shield_involvement_refusal(user, obj)
        if action == "change":
            return "Only an agency involved with this child can change its details: add your involvement first."
        if action == "shield":
            if obj is not None and obj.is_shielded:
                return "This child is already shielded."
            return "Only an agency involved with this child can shield it: add your involvement first."
        if action == "unshield":
            if obj is not None and not obj.is_shielded:
                return "This child is not shielded."
            return "Only a designated manager of the agency that shielded this child can lift the shield."
        return "You do not have permission to do this."

    def child_of(self, obj: Child) -> int | None:
        return obj.pk


@register
class InvolvementPolicy(Policy[Involvement]):
    """Involvements are part of the minimum tier (ContactPoint: which services, not what they hold); an agency
    ends only its own."""

    model = Involvement

    def scope(self, user: Any, action: str) -> Q | None:
        if merges_index(user) or isinstance(user, SystemActor):
            return Q()
        # A shielded child's involvement is reached on the child's own terms (shield_open): ending one must not
        # answer 403 where the child itself answers 404, which would tell that it exists. And where the shield
        # withholds (a reader who found the child exactly but is not involved), an involvement of an agency it
        # does not name (shield_names_agency: its school, its GP) is out of scope too: a 403 for it, or "has
        # already ended", would count and date the agencies the shield withholds (break10d finding 5).
        if not may_use_index(user):
            return None
        return shield_open(user, "child__") & shield_named_q(index_agencies(user), "child__")

    def in_scope(self, user: Any, obj: Involvement) -> bool:
        if merges_index(user):
            return shield_lets_in(user, obj.child)
        return (
            may_use_index(user)
            and shield_lets_in(user, obj.child)
            and shield_names_agency_of(user, obj.child, obj.agency_id)
        )

    def permits(self, user: Any, action: str, obj: Involvement | None) -> bool:
        if action == "view":
            return True
        if action in {"end", "change"} and obj is not None:
            return obj.ended_on is None and obj.agency_id in index_agencies(user)
        return False

    def reason(self, user: Any, action: str, obj: Involvement | None) -> str:
        if obj is not None and obj.ended_on is not None:
            return "This involvement has already ended."
        return index_refusal(user) or "Only the involved agency's practitioners can change its involvement."

    def child_of(self, obj: Involvement) -> int | None:
        return obj.child_id


def _visible_entries(user: Any) -> Q | None:
    """Entries whose existence the user may know: unrestricted ones for index users; restricted ones only for
    those who may read them (restricted_authority)."""
    if not index_agencies(user):
        return None
    agencies, areas = restricted_authority(user)
    restricted = Q(agency_id__in=sorted(agencies)) | Q(child__area_id__in=sorted(areas))
    return Q(is_restricted=False) | (Q(is_restricted=True) & restricted)


@register
class RecordEntryPolicy(Policy[RecordEntry]):
    """`view`: know that the entry is held (category and agency); `read`: its current content; `history`: every
    revision's content; `revise`: a new revision (the originating agency); `audit_history`: the list of
    revisions without content (auditors)."""

    model = RecordEntry

    def scope(self, user: Any, action: str) -> Q | None:
        if is_auditor(user) and action in {"view", "audit_history"}:
            return Q()
        visible = _visible_entries(user)
        if visible is None:
            return visible
        # An entry the reader may not even be told is held (entry_listed: a held-only one of an agency whose
        # protocol version does not show held categories) is out of scope like a missing id, so its page, its
        # revisions and the API answer 404, never a 403 naming its holder (WYCPS levels of information).
        mine = index_agencies(user)
        granted = _live_grants_of(user, mine).values("entry_id")
        cached = getattr(user, "_isp_held_shown", None)
        shown: Any = cached if isinstance(cached, frozenset) else _held_shown_signatures(mine).values("agency_id")
        listed = Q(agency_id__in=mine) | Q(agency_id__in=shown) | Q(pk__in=granted)
        # The shield as in_scope applies it (shield_lets_in), so get_or_deny and found_or_deny agree: 404. And a
        # held-only entry of an agency the shield does not let it name (shield_names_agency) is out of scope too:
        # its 403 would name the holder (the shielded child's school, its GP).
        named = shield_named_q(mine, "child__") | Q(pk__in=granted)
        return visible & listed & shield_open(user, "child__") & named

    def in_scope(self, user: Any, obj: RecordEntry) -> bool:
        if is_auditor(user):
            return True
        access = self._access(user, obj)
        if access < EntryAccess.HELD:
            return False
        shown = None if access >= EntryAccess.CONTENT else held_shown_agencies(user)
        if not (entry_listed(access, obj.agency_id, shown) and shield_lets_in(user, obj.child)):
            return False
        return access >= EntryAccess.CONTENT or shield_names_holder(user, obj)

    def permits(self, user: Any, action: str, obj: RecordEntry | None) -> bool:
        if obj is None:
            return False
        if action == "audit_history":
            return is_auditor(user) or self._access(user, obj) >= EntryAccess.HISTORY
        required = {
            "view": EntryAccess.HELD,
            "read": EntryAccess.CONTENT,
            "history": EntryAccess.HISTORY,
            "revise": EntryAccess.HISTORY,
        }.get(action)
        if required is None:
            return False
        if action == "view" and is_auditor(user):
            return True
        return self._access(user, obj) >= required

    def reason(self, user: Any, action: str, obj: RecordEntry | None) -> str:
        if obj is not None and action in {"read", "history"}:
            return (
                f"{obj.agency} holds this entry. Its content is shared only with your consent basis and a request "
                "to that agency, or when it discloses it to you."
            )
        if action == "revise":
            return "Only the agency that recorded an entry can correct it."
        return "You do not have permission to do this."

    def child_of(self, obj: RecordEntry) -> int | None:
        return obj.child_id

    @staticmethod
    def access_of(user: Any, obj: RecordEntry) -> EntryAccess:
        """The user's level of access to the entry (cached for the request)."""
        return RecordEntryPolicy._access(user, obj)

    @staticmethod
    def granted_of(user: Any, obj: RecordEntry) -> GrantedRevisions:
        """The revisions the user's live grants open of the entry (live_grant_revisions), read with its access
        (no further query once `_access` has been asked)."""
        RecordEntryPolicy._access(user, obj)
        cached: dict[tuple[int, bool], tuple[EntryAccess, GrantedRevisions]] = getattr(user, "_isp_entry_access", {})
        found = cached.get((obj.pk, obj.is_restricted))
        return found[1] if found is not None else frozenset()

    @staticmethod
    def _access(user: Any, obj: RecordEntry) -> EntryAccess:
        # Cached for the request by what decides it, so a revision that restricts the entry is seen at once; the
        # revisions the grants open are kept with it (one query for both).
        cached: dict[tuple[int, bool], tuple[EntryAccess, GrantedRevisions]] = (
            getattr(user, "_isp_entry_access", None) or {}
        )
        key = (obj.pk, obj.is_restricted)
        if key not in cached:
            facts = EntryFacts(obj.agency_id, obj.is_restricted, obj.child.area_id)
            granted: GrantedRevisions = (
                live_grant_revisions(user, [obj.pk]).get(obj.pk, frozenset())
                if facts.agency_id not in index_agencies(user)
                else frozenset()
            )
            cached[key] = (entry_access(user, facts, granted=bool(granted)), granted)
            if getattr(user, "is_authenticated", False) and not isinstance(user, SystemActor):
                user._isp_entry_access = cached
        return cached[key][0]


@register
class EntryRevisionPolicy(Policy[EntryRevision]):
    """A revision's content is read by those with the entry's full history, and its latest one by those who may
    read the entry; auditors see that revisions exist, not their content."""

    model = EntryRevision

    def scope(self, user: Any, action: str) -> Q | None:
        if is_auditor(user):
            return Q()
        visible = _visible_entries(user)
        if visible is None:
            return None
        # Held-only readers see nothing of a revision; the selectors decide per entry (sharing.selectors).
        return Q(entry__in=RecordEntry.objects.filter(visible).filter(agency_id__in=index_agencies(user)))

    def in_scope(self, user: Any, obj: EntryRevision) -> bool:
        return is_auditor(user) or RecordEntryPolicy._access(user, obj.entry) >= EntryAccess.CONTENT

    def permits(self, user: Any, action: str, obj: EntryRevision | None) -> bool:
        return obj is not None and action == "view" and self.in_scope(user, obj)

    def child_of(self, obj: EntryRevision) -> int | None:
        return obj.entry.child_id


def may_see_revision_content(user: Any, access: EntryAccess, *, latest: bool) -> bool:
    """Auditors never see content (DESIGN 1); the originating agency sees every revision; a grant holder only
    the revision their grant opens (`latest`: whether the revision asked about is that one; content_revision
    picks it)."""
    if access >= EntryAccess.HISTORY:
        return True
    return latest and access >= EntryAccess.CONTENT


def revisions_shown(user: Any, revisions: tuple[EntryRevision, ...], facts: EntryFacts) -> tuple[EntryRevision, ...]:
    """Of an entry's history, the revisions whose content the user may see: a revision recorded as restricted
    stays restricted after a later revision lifts the mark (WYCPS restricted indicators; Barnet: victim
    information kept apart), so only those authorised for restricted information (restricted_readers) see it;
    correcting the mark does not open what was recorded under it. No query."""
    if isinstance(user, SystemActor) or not any(revision.is_restricted for revision in revisions):
        return revisions
    if restricted_readers(user, facts.child_area, facts.agency_id):
        return revisions
    return tuple(revision for revision in revisions if not revision.is_restricted)


# The refusal of every share of a closed record (disclosures.services: a request's terms, an answer, the making of a
# disclosure, so a request, an emergency or unrequested share, an onward one): Southampton 8, 11.
CLOSED_RECORD_SHARE = (
    "it is kept for reference only until its erasure, so nothing about the child is requested or shared."
)


def require_open_record(child: Child, *, action: str, target: Any, what: str) -> None:
    """Raise NotPermitted (403) when `child`'s record is closed: Southampton 8, a closed record is kept for
    reference until its content is erased, never added to or changed. `target` is the object acted on (its
    model and id go on the refusal's audit row); `what` ends the sentence "This child's record is closed: ..."."""
    if child.closed_on is None:
        return
    raise NotPermitted(
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        reason=f"This child's record is closed: {what}",
        child_id=child.pk,
    )
