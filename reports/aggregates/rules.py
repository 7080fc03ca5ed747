"""The pure rules of the aggregate reports (DESIGN 2.3; Haringey 3.7a and 14; Southampton 12): what is counted and by
what, which periods may be asked for, and a child's age band at an event.

**Periods** (why a period starts in April). A table of a period is a sum of its months. Two tables of overlapping
periods taken one from the other give the table of the months where they differ, cell by cell: Jan-Jun minus Jan-May
is June, hidden counts included (a count of 14 shown for the half-year and 12 for the five months say June's is 2).
So a period always begins at the start of a financial year (1 April: the planning year of the partnership's
needs assessment, "2006-07", "07/08", Haringey 14), runs for whole months, and ends at the latest with the last
whole month before the current one: a month still under way is never counted (its counts would change from day to
day), and nothing later than a month's end ever changes its counts, which are frozen when first read
(reports.aggregates.selectors). With the start fixed, a month's counts can be worked out only as the difference of
the two periods from the same April that end with it and the month before; every count shown is perturbed by the
cell-key method (sharing.cell_key), the same noise for the same events every time, so that difference is the
month's count plus the difference of two independent noises, never the count itself, and asking again gives
nothing new. A period may run over at most two financial years (MAX_MONTHS), so at most two such differences
reach any month: the residual risk the module docstring of reports.aggregates.selectors weighs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from isp_portal import bounds
from sharing.rules import age_on

# A financial year begins on 1 April (the local-government planning year: Haringey 14's "2007-08").
YEAR_STARTS_IN = 4
# At most two financial years in one table: enough to compare this year with last, and few overlapping periods.
MAX_MONTHS = 24


class Measure(StrEnum):
    """What is counted, each on the day it happened (the system's own timestamp, never a date typed in)."""

    REQUESTS = "requests"
    DISCLOSURES = "disclosures"
    DECLINES = "declines"
    CONSENTS = "consents"
    BREACHES = "breaches"

    @property
    def label(self) -> str:
        return MEASURE_LABELS[self]


MEASURE_LABELS = {
    Measure.REQUESTS: "Requests for information",
    Measure.DISCLOSURES: "Disclosures",
    Measure.DECLINES: "Requests declined",
    Measure.CONSENTS: "Consent decisions recorded",
    Measure.BREACHES: "Breaches reported",
}
# What each measure counts, in words (the pages and the dataset's metadata say it).
MEASURE_DEFINITIONS = {
    Measure.REQUESTS: "requests for information submitted, by the agency asked, in the month submitted",
    Measure.DISCLOSURES: "disclosures made (requested, proactive, emergency and onward), by the disclosing agency and "
    "legal basis, in the month made",
    Measure.DECLINES: "requests declined, by the agency that declined, in the month declined",
    Measure.CONSENTS: "consent decisions recorded (given or refused), by the recording agency, in the month recorded; "
    "the age is the child's age when the decision was obtained",
    Measure.BREACHES: "breaches of the protocol reported, by the agency alleged in breach, in the month reported",
}


class Dimension(StrEnum):
    """What the counts are broken down by."""

    MONTH = "month"
    AGENCY = "agency"
    AREA = "area"
    AGE_BAND = "age_band"
    LEGAL_BASIS = "legal_basis"

    @property
    def label(self) -> str:
        return DIMENSION_LABELS[self]


DIMENSION_LABELS = {
    Dimension.MONTH: "Month",
    Dimension.AGENCY: "Agency",
    Dimension.AREA: "Child's area",
    Dimension.AGE_BAND: "Age band at the time",
    Dimension.LEGAL_BASIS: "Legal basis",
}

# Which dimensions each measure has: a legal basis is a disclosure's alone; a breach is of an agency, not of one
# child (it may touch several or none), so it has no area or age band.
DIMENSIONS_OF: dict[Measure, tuple[Dimension, ...]] = {
    Measure.REQUESTS: (Dimension.MONTH, Dimension.AGENCY, Dimension.AREA, Dimension.AGE_BAND),
    Measure.DISCLOSURES: (
        Dimension.MONTH,
        Dimension.AGENCY,
        Dimension.AREA,
        Dimension.AGE_BAND,
        Dimension.LEGAL_BASIS,
    ),
    Measure.DECLINES: (Dimension.MONTH, Dimension.AGENCY, Dimension.AREA, Dimension.AGE_BAND),
    Measure.CONSENTS: (Dimension.MONTH, Dimension.AGENCY, Dimension.AREA, Dimension.AGE_BAND),
    Measure.BREACHES: (Dimension.MONTH, Dimension.AGENCY),
}


def dimension_problem(measure: Measure, rows: Dimension, columns: Dimension) -> tuple[str, str] | None:
    """(field, message) when `measure` cannot be counted by `rows` and `columns`, else None."""
    if rows == columns:
        return "columns", "Choose a different breakdown for the columns from the rows"
    for field, dimension in (("rows", rows), ("columns", columns)):
        if dimension not in DIMENSIONS_OF[measure]:
            return field, f"{measure.label} cannot be counted by {dimension.label.lower()}"
    return None


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    """The first of the month `count` months after (or before) the month of `month`."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """The first day of every month from `first`'s to `last`'s, both included (empty when reversed)."""
    months: list[date] = []
    month = month_start(first)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def financial_year_of(month: date) -> int:
    """The year a financial year begins in (2025 for 2025-26) of the month `month`."""
    return month.year if month.month >= YEAR_STARTS_IN else month.year - 1


def financial_year_label(year: int) -> str:
    return f"{year}-{(year + 1) % 100:02d}"


def last_published_month(today: date) -> date:
    """The last whole month before `today`'s: the latest that may be counted."""
    return add_months(month_start(today), -1)


@dataclass(frozen=True)
class Period:
    """Whole months from `first` to `last` (each the first of its month)."""

    first: date
    last: date

    @property
    def months(self) -> list[date]:
        return months_between(self.first, self.last)

    @property
    def label(self) -> str:
        return f"{self.first:%B %Y} to {self.last:%B %Y}"


def period_problems(first: date, last: date, today: date) -> list[tuple[str, str]]:
    """(field, message) for each reason the months `first` to `last` may not be counted (empty: they may)."""
    problems: list[tuple[str, str]] = []
    latest = last_published_month(today)
    earliest = add_months(month_start(bounds.EARLIEST_DATE), 0)
    if first.day != 1 or last.day != 1:
        problems.append(("month_from" if first.day != 1 else "month_to", "Give whole months"))
        return problems
    if first < earliest:
        problems.append(("month_from", f"The first month must be {earliest:%B %Y} or later"))
    if first.month != YEAR_STARTS_IN:
        problems.append(("month_from", "The first month must be April, the start of a financial year"))
    if last > latest:
        problems.append(("month_to", f"The last month must be a whole month that has ended: {latest:%B %Y} or before"))
    if last < first:
        problems.append(("month_to", "The last month must be the same as or after the first month"))
    elif len(months_between(first, last)) > MAX_MONTHS:
        problems.append(("month_to", f"Choose at most {MAX_MONTHS} months"))
    return problems


def default_period(today: date) -> Period:
    """From the April that starts the financial year of the last whole month, to that month."""
    last = last_published_month(today)
    return Period(date(financial_year_of(last), YEAR_STARTS_IN, 1), last)


def financial_year_period(year: int, today: date) -> Period | None:
    """The whole months of the financial year beginning in April of `year` that have ended (None: none has)."""
    first = date(year, YEAR_STARTS_IN, 1)
    last = min(add_months(first, 11), last_published_month(today))
    return Period(first, last) if last >= first else None


def age_bands() -> tuple[tuple[int, int | None, str], ...]:
    """The children's aggregate's age bands (sharing.selectors.aggregate.AGE_BANDS: the protocol's age scope), the
    same bands in every table of the aggregate tier. Imported when asked: that module reads the database's models,
    which a rule (and the models of this app) must not load first."""
    from sharing.selectors.aggregate import AGE_BANDS

    return AGE_BANDS


def age_band(born: date, on: date) -> str:
    """The code of the age band (sharing's AGE_BANDS) of someone born on `born`, on the day `on`: their age at the
    event. Before birth (a concern about an unborn child) counts in the youngest band."""
    bands = age_bands()
    age = max(age_on(born, on), 0)
    for low, high, code in bands:
        if age >= low and (high is None or age <= high):
            return code
    raise AssertionError("the bands cover every age")  # pragma: no cover - AGE_BANDS start at 0 and end open


def age_band_sql(age: str) -> str:
    """The SQL CASE giving the band code of the whole-years age `age` (an SQL expression), as `age_band`."""
    bands = age_bands()
    cases = " ".join(f"WHEN {age} <= {high} THEN '{code}'" for _, high, code in bands if high is not None)
    return f"CASE {cases} ELSE '{bands[-1][2]}' END"
