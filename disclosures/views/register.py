"""The central register of disputes (issue 13; Southampton 13: "all disputes to be recorded on a central register";
docs/after-disclosure-design.md 7, 9, Q12): a filtered, paged table, and its streamed CSV export, audited with its
filters and row count. No child identity and no free text on either."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from audit.services import audit_record
from breaches.register_policy import CENTRAL_REGISTER
from disclosures import dispute_selectors as selectors
from disclosures.dispute_policy import REGISTER, REGISTER_EXPORT
from disclosures.forms.disputes import RegisterFilterForm
from isp_portal import policy
from isp_portal.csv_export import csv_response
from isp_portal.forms import unread_filters


def _filters(request: HttpRequest) -> tuple[RegisterFilterForm, selectors.RegisterFilters]:
    """The filters asked for. An invalid one is never dropped with the rest (break13 F11: '?state=withdrawn&stage=7'
    exported the whole register): the valid ones still filter, the page shows the form's errors and the export
    refuses with 400."""
    form = RegisterFilterForm(request.GET or None, agencies=selectors.register_agencies(request.user))
    values: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()
        values = form.cleaned_data  # on an invalid form, the fields that passed
    return form, selectors.RegisterFilters(
        agency=values.get("agency"), state=values.get("state") or "", stage=values.get("stage"),
        ground=values.get("ground") or "", outcome=values.get("outcome") or "", opened_from=values.get("opened_from"),
        opened_to=values.get("opened_to"), overdue=bool(values.get("overdue")),
        records_incomplete=bool(values.get("records_incomplete")), before=values.get("before"),
    )  # fmt: skip


@login_required
def register(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "view", REGISTER)
    form, filters = _filters(request)
    page = selectors.dispute_register(request.user, filters)
    query: dict[str, str] = {key: str(value) for key, value in request.GET.items() if key != "before"}
    next_url = f"?{urlencode({**query, 'before': str(page.next_before)})}" if page.next_before else ""
    return render(
        request,
        "disclosures/register.html",
        {
            "form": form,
            "page": page,
            "next_url": next_url,
            "may_export": policy.can(request.user, "view", REGISTER_EXPORT),
            # The central register of breaches and disputes (issue 14) links here and is linked from here.
            "central_register": policy.can(request.user, "view", CENTRAL_REGISTER),
            "export_url": f"{reverse('dispute-register-export')}?{urlencode(query)}",
        },
    )


@login_required
def register_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The register as CSV, streamed (keyset pages: constant statements a page). The export is audited with its
    filters and its row count (counted first, in the same statement shape as the page's counts)."""
    policy.require(request.user, "view", REGISTER_EXPORT)
    form, filters = _filters(request)
    problems = [
        f"{field}: {' '.join(str(error) for error in errors)}" for field, errors in form.errors.items()
    ] + unread_filters(request.GET, form)
    if problems:
        # An export never widens past what was asked: a filter it cannot read refuses it, naming the parameter, as
        # the API does (parse_input known_only: break13e F11), on a page in the portal's style.
        return render(
            request, "errors/400.html",
            {"reason": f"The register was not exported: its filters could not be read ({'; '.join(problems)}). "
                       "Choose the filters on the register page, then export."},
            status=400,
        )  # fmt: skip
    count = selectors.register_queryset(request.user, filters).count()
    audit_record(
        kind="dispute.register_export", actor=request.user, object_type="resource:dispute_register",
        detail={"filters": filters.as_detail(), "rows": count},
    )  # fmt: skip
    rows = (selectors.csv_cells(row) for row in selectors.dispute_register_rows(request.user, filters))
    return csv_response(selectors.CSV_HEADER, rows, filename="dispute-register.csv")


__all__ = ["HttpResponse", "register", "register_export"]
