"""The dispute pages (issue 13; Southampton 13; docs/after-disclosure-design.md 9): raising a dispute from a
request's page, the list of the user's disputes, a dispute's journey (a GOV.UK task list per stage for both sides),
and each stage's action. Thin: the policy decides (404 out of scope, 403 with the rule), the services write."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from agencies.forms import add_service_errors
from disclosures import dispute_selectors as selectors
from disclosures import rules
from disclosures.dispute_policy import dispute_subject_scope, open_refusal
from disclosures.forms.disputes import ACTION_FORMS, DisputeForm
from disclosures.models import Dispute, InformationRequest
from disclosures.services import disputes as services
from disclosures.services.disputes import subject_facts
from isp_portal import policy

ACTION_TITLES = {
    "position": "Record your position",
    "escalate": "Escalate to stage 2",
    "advise": "Give your advice",
    "decide": "Decide",
    "record": "Record the dispute on your case file",
    "withdraw": "Withdraw the dispute",
}


@login_required
def dispute_list(request: HttpRequest) -> HttpResponse:
    return render(request, "disclosures/dispute_list.html", {"disputes": selectors.disputes_mine(request.user)})


@login_required
def dispute_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Raise a dispute about a request (offered only when eligible; otherwise the page says why)."""
    scope = dispute_subject_scope(request.user)
    found = (
        InformationRequest.objects.filter(scope, pk=pk).select_related("holding_agency").first()
        if scope is not None
        else None
    )
    if found is None:
        # Another agency's request reads as not existing; recorded as every denial is.
        raise policy.OutOfScope(action="dispute", target_type="disclosures.informationrequest", target_id=str(pk))
    refusal = open_refusal(request.user, found) or rules.dispute_eligibility_refusal(
        subject_facts(found), timezone.localdate()
    )
    form = DisputeForm(request.POST or None)
    if request.method == "POST" and refusal is None and form.is_valid():
        try:
            dispute = services.dispute_open(actor=request.user, request=found, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Dispute {dispute.register_label} was raised.")
            return redirect("dispute-detail", pk=dispute.pk)
    return render(
        request,
        "disclosures/dispute_new.html",
        {"form": form, "made": found, "refusal": refusal, "back_url": reverse("request-detail", args=[found.pk])},
    )


@login_required
def dispute_detail(request: HttpRequest, pk: int) -> HttpResponse:
    page = selectors.dispute_page(request.user, pk)
    stages = []
    for stage in (1, 2):
        sides = []
        for side in rules.Side:
            position = next((p for p in page.positions if p.stage == stage and p.side == side), None)
            advice = next((a for a in page.advices if a.side == side), None) if stage == 2 else None
            sides.append(
                {
                    "side": side,
                    "label": "Requesting agency" if side == rules.Side.RAISING else "Agency holding the information",
                    "agency": page.dispute.raising_agency
                    if side == rules.Side.RAISING
                    else page.dispute.responding_agency,
                    "assignees": page.assignee_names.get((stage, side.value), []),
                    "position": position,
                    "advice": advice,
                }
            )
        stages.append({"number": stage, "sides": sides, "started": stage <= page.dispute.stage})
    return render(
        request,
        "disclosures/dispute_detail.html",
        {
            "page": page,
            "dispute": page.dispute,
            "stages": stages,
            "actions": [(action, ACTION_TITLES[action]) for action in page.allowed],
            "records": {record.side: record for record in page.records},
        },
    )


RUN: dict[str, Callable[..., Any]] = {
    "position": services.dispute_position_record,
    "escalate": services.dispute_escalate,
    "advise": services.dispute_advice_record,
    "decide": services.dispute_decide,
    "record": services.dispute_record_make,
    "withdraw": services.dispute_withdraw,
}


def _action_view(action: str) -> Callable[..., HttpResponse]:
    @login_required
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        dispute = policy.get_or_deny(request.user, Dispute.objects.all(), action=action, pk=pk)
        form = ACTION_FORMS[action](request.POST or None)
        if request.method == "POST" and form.is_valid():
            run = RUN[action]
            try:
                run(actor=request.user, dispute=dispute, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Done: the dispute's journey shows it.")
                return redirect("dispute-detail", pk=dispute.pk)
        return render(
            request,
            "disclosures/dispute_action.html",
            {
                "form": form,
                "dispute": dispute,
                "title": ACTION_TITLES[action],
                "warning": action == "withdraw",
                "back_url": reverse("dispute-detail", args=[dispute.pk]),
            },
        )

    view.__name__ = f"dispute_{action}"
    return view


dispute_position = _action_view("position")
dispute_escalate = _action_view("escalate")
dispute_advise = _action_view("advise")
dispute_decide = _action_view("decide")
dispute_record = _action_view("record")
dispute_withdraw = _action_view("withdraw")

__all__ = ["Http404", "dispute_detail", "dispute_list", "dispute_new"]
