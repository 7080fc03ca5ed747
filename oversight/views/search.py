"""The auditors' workspace: searching the access events (/audit/events/) and the disclosure log (/audit/disclosures/)
(issue 15; DESIGN 2.6; Southampton 18 items 13-14). For those the policy lets read the audit trail, each in their part
of it (isp_portal.policy.resource_scope of AUDIT_TRAIL): a partnership auditor all of it; an agency's auditor,
Caldicott guardian or DPO their agency's part. Anyone else 403, recorded by the policy's middleware.

A page shows 50 rows, newest first; "Older entries" carries a signed cursor (`?after=`), "Newest entries" drops it.
A bad filter is a 400 page with the form's errors; a filter the page does not read is a 400 naming it; a damaged
cursor is a 400 saying so; an agency's reader naming another agency is a 403 naming the rule, audited as a denial.
Each search is itself an audit event (audit.search) with its filters, source and row count."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.http import urlencode

from agencies.policy import is_auditor, is_caldicott_or_dpo
from isp_portal import policy
from isp_portal.audit_panel import AUDIT_TRAIL
from isp_portal.forms import unread_filters
from isp_portal.navigation import NavItem, register_nav
from oversight.filters import Source, TrailFilter
from oversight.forms import TrailFilterForm
from oversight.selectors import search as selectors

TITLES = {Source.EVENTS: "Access events", Source.DISCLOSURES: "Disclosure log"}
ROUTES = {Source.EVENTS: "audit-events", Source.DISCLOSURES: "audit-disclosures"}


def _refused(request: HttpRequest, problems: list[str]) -> HttpResponse:
    return render(
        request,
        "errors/400.html",
        {"reason": f"The audit trail was not searched: its filters could not be read ({'; '.join(problems)}). "
                   "Choose the filters on the search page."},
        status=400,
    )  # fmt: skip


def _search(request: HttpRequest, source: Source) -> HttpResponse:
    user = request.user
    policy.require(user, "view", AUDIT_TRAIL)
    scope = selectors.reader_scope(user)
    selectors.require_in_scope(user, selectors.named_agency(request.GET.get("agency_id")), scope)
    form = TrailFilterForm(request.GET or None, source=source, agencies=selectors.agency_choices(scope))
    unread = unread_filters(request.GET, form)
    if unread:
        return _refused(request, unread)
    context: dict[str, Any] = {
        "form": form,
        "source": source.value,
        "title": TITLES[source],
        "clear_url": reverse(ROUTES[source]),
        "whole_partnership": scope is None,
    }
    if form.is_bound and not form.is_valid():
        return render(request, "oversight/search.html", context, status=400)
    trail_filter = form.trail_filter or TrailFilter()
    page = selectors.trail_search(user, trail_filter, source=source, scope=scope, after=form.after_cursor)
    query: dict[str, str] = {key: str(value) for key, value in request.GET.items() if key != "after" and value}
    context.update(
        page=page,
        next_url=f"?{urlencode({**query, 'after': page.next_cursor})}" if page.next_cursor else "",
        newest_url=f"?{urlencode(query)}" if not page.first_page else "",
    )
    return render(request, "oversight/search.html", context)


@login_required
def events(request: HttpRequest) -> HttpResponse:
    return _search(request, Source.EVENTS)


@login_required
def disclosures(request: HttpRequest) -> HttpResponse:
    return _search(request, Source.DISCLOSURES)


def _reads_the_trail(user: Any) -> bool:
    # The policy's rule for the audit trail, read from the principal alone: no page pays a statement for it.
    return is_auditor(user) or is_caldicott_or_dpo(user)


register_nav(NavItem(label="Audit trail", url_name="audit-events", visible=_reads_the_trail, order=85))

urlpatterns: list[URLPattern] = [
    path("audit/events/", events, name="audit-events"),
    path("audit/disclosures/", disclosures, name="audit-disclosures"),
]
