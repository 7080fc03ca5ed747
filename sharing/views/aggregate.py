"""The aggregate tier's page: counts of children by two dimensions, small counts suppressed (DESIGN 2.3, 3.2)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from agencies.policy import principal
from isp_portal import policy
from sharing.forms import AggregateForm
from sharing.policy import CHILD_AGGREGATE, aggregate_refusal
from sharing.selectors.aggregate import AggregateTable, Dimension, children_aggregate

# The first table shown: one without a join, so the cheapest at scale.
DEFAULT_ROWS, DEFAULT_COLUMNS = Dimension.AGE_BAND, Dimension.GENDER


def table_rows(aggregate: AggregateTable) -> list[tuple[str, list[int | None], int | None]]:
    """Each row's label, its counts in column order and its total (None: not shown)."""
    table = aggregate.table
    return [
        (aggregate.row_labels[row], [table.cell(row, col) for col in table.columns], table.row_total(row))
        for row in table.rows
    ]


@login_required
def child_aggregate_page(request: HttpRequest) -> HttpResponse:
    if not policy.can(request.user, "view", CHILD_AGGREGATE):
        # A member of an agency that may not read the counts yet is told why (the navigation offers the page to
        # every agency member); anyone else is refused (403, recorded).
        if any(m.agency_id is not None for m in principal(request.user).memberships):
            reason = aggregate_refusal(request.user) or "You cannot read the counts of children."
            return render(request, "form_page.html", {"title": "Counts of children", "cannot": [reason]})
        policy.require(request.user, "view", CHILD_AGGREGATE)
    given = request.GET if "rows" in request.GET or "columns" in request.GET else None
    form = AggregateForm(given, initial={"rows": DEFAULT_ROWS.value, "columns": DEFAULT_COLUMNS.value})
    aggregate = None
    status = 200
    if given is None or form.is_valid():
        data = form.cleaned_data if given is not None else {}
        aggregate = children_aggregate(
            actor=request.user,
            rows=Dimension(data.get("rows", DEFAULT_ROWS)),
            columns=Dimension(data.get("columns", DEFAULT_COLUMNS)),
        )
    else:
        status = 400
    context = {
        "form": form,
        "aggregate": aggregate,
        "rows": table_rows(aggregate) if aggregate else [],
        "columns": [aggregate.column_labels[col] for col in aggregate.table.columns] if aggregate else [],
        "column_totals": [aggregate.table.col_total(col) for col in aggregate.table.columns] if aggregate else [],
    }
    return render(request, "sharing/aggregate.html", context, status=status)
