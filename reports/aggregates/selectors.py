"""The aggregate reports (issue 15; DESIGN 2.3 aggregate tier; Haringey 3.7a; Southampton 12): counts of requests,
disclosures, declines, consents and breaches by two of month, agency, child's area, age band at the time and legal
basis, over whole months from the start of a financial year (reports.aggregates.rules: why April), with small
counts suppressed by sharing's `suppress_table` (primary and secondary) and every count shown perturbed by the
cell-key method (`perturb_table`), at the threshold of the counts of children (AGGREGATE_SUPPRESSION_THRESHOLD).
Never a person: no name, no id, only counts.

**Published as at a fixed point: each whole past month, frozen once.** The first time a month is read (by anyone)
its counts are taken, grouped by every dimension at once, into reports_monthcount, in one statement that also
marks the month published (reports_monthpublished, unique by month: two first readers at once take it once). A
month under way is never counted. From then on every table is a sum of frozen counts, so nothing a reader does
afterwards (recording, correcting, moving a child's area, a record erased at the end of its retention) changes a
count already shown, and reading again gives the same table: no re-rolled noise to average away (sharing's daily
snapshot did this for the live index; events of a past month are history, so here it is for good). The area is
the child's area when the month was frozen (no history of areas is kept); the age band is the child's age on the
day of the event (a consent's: its recorded age when obtained).

**Differencing.** Within one table, suppress_table keeps every hidden count from being worked out from the
totals. Between tables: (1) tables of the same period share their totals (the months' totals, a dimension's
totals over the period), which suppress_table hides alike in every table that has them; (2) tables of different
periods all begin in an April (rules.period_problems), so two of them differ by whole months at their end: the
difference of the same cell in two periods is the months between, plus the difference of two independent
perturbations (every count shown, totals included, carries its cell-key noise, at most PTABLE_BOUND either way,
the same for the same events every time). The residual risk, accepted: a month's cell can be estimated from
at most two such differences (one per April in the 24 months a period may span), each off by up to twice the
noise bound; the estimate is a range, not the count, and each read is an audit event naming its parameters, so
a reader asking for every period ending in one month shows in the audit trail.

Speed (DESIGN 5: a suppressed aggregate over 1,000,000 children in 300 ms): a table is one GROUP BY over the frozen
counts of its months (a few thousand rows a month however many events), by the index on (measure, month);
benchmarks/reports_aggregate.py measures it against a raw count over the events."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from audit.services import audit_record
from isp_portal.policy import require
from isp_portal.rows import fetch
from reports.aggregates.rules import (
    DIMENSIONS_OF,
    MEASURE_DEFINITIONS,
    Dimension,
    Measure,
    Period,
    age_band_sql,
    age_bands,
    dimension_problem,
    financial_year_label,
    financial_year_period,
    period_problems,
)
from reports.policy import REPORTS
from sharing.rules import PTABLE_BOUND, SuppressedTable, perturb_table, suppress_table

NO_AREA = "none"


def _seed() -> int:
    """The seed of the events' record keys: from the secret key, so nobody outside can work out an event's key
    (and so a cell's noise) from its id (the ABS method keeps record keys secret)."""
    digest = hashlib.sha256(f"reports-cell-key:{settings.SECRET_KEY}".encode()).digest()
    return int.from_bytes(digest[:7], "big")


# Each measure's events: (when, agency, child, legal basis, age when given, record key text). The times are the
# system's own (submitted, declined, made, recorded, reported), never a date typed in, so no event lands in a
# month already frozen.
_EVENTS = {
    Measure.REQUESTS: "SELECT r.submitted_at AS at, r.holding_agency_id AS agency_id, r.child_id, '' AS legal_basis, "
    "NULL::int AS age, 'q' || r.id AS rk FROM disclosures_informationrequest r "
    "WHERE r.submitted_at >= %(start)s AND r.submitted_at < %(end)s",
    Measure.DECLINES: "SELECT r.declined_at, r.holding_agency_id, r.child_id, '', NULL::int, 'd' || r.id "
    "FROM disclosures_informationrequest r WHERE r.state = 'declined' AND r.declined_at >= %(start)s "
    "AND r.declined_at < %(end)s",
    Measure.DISCLOSURES: "SELECT d.made_at, d.from_agency_id, d.child_id, d.legal_basis, NULL::int, 's' || d.id "
    "FROM disclosures_disclosure d WHERE d.made_at >= %(start)s AND d.made_at < %(end)s",
    Measure.CONSENTS: "SELECT k.recorded_at, k.recorded_by_agency_id, k.child_id, '', k.child_age::int, 'c' || k.id "
    "FROM consent_consentrecord k WHERE k.recorded_at >= %(start)s AND k.recorded_at < %(end)s",
    Measure.BREACHES: "SELECT b.reported_at, b.alleged_agency_id, NULL::bigint, '', NULL::int, 'b' || b.id "
    "FROM breaches_breach b WHERE b.reported_at >= %(start)s AND b.reported_at < %(end)s",
}


def _freeze_sql() -> str:
    """One statement: mark the months of the period not yet published, and take their counts (each measure's
    events of those months grouped by every dimension, with the sum of their record keys). Months already
    published are left as they are (ON CONFLICT DO NOTHING: a second first reader waits for the first, then
    finds them taken and adds nothing). With nothing new, the events are not read (their bounds are NULL)."""
    tz = settings.TIME_ZONE
    local = f"(e.at AT TIME ZONE '{tz}')"
    age = f"coalesce(e.age, greatest(extract(year FROM age({local}::date, c.born_on))::int, 0))"
    select = "SELECT '{}' AS measure, x.* FROM ({}) x"  # fixed fragments: the measures' names and their SQL
    union = " UNION ALL ".join(select.format(measure.value, sql) for measure, sql in _EVENTS.items())
    # The events of the new months only: between the bounds of the months just marked (NULL when none).
    union = union.replace("%(start)s", "(SELECT start FROM bounds)").replace("%(end)s", '(SELECT "end" FROM bounds)')
    return (
        "WITH new AS (INSERT INTO reports_monthpublished (month, taken_at) "  # noqa: S608 - fixed fragments; values bound
        "SELECT m::date, now() FROM generate_series(%(first)s::date, %(last)s::date, interval '1 month') m "
        "ON CONFLICT (month) DO NOTHING RETURNING month), "
        f"bounds AS (SELECT (min(month)::timestamp AT TIME ZONE '{tz}') AS start, "
        f"((max(month) + interval '1 month')::timestamp AT TIME ZONE '{tz}') AS \"end\" FROM new) "
        "INSERT INTO reports_monthcount (month, measure, agency_id, area_id, age_band, legal_basis, n, key_sum) "
        f"SELECT date_trunc('month', {local})::date, e.measure, e.agency_id, coalesce(c.area_id, ''), "
        f"CASE WHEN e.measure = 'breaches' THEN '' ELSE {age_band_sql(age)} END, e.legal_basis, count(*), "
        "sum(hashtextextended(e.rk, %(seed)s) & 255) "
        f"FROM ({union}) e "
        "LEFT JOIN sharing_child c ON c.id = e.child_id "
        f"WHERE date_trunc('month', {local})::date IN (SELECT month FROM new) "
        "GROUP BY 1, 2, 3, 4, 5, 6"
    )


FREEZE = _freeze_sql()

# Each dimension as a column of the frozen counts (`k`).
_EXPRESSIONS = {
    Dimension.MONTH: "to_char(k.month, 'YYYY-MM')",
    Dimension.AGENCY: "k.agency_id::text",
    Dimension.AREA: f"coalesce(nullif(k.area_id, ''), '{NO_AREA}')",
    Dimension.AGE_BAND: "k.age_band",
    Dimension.LEGAL_BASIS: "k.legal_basis",
}


def _name_of(dimension: Dimension, key: str) -> str:
    if dimension is Dimension.AGENCY:
        return f"(SELECT a.name FROM agencies_agency a WHERE a.id::text = {key})"  # noqa: S608 - fixed fragments
    if dimension is Dimension.AREA:
        return f"(SELECT ar.name FROM agencies_area ar WHERE ar.code = {key})"  # noqa: S608 - fixed fragments
    return "NULL"


def table_sql(rows: Dimension, columns: Dimension) -> str:
    """The grouped frozen counts of one measure over a run of months by `rows` and `columns`, each group with its
    count, the sum of its record keys and the names of its agency or area (looked up for the few groups)."""
    grouped = (
        f"SELECT {_EXPRESSIONS[rows]} AS r, {_EXPRESSIONS[columns]} AS c, sum(k.n)::bigint AS n, "  # noqa: S608 - fixed fragments
        "sum(k.key_sum)::bigint AS key_sum FROM reports_monthcount k WHERE k.measure = %(measure)s "
        "AND k.month >= %(first)s AND k.month <= %(last)s GROUP BY 1, 2"
    )
    return f"SELECT g.r, g.c, g.n, g.key_sum, {_name_of(rows, 'g.r')}, {_name_of(columns, 'g.c')} FROM ({grouped}) g"  # noqa: S608


_TABLES = {(r, c): table_sql(r, c) for r in Dimension for c in Dimension if r != c}


def freeze_months(period: Period) -> None:
    """Take the counts of the period's months not yet taken (one statement; nothing when all are)."""
    with connection.cursor() as cursor:
        cursor.execute(FREEZE, {"first": period.first, "last": period.last, "seed": _seed()})


@dataclass(frozen=True)
class ReportTable:
    """A suppressed and perturbed table of one measure over a period, with the words for each key."""

    measure: Measure
    rows: Dimension
    columns: Dimension
    period: Period
    table: SuppressedTable
    row_labels: dict[str, str]
    column_labels: dict[str, str]
    as_at: datetime

    @property
    def noise_bound(self) -> int:
        return PTABLE_BOUND

    @property
    def title(self) -> str:
        return (
            f"{self.measure.label} by {self.rows.label.lower()} and {self.columns.label.lower()}, {self.period.label}"
        )

    def row_cells(self) -> list[tuple[str, str, list[int | None], int | None]]:
        """Each row's key, label, counts in column order and total (None: not shown)."""
        table = self.table
        return [
            (row, self.row_labels[row], [table.cell(row, col) for col in table.columns], table.row_total(row))
            for row in table.rows
        ]


def _fixed_keys(dimension: Dimension, period: Period) -> list[str] | None:
    from disclosures.models import LegalBasis

    if dimension is Dimension.MONTH:
        return [f"{month:%Y-%m}" for month in period.months]
    if dimension is Dimension.AGE_BAND:
        return [code for _, _, code in age_bands()]
    if dimension is Dimension.LEGAL_BASIS:
        return list(LegalBasis.values)
    return None


def _label(dimension: Dimension, key: str, names: dict[str, str]) -> str:
    from disclosures.models import LegalBasis
    from sharing.selectors.aggregate import AGE_BAND_LABELS

    if dimension is Dimension.MONTH:
        return datetime.strptime(key, "%Y-%m").strftime("%B %Y")  # noqa: DTZ007 - a month's name, no time
    if dimension is Dimension.AGE_BAND:
        return AGE_BAND_LABELS.get(key, key)
    if dimension is Dimension.LEGAL_BASIS:
        return str(LegalBasis(key).label) if key in LegalBasis.values else key
    if dimension is Dimension.AREA and key == NO_AREA:
        return "No area recorded"
    return names.get(key, key)


def _keys(dimension: Dimension, period: Period, found: list[str], names: dict[str, str]) -> list[str]:
    fixed = _fixed_keys(dimension, period)
    if fixed is not None:
        return fixed
    return sorted(set(found), key=lambda key: (key == NO_AREA, (names.get(key) or key).lower(), key))


class ReportInputError(ValueError):
    """Input the reports cannot count by: (field, message) pairs, for a form's errors or a 400."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems))
        self.problems = problems


def check_input(measure: Measure, rows: Dimension, columns: Dimension, first: date, last: date) -> Period:
    """The period, or ReportInputError naming each field that cannot be counted."""
    problems = period_problems(first, last, timezone.localdate())
    wrong = dimension_problem(measure, rows, columns)
    if wrong is not None:
        problems.append(wrong)
    if problems:
        raise ReportInputError(problems)
    return Period(first, last)


def _table(measure: Measure, rows: Dimension, columns: Dimension, period: Period, threshold: int) -> ReportTable:
    found = fetch(_TABLES[rows, columns], {"measure": measure.value, "first": period.first, "last": period.last})
    row_names = {r: name for r, _, _, _, name, _ in found if name is not None}
    column_names = {c: name for _, c, _, _, _, name in found if name is not None}
    row_keys = _keys(rows, period, [r for r, *_ in found], row_names)
    column_keys = _keys(columns, period, [c for _, c, *_ in found], column_names)
    counts: dict[tuple[str, str], int] = {(r, c): 0 for r in row_keys for c in column_keys}
    key_sums: dict[tuple[str, str], int] = {}
    for r, c, n, key_sum, _, _ in found:
        counts[r, c] = int(n)
        key_sums[r, c] = int(key_sum)
    table = perturb_table(suppress_table(counts, threshold=threshold), counts, key_sums)
    return ReportTable(
        measure=measure,
        rows=rows,
        columns=columns,
        period=period,
        table=table,
        row_labels={key: _label(rows, key, row_names) for key in row_keys},
        column_labels={key: _label(columns, key, column_names) for key in column_keys},
        as_at=timezone.now(),
    )


def aggregate_report(
    *, actor: Any, measure: Measure, rows: Dimension, columns: Dimension, first: date, last: date
) -> ReportTable:
    """One table of `measure` by `rows` and `columns` over the whole months `first` to `last`, suppressed and
    perturbed, for a reader of the aggregate tier (reports.policy.REPORTS). Each read is an audit event with its
    parameters (never the counts). ReportInputError when the input cannot be counted."""
    require(actor, "view", REPORTS)
    period = check_input(measure, rows, columns, first, last)
    freeze_months(period)
    threshold = settings.AGGREGATE_SUPPRESSION_THRESHOLD
    report = _table(measure, rows, columns, period, threshold)
    audit_record(
        kind="reports.aggregate",
        actor=actor,
        object_type="resource:aggregate_reports",
        detail={
            "measure": measure.value,
            "rows": rows.value,
            "columns": columns.value,
            "month_from": f"{period.first:%Y-%m}",
            "month_to": f"{period.last:%Y-%m}",
            "threshold": threshold,
        },
    )
    return report


# --- The annual needs-assessment dataset (Haringey 14) ---------------------------------------------------------

METHOD = (
    "Counts of events in whole calendar months, taken once for each month after it ended and never changed. Every "
    "count from 1 to the threshold, totals included, is suppressed, and further counts are suppressed so that no "
    "suppressed count can be worked out from the totals (primary and secondary suppression). Every count shown, "
    "totals included, is then changed slightly by the cell-key method (at most {bound} either way, the same every "
    "time), as the Office for National Statistics does with census tables, so the counts need not add up to the "
    "totals. A suppressed count is empty (CSV) or null (JSON). No person is named or identified."
)


@dataclass(frozen=True)
class Dataset:
    """The annual needs-assessment dataset: every table of the aggregate tier for one financial year."""

    year: int
    period: Period
    threshold: int
    tables: list[ReportTable]
    as_at: datetime

    @property
    def label(self) -> str:
        return financial_year_label(self.year)

    def metadata(self) -> dict[str, Any]:
        return {
            "title": f"Annual needs-assessment dataset, financial year {self.label}",
            "period": {"from": f"{self.period.first:%Y-%m}", "to": f"{self.period.last:%Y-%m}"},
            "complete_year": len(self.period.months) == 12,
            "threshold": self.threshold,
            "noise_bound": PTABLE_BOUND,
            "method": METHOD.format(bound=PTABLE_BOUND),
            "as_at": self.as_at.isoformat(),
            "measures": {measure.value: MEASURE_DEFINITIONS[measure] for measure in Measure},
        }


def dataset_tables() -> list[tuple[Measure, Dimension, Dimension]]:
    """The dataset's tables: each measure by each of its other dimensions, month by month (the trends), and by
    agency against each further dimension it has (the planning breakdowns)."""
    tables: list[tuple[Measure, Dimension, Dimension]] = []
    for measure, dimensions in DIMENSIONS_OF.items():
        others = [d for d in dimensions if d is not Dimension.MONTH]
        tables += [(measure, dimension, Dimension.MONTH) for dimension in others]
        tables += [(measure, Dimension.AGENCY, d) for d in others if d is not Dimension.AGENCY]
    return tables


class DatasetYearError(ValueError):
    pass


def needs_assessment_dataset(*, actor: Any, year: int) -> Dataset:
    """The dataset for the financial year beginning in April of `year`: its whole months that have ended (the
    whole year once it has ended). DatasetYearError when none has. Audited as one event with the year, period,
    threshold and number of tables."""
    require(actor, "view", REPORTS)
    period = financial_year_period(year, timezone.localdate())
    if period is None or period_problems(period.first, period.last, timezone.localdate()):
        raise DatasetYearError("Choose a financial year with at least one whole month that has ended")
    freeze_months(period)
    threshold = settings.AGGREGATE_SUPPRESSION_THRESHOLD
    tables = [_table(m, r, c, period, threshold) for m, r, c in dataset_tables()]
    audit_record(
        kind="reports.dataset",
        actor=actor,
        object_type="resource:aggregate_reports",
        detail={
            "year": financial_year_label(year),
            "month_from": f"{period.first:%Y-%m}",
            "month_to": f"{period.last:%Y-%m}",
            "threshold": threshold,
            "tables": len(tables),
        },
    )
    return Dataset(year=year, period=period, threshold=threshold, tables=tables, as_at=timezone.now())


CSV_HEADER = ["table", "measure", "rows", "columns", "row", "column", "count", "suppressed"]


def dataset_csv_rows(dataset: Dataset) -> list[list[str]]:
    """The dataset as long CSV rows: first its metadata as '#'-prefixed lines, then one line per count shown or
    suppressed (totals named "Total")."""
    metadata = dataset.metadata()
    measures = metadata.pop("measures")
    period = metadata.pop("period")
    lines: list[list[str]] = [[f"# {key}", str(value)] for key, value in metadata.items()]
    lines += [["# month_from", period["from"]], ["# month_to", period["to"]]]
    lines += [[f"# measure {key}", str(words)] for key, words in measures.items()]
    for number, report in enumerate(dataset.tables, start=1):
        table = report.table
        for row in table.rows:
            for col in [*table.columns, None]:
                value = table.cell(row, col) if col is not None else table.row_total(row)
                name = report.column_labels[col] if col is not None else "Total"
                lines.append(_line(number, report, report.row_labels[row], name, value))
        for col in table.columns:
            lines.append(_line(number, report, "Total", report.column_labels[col], table.col_total(col)))
        lines.append(_line(number, report, "Total", "Total", table.grand_total))
    return lines


def _line(number: int, report: ReportTable, row: str, col: str, value: int | None) -> list[str]:
    return [
        str(number), report.measure.label, report.rows.label, report.columns.label, row, col,
        "" if value is None else str(value), "yes" if value is None else "no",
    ]  # fmt: skip


def table_json(report: ReportTable) -> dict[str, Any]:
    """One table as the API and the JSON dataset give it: a count not shown is null, and `suppressed` says so."""
    table = report.table
    return {
        "measure": report.measure.value,
        "rows": report.rows.value,
        "columns": report.columns.value,
        "month_from": f"{report.period.first:%Y-%m}",
        "month_to": f"{report.period.last:%Y-%m}",
        "threshold": table.threshold,
        "column_keys": [{"key": col, "name": report.column_labels[col]} for col in table.columns],
        "table_rows": [
            {"key": key, "name": label, "counts": cells, "total": total}
            for key, label, cells, total in report.row_cells()
        ],
        "column_totals": [table.col_total(col) for col in table.columns],
        "grand_total": table.grand_total,
        "suppressed": table.suppressed_count > 0,
        "withheld": table.withheld,
        "perturbed": table.perturbed,
        "noise_bound": PTABLE_BOUND,
        "as_at": report.as_at.isoformat(),
    }


def dataset_json(dataset: Dataset) -> dict[str, Any]:
    return {**dataset.metadata(), "tables": [table_json(report) for report in dataset.tables]}
