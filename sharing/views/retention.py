"""The partnership admins' page of the children past the age scope, the records closed, those due for erasure and
those erased (Southampton 8, 11). Thin: the selector reads and records the view."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from agencies.forms import add_service_errors
from isp_portal import policy
from sharing.forms import CloseForm, ReopenForm
from sharing.models import Child
from sharing.selectors.retention import retention_lists
from sharing.services.retention import child_close, child_reopen


@login_required
def child_retention_page(request: HttpRequest) -> HttpResponse:
    lists = retention_lists(actor=request.user)
    return render(
        request,
        "sharing/retention.html",
        {"lists": lists, "grace_working_days": settings.RETENTION_GRACE_WORKING_DAYS},
    )


@login_required
def child_close_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A partnership admin closes a child's record, with a reason (sharing.services.retention.child_close)."""
    child = policy.found_or_deny(
        request.user,
        Child,
        Child.objects.filter(pk=pk).only("id", "merged_into_id", "is_shielded", "closed_on").first(),
        action="close",
        target_id=pk,
    )
    form = CloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            child_close(actor=request.user, child=child, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"The record of child {child.pk} has been closed.")
            return redirect("child-retention")
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Close this record",
            "caption": f"Child {child.pk}",
            "intro": [
                "A closed record is no longer found by the search or counted, and nothing can be added to it. Its "
                "content is erased when the protocol's retention period has run; what was erased, when and why is "
                "recorded."
            ],
            "submit": "Close the record",
            "back_url": reverse("child-detail", args=[child.pk]),
        },
    )


@login_required
def child_reopen_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A partnership admin reopens a closed record, with a reason (sharing.services.retention.child_reopen)."""
    child = policy.found_or_deny(
        request.user,
        Child,
        Child.objects.filter(pk=pk).only("id", "merged_into_id", "is_shielded", "closed_on", "erased_at").first(),
        action="reopen",
        target_id=pk,
    )
    form = ReopenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            child_reopen(actor=request.user, child=child, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"The record of child {child.pk} has been reopened.")
            return redirect("child-detail", pk=child.pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Reopen this record",
            "caption": f"Child {child.pk}",
            "intro": [
                "A reopened record is found by the search and counted again, and its content is no longer due for "
                "erasure. Reopen a record closed in error, for example on a wrong date of birth: correct the date "
                "of birth once it is open.",
                "The next check of the age scope judges it afresh: if the young person is past the scope and "
                "nothing keeps the record, it is given a new closing date and their lead professionals are told.",
            ],
            "submit": "Reopen the record",
            "back_url": reverse("child-detail", args=[child.pk]),
        },
    )
