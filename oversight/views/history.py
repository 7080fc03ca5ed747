"""A child's access history and a record's change history, as pages (issue 15; DESIGN 2.6). Who may read which is
oversight.history_policy; the reads are oversight.history_selectors (each audited).

The child's page links to its history for those who may read it (a section registered with isp_portal.navigation);
the agency's page shows its change history to its admins and auditors the same way. Other records reach theirs at
/change-history/<model>/<id>/."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.http import urlencode

from agencies.policy import is_designated_manager
from isp_portal import policy
from isp_portal.audit_panel import AUDIT_TRAIL
from isp_portal.forms import unread_filters
from isp_portal.navigation import PageSection, register_section
from oversight import history_selectors as selectors
from oversight.history_forms import AccessHistoryForm
from oversight.history_policy import access_history_reader, may_read_access_history, may_read_change_history


def _refused(request: HttpRequest, problems: list[str]) -> HttpResponse:
    return render(
        request,
        "errors/400.html",
        {"reason": f"The history was not shown: its filters could not be read ({'; '.join(problems)})."},
        status=400,
    )


@login_required
def child_access_history(request: HttpRequest, pk: int) -> HttpResponse:
    child = selectors.history_child(pk)
    if child is not None and child.merged_into_id is not None:
        # A merged duplicate's history is part of the child it was merged into (and shown there, merged ids and all).
        policy_child = selectors.history_child(child.merged_into_id)
        if policy_child is not None:
            return redirect(reverse("child-access-history", args=[policy_child.pk]))
    form = AccessHistoryForm(request.GET or None)
    unread = unread_filters(request.GET, form) if form.is_bound else []
    if unread:
        return _refused(request, unread)
    history_filter = selectors.HistoryFilter()
    if form.is_bound:
        if not form.is_valid():
            # The decision first: a refused reader learns nothing from the form's errors.
            access_history_reader(request.user, child, pk)
            return render(request, "oversight/history_child.html", {"form": form, "child_id": pk, "page": None})
        history_filter = form.filters
    try:
        page = selectors.access_history(reader=request.user, child_id=pk, history_filter=history_filter)
    except selectors.HistoryError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return render(request, "oversight/history_child.html", {"form": form, "child_id": pk, "page": None})
    next_url = ""
    if page.next_cursor:
        query = [(k, str(v)) for k, v in request.GET.items() if k != "cursor"]
        next_url = f"{request.path}?{urlencode([*query, ('cursor', page.next_cursor)])}"
    return render(
        request,
        "oversight/history_child.html",
        {"form": form, "child_id": pk, "page": page, "next_url": next_url, "first_url": request.path},
    )


def _registered(label: str) -> Any:
    model = selectors.registered_models().get(label)
    if model is None:
        raise Http404("No change history is kept for this kind of record.")
    return model


@login_required
def record_change_history(request: HttpRequest, label: str, pk: int) -> HttpResponse:
    model = _registered(label)
    obj = model._default_manager.filter(pk=pk).first()
    found = policy.found_or_deny(request.user, model, obj, target_id=pk)
    history = selectors.change_history(reader=request.user, obj=found)
    return render(request, "oversight/history_changes.html", {"history": history, "record": found})


# --- What other apps' pages show ---------------------------------------------------------------------------------


def _child_section(user: Any, child: Any) -> dict[str, Any] | None:
    """The child's page links to its access history for those who may read it: no statement for anyone who could
    not whatever the child (a practitioner, say); one for a designated manager or an auditor."""
    if not (is_designated_manager(user) or policy.can(user, "view", AUDIT_TRAIL)):
        return None
    found = selectors.history_child(child.pk)
    if found is None or not may_read_access_history(user, found):
        return None
    return {"url": reverse("child-access-history", args=[found.merged_into_id or found.pk])}


def _agency_section(user: Any, agency: Any) -> dict[str, Any] | None:
    """The agency's page shows its change history to its admins and auditors (and the partnership's)."""
    if not may_read_change_history(user, agency):
        return None
    return {"history": selectors.change_history(reader=user, obj=agency)}


register_section(
    PageSection(
        name="oversight-child-access-history",
        page="child-detail",
        template="oversight/history_child_link.html",
        context=_child_section,
        order=90,
    )
)
register_section(
    PageSection(
        name="oversight-agency-change-history",
        page="agency-detail",
        template="oversight/history_changes_section.html",
        context=_agency_section,
        order=90,
    )
)

urlpatterns: list[URLPattern] = [
    path("children/<int:pk>/access-history/", child_access_history, name="child-access-history"),
    path("change-history/<str:label>/<int:pk>/", record_change_history, name="record-change-history"),
]
