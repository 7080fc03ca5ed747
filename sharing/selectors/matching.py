"""Finding a child by name keys in the database: the SQL behind the search and the duplicate check.

The rule is sharing.rules.name_match: a query is a set of keys, each with the bit mask of the query words it
covers; a name matches when the OR of the masks of its keys that are in the index equals the full mask. Here
that is one join of the query's keys (a few dozen at most) with the btree index on ChildNameKey.key, grouped by
name: a handful of index lookups whatever the size of the index, and no extension (STACK-NOTES).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from isp_portal.rows import fetch
from sharing import rules


@dataclass(frozen=True)
class LikelyMatch:
    """An existing child that may be the one about to be created, and why."""

    child_id: int
    same_nhs_number: bool
    similar_name: bool
    same_postcode: bool
    # A closed record (Southampton 8, 11): offered only for the same NHS number, and no involvement can be added
    # to it (sharing.policy.require_open_record).
    is_closed: bool = False

    @property
    def reasons(self) -> list[str]:
        found = []
        if self.same_nhs_number:
            found.append("the same NHS number")
        if self.similar_name:
            found.append("the same date of birth and a similar name")
        if self.same_postcode:
            found.append("the same date of birth and postcode")
        return found


def _key_arrays(*queries: rules.NameQuery) -> tuple[list[str], list[list[int]]]:
    """The union of the queries' keys, with each query's mask for every key (0 where it has none)."""
    keys = sorted({key for query in queries for key in query.keys})
    return keys, [[query.keys.get(key, 0) for key in keys] for query in queries]


def whole_name_queries(given: str, family: str) -> list[rules.NameQuery]:
    """The given and family names' queries that a likely match reads: each with a word of at least
    rules.NAME_ALONE_MIN letters. A one-letter "name" is an initial, similar to every name it begins (its key
    `i:a` read as a whole name would list every child born that day with that initial: the fishing search
    rules.INITIAL_WITH_BIRTH_DATE refuses; break10e finding 2), so it is read only through the other name,
    whole. Pure."""
    queries = []
    for part in (given, family):
        try:
            query = rules.name_query(part)
        except rules.RuleError:
            continue
        if max(len(word) for word in query.exact_key.split()) >= rules.NAME_ALONE_MIN:
            queries.append(query)
    return queries


def likely_match_rows(
    *, nhs_number: str | None, born_on: date, given: str, family: str, postcode: str | None
) -> list[LikelyMatch]:
    """Children (not merged away, not erased) with the same NHS number; or the same date of birth and a similar
    name (the given names or the family name found in full, in any of its names; an initial alone never:
    whole_name_queries) or the same postcode (any address in
    its history). A shielded child is a likely match only on the terms that find it in a search: the same NHS
    number, or its exact current legal name with the date of birth (not an old or known-as name; else a creation
    would reveal that it exists). A closed record only for the same NHS number: the number is the child's
    (unique in the index), so nobody records a second entry for a closed child without being told why they
    cannot; on a similar name or postcode it is not offered, as the search does not find it (Southampton 8: kept
    for reference only). An erased record holds no names: never. One statement."""
    queries = whole_name_queries(given, family)
    keys, masks = _key_arrays(*queries) if queries else ([], [])
    while len(masks) < 2:
        masks.append([0] * len(keys))
    fulls = [query.full_mask for query in queries] + [-1] * (2 - len(queries))
    rows = fetch(
        """
        WITH q AS (SELECT * FROM unnest(%(keys)s::text[], %(first)s::int[], %(second)s::int[]) AS q(key, m1, m2)),
        named AS (
            SELECT k.child_id
            FROM q JOIN sharing_childnamekey k ON k.key = q.key AND k.born_on = %(born)s
            GROUP BY k.name_id, k.child_id
            HAVING bit_or(q.m1) = %(full1)s OR bit_or(q.m2) = %(full2)s
        ),
        placed AS (
            SELECT a.child_id FROM sharing_childaddress a JOIN sharing_child c ON c.id = a.child_id
            WHERE %(postcode)s::text IS NOT NULL AND a.postcode = %(postcode)s AND c.born_on = %(born)s
        )
        SELECT c.id,
               coalesce(c.nhs_number = %(nhs)s, false),
               c.id IN (SELECT child_id FROM named),
               c.id IN (SELECT child_id FROM placed),
               c.closed_on IS NOT NULL
        FROM sharing_child c
        WHERE c.merged_into_id IS NULL AND c.erased_at IS NULL
          AND (c.closed_on IS NULL OR coalesce(c.nhs_number = %(nhs)s, false))
          AND ((%(nhs)s::text IS NOT NULL AND c.nhs_number = %(nhs)s)
               OR c.id IN (SELECT child_id FROM named) OR c.id IN (SELECT child_id FROM placed))
          AND (NOT c.is_shielded OR coalesce(c.nhs_number = %(nhs)s, false)
               OR (c.born_on = %(born)s AND EXISTS (
                   SELECT 1 FROM sharing_childname n
                   WHERE n.child_id = c.id AND n.kind = 'legal' AND n.exact_key = %(exact)s)))
        ORDER BY c.id
        LIMIT 20
        """,
        {
            "keys": keys,
            "first": masks[0],
            "second": masks[1],
            "full1": fulls[0],
            "full2": fulls[1],
            "born": born_on,
            "postcode": postcode or None,
            "nhs": nhs_number or None,
            "exact": rules.name_exact_key(given, family),
        },
    )
    return [LikelyMatch(row[0], bool(row[1]), bool(row[2]), bool(row[3]), bool(row[4])) for row in rows]
