"""The central register of breaches and disputes (issue 14; Southampton 13; DESIGN 2.5): the filtered list with its
counts by agency and by month (each a chart drawn on the server and its table), and the streamed CSV of the filtered
rows, audited with its filters and row count. For the Children's Services Executive (partnership admins) and auditors.

A filter the page does not read (a misspelt or unknown parameter, or one given twice) is refused with a 400 naming it,
on a page in the portal's style, as the dispute register's export refuses it: a register never widens past what was
asked."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.http import urlencode

from audit.services import audit_record
from breaches import register_selectors as selectors
from breaches.register_forms import RegisterFilterForm
from breaches.register_policy import CENTRAL_REGISTER
from disclosures.dispute_policy import REGISTER as DISPUTE_REGISTER
from isp_portal import policy
from isp_portal.charts import bar_chart
from isp_portal.csv_export import csv_response
from isp_portal.forms import unread_filters

# The agency chart shows the agencies with the most rows; its table lists every one.
AGENCIES_CHARTED = 15


def _refused(request: HttpRequest, problems: list[str], what: str) -> HttpResponse:
    return render(
        request, "errors/400.html",
        {"reason": f"The register was not {what}: its filters could not be read ({'; '.join(problems)}). Choose "
                   "the filters on the register page."},
        status=400,
    )  # fmt: skip


def _form(request: HttpRequest) -> tuple[RegisterFilterForm, selectors.RegisterFilters | None, list[str]]:
    """The filter form, the filters it gives (None when a value is bad), and the parameters it cannot read."""
    form = RegisterFilterForm(request.GET or None, agencies=selectors.register_agencies(request.user))
    if not form.is_bound:
        return form, selectors.filters_of({}), []
    unread = unread_filters(request.GET, form)
    if not form.is_valid():
        return form, None, unread
    return form, form.filters, unread


def charts(page: selectors.RegisterPage) -> dict[str, Any]:
    months = page.by_month
    charted = page.by_agency[:AGENCIES_CHARTED]
    span = f"{months[0].label} to {months[-1].label}" if months else ""
    return {
        "month_chart": bar_chart(
            chart_id="register-months",
            title=f"Breaches and disputes recorded each month, {span}",
            description=f"A stacked bar for each month: {page.breaches} breaches and {page.disputes} disputes in all. "
            "The table below gives the same figures.",
            labels=[month.label for month in months],
            series=[("Breaches", [m.breaches for m in months]), ("Disputes", [m.disputes for m in months])],
        ),
        "agency_chart": bar_chart(
            chart_id="register-agencies",
            title="Breaches and disputes by agency",
            description=f"A stacked bar for each of the {len(charted)} agencies with the most: breaches alleged "
            "against it and disputes it was party to. The table below gives every agency's figures.",
            labels=[count.agency for count in charted],
            series=[("Breaches", [c.breaches for c in charted]), ("Disputes", [c.disputes for c in charted])],
            horizontal=True,
        )
        if charted
        else "",
    }


@login_required
def register(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "view", CENTRAL_REGISTER)
    form, filters, unread = _form(request)
    if unread:
        return _refused(request, unread, "shown")
    context: dict[str, Any] = {
        "form": form,
        "dispute_register": policy.can(request.user, "view", DISPUTE_REGISTER),
    }
    if filters is None:
        return render(request, "breaches/register.html", context, status=400)
    page = selectors.central_register(request.user, filters)
    query: dict[str, str] = {key: str(value) for key, value in request.GET.items() if key != "page"}
    context.update(
        page=page,
        filters=filters,
        export_url=f"{reverse('breach-register-export')}?{urlencode(query)}",
        next_url=f"?{urlencode({**query, 'page': str(page.page + 1)})}" if page.has_next else "",
        previous_url=f"?{urlencode({**query, 'page': str(page.page - 1)})}" if page.page > 1 else "",
        **charts(page),
    )
    return render(request, "breaches/register.html", context)


@login_required
def register_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The filtered rows as CSV, streamed in keyset chunks; audited first with the filters and the row count."""
    policy.require(request.user, "view", CENTRAL_REGISTER)
    form, filters, unread = _form(request)
    problems = [f"{field}: {' '.join(str(e) for e in errors)}" for field, errors in form.errors.items()] + unread
    if problems or filters is None:
        return _refused(request, problems, "exported")
    user = request.user
    audit_record(
        kind="breach.register_export", actor=user, object_type="resource:central_register",
        detail={"filters": filters.as_detail(), "rows": selectors.register_count(user, filters)},
    )  # fmt: skip
    rows = (selectors.csv_cells(row) for row in selectors.register_rows(user, filters))
    return csv_response(selectors.CSV_HEADER, rows, filename="central-register.csv")


urlpatterns: list[URLPattern] = [
    path("breaches/register/", register, name="breach-register"),
    path("breaches/register/export.csv", register_export, name="breach-register-export"),
]
