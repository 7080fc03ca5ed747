"""The onward pages (issue 13; Southampton 10-11; docs/after-disclosure-design.md 9): the onward requests an agency
raised or must decide, one onward request, the originator's decision and the requester's withdrawal. Views only read
through disclosures.onward_selectors and write through disclosures.services.onward; who may act is
disclosures.onward_policy's (out of scope 404, refused 403 with the rule). No JavaScript is needed."""

from __future__ import annotations

from typing import Any, Literal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from agencies.forms import add_service_errors
from disclosures.forms.onward import AGREE, OnwardDecisionForm, OnwardWithdrawForm
from disclosures.models import OnwardRequest
from disclosures.onward_selectors import onward_request_page, onward_requests
from disclosures.services import onward as services
from isp_portal.policy import get_or_deny


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


@login_required
def onward_list(request: HttpRequest) -> HttpResponse:
    role: Literal["raised", "to_decide"] = "to_decide" if request.GET.get("role") == "to_decide" else "raised"
    rows = onward_requests(request.user, role=role)
    return render(request, "disclosures/onward_list.html", {"rows": rows, "role": role})


@login_required
def onward_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "disclosures/onward_detail.html", {"page": onward_request_page(request.user, pk)})


@login_required
def onward_decide(request: HttpRequest, pk: int) -> HttpResponse:
    onward = get_or_deny(
        request.user, OnwardRequest.objects.select_related("from_agency", "to_agency"), action="decide", pk=pk
    )
    form = OnwardDecisionForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            if values["decision"] == AGREE:
                services.onward_request_agree(actor=request.user, onward=onward, conditions=values["conditions"])
            else:
                services.onward_request_decline(
                    actor=request.user, onward=onward, reason=values["decline_reason"], detail=values["decline_detail"]
                )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Your decision has been recorded and the person who asked has been told.")
            return redirect("onward-detail", pk=onward.pk)
    return render(request, "disclosures/onward_decide.html", {"onward": onward, "form": form})


@login_required
def onward_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    onward = get_or_deny(
        request.user, OnwardRequest.objects.select_related("originator_agency", "to_agency"), action="withdraw", pk=pk
    )
    form = OnwardWithdrawForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.onward_request_withdraw(actor=request.user, onward=onward, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The onward request has been withdrawn.")
            return redirect("onward-detail", pk=onward.pk)
    return render(request, "disclosures/onward_withdraw.html", {"onward": onward, "form": form})
