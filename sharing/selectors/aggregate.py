"""The aggregate tier (DESIGN 2.3, 3.2; Haringey 3.7a "aggregate and management information, which shall be used
mainly for planning and monitoring purposes"; WYCPS "only anonymised data will be used for planning"; Southampton
12): counts of the children in the index by two of agency, area, age band, gender and ethnicity, with small
counts suppressed by `sharing.rules.suppress_table`, then every count shown, totals included, perturbed by the
cell-key method (`sharing.rules.perturb_table`: ONS Census 2021, ABS TableBuilder), so that tables asked for
together do not add up to a hidden count (break11c findings 1 and 2). Never a person: no name, no id, only counts.

One SQL statement with GROUP BY per table (prepared, like the child pages' reads: docs/fast-pages.md), each cell
with its count and the sum of its children's cell keys, then the suppression and the perturbation in Python over
a table of at most a few hundred cells. The tables by agency read the counts (and key sums) the triggers keep
(sharing.models.counts: a few thousand rows rather than the index joined with its involvements, DESIGN 5's
300 ms at 1,000,000 children); the others group the children themselves.

Published as at the start of the day (break11d finding 1). The cell-key noise is fixed for a fixed set of
records, but the index is live and a reader changes the records the noise is keyed by: a practitioner moving
their own children in and out of a cell, reading after each move, drew a fresh noise each time and averaged it
away (40 swaps gave the hidden neighbour's count exactly). So every table is read from the day's snapshot of the
counts (`sharing.models.AggregateSnapshot`, `SNAPSHOT_COUNTS`: the kept counts and the children grouped, with
their key sums, in one statement), taken just after midnight by the beat (sharing.tasks.aggregate_snapshot) or,
when there is none for today, once by the day's first reader under a transaction-level advisory lock
(sharing.services.snapshots.aggregate_snapshot_for); the page and the API say "as at" its time. Edits made
during the day show the next day, so they cannot re-roll the noise of today's counts.

The residual risk, accepted. One fresh noise a day can still be drawn: a practitioner who moves their own
children at the end of each day and reads the next morning gets one sample of a hidden neighbour's count plus
noise per day. The ptable's noise runs from -2 to +2, with -2 and +2 each a chance in 8, so seeing both ends
(whose midpoint is the count) takes about 20 to 30 days on average and several weeks to be sure; all the while
the neighbour's cell must not change, and every swap is an audited edit of a child's minimum data
(`child.update`, naming the fields and the reason "corrected") by someone recording changes to children they
are involved with. Months of daily back-and-forth corrections of ethnicity or area by one person show in the audit
trail as a pattern no casework produces (`child.update` events of the same few children, alternating, with a
`child.aggregate` read the next morning each time): the auditors' exports filtered by user (DESIGN 2.6) are
where it would be seen. Snapshots rarer than daily would slow the attack further but leave the counts stale for
planning; holding back the reader's own changes would need the counts per reader. A daily snapshot is what statistical
offices' "tables on demand" amount to (ONS and ABS publish fixed tables from a fixed extract), and the insider
who would spend months on it already holds the children's records they move: we accept it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.utils import timezone

from audit.services import audit_record
from isp_portal.policy import require
from isp_portal.rows import Statement, fetch
from sharing.models import AggregateSnapshot, Ethnicity, Gender, SnapshotKind
from sharing.policy import CHILD_AGGREGATE
from sharing.rules import PTABLE_BOUND, SuppressedTable, age_reference_day, perturb_table, suppress_table


class Dimension(StrEnum):
    """What the children can be counted by."""

    AGENCY = "agency"
    AREA = "area"
    AGE_BAND = "age_band"
    GENDER = "gender"
    ETHNICITY = "ethnicity"

    @property
    def label(self) -> str:
        return DIMENSION_LABELS[self]


DIMENSION_LABELS = {
    Dimension.AGENCY: "Agency involved",
    Dimension.AREA: "Area",
    Dimension.AGE_BAND: "Age band",
    Dimension.GENDER: "Gender",
    Dimension.ETHNICITY: "Ethnicity",
}

# Age bands over the protocol's age scope (Haringey 2.1; Southampton 5: "0-18 and young people aged 19-25" with
# additional needs or leaving care): the early years, primary and secondary school ages, 16 to the end of the
# scope at 18, and the extended scope 19-25. A child kept past 25 (waiting for the scope sweep) is counted as
# such rather than dropped, so the totals are the index. (lowest age, highest age or None, code, label)
AGE_BANDS: tuple[tuple[int, int | None, str], ...] = (
    (0, 4, "0-4"),
    (5, 10, "5-10"),
    (11, 15, "11-15"),
    (16, 18, "16-18"),
    (19, 25, "19-25"),
    (26, None, "26+"),
)
AGE_BAND_LABELS = {
    code: (f"{low} to {high}" if high is not None else f"{low} and over") for low, high, code in AGE_BANDS
}

NO_AREA = "none"
NO_INVOLVEMENT = "none"


# Each dimension as a column of the grouped rows: an expression over `c`, the children or, for a table by agency,
# the kept counts (which carry the same columns and the agency). The texts are fixed here; only dates are bound as
# parameters.
def _age_band_sql(born_on: str) -> str:
    """The age band of a date of birth (the column `born_on`) on the day whose edges are bound as parameters."""
    return (
        "CASE "
        + " ".join(f"WHEN {born_on} > %(born_by_{high + 1})s THEN '{code}'" for _, high, code in AGE_BANDS if high)
        + f" ELSE '{AGE_BANDS[-1][2]}' END"
    )


# Each dimension as a column of a day's snapshot (sharing.models.AggregateSnapshotCount, `c`): the age band was
# worked out when the snapshot was taken, as the age on the last 31 August (sharing.rules.age_reference_day).
_EXPRESSIONS = {
    Dimension.AGENCY: f"COALESCE(NULLIF(c.agency_id, 0)::text, '{NO_INVOLVEMENT}')",
    Dimension.AREA: f"COALESCE(NULLIF(c.area_id, ''), '{NO_AREA}')",
    Dimension.AGE_BAND: "c.age_band",
    Dimension.GENDER: "c.gender",
    Dimension.ETHNICITY: "c.ethnicity",
}
# The ages whose latest date of birth the age bands compare with (age >= n when born on or before it).
_BAND_EDGES = tuple(high + 1 for _, high, _ in AGE_BANDS if high is not None)

# What is counted, over the tables themselves: each child not merged into another and not closed (a closed record,
# past the age scope and not kept or closed by a partnership admin, is no longer one the partnership holds for its
# purposes: Southampton 8, 11), with the agency of each of
# its open involvements (several services of one agency count once), or with none when it has none (agency 0,
# and no area "", as the kept counts have them). So the agency dimension counts a child once under each agency
# currently involved with it and under "no current involvement" when there is none: for that dimension the totals
# count children-with-an-agency, as the page says.
# Shielded children are counted. The shield (DESIGN 2.3, ContactPoint) withholds where a child can be found
# (address, setting, phone) from agencies not involved; a count of 11 or more says nothing about any one child,
# and counts from 1 to 10 are suppressed whoever they include. Leaving them out would make the totals differ from
# the index by the number shielded, which would itself be a published small number.
# The triggers of sharing migrations 0006 and 0008 keep sharing.models.counts equal to these counts grouped;
# `child_counts_differences` and `sharing.services.counts.child_counts_rebuild` read them from here.
COUNTED_BY_AGENCY = (
    "SELECT c.born_on, coalesce(c.area_id, '') AS area_id, c.gender, c.ethnicity, c.cell_key, "
    "coalesce(i.agency_id, 0) AS agency_id FROM sharing_child c "
    "LEFT JOIN (SELECT DISTINCT child_id, agency_id FROM sharing_involvement WHERE ended_on IS NULL) i "
    "ON i.child_id = c.id WHERE c.merged_into_id IS NULL AND c.closed_on IS NULL"
)
# The kept counts, each with the columns it is kept by (sharing.models.counts), and the grouped counts over the
# tables they must equal.
KEPT_COUNTS = {
    "sharing_childcountbyagencyage": ("agency_id", "born_on"),
    "sharing_childcountbyagency": ("agency_id", "area_id", "gender", "ethnicity"),
}


# A day's snapshot of what is counted (break11d finding 1), in one statement, so one view of the tables: the kept
# counts (child-agency pairs) by agency and age band on the day, and by agency, area, gender and ethnicity; and
# the children themselves (each once) by age band, area, gender and ethnicity. Each group with its count and the
# sum of its records' cell keys; empty groups left out. Bound: the snapshot's id and the age bands' edges.
SNAPSHOT_COUNTS = (
    "INSERT INTO sharing_aggregatesnapshotcount "  # noqa: S608 - fixed fragments; the values are bound parameters
    "(snapshot_id, kind, agency_id, age_band, area_id, gender, ethnicity, n, key_sum) "
    f"SELECT %(snapshot)s, 'agency_age', k.agency_id, {_age_band_sql('k.born_on')}, NULL, NULL, NULL, sum(k.n), "
    "sum(k.key_sum) FROM sharing_childcountbyagencyage k GROUP BY 3, 4 HAVING sum(k.n) > 0 "
    "UNION ALL SELECT %(snapshot)s, 'agency', v.agency_id, NULL, v.area_id, v.gender, v.ethnicity, v.n, v.key_sum "
    "FROM sharing_childcountbyagency v WHERE v.n > 0 "
    f"UNION ALL SELECT %(snapshot)s, 'children', NULL, {_age_band_sql('c.born_on')}, coalesce(c.area_id, ''), "
    "c.gender, c.ethnicity, count(*), sum(c.cell_key) FROM sharing_child c "
    "WHERE c.merged_into_id IS NULL AND c.closed_on IS NULL GROUP BY 4, 5, 6, 7"
)


def snapshot_params(snapshot_id: int, on: date) -> dict[str, Any]:
    """The parameters of SNAPSHOT_COUNTS for a snapshot taken on `on`: the age bands' edges on the day ages are
    counted on (sharing.rules.age_reference_day: the last 31 August, never the day itself; break11e finding 4)."""
    ages_on = age_reference_day(on)
    return {"snapshot": snapshot_id, **{f"born_by_{edge}": born_by(ages_on, edge) for edge in _BAND_EDGES}}


def _snapshot_kind_of(rows: Dimension, columns: Dimension) -> str:
    """The snapshot's rows a table by agency is read from: by age band for the age bands."""
    return SnapshotKind.AGENCY_AGE if Dimension.AGE_BAND in (rows, columns) else SnapshotKind.AGENCY


def _name_of(dimension: Dimension, key: str) -> str:
    if dimension is Dimension.AGENCY:
        return f"(SELECT a.name FROM agencies_agency a WHERE a.id::text = {key})"  # noqa: S608 - fixed fragments
    if dimension is Dimension.AREA:
        return f"(SELECT ar.name FROM agencies_area ar WHERE ar.code = {key})"  # noqa: S608 - fixed fragments
    return "NULL"


def _statement(rows: Dimension, columns: Dimension) -> Statement:
    keys = f"{_EXPRESSIONS[rows]} AS row_key, {_EXPRESSIONS[columns]} AS column_key"
    counts = "sharing_aggregatesnapshotcount c WHERE c.snapshot_id = %(snapshot)s"
    if Dimension.AGENCY in (rows, columns):
        # The kept counts as the snapshot holds them (the same as COUNTED_BY_AGENCY grouped on its day).
        # With them, the children counted once by the other dimension (the agency key NULL): the agency tables
        # count child-agency pairs, and a total of the other dimension is suppressed when it differs from the
        # children's by a small count (children_aggregate; break11b finding 5).
        other = columns if rows is Dimension.AGENCY else rows
        once = f"NULL, {_EXPRESSIONS[other]}" if rows is Dimension.AGENCY else f"{_EXPRESSIONS[other]}, NULL"
        grouped = (
            f"SELECT {keys}, sum(c.n) AS n, sum(c.key_sum) AS key_sum FROM {counts} "  # noqa: S608 - fixed fragments; the values are bound parameters
            f"AND c.kind = '{_snapshot_kind_of(rows, columns)}' GROUP BY 1, 2 "
            f"UNION ALL SELECT {once}, sum(c.n), sum(c.key_sum) FROM {counts} "
            f"AND c.kind = '{SnapshotKind.CHILDREN}' GROUP BY {_EXPRESSIONS[other]}"
        )
    else:
        grouped = (
            f"SELECT {keys}, sum(c.n) AS n, sum(c.key_sum) AS key_sum FROM {counts} "  # noqa: S608 - fixed fragments; the values are bound parameters
            f"AND c.kind = '{SnapshotKind.CHILDREN}' GROUP BY 1, 2"
        )
    # The names of the agencies and areas counted, looked up for the few grouped rows in the same statement.
    names = f"{_name_of(rows, 'g.row_key')}, {_name_of(columns, 'g.column_key')}"
    # The sum of the cell keys (sharing.cell_key), as a number (a sum of bigint is numeric).
    sql = f"SELECT g.row_key, g.column_key, g.n, {names}, g.key_sum::bigint FROM ({grouped}) g"  # noqa: S608 - fixed fragments
    return Statement(f"isp_aggregate_{rows.value}_{columns.value}", sql)


_STATEMENTS = {(r, c): _statement(r, c) for r in Dimension for c in Dimension if r != c}


def born_by(on: date, years: int) -> date:
    """The latest date of birth of someone at least `years` old on `on` (sharing.rules.age_on: someone born on
    29 February turns a year older on 1 March in a common year, so the latest such date is 28 February)."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # 29 February in a year without one
        return on.replace(year=on.year - years, day=28)


@dataclass(frozen=True)
class AggregateTable:
    """A suppressed and perturbed table with its dimensions and the words for each key."""

    rows: Dimension
    columns: Dimension
    table: SuppressedTable
    row_labels: dict[str, str]
    column_labels: dict[str, str]
    # The day the counts are of, and the moment they were taken (the day's snapshot: break11d finding 1).
    on: date
    as_at: datetime

    @property
    def ages_on(self) -> date | None:
        """The day the ages of a table by age band are counted on (sharing.rules.age_reference_day), or None."""
        if Dimension.AGE_BAND not in (self.rows, self.columns):
            return None
        return age_reference_day(self.on)

    @property
    def suppressed(self) -> bool:
        return self.table.suppressed_count > 0

    @property
    def noise_bound(self) -> int:
        """The most a shown count differs from the true one (the ptable's bound)."""
        return PTABLE_BOUND


def _labels(dimension: Dimension, keys: list[str], names: dict[tuple[str, str], str]) -> dict[str, str]:
    if dimension is Dimension.GENDER:
        return {key: Gender(key).label for key in keys}
    if dimension is Dimension.ETHNICITY:
        return {key: Ethnicity(key).label for key in keys}
    if dimension is Dimension.AGE_BAND:
        return {key: AGE_BAND_LABELS[key] for key in keys}
    if dimension is Dimension.AREA:
        return {key: "No area recorded" if key == NO_AREA else names.get((dimension.value, key), key) for key in keys}
    return {
        key: "No current involvement" if key == NO_INVOLVEMENT else names.get((dimension.value, key), key)
        for key in keys
    }


def _all_keys(dimension: Dimension, found: list[str], names: dict[tuple[str, str], str]) -> list[str]:
    """Every key of a dimension whose values are fixed (so a zero is shown as a zero), in their order; the
    agencies and areas that have children, by name, "none" last."""
    fixed = {
        Dimension.GENDER: list(Gender.values),
        Dimension.ETHNICITY: list(Ethnicity.values),
        Dimension.AGE_BAND: [code for _, _, code in AGE_BANDS],
    }.get(dimension)
    if fixed is not None:
        return fixed
    return sorted(set(found), key=lambda key: (key == "none", (names.get((dimension.value, key)) or key).lower(), key))


def children_aggregate(
    *, actor: Any, rows: Dimension, columns: Dimension, threshold: int | None = None
) -> AggregateTable:
    """Counts of the children in the index (merged entries left out) by `rows` and `columns`, suppressed, for a
    member of an active signatory agency or an auditor (sharing.policy.CHILD_AGGREGATE), as at today's snapshot
    (break11d finding 1: see the module's docstring). Each view is an audit event naming the dimensions (never
    the counts: they are anonymised). The two dimensions must differ."""
    if rows == columns:
        raise ValueError("The rows and the columns must be different dimensions.")
    require(actor, "view", CHILD_AGGREGATE)
    snapshot = _todays_snapshot(actor)
    fetched = fetch(_STATEMENTS[rows, columns], {"snapshot": snapshot.pk})
    by_agency = Dimension.AGENCY in (rows, columns)
    # The tables by agency also read the children counted once by the other dimension (their agency key None).
    agency_at = 0 if rows is Dimension.AGENCY else 1
    found = [row for row in fetched if not by_agency or row[agency_at] is not None]
    children_once = {row[1 - agency_at]: row[2] for row in fetched if by_agency and row[agency_at] is None}
    names: dict[tuple[str, str], str] = {}
    for row, col, _, row_name, column_name, _ in found:
        if row_name is not None:
            names[rows.value, row] = row_name
        if column_name is not None:
            names[columns.value, col] = column_name
    row_keys = _all_keys(rows, [row[0] for row in found], names)
    column_keys = _all_keys(columns, [row[1] for row in found], names)
    counts: dict[tuple[str, str], int] = {(r, c): 0 for r in row_keys for c in column_keys}
    key_sums: dict[tuple[str, str], int] = {}
    for row, col, count, _, _, key_sum in found:
        counts[row, col] = count
        key_sums[row, col] = key_sum
    limit = threshold if threshold is not None else settings.AGGREGATE_SUPPRESSION_THRESHOLD
    pair_totals, hide_grand = _pair_totals_hidden(counts, children_once, agency_at, limit) if by_agency else ([], False)
    table = suppress_table(
        counts,
        threshold=limit,
        hidden_row_totals=pair_totals if agency_at == 1 else (),
        hidden_column_totals=pair_totals if agency_at == 0 else (),
        hide_grand_total=hide_grand,
    )
    # Every count the suppression shows, totals included, with its cell-key noise; a noisy count from 1 to the
    # threshold is hidden too, so no such number is ever shown (DESIGN 2.3).
    table = perturb_table(table, counts, key_sums)
    audit_record(
        kind="child.aggregate",
        actor=actor,
        object_type="resource:child_aggregate",
        detail={"rows": rows.value, "columns": columns.value, "threshold": limit},
    )
    return AggregateTable(
        rows=rows,
        columns=columns,
        table=table,
        row_labels=_labels(rows, row_keys, names),
        column_labels=_labels(columns, column_keys, names),
        on=snapshot.taken_on,
        as_at=snapshot.taken_at,
    )


def _todays_snapshot(actor: Any) -> AggregateSnapshot:
    """Today's snapshot of the counts: one statement once it is taken (just after midnight by the beat); the
    day's first reader takes it when the beat has not (sharing.services.snapshots, imported here because that
    module reads this one's SQL)."""
    on = timezone.localdate()
    found = AggregateSnapshot.objects.filter(taken_on=on).only("id", "taken_on", "taken_at").first()
    if found is not None:
        return found
    from sharing.services.snapshots import aggregate_snapshot_take

    return aggregate_snapshot_take(actor=actor, on=on)


def _pair_totals_hidden(
    counts: dict[tuple[str, str], int], children_once: dict[str, int], agency_at: int, threshold: int
) -> tuple[list[str], bool]:
    """Which totals of a table by agency to suppress whatever their value: the agency dimension counts a child
    once under each agency involved with it, so the other dimension's totals (and the grand total) count
    child-agency pairs, while every other table counts children. Where the two differ by 1 to the threshold, the
    difference is a small count (the children of that group known to more than one agency), so the pair total is
    suppressed, and kept from being worked out from the counts shown (Southampton 12: "care must be taken to
    ensure that a person's identity cannot be deduced"; issue 11: no count from 1 to the threshold is shown, totals
    included; break11b finding 5). `agency_at`: 0 when the agencies are the rows, 1 when they are the columns."""
    pairs: dict[str, int] = {}
    for key, count in counts.items():
        pairs[key[1 - agency_at]] = pairs.get(key[1 - agency_at], 0) + count
    hidden = [key for key, total in pairs.items() if 1 <= total - children_once.get(key, 0) <= threshold]
    return hidden, 1 <= sum(pairs.values()) - sum(children_once.values()) <= threshold


@dataclass(frozen=True)
class CountDifference:
    """A group whose kept count differs from the count over the tables (None: no such group)."""

    table: str
    key: tuple[Any, ...]
    kept: int | None
    counted: int | None
    # The sums of the counted children's cell keys, kept and over the tables (None: no such group).
    kept_key_sum: int | None = None
    counted_key_sum: int | None = None


def counted_groups_sql(table: str) -> str:
    """The groups of KEPT_COUNTS[table] counted over the tables (COUNTED_BY_AGENCY grouped by its columns)."""
    keys = ", ".join(KEPT_COUNTS[table])
    return f"SELECT {keys}, count(*) AS n, sum(c.cell_key) AS key_sum FROM ({COUNTED_BY_AGENCY}) c GROUP BY {keys}"  # noqa: S608 - fixed fragments


def child_counts_differences(*, limit: int = 100) -> list[CountDifference]:
    """Where the counts kept by the triggers (sharing.models.counts) differ from a count over the tables, at
    most `limit` of them: empty when they agree. One statement per table (one snapshot: a write commits its
    rows and its counts together, so writers going on meanwhile make no false difference). A count kept at 0
    is the same as no group."""
    found: list[CountDifference] = []
    for table, columns in KEPT_COUNTS.items():
        keys = ", ".join(columns)
        # Each group once on each side (the kept counts are unique by their key; the counted are grouped), put
        # together by GROUP BY; the sums of the cell keys kept with the counts (sharing migration 0012) too.
        sql = (
            f"SELECT {keys}, max(kept), max(counted), max(kept_keys), max(counted_keys) FROM ("  # noqa: S608 - fixed fragments
            f"SELECT {keys}, n AS kept, NULL::bigint AS counted, key_sum AS kept_keys, NULL::bigint AS counted_keys "
            f"FROM {table} WHERE n <> 0 "
            f"UNION ALL SELECT {keys}, NULL, n, NULL, key_sum FROM ({counted_groups_sql(table)}) g"
            f") u GROUP BY {keys} "
            "HAVING (max(kept), max(kept_keys)) IS DISTINCT FROM (max(counted), max(counted_keys)) "
            f"LIMIT {int(limit)}"
        )
        for *key, kept, counted, kept_keys, counted_keys in fetch(sql, []):
            found.append(
                CountDifference(
                    table=table,
                    key=tuple(key),
                    kept=kept,
                    counted=counted,
                    kept_key_sum=kept_keys,
                    counted_key_sum=counted_keys,
                )
            )
    return found[:limit]
