"""The central register of breaches and disputes (Southampton 13: "a central register of disputes [and breaches] ...
for the Children's Services Executive"; issue 14; DESIGN 2.5): one list of both, filtered, with counts by agency and
by month, and its CSV. The disputes are read through disclosures.dispute_selectors (their scope and their columns);
the breaches here. Every read costs a constant number of statements whatever the number of rows.

The register names no child and carries no free text: the reference, the agencies, the date it was recorded, whether
it is open, its state and whether it is a personal-data breach. Each row's page keeps the detail for those who may
read it.

A row's agency is the agency alleged in breach, or the agency that raised the dispute; its other agency the one that
reported the breach (none: the partnership), or the agency holding the information. The agency filter matches either.
Counted by agency: a breach for the agency alleged in breach, a dispute for each of its parties.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import BooleanField, CharField, Count, ExpressionWrapper, F, Q, QuerySet, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from agencies.models import Agency
from breaches.models import Breach
from breaches.register_policy import CENTRAL_REGISTER
from disclosures import dispute_selectors
from isp_portal import bounds
from isp_portal.policy import require, resource_scope

PAGE_SIZE = 50
# Pages are numbered; the last one reachable keeps the offset bounded (narrow the filters to see further back).
MAX_PAGE = 200
EXPORT_CHUNK = 500
# The month range: 12 months ending with this one unless chosen; never more than 36 (the chart's bars stay legible).
DEFAULT_MONTHS = 12
MAX_MONTHS = 36
KINDS = ("breach", "dispute")
STATUSES = ("open", "closed")
MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
COLUMNS = (
    "r_kind", "r_pk", "r_number", "r_agency_id", "r_agency", "r_other_id", "r_other", "r_at", "r_state", "r_closed",
    "r_personal",
)  # fmt: skip
DISPUTE_STATE_WORDS = {
    "stage_one": "Stage 1",
    "stage_two": "Stage 2",
    "resolved": "Resolved",
    "withdrawn": "Withdrawn",
}


# --- The filters (pure) -----------------------------------------------------------------------------------------


def parse_month(text: str) -> date:
    """'2026-03' -> 1 March 2026. ValueError (with the words to show) for anything else or outside the era."""
    found = MONTH_PATTERN.match(text.strip())
    if found is None:
        raise ValueError("Give the month as its year and number, for example 2026-03.")
    year, month = int(found[1]), int(found[2])
    if not 1 <= month <= 12:
        raise ValueError("The month must be between 01 and 12.")
    first = date(year, month, 1)
    if not bounds.EARLIEST_DATE <= first <= bounds.LATEST_DATE:
        raise ValueError(bounds.ERA_ERROR)
    return first


def add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months_between(start: date, end: date) -> int:
    """How many months from `start`'s to `end`'s, counting both."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


def month_range(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The register's months: given, or the DEFAULT_MONTHS ending with `end` (this month by default). ValueError
    (words to show, naming the field) when they are reversed or span more than MAX_MONTHS."""
    end = end or date(today.year, today.month, 1)
    start = start or add_months(end, 1 - DEFAULT_MONTHS)
    if start > end:
        raise ValueError("month_to: The last month cannot be before the first.")
    if months_between(start, end) > MAX_MONTHS:
        raise ValueError(f"month_to: Choose at most {MAX_MONTHS} months.")
    return start, end


@dataclass(frozen=True)
class RegisterFilters:
    """The register's filters: kind (breach or dispute), an agency on either side, open or closed, the months
    recorded (first days of the first and last months), personal-data breaches only; and the page."""

    month_from: date
    month_to: date
    kind: str = ""
    agency: int | None = None
    status: str = ""
    personal_data: bool = False
    page: int = 1

    @property
    def last_day(self) -> date:
        """The last day of the last month."""
        return add_months(self.month_to, 1) - timedelta(days=1)

    def as_detail(self) -> dict[str, Any]:
        """The filters as the audit detail of an export records them."""
        return {
            name: (value.isoformat()[:7] if isinstance(value, date) else value)
            for name, value in self.__dict__.items()
            if value not in (None, "", False) and name != "page"
        }


# --- The rows ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterEntry:
    kind: str
    pk: int
    number: int
    agency_id: int
    agency: str
    other_agency_id: int | None
    other_agency: str
    recorded_at: datetime
    state: str
    closed: bool
    personal_data: bool

    @property
    def reference(self) -> str:
        return f"{'BR' if self.kind == 'breach' else 'DR'}-{self.number:06d}"

    @property
    def kind_label(self) -> str:
        return "Breach" if self.kind == "breach" else "Dispute"

    @property
    def recorded_on(self) -> date:
        return timezone.localdate(self.recorded_at)

    @property
    def state_label(self) -> str:
        if self.kind == "breach":
            return "Closed" if self.closed else "Open"
        return DISPUTE_STATE_WORDS.get(self.state, self.state)

    @property
    def link(self) -> str:
        return f"/breaches/{self.pk}/" if self.kind == "breach" else f"/disputes/{self.pk}/"


def register_agencies(user: Any) -> list[tuple[int, str]]:
    """The agencies the register's agency filter offers the user: those of their part of it, by name. One query."""
    agencies = resource_scope(user, CENTRAL_REGISTER)
    rows = Agency.objects.all() if agencies is None else Agency.objects.filter(pk__in=agencies)
    return list(rows.order_by("name", "pk").values_list("pk", "name"))


def _breaches(user: Any, filters: RegisterFilters, agencies: frozenset[int] | None) -> QuerySet[Breach]:
    rows = Breach.objects.all()
    if agencies is not None:
        rows = rows.filter(Q(alleged_agency_id__in=agencies) | Q(reporting_agency_id__in=agencies))
    if filters.agency is not None:
        rows = rows.filter(Q(alleged_agency_id=filters.agency) | Q(reporting_agency_id=filters.agency))
    if filters.status:
        rows = rows.filter(closed_at__isnull=filters.status == "open")
    if filters.personal_data:
        rows = rows.filter(is_personal_data_breach=True)
    return rows.filter(reported_at__date__gte=filters.month_from, reported_at__date__lte=filters.last_day)


def _breach_columns(rows: QuerySet[Breach]) -> QuerySet[Breach]:
    """The breaches in the register's columns (the disputes': dispute_selectors.central_register_columns)."""
    return rows.annotate(
        r_kind=Value("breach", output_field=CharField()),
        r_pk=F("pk"),
        r_number=F("register_number"),
        r_agency_id=F("alleged_agency_id"),
        r_agency=F("alleged_agency__name"),
        r_other_id=F("reporting_agency_id"),
        r_other=Coalesce(F("reporting_agency__name"), Value("The partnership")),
        r_at=F("reported_at"),
        r_state=Value("", output_field=CharField()),
        r_closed=ExpressionWrapper(Q(closed_at__isnull=False), output_field=BooleanField()),
        r_personal=F("is_personal_data_breach"),
    )


@dataclass(frozen=True)
class _Parts:
    breaches: QuerySet[Breach] | None
    disputes: QuerySet[Any] | None


def _parts(user: Any, filters: RegisterFilters) -> _Parts:
    """The two halves of the register the user reads, filtered (None: a half the filters leave out)."""
    require(user, "view", CENTRAL_REGISTER)
    agencies = resource_scope(user, CENTRAL_REGISTER)
    breaches = _breaches(user, filters, agencies) if filters.kind in ("", "breach") else None
    disputes = None
    if filters.kind in ("", "dispute") and not filters.personal_data:  # a dispute is never a personal-data breach
        disputes = dispute_selectors.central_register_disputes(
            user,
            agencies=agencies,
            agency=filters.agency,
            closed=None if not filters.status else filters.status == "closed",
            opened_from=filters.month_from,
            opened_to=filters.last_day,
        )
    return _Parts(breaches, disputes)


def _union(parts: _Parts) -> QuerySet[Any] | None:
    halves: list[QuerySet[Any]] = []
    if parts.breaches is not None:
        halves.append(_breach_columns(parts.breaches).values_list(*COLUMNS))
    if parts.disputes is not None:
        halves.append(dispute_selectors.central_register_columns(parts.disputes).values_list(*COLUMNS))
    if not halves:
        return None
    rows: QuerySet[Any] = halves[0] if len(halves) == 1 else halves[0].union(halves[1], all=True)
    ordering: tuple[str, ...] = ("-r_at", "r_kind", "-r_pk")  # the columns' names, on either half or the union
    return rows.order_by(*ordering)


def _entries(values: Any) -> list[RegisterEntry]:
    return [
        RegisterEntry(
            kind=row[0], pk=row[1], number=row[2], agency_id=row[3], agency=row[4], other_agency_id=row[5],
            other_agency=row[6], recorded_at=row[7], state=row[8], closed=bool(row[9]), personal_data=bool(row[10]),
        )
        for row in values
    ]  # fmt: skip


@dataclass(frozen=True)
class AgencyCount:
    agency_id: int
    agency: str
    breaches: int
    disputes: int

    @property
    def total(self) -> int:
        return self.breaches + self.disputes


@dataclass(frozen=True)
class MonthCount:
    month: date
    breaches: int
    disputes: int

    @property
    def label(self) -> str:
        return self.month.strftime("%b %Y")

    @property
    def total(self) -> int:
        return self.breaches + self.disputes


@dataclass
class RegisterPage:
    rows: list[RegisterEntry]
    by_agency: list[AgencyCount]
    by_month: list[MonthCount]
    breaches: int
    disputes: int
    page: int
    has_next: bool

    @property
    def total(self) -> int:
        return self.breaches + self.disputes


def _counts(parts: _Parts, filters: RegisterFilters) -> tuple[list[AgencyCount], list[MonthCount], int, int]:
    """Counts by agency and by month of the filtered rows. Two statements for the breaches, three for the disputes."""
    breach_months: dict[date, int] = {}
    agencies: dict[int, list[Any]] = {}
    if parts.breaches is not None:
        for month, n in (
            parts.breaches.order_by().annotate(m=TruncMonth("reported_at")).values_list("m").annotate(n=Count("pk"))
        ):
            breach_months[timezone.localtime(month).date()] = n
        for pk, name, n in (
            parts.breaches.order_by()
            .values_list("alleged_agency_id", "alleged_agency__name")
            .annotate(n=Count("pk"))
            .values_list("alleged_agency_id", "alleged_agency__name", "n")
        ):
            agencies[pk] = [name, n, 0]
    dispute_months: Mapping[date, int] = {}
    if parts.disputes is not None:
        dispute_months, by_party = dispute_selectors.central_register_dispute_counts(parts.disputes)
        for pk, (name, n) in by_party.items():
            agencies.setdefault(pk, [name, 0, 0])[2] = n
    months = [
        MonthCount(month, breach_months.get(month, 0), dispute_months.get(month, 0))
        for month in (
            add_months(filters.month_from, i) for i in range(months_between(filters.month_from, filters.month_to))
        )
    ]
    by_agency = sorted(
        (AgencyCount(pk, name, b, d) for pk, (name, b, d) in agencies.items()), key=lambda c: (-c.total, c.agency)
    )
    return by_agency, months, sum(breach_months.values()), sum(dispute_months.values())


def central_register(user: Any, filters: RegisterFilters) -> RegisterPage:
    """A page of the register (PAGE_SIZE rows, newest first) with its counts. Raises NotPermitted for anyone the
    register is not for. Six statements whatever the number of rows."""
    parts = _parts(user, filters)
    by_agency, by_month, breaches, disputes = _counts(parts, filters)
    rows = _union(parts)
    start = (filters.page - 1) * PAGE_SIZE
    found = _entries(rows[start : start + PAGE_SIZE + 1]) if rows is not None else []
    return RegisterPage(
        rows=found[:PAGE_SIZE], by_agency=by_agency, by_month=by_month, breaches=breaches, disputes=disputes,
        page=filters.page, has_next=len(found) > PAGE_SIZE and filters.page < MAX_PAGE,
    )  # fmt: skip


def register_count(user: Any, filters: RegisterFilters) -> int:
    """How many rows the filters select (an export's audit detail). Two statements."""
    parts = _parts(user, filters)
    return sum(part.count() for part in (parts.breaches, parts.disputes) if part is not None)


def register_rows(user: Any, filters: RegisterFilters) -> Iterator[RegisterEntry]:
    """Every row the filters select, newest first, for the CSV: keyset chunks of EXPORT_CHUNK (one statement each,
    constant whatever the chunk: each half is filtered below the last row before the union)."""
    parts = _parts(user, filters)
    last: RegisterEntry | None = None
    while True:
        chunk = _Parts(
            _after(parts.breaches, last, "breach") if parts.breaches is not None else None,
            _after(parts.disputes, last, "dispute") if parts.disputes is not None else None,
        )
        rows = _union(chunk)
        found = _entries(rows[:EXPORT_CHUNK]) if rows is not None else []
        yield from found
        if len(found) < EXPORT_CHUNK:
            return
        last = found[-1]


def _after(rows: QuerySet[Any], last: RegisterEntry | None, kind: str) -> QuerySet[Any]:
    """The rows of one half after `last` in the register's order (-recorded at, kind, -pk)."""
    if last is None:
        return rows
    at = "reported_at" if kind == "breach" else "opened_at"
    later = Q(**{f"{at}__lt": last.recorded_at})
    if kind > last.kind:
        later |= Q(**{at: last.recorded_at})
    elif kind == last.kind:
        later |= Q(**{at: last.recorded_at, "pk__lt": last.pk})
    return rows.filter(later)


CSV_HEADER = (
    "Reference", "Kind", "Agency (alleged in breach, or raising the dispute)",
    "Other agency (reporting the breach, or holding the information)", "Recorded", "Status", "Open",
    "Personal-data breach",
)  # fmt: skip


def csv_cells(row: RegisterEntry) -> list[str]:
    return [
        row.reference, row.kind_label, row.agency, row.other_agency, row.recorded_on.isoformat(), row.state_label,
        "no" if row.closed else "yes", "yes" if row.personal_data else "no",
    ]  # fmt: skip


def filters_of(values: Mapping[str, Any], *, today: date | None = None) -> RegisterFilters:
    """The filters from validated values (the page's form or the API's query). ValueError "field: words" when the
    months are reversed or too many (month_range)."""
    start, end = month_range(values.get("month_from"), values.get("month_to"), today or timezone.localdate())
    return RegisterFilters(
        month_from=start, month_to=end, kind=values.get("kind") or "", agency=values.get("agency"),
        status=values.get("status") or "", personal_data=bool(values.get("personal_data")),
        page=values.get("page") or 1,
    )  # fmt: skip
