"""The aggregate reports' pages (issue 15; DESIGN 2.3 aggregate tier): a table of one measure by two dimensions over
whole months from an April, with its chart (a line for each row across the months, or bars for a pair of other
dimensions) drawn on the server, and the annual needs-assessment dataset (Haringey 14) as CSV or JSON. Thin: the
selectors read, suppress, perturb and record each read (reports.aggregates.selectors)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone

from isp_portal import policy
from isp_portal.charts import LINE_COLOURS, bar_chart, line_chart
from isp_portal.csv_export import csv_response
from isp_portal.forms import unread_filters
from reports.aggregates import selectors
from reports.aggregates.forms import DatasetForm, ReportForm
from reports.aggregates.rules import Dimension, Measure, default_period
from reports.policy import REPORTS

DEFAULT_MEASURE, DEFAULT_ROWS, DEFAULT_COLUMNS = Measure.DISCLOSURES, Dimension.AGENCY, Dimension.MONTH


def _largest_rows(report: selectors.ReportTable, limit: int) -> list[tuple[str, str, list[int | None], int | None]]:
    """The rows with the largest totals shown (a hidden total last), at most `limit`, in the table's order."""
    rows = report.row_cells()
    chosen = sorted(rows, key=lambda row: -(row[3] or 0))[:limit]
    return [row for row in rows if row in chosen]


def chart(report: selectors.ReportTable) -> str:
    """The report's chart: over the months, a line for each of the largest rows (a count not shown is a gap); by a
    pair of other dimensions, a stacked bar for each row."""
    table = report.table
    columns = [report.column_labels[col] for col in table.columns]
    if report.columns is Dimension.MONTH:
        charted = _largest_rows(report, len(LINE_COLOURS))
        return line_chart(
            chart_id="report-chart",
            title=report.title,
            description=f"A line for each of the {len(charted)} {report.rows.label.lower()} values with the most "
            f"{report.measure.label.lower()}, month by month. A gap is a count not shown. The table below gives "
            "every figure.",
            labels=columns,
            series=[(label, cells) for _, label, cells, _ in charted],
        )
    return bar_chart(
        chart_id="report-chart",
        title=report.title,
        description=f"A stacked bar for each {report.rows.label.lower()} value, in parts by "
        f"{report.columns.label.lower()}. A count not shown is left out. The table below gives every figure.",
        labels=[label for _, label, _, _ in report.row_cells()],
        series=[
            (report.column_labels[col], [table.cell(row, col) or 0 for row in table.rows]) for col in table.columns
        ],
        horizontal=True,
    )


@login_required
def aggregate_reports(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "view", REPORTS)
    period = default_period(timezone.localdate())
    initial = {
        "measure": DEFAULT_MEASURE.value, "rows": DEFAULT_ROWS.value, "columns": DEFAULT_COLUMNS.value,
        "month_from": f"{period.first:%Y-%m}", "month_to": f"{period.last:%Y-%m}",
    }  # fmt: skip
    given = request.GET if request.GET else None
    form = ReportForm(given, initial=initial)
    context: dict[str, Any] = {"form": form, "dataset_form": DatasetForm(initial={"year": str(period.first.year)})}
    if given is not None:
        unread = unread_filters(request.GET, form)
        if unread or not form.is_valid():
            for problem in unread:
                form.add_error(None, f"The report cannot be read: {problem}")
            return render(request, "reports/aggregate.html", context, status=400)
        measure, rows, columns, first, last = form.chosen
    else:
        measure, rows, columns, first, last = DEFAULT_MEASURE, DEFAULT_ROWS, DEFAULT_COLUMNS, period.first, period.last
    report = selectors.aggregate_report(
        actor=request.user, measure=measure, rows=rows, columns=columns, first=first, last=last
    )
    context.update(
        report=report,
        chart=chart(report),
        columns=[report.column_labels[col] for col in report.table.columns],
        column_totals=[report.table.col_total(col) for col in report.table.columns],
        definition=selectors.MEASURE_DEFINITIONS[measure],
    )
    return render(request, "reports/aggregate.html", context)


@login_required
def needs_assessment_dataset(request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    """The annual dataset as CSV (formula-safe, with its metadata first) or JSON, audited (the selector)."""
    policy.require(request.user, "view", REPORTS)
    form = DatasetForm(request.GET or None)
    unread = unread_filters(request.GET, form) if form.is_bound else []
    if not form.is_bound or unread or not form.is_valid():
        problems = [f"{field}: {' '.join(str(e) for e in errors)}" for field, errors in form.errors.items()] + unread
        reason = "Choose a financial year for the dataset." + (f" ({'; '.join(problems)})" if problems else "")
        return render(request, "errors/400.html", {"reason": reason}, status=400)
    try:
        dataset = selectors.needs_assessment_dataset(actor=request.user, year=int(form.cleaned_data["year"]))
    except selectors.DatasetYearError as error:
        return render(request, "errors/400.html", {"reason": str(error)}, status=400)
    name = f"needs-assessment-dataset-{dataset.label}"
    if fmt == "csv":
        return csv_response(selectors.CSV_HEADER, selectors.dataset_csv_rows(dataset), filename=f"{name}.csv")
    response = HttpResponse(
        json.dumps(selectors.dataset_json(dataset), indent=1), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.json"'
    return response


urlpatterns: list[URLPattern] = [
    path("reports/aggregates/", aggregate_reports, name="reports-aggregates"),
    path("reports/aggregates/dataset.csv", needs_assessment_dataset, {"fmt": "csv"}, name="reports-dataset-csv"),
    path("reports/aggregates/dataset.json", needs_assessment_dataset, {"fmt": "json"}, name="reports-dataset-json"),
]
