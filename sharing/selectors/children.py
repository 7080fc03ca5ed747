"""Reading the child index and a child's record, as the reader's tier allows (DESIGN 3.2; WYCPS: "history of
enquiries to the register"). Every search and every view of a record is an audit event with its purpose.

Both reads cost a fixed number of SQL statements whatever the size of the index: the search is one statement
(sharing.selectors.matching holds the name-key SQL), the record five, plus the audit event and, for a shielded
child, the shielding agency's notice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, TypeVar

from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Prefetch, QuerySet
from django.utils import timezone

from agencies.policy import is_auditor
from audit.services import audit_record
from isp_portal import bounds
from isp_portal.policy import can, found_or_deny, require
from isp_portal.rows import Statement, fetch
from sharing import rules
from sharing.models import (
    Child,
    ChildAddress,
    ChildName,
    ChildNameCorrection,
    ChildReopening,
    EntryRevision,
    Involvement,
    NameKind,
    RecordEntry,
)
from sharing.policy import (
    CHILD_INDEX,
    EntryAccess,
    EntryFacts,
    RecordEntryPolicy,
    content_revision,
    entry_access,
    entry_listed,
    held_shown_agencies,
    index_agencies,
    live_grant_revisions,
    may_add_involvement,
    may_see_revision_content,
    restricted_readers,
    revisions_shown,
    shield_involvement_refusal,
    shield_names_agency,
    shield_withholds,
    shield_withholds_by,
)
from sharing.search_pace import search_paced
from sharing.services.shielding import shielded_children_reached

SEARCH_LIMIT = 50
# The most index rows one key kind of a broad name search reads (sharing.selectors.children._search_rows).
HITS_CAP = 200


def _purpose(purpose: str) -> str:
    """Every search and view states its purpose (WYCPS; DPA 2018 s62: logging with justification)."""
    try:
        return rules.purpose_cleaned(purpose)
    except rules.RuleError as error:
        raise ValidationError({"purpose": str(error)}) from None


def _normalised(rule: Callable[[str], str], value: str | None, field: str, errors: dict[str, str]) -> str | None:
    """`rule(value)` for a value given (None for none), its refusal put in `errors[field]`."""
    if value is None or not value.strip():
        return None
    try:
        return rule(value)
    except rules.RuleError as error:
        errors[field] = str(error)
        return None


@dataclass(frozen=True)
class SearchResult:
    """One child found: its minimum data as the searcher may see it, and which agencies are involved."""

    child_id: int
    given: str
    family: str
    born_on: date
    gender: str
    is_shielded: bool
    # Withheld (None) for a shielded child.
    postcode: str | None
    setting: str | None
    agencies: tuple[str, ...]
    exact: bool
    # The record is closed (Southampton 8, 11): only a likely match can be (likely_matches; the search never finds
    # one). No involvement can be added to it (sharing.policy.require_open_record): a partnership admin is asked.
    is_closed: bool = False
    # A likely match the searcher's agencies may not join (a shielded child: only the shielding agency adds an
    # involvement, sharing.policy.shield_admits_involvement), and why, in the refusal's own words
    # (shield_involvement_refusal): the page offers no "Add my involvement" it would refuse (break10e finding 8).
    involvement_refusal: str = ""


# What a search shows of a child, in search_result's order; the statement adds whether it matched exactly.
RESULT_COLUMNS = """c.id, ln.given, ln.family, c.born_on, c.gender, c.is_shielded, c.shielding_agency_id,
               addr.postcode, c.setting,
               ARRAY(SELECT DISTINCT ARRAY[ag.name, ag.id::text]
                     FROM sharing_involvement i JOIN agencies_agency ag ON ag.id = i.agency_id
                     WHERE i.child_id = c.id AND i.ended_on IS NULL ORDER BY 1)"""

RESULT_WIDTH = 10  # the columns of RESULT_COLUMNS
# What a record says of its closing and erasure (sharing.presenters.closure_sentence, api retention_out).
RETENTION_COLUMNS = ("closed_on", "closed_under", "close_reason", "erase_due_on", "erased_at")


def search_result(row: tuple[Any, ...], reader: Any) -> SearchResult:
    """A row of RESULT_COLUMNS (and the exact-match flag) as `reader` may see it: a shielded child without its
    postcode or setting, and, where the shield withholds (sharing.policy.shield_withholds_by), naming only the
    shielding agency (and the reader's own) of the agencies involved (shield_names_agency)."""
    involved = [(name, int(agency_id)) for name, agency_id in row[9] or ()]
    withheld = shield_withholds_by(reader, is_shielded=row[5], involved_now=frozenset(pk for _, pk in involved))
    return SearchResult(
        child_id=row[0],
        given=row[1] or "",
        family=row[2] or "",
        born_on=row[3],
        gender=row[4],
        is_shielded=row[5],
        postcode=None if row[5] else (row[7] or ""),
        setting=None if row[5] else row[8],
        agencies=tuple(
            name
            for name, agency_id in involved
            if shield_names_agency(reader, agency_id, withheld=withheld, shielding_agency_id=row[6])
        ),
        exact=bool(row[10]),
    )


@dataclass(frozen=True)
class Search:
    results: list[SearchResult]
    more: bool
    criteria: tuple[str, ...]


def child_search(
    *,
    principal: Any,
    purpose: str,
    name: str | None = None,
    born_on: date | None = None,
    nhs_number: str | None = None,
    postcode: str | None = None,
) -> Search:
    """Children matching every criterion given (at least one): a name (tolerant of spelling, apostrophes,
    hyphens, accents, word order; aliases too), a date of birth, an NHS number, a postcode (any address in the
    child's history). A shielded child is found only by its exact NHS number, or its exact current legal name
    with its date of birth (not a previous or known-as name), and then without its address or setting; the
    shielding agency is told (once a day per user).

    Criteria enough to find a child, not list the index (rules.search_criteria_refusal): a name alone needs a
    whole name of two letters or more; words shorter than three letters match only as written.

    Raises NotPermitted unless the principal may use the index, SearchesTooFrequent past the per-user pace
    (sharing.search_pace), ValidationError (by field) for a missing or empty purpose or bad or too few criteria.
    Audit: child.search with the criteria used (which ones, never their values) and the count.
    One statement for the search whatever the size of the index."""
    require(principal, "view", CHILD_INDEX)
    search_paced(principal)
    why = _purpose(purpose)
    errors: dict[str, str] = {}
    query: rules.NameQuery | None = None
    if name is not None and name.strip():
        if len(name) > bounds.NAME * 2 or bounds.has_nul(name):
            errors["name"] = "Enter a shorter name."
        else:
            try:
                query = rules.name_query(name)
            except rules.RuleError as error:
                errors["name"] = str(error)
    number = _normalised(rules.nhs_number_normalised, nhs_number, "nhs_number", errors)
    code = _normalised(rules.postcode_normalised, postcode, "postcode", errors)
    if not errors:
        refusal = rules.search_criteria_refusal(
            query, born_on=born_on is not None, nhs_number=number is not None, postcode=code is not None
        )
        if refusal is not None:
            errors[refusal[0]] = refusal[1]
    if errors:
        raise ValidationError(errors)
    criteria = tuple(
        label
        for label, value in (("name", query), ("born_on", born_on), ("nhs_number", number), ("postcode", code))
        if value is not None
    )
    rows = _search_rows(query, born_on, number, code)
    more = len(rows) > SEARCH_LIMIT or bool(rows and rows[0][11])
    # A row with no id only says a capped read was full with nothing matched (_search_sql).
    rows = [row for row in rows if row[0] is not None][:SEARCH_LIMIT]
    results = [search_result(row, principal) for row in rows]
    shielded = [(row[0], row[6]) for row in rows if row[5]]
    audit_record(
        kind="child.search",
        actor=principal,
        purpose=why,
        object_type="sharing.child",
        detail={
            "criteria": list(criteria),
            "result_count": len(results),
            "more": more,
            "child_ids": [result.child_id for result in results],
            "shielded_found": len(shielded),
        },
    )
    if shielded:
        shielded_children_reached(actor=principal, reached=shielded, how="search")
    return Search(results=results, more=more, criteria=criteria)


# The shape of a search: how the name is matched (None: no name; "capped": every key covers the whole query, read
# at most HITS_CAP rows of each kind straight from the index; "candidates": the few children an NHS number or a
# postcode names, their keys checked against the name's; "keys": every key of the name, grouped by name), and
# which of the date of birth, NHS number and postcode are given. Each shape is one statement text.
SearchShape = tuple[str | None, bool, bool, bool]
# One prepared statement per shape (isp_portal.rows.Statement): PostgreSQL plans the search's CTEs once per
# connection rather than on every search. At most 4 x 2 x 2 x 2 shapes, so the names are bounded.
_SEARCH_STATEMENTS: dict[SearchShape, Statement] = {}
# Any address in the child's history has the postcode.
_HAS_POSTCODE = "EXISTS (SELECT 1 FROM sharing_childaddress a WHERE a.child_id = c.id AND a.postcode = %(postcode)s)"


def _search_shape_and_params(
    query: rules.NameQuery | None, born_on: date | None, number: str | None, code: str | None
) -> tuple[SearchShape, dict[str, Any]]:
    """The search's shape and its bound parameters (by name, as `_search_sql(shape)` uses them)."""
    params: dict[str, Any] = {"limit": SEARCH_LIMIT + 1}
    matching: str | None = None
    if query is not None:
        keys = sorted(query.keys)
        params.update(
            keys=keys,
            masks=[query.keys[key] for key in keys],
            exacts=[rules.is_exact_key(key) for key in keys],
            full=query.full_mask,
            exact_key=query.exact_key,
            # The family name's initial read as prefixes of the `ti` keys (rules.NameQuery.family_initials): for
            # each, the keys from its `initial_lows` up to, not including, its `initial_highs` (the prefix with
            # its last letter moved on one: keys are lower-case ASCII letters, digits and the two separators), a
            # range of the btree on the key. Empty when the query has no such reading: no range is read then.
            initial_lows=list(query.family_initials),
            initial_highs=[_prefix_end(prefix) for prefix in query.family_initials],
            initial_given=sorted(query.given_keys),
            # The bound of the initial's reads (_INITIAL_READS), and of the capped shape's.
            cap=HITS_CAP,
        )
        if number is None and code is None and all(mask == query.full_mask for mask in query.keys.values()):
            matching = "capped"
            params.update(
                exact_keys=[key for key in keys if rules.is_exact_key(key)],
                other_keys=[key for key in keys if not rules.is_exact_key(key)],
            )
        elif number is not None or code is not None:
            matching = "candidates"
        else:
            matching = "keys"
    if born_on is not None:
        params["born"] = born_on
    if number is not None:
        params["nhs"] = number
    if code is not None:
        params["postcode"] = code
    return (matching, born_on is not None, number is not None, code is not None), params


def _prefix_end(prefix: str) -> str:
    """The least string greater than every string beginning with `prefix` (its last character moved on one)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


# A name found by its given name and its family name's initial ("Zara Q", "Sara Q": rules.NameQuery
# .family_initials): a key in one of the prefixes' ranges of the btree (whose name has one of the given name's
# keys, looked up by the unique index on (name, key)). Never an exact match. `{where}` narrows the keys read (the
# date of birth, the candidates).
_BY_INITIAL = """
                SELECT k.name_id, k.child_id, false AS exact_words FROM {source}
                WHERE EXISTS (SELECT 1 FROM unnest(%(initial_lows)s::text[], %(initial_highs)s::text[]) AS p(low, high)
                              WHERE k.key >= p.low AND k.key < p.high AND left(k.key, length(p.low)) = p.low) {where}
                  AND EXISTS (SELECT 1 FROM sharing_childnamekey g
                              WHERE g.name_id = k.name_id AND g.key = ANY(%(initial_given)s::text[]))"""


_CANDIDATE_KEYS = "cand JOIN sharing_childnamekey k ON k.child_id = cand.id"

# The same reading for a broad search (no NHS number or postcode: the "capped" shape), bounded by the rows READ,
# not matched (break10e finding 4): a LIMIT on the matches reads every key of a common pair ("J S": tens of
# thousands at 1,000,000 children) when none matches, and the date of birth, the index's second column, does not
# bound a range of its first. So at most HITS_CAP keys are read from each side (the prefixes' ranges together,
# each read to the cap at most, then the cap on them all), and each name read is checked for the other side by
# the unique index on (name, key): with a date of birth, the given name's keys of children born that day (an
# equality on both columns of the index: the few such children); without one, the prefixes' ranges and the given
# name's keys. A side read to the cap means "more: narrow the search" (its `side` column).
_INITIAL_READS_BORN = """
            initial_reads AS (
                SELECT g.name_id, g.child_id, false AS side FROM sharing_childnamekey g
                WHERE cardinality(%(initial_lows)s::text[]) > 0
                  AND g.key = ANY(%(initial_given)s::text[]) AND g.born_on = %(born)s
                LIMIT %(cap)s
            ),"""
_INITIAL_READS = """
            initial_reads AS (
                (SELECT r.name_id, r.child_id, true AS side
                 FROM unnest(%(initial_lows)s::text[], %(initial_highs)s::text[]) AS p(low, high)
                 CROSS JOIN LATERAL (SELECT k.name_id, k.child_id FROM sharing_childnamekey k
                                     WHERE k.key >= p.low AND k.key < p.high AND left(k.key, length(p.low)) = p.low
                                     LIMIT %(cap)s) r
                 LIMIT %(cap)s)
                UNION ALL
                (SELECT g.name_id, g.child_id, false FROM sharing_childnamekey g
                 WHERE cardinality(%(initial_lows)s::text[]) > 0 AND g.key = ANY(%(initial_given)s::text[])
                 LIMIT %(cap)s)
            ),"""
# Whether one of the initial's reads was full (`initial_reads`: its `side` column): "more", narrow the search.
_INITIAL_READ_FULL = (
    "(SELECT count(*) FILTER (WHERE side) >= %(cap)s OR count(*) FILTER (WHERE NOT side) >= %(cap)s FROM initial_reads)"
)
# Each name read is checked for the other side only (a key of a range for the given name's keys, and the other
# way round), by a lookup per name: OFFSET 0 keeps PostgreSQL from turning it into a join with every key of the
# ranges or of the given name (what the bounded reads avoid).
_INITIAL_HITS = """
            initial_hits AS (
                SELECT r.name_id, r.child_id FROM initial_reads r
                WHERE (r.side AND EXISTS (SELECT 1 FROM sharing_childnamekey g
                                          WHERE g.name_id = r.name_id
                                            AND g.key = ANY(%(initial_given)s::text[]) OFFSET 0))
                   OR (NOT r.side AND EXISTS (
                          SELECT 1 FROM unnest(%(initial_lows)s::text[], %(initial_highs)s::text[]) AS p(low, high)
                          JOIN sharing_childnamekey k ON k.name_id = r.name_id
                           AND k.key >= p.low AND k.key < p.high AND left(k.key, length(p.low)) = p.low
                          OFFSET 0))
            ),"""


def _search_sql(shape: SearchShape) -> str:
    """The one statement of a search of this shape: the name keys matched per name (every query word covered;
    with the date of birth, only the keys of children born that day), then the children with every other
    criterion, their legal name, current postcode and setting, and the agencies involved. A broad name search
    reads a bounded number of index rows. Every value is a named parameter (`_search_shape_and_params`)."""
    matching, born, number, code = shape
    # A closed record (past the age scope and not kept, or closed by a partnership admin: Southampton 8, 11) is
    # not found by the search; its page says it is closed.
    conditions = ["c.merged_into_id IS NULL", "c.closed_on IS NULL"]
    named = ""
    join = ""
    exact_column = "false"
    capped_column = "false"
    if matching is not None:
        born_filter = "AND k.born_on = %(born)s" if born else ""
        if matching == "capped":
            # Every key covers the whole query (one word, or two looked up by pairs): any row of a key is a
            # match, so read at most HITS_CAP rows of the exact keys and as many of the others, straight from
            # the index, rather than every Smith in the index. More than that is "more": narrow the search.
            hits = f"""{_INITIAL_READS_BORN if born else _INITIAL_READS}{_INITIAL_HITS}
            hits AS (
                (SELECT k.name_id, k.child_id, true AS exact_words FROM sharing_childnamekey k
                 WHERE k.key = ANY(%(exact_keys)s::text[]) {born_filter} LIMIT %(cap)s)
                UNION ALL
                (SELECT k.name_id, k.child_id, false FROM sharing_childnamekey k
                 WHERE k.key = ANY(%(other_keys)s::text[]) {born_filter} LIMIT %(cap)s)
                UNION ALL
                (SELECT name_id, child_id, false FROM initial_hits LIMIT %(cap)s)
            ),"""  # noqa: S608 - a fixed fragment; every value is a bound parameter
            capped_column = f"((SELECT count(*) >= %(cap)s FROM hits) OR {_INITIAL_READ_FULL})"  # noqa: S608
        elif matching == "candidates":
            # An NHS number or a postcode names few children: check the name against their keys only (by the
            # index on the key's child), not every key of the name in the index.
            candidate = []
            if number:
                candidate.append("c.nhs_number = %(nhs)s")
            if code:
                candidate.append(_HAS_POSTCODE)
            hits = f"""
            cand AS (
                SELECT c.id FROM sharing_child c WHERE {" AND ".join(candidate)}
            ),
            hits AS (
                SELECT k.name_id, k.child_id,
                       bit_or(CASE WHEN q.exact THEN q.mask ELSE 0 END) = %(full)s AS exact_words
                FROM cand JOIN sharing_childnamekey k ON k.child_id = cand.id {born_filter} JOIN q ON q.key = k.key
                GROUP BY k.name_id, k.child_id
                HAVING bit_or(q.mask) = %(full)s
                UNION ALL
                {_BY_INITIAL.format(source=_CANDIDATE_KEYS, where=born_filter)}
            ),"""  # noqa: S608 - fixed fragments; every value is a bound parameter
        else:
            # Three words or more looked up by their pairs. A given name of several words with the family name's
            # initial ("Mary-Ann Q": rules.NameQuery.family_initials, break10g finding 1) is read as the capped
            # shape reads it, bounded by the rows read (an initial's range may hold tens of thousands of keys).
            hits = f"""{_INITIAL_READS_BORN if born else _INITIAL_READS}{_INITIAL_HITS}
            hits AS (
                SELECT k.name_id, k.child_id,
                       bit_or(CASE WHEN q.exact THEN q.mask ELSE 0 END) = %(full)s AS exact_words
                FROM q JOIN sharing_childnamekey k ON k.key = q.key {born_filter}
                GROUP BY k.name_id, k.child_id
                HAVING bit_or(q.mask) = %(full)s
                UNION ALL
                (SELECT name_id, child_id, false FROM initial_hits LIMIT %(cap)s)
            ),"""  # noqa: S608 - fixed fragments; every value is a bound parameter
            capped_column = _INITIAL_READ_FULL
        named = f"""
        WITH q AS (SELECT * FROM unnest(%(keys)s::text[], %(masks)s::int[], %(exacts)s::bool[]) AS q(key, mask, exact)),
        {hits}
        named AS (
            SELECT h.child_id, bool_or(h.exact_words) AS exact_words,
                   bool_or(n.kind = 'legal' AND n.exact_key = %(exact_key)s) AS exact_name
            FROM hits h JOIN sharing_childname n ON n.id = h.name_id
            GROUP BY h.child_id
        )
        """  # noqa: S608 - fixed fragments; every value is a bound parameter
        join = "JOIN named ON named.child_id = c.id"
        exact_column = "named.exact_words"
    if born and matching is None:
        # With a name, the date of birth is matched on the name's keys (the date the name was recorded with: the
        # child's, or a merged entry's, so its old name and date of birth still find the child it was merged into).
        conditions.append("c.born_on = %(born)s")
    if number:
        conditions.append("c.nhs_number = %(nhs)s")
    if code:
        conditions.append(_HAS_POSTCODE)
    # The ContactPoint shield: found only by its exact NHS number, or its exact CURRENT legal name with its date of
    # birth (exact_name is the legal name's): never by a previous or known-as name, which would tie an old
    # identity (an adopted or protected child's) to the new one (sharing.policy.shield_withholds). And never by a
    # search with a postcode (rules.shielded_child_found): the shield withholds the address, so a postcode must not
    # confirm or deny where a shielded child lives, whatever else the search gives.
    if rules.shielded_child_found(nhs_number=number, exact_name_with_born_on=False, postcode=code):
        shield = "true"
    elif rules.shielded_child_found(
        nhs_number=False, exact_name_with_born_on=matching is not None and born, postcode=code
    ):
        shield = "named.exact_name"  # the exact name is known per row only
    else:
        shield = "false"
    conditions.append(f"(NOT c.is_shielded OR {shield})")
    order = f"{exact_column} DESC, " if matching is not None else ""
    found = f"""
        SELECT {RESULT_COLUMNS},
               {exact_column}, {capped_column}
        FROM sharing_child c
        {join}
        LEFT JOIN sharing_childname ln ON ln.child_id = c.id AND ln.kind = 'legal'
        LEFT JOIN sharing_childaddress addr ON addr.child_id = c.id AND addr.to_on IS NULL
        WHERE {" AND ".join(conditions)}
        ORDER BY {order}ln.family, ln.given, c.id
        LIMIT %(limit)s
    """  # noqa: S608 - fixed fragments; every value is a bound parameter
    if matching not in ("capped", "keys"):
        return f"{named}{found}"
    # A capped read can be full with nothing matched (the initial's reads, bounded by rows read): then one row of
    # NULLs says so (`more`: narrow the search), which `search` reads and drops (its id is NULL).
    return f"""
        {named}, found AS ({found})
        SELECT * FROM found
        UNION ALL
        SELECT {", ".join(["NULL"] * RESULT_WIDTH)}, false, true
        WHERE NOT EXISTS (SELECT 1 FROM found) AND {capped_column}
    """  # noqa: S608 - fixed fragments; every value is a bound parameter


def _search_statement(shape: SearchShape) -> Statement:
    found = _SEARCH_STATEMENTS.get(shape)
    if found is None:
        matching, born, number, code = shape
        name = f"isp_child_search_{matching or 'none'}_{int(born)}{int(number)}{int(code)}"
        found = _SEARCH_STATEMENTS[shape] = Statement(name, _search_sql(shape))
    return found


def _search_rows(
    query: rules.NameQuery | None, born_on: date | None, number: str | None, code: str | None
) -> list[tuple[Any, ...]]:
    """The search's rows (RESULT_COLUMNS, the exact-match flag, whether a capped read was full): one prepared
    statement, whatever the criteria and the size of the index."""
    shape, params = _search_shape_and_params(query, born_on, number, code)
    return fetch(_search_statement(shape), params)


# --- A child's record --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RevisionSummary:
    """That a revision exists, by whom and when, without its content: what an auditor reads of an entry."""

    number: int
    author_id: int | None
    recorded_at: Any
    basis: str


@dataclass(frozen=True)
class EntryView:
    """One entry as the reader may see it: always its category and agency; its content only at CONTENT or
    above (`revision`: the latest, or for a grant holder the revision disclosed to them; `history`: every
    revision, newest first, for the originating agency)."""

    entry: RecordEntry
    access: EntryAccess
    revision: EntryRevision | None
    history: tuple[EntryRevision, ...] = ()
    summaries: tuple[RevisionSummary, ...] = ()


@dataclass(frozen=True)
class HeldCategory:
    """ContactPoint: which agency holds entries of which category, without their content."""

    category: str
    label: str
    agency_id: int
    agency_name: str
    count: int


@dataclass(frozen=True)
class ReopeningView:
    """A reopening of the record (sharing.services.retention.child_reopen) as its reader may see it: when, by whom
    (the partnership admin's name; "" when the portal itself reopened it), and the reason given, which is free
    text (who rang, where the child lives) and so read like a partnership admin's closing reason: None where the
    shield withholds the address (`withheld`, DESIGN 2.3, the ContactPoint shield), and None once erased with
    the record's content (`erased_on`: Southampton 6, 8; sharing.services.retention.child_erase)."""

    reopened_on: date
    reopened_by: str
    reason: str | None
    erased_on: date | None = None
    withheld: bool = False


@dataclass(frozen=True)
class NameCorrectionView:
    """A correction of the child's legal name (sharing.services.children.child_update) as its reader may see it:
    when, by whom ("" when the portal itself made it) and the reason given, which is free text naming the name
    put right, and so read like a previous name: None where the shield withholds the other names (`withheld`,
    DESIGN 2.3) and once erased with the record's content (`erased_on`: Southampton 6, 8; child_erase)."""

    # ReopeningView's shape, field for field in the same order: _reasoned_seen builds both.
    corrected_on: date
    corrected_by: str
    reason: str | None
    erased_on: date | None = None
    withheld: bool = False


# A reopening as both reads read it: (reopened on, reason, the reopener's name or None).
ReopeningRow = tuple[date, str, str | None]
# A name correction as both reads read it: (corrected at, reason, the corrector's name or None).
NameCorrectionRow = tuple[datetime, str, str | None]

_ReasonedView = TypeVar("_ReasonedView", ReopeningView, NameCorrectionView)


def _reasoned_arrays(rows: QuerySet[Any], **columns: str) -> dict[str, ArraySubquery]:
    """`rows` (the child's own, by OuterRef("pk"), in the order to show) as one array per column, annotations of
    the child's own statement (child_record): the record's statement count stays what it was."""
    return {name: ArraySubquery(rows.values(column)) for name, column in columns.items()}


def _reasoned_seen(
    view: type[_ReasonedView],
    rows: Sequence[tuple[Any, str, str | None]],
    day: Callable[[Any], date],
    *,
    erased_on: date | None,
    withheld: bool,
) -> list[_ReasonedView]:
    """The one reading of a change made with a free-text reason (a reopening, a name correction), each row (when,
    reason, who or None) as `view` (its day by `day`): the reason left out once the record's content is erased
    (`erased_on`: the erasure replaced it) or where the shield withholds it (`withheld`)."""
    return [
        view(
            day(when),
            by or "",
            None if erased_on is not None or withheld else reason,
            erased_on,
            withheld and erased_on is None,
        )
        for when, reason, by in rows
    ]


# The reopenings of the child being read, in the order they were made, as three arrays of the child's own
# statement (child_record).
REOPENING_ARRAYS = _reasoned_arrays(
    ChildReopening.objects.filter(child_id=OuterRef("pk")).order_by("reopened_at", "pk"),
    reopened_ons="reopened_on",
    reopened_reasons="reason",
    reopened_bys="reopened_by__full_name",
)

# The child's name corrections, oldest first, as three arrays of the child's own statement, as the reopenings are.
NAME_CORRECTION_ARRAYS = _reasoned_arrays(
    ChildNameCorrection.objects.filter(child_id=OuterRef("pk")).order_by("corrected_at", "pk"),
    corrected_ats="corrected_at",
    corrected_reasons="reason",
    corrected_bys="corrected_by__full_name",
)


def reopenings_seen(rows: Sequence[ReopeningRow], *, erased_on: date | None, withheld: bool) -> list[ReopeningView]:
    """The reopenings as the reader may see them (ReopeningView): the reason left out once the record's content
    is erased (`erased_on`: the erasure replaced it) or where the shield withholds the address."""
    return _reasoned_seen(ReopeningView, rows, lambda on: on, erased_on=erased_on, withheld=withheld)


def name_corrections_seen(
    rows: Sequence[NameCorrectionRow], *, erased_on: date | None, withheld: bool
) -> list[NameCorrectionView]:
    """The name corrections as the reader may see them (NameCorrectionView): the reason left out once the
    record's content is erased or where the shield withholds the child's other names."""
    return _reasoned_seen(NameCorrectionView, rows, timezone.localdate, erased_on=erased_on, withheld=withheld)


@dataclass
class ChildRecord:
    child: Child
    legal_name: ChildName | None
    other_names: list[ChildName]
    # Empty when withheld with the address (a shielded child's previous and known-as names: policy.shield_withholds).
    # None when withheld (a shielded child, for a reader whose agency is not involved: policy.shield_withholds).
    current_address: ChildAddress | None
    address_history: list[ChildAddress] | None
    setting_withheld: bool  # the address, phone and setting are withheld (one flag, one rule)
    involvements: list[Involvement]
    held: list[HeldCategory]
    entries: list[EntryView] = field(default_factory=list)
    # The child's contact details as the reader may see them: None when withheld (setting_withheld). Readers
    # (the page, the API) take them from here, never from `child`.
    phone: str | None = None
    setting: str | None = None
    setting_name: str | None = None
    # A partnership admin's closing reason: free text that says where the child went and with whom, so withheld
    # with the address (setting_withheld; DESIGN 2.3, the ContactPoint shield). The reader is still told the
    # record is closed, when and under which rule. None when withheld or when there is none.
    close_reason: str | None = None
    # Whose closing and erasure the record says: the child's own, or for an entry merged into another, its
    # survivor's (the merged-away entry's content went to it: closed and erased with it; break10e finding 5).
    retention: Child | None = None
    # The record's reopenings, oldest first, as the reader may see them (reopenings_seen): shown wherever its
    # closing is, to the same readers (the record page, its erased page, the API's `reopenings`).
    reopenings: list[ReopeningView] = field(default_factory=list)
    # The corrections of its legal name, oldest first, with the reasons given (name_corrections_seen): shown with
    # its names, to every reader of the record (b11k; break11h F8).
    name_corrections: list[NameCorrectionView] = field(default_factory=list)


def child_record(
    *, principal: Any, child_id: Any, purpose: str, check: Callable[[ChildRecord], None] | None = None
) -> ChildRecord:
    """A child's summary (minimum data, names, involvements), the categories held and by whom (a held-only entry
    where the protocol version says so: sharing.policy.entry_listed), and the entries the principal may read,
    each at its level (sharing.policy.entry_access). A shielded child's address and
    setting are withheld unless the reader's agency is involved; the shielding agency is told.

    `check`, when given, judges the record as read before it is recorded as viewed (the API's `?fields=`
    against what the reader may see): a read it refuses showed nothing, so it writes no child.view (the trail
    must not say a record was seen when nothing was returned).

    Raises OutOfScope (404) for a child that does not exist or that the principal may not see, ValidationError
    for a missing purpose, and whatever `check` raises. Audit: child.view with the purpose and the entries
    shown with content.
    Five statements for the reads, whatever the size of the record."""
    why = _purpose(purpose)
    try:
        wanted = int(child_id)
    except (TypeError, ValueError):
        wanted = -1
    child = (
        Child.objects.select_related("area")
        .annotate(**REOPENING_ARRAYS, **NAME_CORRECTION_ARRAYS)
        .filter(pk=wanted if 0 < wanted <= bounds.ID_MAX else -1)
        .prefetch_related(
            Prefetch("names", queryset=ChildName.objects.order_by("kind", "id")),
            Prefetch("addresses", queryset=ChildAddress.objects.order_by("-from_on", "-id")),
            Prefetch(
                "involvements",
                queryset=Involvement.objects.select_related("agency", "lead_professional__user").order_by(
                    "ended_on", "-started_on", "id"
                ),
            ),
        )
        .first()
    )
    child = found_or_deny(principal, Child, child, target_id=child_id)
    mine = index_agencies(principal)
    names = list(child.names.all())
    involvements = list(child.involvements.all())
    withheld = shield_withholds(principal, child, involvements)
    addresses = list(child.addresses.all())
    entries = list(
        RecordEntry.objects.filter(child_id=child.pk)
        .select_related("agency")
        .prefetch_related(Prefetch("revisions", queryset=EntryRevision.objects.order_by("-number")))
        .order_by("category", "-created_at")
    )
    # Revisions were loaded with the entries; content is kept only where the reader may see it.
    grants = live_grant_revisions(principal, [entry.pk for entry in entries if entry.agency_id not in mine])
    views: list[EntryView] = []
    # Whose held entries the reader is told of (the protocol version's say): asked only when one is held-only.
    shown: frozenset[int] | None = None
    for entry in entries:
        access = entry_access(
            principal, EntryFacts(entry.agency_id, entry.is_restricted, child.area_id), granted=entry.pk in grants
        )
        if access == EntryAccess.HELD and shown is None:
            shown = held_shown_agencies(principal)
        if not entry_listed(access, entry.agency_id, shown):
            continue
        revisions = list(entry.revisions.all())
        facts = EntryFacts(entry.agency_id, entry.is_restricted, child.area_id)
        # A grant holder sees the revision their grant opens, not a later correction (content_revision).
        latest = content_revision(
            access,
            revisions,
            grants.get(entry.pk, frozenset()),
            restricted_ok=restricted_readers(principal, child.area_id, entry.agency_id),
        )
        history = (
            revisions_shown(principal, tuple(revisions), facts)
            if may_see_revision_content(principal, access, latest=False)
            else ()
        )
        views.append(EntryView(entry=entry, access=access, revision=latest, history=history))
    reopened = list(zip(child.reopened_ons, child.reopened_reasons, child.reopened_bys, strict=True))  # type: ignore[attr-defined]
    corrected = list(zip(child.corrected_ats, child.corrected_reasons, child.corrected_bys, strict=True))  # type: ignore[attr-defined]
    record = record_as_seen(
        principal,
        child,
        names,
        addresses,
        involvements,
        views,
        withheld=withheld,
        reopenings=reopened,
        name_corrections=corrected,
    )
    if check is not None:
        check(record)
    record_viewed(principal, child, why, record.entries)
    return record


def record_as_seen(
    reader: Any,
    child: Child,
    names: list[ChildName],
    addresses: list[ChildAddress],
    involvements: list[Involvement],
    views: list[EntryView],
    *,
    withheld: bool,
    reopenings: Sequence[ReopeningRow] = (),
    name_corrections: Sequence[NameCorrectionRow] = (),
) -> ChildRecord:
    """The record as its reader may see it, from what was read (the ORM path and the page's statement alike):
    when `withheld` (sharing.policy.shield_withholds), the shielded child's other names, addresses, phone,
    setting and closing reason are left out (None or empty), and so are the involvements and held entries of
    agencies the shield does not let it name (sharing.policy.shield_names_agency: only the shielding agency and
    the reader's own; an entry the reader may read keeps its agency), so neither the page nor the API can show
    them. `reopenings` are the child's own reopenings (ReopeningRow, oldest first), told to every reader its
    closing is told to, their reasons read as the closing reason is (reopenings_seen); `name_corrections` its
    legal name's corrections (NameCorrectionRow, oldest first), their reasons read as its other names are."""

    def named(agency_id: int) -> bool:
        return shield_names_agency(reader, agency_id, withheld=withheld, shielding_agency_id=child.shielding_agency_id)

    views = [view for view in views if view.revision is not None or named(view.entry.agency_id)]
    # An entry merged into another says its survivor's status (one query, for a merged-away entry only).
    retention = (
        child
        if child.merged_into_id is None
        else Child.objects.only("id", *RETENTION_COLUMNS).filter(pk=child.merged_into_id).first() or child
    )
    return ChildRecord(
        child=child,
        legal_name=next((name for name in names if name.kind == NameKind.LEGAL), None),
        other_names=[] if withheld else [name for name in names if name.kind != NameKind.LEGAL],
        current_address=None if withheld else next((a for a in addresses if a.to_on is None), None),
        address_history=None if withheld else addresses,
        setting_withheld=withheld,
        involvements=[involvement for involvement in involvements if named(involvement.agency_id)],
        held=held_categories(views),
        entries=views,
        phone=None if withheld else child.phone,
        setting=None if withheld else child.setting,
        setting_name=None if withheld else child.setting_name,
        close_reason=None if withheld else (retention.close_reason or None),
        retention=retention,
        reopenings=reopenings_seen(
            reopenings, erased_on=child.erased_at.date() if child.erased_at else None, withheld=withheld
        ),
        name_corrections=name_corrections_seen(
            name_corrections, erased_on=child.erased_at.date() if child.erased_at else None, withheld=withheld
        ),
    )


def held_categories(views: list[EntryView]) -> list[HeldCategory]:
    """Which agency holds entries of which category, from the entries listed (ContactPoint), by label and agency;
    each entry's agency must be loaded."""
    held: dict[tuple[str, int], HeldCategory] = {}
    for view in views:
        entry = view.entry
        key = (entry.category, entry.agency_id)
        found = held.get(key)
        held[key] = HeldCategory(
            entry.category, entry.category_label, entry.agency_id, entry.agency.name, (found.count if found else 0) + 1
        )
    return sorted(held.values(), key=lambda item: (item.label, item.agency_name))


def record_viewed(principal: Any, child: Child, why: str, views: list[EntryView]) -> None:
    """The audit event of a view of a child's record (child.view, with its purpose and which entries were shown
    with content), and, for a shielded child, the notice to the shielding agency (once a day per user)."""
    _child_viewed(
        principal,
        child,
        why,
        {
            "entries_with_content": [view.entry.pk for view in views if view.revision is not None],
            "entries_held_only": len([view for view in views if view.revision is None]),
        },
        how="record",
    )


def _child_viewed(principal: Any, child: Child, why: str, detail: dict[str, Any], *, how: str) -> None:
    """A view of a child: the child.view event with its purpose (DPA 2018 s62) and, for a shielded child the
    reader is not one of the shielding agency's, that agency's notice (once a day per user)."""
    audit_record(
        kind="child.view",
        actor=principal,
        target=child,
        child_id=child.pk,
        purpose=why,
        detail={**detail, "shielded": child.is_shielded},
    )
    shielding = child.shielding_agency_id
    if child.is_shielded and shielding is not None and shielding not in index_agencies(principal):
        shielded_children_reached(actor=principal, reached=[(child.pk, shielding)], how=how)


def child_named(*, principal: Any, child: Child, purpose: str, page: str) -> ChildName | None:
    """The legal name of `child`, for a form about it that names it with its date of birth (its caption, so nobody
    records against the wrong child), for a principal the view has let reach it (found_or_deny). Showing a child's
    name and date of birth by its id is a view of the child like any other (DPA 2018 s62: logging with its
    justification; WYCPS "history of enquiries to the register"; ids are sequential, so an unrecorded caption
    would list the index): child.view with the purpose and the page, and for a shielded child the shielding
    agency's notice, as for its record (record_viewed). ValidationError for a missing purpose. Two statements
    (the legal name, the event), three with a shielded child's notice."""
    why = _purpose(purpose)
    legal = ChildName.objects.filter(child_id=child.pk, kind=NameKind.LEGAL).first()
    _child_viewed(principal, child, why, {"page": page, "shown": ["name", "born_on"]}, how="a form about the child")
    return legal


def likely_matches(
    *,
    principal: Any,
    purpose: str,
    given: str,
    family: str,
    born_on: date,
    nhs_number: str | None = None,
    postcode: str | None = None,
    asked_alone: bool = False,
) -> Search:
    """The children already in the index that may be the one a practitioner is about to create (same NHS
    number; or same date of birth with a similar name or the same postcode), shown as search results so the
    practitioner can add their involvement instead. Shielded children are offered only on exact terms (the same
    NHS number, or the exact name with the date of birth); a closed record only for the same NHS number, marked
    `is_closed` (no involvement can be added to it); an erased or merged one never (likely_match_rows). Audit:
    child.match (a search of the register).

    `asked_alone`: a check on its own (the API's match), not the one before a create. Then initials with no
    whole name, NHS number or postcode are refused (ValidationError on `given`, rules.INITIAL_WITH_BIRTH_DATE),
    as the search refuses them; before a create they match nothing (whole_name_queries), and the child may be
    recorded.

    A read of the register like the search (a date of birth with a postcode lists the children of a household
    born that day), so it counts against the same per-person pace (sharing.search_pace): SearchesTooFrequent
    past it, the first refusal of a minute recorded (WYCPS "history of enquiries to the register")."""
    from sharing.selectors.matching import likely_match_rows, whole_name_queries

    require(principal, "view", CHILD_INDEX)
    search_paced(principal)
    why = _purpose(purpose)
    errors: dict[str, str] = {}
    number = _normalised(rules.nhs_number_normalised, nhs_number, "nhs_number", errors)
    code = _normalised(rules.postcode_normalised, postcode, "postcode", errors)
    if asked_alone and not (number or code or whole_name_queries(given, family)):
        # As the search refuses it (rules.search_criteria_refusal): a date of birth with initials would list the
        # children born that day (break10e finding 2). The NHS number or the postcode is specific enough.
        errors["given"] = rules.INITIAL_WITH_BIRTH_DATE
    if errors:
        raise ValidationError(errors)
    matches = likely_match_rows(nhs_number=number, born_on=born_on, given=given, family=family, postcode=code)
    ids = [match.child_id for match in matches]  # shielded ones only on exact terms (likely_match_rows)
    rows = fetch(
        f"""
        SELECT {RESULT_COLUMNS},
               (c.nhs_number = %(nhs)s OR ln.exact_key = %(exact)s), c.closed_on IS NOT NULL
        FROM sharing_child c
        LEFT JOIN sharing_childname ln ON ln.child_id = c.id AND ln.kind = 'legal'
        LEFT JOIN sharing_childaddress addr ON addr.child_id = c.id AND addr.to_on IS NULL
        WHERE c.id = ANY(%(ids)s)
        ORDER BY c.id
        """,  # noqa: S608 - a fixed fragment; every value is a bound parameter
        {"ids": ids, "nhs": number, "exact": rules.name_exact_key(given, family)},
    )
    results = [replace(search_result(row, principal), is_closed=bool(row[11])) for row in rows]
    # The criteria the check was made on, by name, never their values, as child.search records them (issue 10:
    # "each search ... is an audit event with its criteria and result count"; break10g finding 6).
    criteria = tuple(
        label
        for label, given_one in (
            ("name", bool(given.strip() or family.strip())),
            ("born_on", born_on is not None),
            ("nhs_number", number is not None),
            ("postcode", code is not None),
        )
        if given_one
    )
    audit_record(
        kind="child.match",
        actor=principal,
        purpose=why,
        object_type="sharing.child",
        detail={
            "criteria": list(criteria),
            "result_count": len(results),
            "child_ids": [result.child_id for result in results],
        },
    )
    shielded = [(row[0], row[6]) for row in rows if row[5]]
    if shielded:
        shielded_children_reached(actor=principal, reached=shielded, how="a duplicate check")
        # Told after the reach is recorded, so the refusal may name the shielding agency to whom it was shown.
        results = _with_involvement_refusals(principal, results)
    return Search(results=results, more=False, criteria=criteria)


def _with_involvement_refusals(principal: Any, results: list[SearchResult]) -> list[SearchResult]:
    """`results` with, on each shielded one none of the principal's agencies may join (may_add_involvement), why
    (shield_involvement_refusal). Queries only for such a match."""
    barred = {result.child_id for result in results if result.is_shielded and not result.is_closed}
    if not barred:
        return results
    children = {
        child.pk: child
        for child in Child.objects.select_related("shielding_agency").filter(pk__in=barred)
        if not may_add_involvement(principal, child)
    }
    return [
        replace(result, involvement_refusal=shield_involvement_refusal(principal, children[result.child_id]))
        if result.child_id in children
        else result
        for result in results
    ]


def entry_detail(*, principal: Any, entry_id: Any, purpose: str, child_id: int | None = None) -> EntryView:
    """One entry as the principal may see it: its latest revision to those who may read it, every revision's
    content to the originating agency, and to auditors the list of revisions (who, when, why) without content.

    Raises OutOfScope (404) for an entry that does not exist or whose existence the principal may not know
    (a restricted one), NotPermitted (403) when they may only know that it is held (the reason says which agency
    to ask), ValidationError for a missing purpose. With `child_id`, an entry of another child is not found (a
    page's address names the child). Audit: entry.view with the purpose."""
    why = _purpose(purpose)
    try:
        wanted = int(entry_id)
    except (TypeError, ValueError):
        wanted = -1
    found = RecordEntry.objects.filter(pk=wanted if 0 < wanted <= bounds.ID_MAX else -1)
    if child_id is not None:
        found = found.filter(child_id=child_id)
    entry = (
        found.select_related("agency", "child")
        .prefetch_related(Prefetch("revisions", queryset=EntryRevision.objects.order_by("-number")))
        .first()
    )
    entry = found_or_deny(principal, RecordEntry, entry, target_id=entry_id)
    if not is_auditor(principal) or can(principal, "read", entry):
        # 403 with the holding agency named, for someone who may only know the entry is held.
        require(principal, "read", entry)
        access = RecordEntryPolicy.access_of(principal, entry)
        revisions = list(entry.revisions.all())
        view = EntryView(
            entry=entry,
            access=access,
            # A grant holder: the revision disclosed to them, never a later correction (content_revision).
            revision=content_revision(
                access,
                revisions,
                RecordEntryPolicy.granted_of(principal, entry),
                restricted_ok=restricted_readers(principal, entry.child.area_id, entry.agency_id),
            ),
            history=revisions_shown(
                principal, tuple(revisions), EntryFacts(entry.agency_id, entry.is_restricted, entry.child.area_id)
            )
            if may_see_revision_content(principal, access, latest=False)
            else (),
        )
    else:
        # Auditors (DESIGN 1): the history of revisions, never their content.
        require(principal, "audit_history", entry)
        summaries = tuple(
            RevisionSummary(revision.number, revision.author_id, revision.recorded_at, revision.basis)
            for revision in entry.revisions.all()
        )
        view = EntryView(entry=entry, access=EntryAccess.HELD, revision=None, summaries=summaries)
    audit_record(
        kind="entry.view",
        actor=principal,
        target=entry,
        child_id=entry.child_id,
        purpose=why,
        detail={"content": view.revision is not None, "revisions": entry.revision_count},
    )
    return view
