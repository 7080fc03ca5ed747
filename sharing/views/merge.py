"""Merging two entries found to be the same child (a partnership admin), with a check-answers step: the choice is
kept in the session between the steps."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from agencies.forms import add_service_errors
from isp_portal import policy
from sharing import rules, services
from sharing.forms import MergeForm, ServiceProblems
from sharing.models import Child
from sharing.selectors import merge_check

SESSION_KEY = "sharing_merge"


@login_required
def child_merge(request: HttpRequest, pk: int) -> HttpResponse:
    keep = policy.found_or_deny(request.user, Child, Child.objects.filter(pk=pk).first(), action="merge", target_id=pk)
    form = MergeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        other = Child.objects.filter(pk=form.cleaned_data["other"]).first()
        if other is None or other.pk == keep.pk or other.merged_into_id is not None:
            form.add_error("other", "Enter the number of another entry in the index that has not been merged.")
        elif other.closed_on is not None:
            # Southampton 8: a closed (or erased) record is kept for reference only, never merged (ChildPolicy
            # `merge`): said on the field, as for a merged entry, not by the check page's 403 (break10e finding 9).
            form.add_error(
                "other",
                f"Entry {other.pk} is closed: a closed record is kept for reference only and cannot be merged. "
                "Enter the number of an open entry.",
            )
        else:
            request.session[SESSION_KEY] = {"keep": keep.pk, "merge": other.pk, "reason": form.cleaned_data["reason"]}
            return redirect("child-merge-check", pk=keep.pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Merge another entry into this one",
            "caption": f"Child {keep.pk}",
            "intro": [
                "When two entries are the same child, the other entry's names, addresses, involvements and "
                "records move to this one. Both histories are kept, and the merge is recorded."
            ],
            "submit": "Continue",
            "back_url": reverse("child-detail", args=[keep.pk]),
        },
    )


@login_required
def child_merge_check(request: HttpRequest, pk: int) -> HttpResponse:
    keep = policy.found_or_deny(request.user, Child, Child.objects.filter(pk=pk).first(), action="merge", target_id=pk)
    stored = request.session.get(SESSION_KEY)
    if not isinstance(stored, dict) or stored.get("keep") != keep.pk:
        return redirect("child-merge", pk=keep.pk)
    merge = policy.found_or_deny(
        request.user, Child, Child.objects.filter(pk=stored["merge"]).first(), action="merge", target_id=stored["merge"]
    )
    problems = ServiceProblems(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        try:
            services.child_merge(
                actor=request.user,
                keep=keep,
                merge=merge,
                reason=stored["reason"],
                # The checkbox the page shows with the warning when the dates of birth differ.
                differences_confirmed=request.POST.get("confirm") == "yes",
            )
        except ValidationError as error:
            add_service_errors(problems, error)
        else:
            del request.session[SESSION_KEY]
            messages.success(request, f"Child {merge.pk} has been merged into this entry.")
            return redirect("child-detail", pk=keep.pk)
    # Shows both children's names and dates of birth: a view of each, audited once (merge_check).
    kept, merged = merge_check(principal=request.user, keep=keep, merge=merge)
    return render(
        request,
        "sharing/merge_check.html",
        {
            "keep": kept,
            "merge": merged,
            "reason": stored["reason"],
            "problems": problems,
            "warning": rules.merge_warning(kept.born_on, merged.born_on),
        },
    )
