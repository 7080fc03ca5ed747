"""The choice of table (GOV.UK Design System): what to count, by what, and over which whole months. Asked by GET:
it holds no personal data, so a table can be bookmarked. The rules of what may be counted (periods from an April,
dimensions a measure has) are reports.aggregates.rules', whose messages the form shows by field."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from django import forms
from django.utils import timezone

from isp_portal import bounds
from isp_portal.forms import GovukForm
from reports.aggregates.rules import (
    DIMENSION_LABELS,
    MAX_MONTHS,
    MEASURE_LABELS,
    YEAR_STARTS_IN,
    Dimension,
    Measure,
    add_months,
    default_period,
    dimension_problem,
    financial_year_label,
    last_published_month,
    period_problems,
)

# How many financial years back the form offers (the period may start in any April the era allows; the API takes any).
YEARS_OFFERED = 6


def _month(value: str) -> date:
    return date(int(value[:4]), int(value[5:7]), 1)


class ReportForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {
        "measure": "what to count",
        "rows": "what the rows count by",
        "columns": "what the columns count by",
        "month_from": "the first month",
        "month_to": "the last month",
    }

    measure = forms.ChoiceField(
        label="What to count", choices=[(m.value, label) for m, label in MEASURE_LABELS.items()]
    )
    rows = forms.ChoiceField(label="Rows", choices=[(d.value, label) for d, label in DIMENSION_LABELS.items()])
    columns = forms.ChoiceField(label="Columns", choices=[(d.value, label) for d, label in DIMENSION_LABELS.items()])
    month_from = forms.ChoiceField(label="From (the start of a financial year)", choices=[])
    month_to = forms.ChoiceField(label="To (a whole month that has ended)", choices=[])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        latest = last_published_month(today)
        first_year = default_period(today).first.year
        starts = [date(first_year - n, YEAR_STARTS_IN, 1) for n in range(YEARS_OFFERED)]
        starts = [start for start in starts if start >= bounds.EARLIEST_DATE]
        self.fields["month_from"].choices = [  # type: ignore[attr-defined]
            (f"{start:%Y-%m}", f"April {start.year} (financial year {financial_year_label(start.year)})")
            for start in starts
        ]
        ends = [add_months(latest, -n) for n in range(YEARS_OFFERED * 12)]
        self.fields["month_to"].choices = [  # type: ignore[attr-defined]
            (f"{end:%Y-%m}", f"{end:%B %Y}") for end in ends if end >= bounds.EARLIEST_DATE
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not all(data.get(name) for name in ("measure", "rows", "columns", "month_from", "month_to")):
            return data
        problems = period_problems(_month(data["month_from"]), _month(data["month_to"]), timezone.localdate())
        wrong = dimension_problem(Measure(data["measure"]), Dimension(data["rows"]), Dimension(data["columns"]))
        for field, message in [*problems, *([wrong] if wrong else [])]:
            if field not in self.errors:
                self.add_error(field, message)
        return data

    @property
    def chosen(self) -> tuple[Measure, Dimension, Dimension, date, date]:
        data = self.cleaned_data
        return (
            Measure(data["measure"]),
            Dimension(data["rows"]),
            Dimension(data["columns"]),
            _month(data["month_from"]),
            _month(data["month_to"]),
        )


class DatasetForm(GovukForm):
    error_names: ClassVar[dict[str, str]] = {"year": "the financial year"}

    year = forms.ChoiceField(label="Financial year", choices=[])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        first_year = default_period(timezone.localdate()).first.year
        self.fields["year"].choices = [  # type: ignore[attr-defined]
            (str(year), financial_year_label(year)) for year in range(first_year, first_year - YEARS_OFFERED, -1)
        ]


__all__ = ["MAX_MONTHS", "DatasetForm", "ReportForm"]
