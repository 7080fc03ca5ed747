"""Consultations: opening one, responding, recording the outcome."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from agencies.forms import add_service_errors
from agencies.models import Agency
from isp_portal import policy
from isp_portal.wording import long_date, possessive
from protocols import rules, services
from protocols.forms import ConsultationOpenForm, DecideForm, RespondForm
from protocols.models import Consultation, ConsultationStatus, Protocol
from protocols.policy import may_respond_for


@login_required
def consultation_open(request: HttpRequest, pk: int) -> HttpResponse:
    protocol = policy.get_or_deny(
        request.user, Protocol.objects.select_related("current_version"), action="open_consultation", pk=pk
    )
    latest = protocol.latest_version()
    form = ConsultationOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and latest is not None:
        try:
            consultation = services.consultation_open(
                actor=request.user, protocol=protocol, version=latest, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Version {latest.number} is circulated; responses are due by {long_date(consultation.deadline)}.",
            )
            return redirect("consultation-detail", pk=consultation.pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": f"Consult on version {latest.number if latest else ''}",
            "caption": protocol.title,
            "submit": "Circulate for consultation",
            "back_url": reverse("protocol-detail", args=[protocol.pk]),
            "intro": [
                "It goes to every agency that has signed the version in force (or, for a new protocol, every "
                "active agency). Agencies that do not respond by the deadline are recorded as agreeing"
                f"{protocol.cite('consultation')}."
            ],
        },
    )


@login_required
def consultation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = policy.get_or_deny(
        request.user, Consultation.objects.select_related("protocol", "proposed_version"), pk=pk
    )
    responses = list(consultation.responses.select_related("agency", "responded_by").order_by("agency__name"))
    mine = [row.agency_id for row in responses if may_respond_for(request.user, row.agency_id)]
    can_respond = (
        consultation.status == ConsultationStatus.OPEN and bool(mine) and timezone.localdate() <= consultation.deadline
    )
    form = RespondForm(request.POST or None, agencies=Agency.objects.filter(pk__in=mine).order_by("name"))
    if request.method == "POST":
        policy.require(request.user, "respond", consultation)
        if form.is_valid():
            try:
                services.consultation_respond(actor=request.user, consultation=consultation, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"{possessive(form.cleaned_data['agency'])} response has been recorded.")
                return redirect("consultation-detail", pk=consultation.pk)
    result = rules.tally(row.response for row in responses)
    return render(
        request,
        "protocols/consultation_detail.html",
        {
            "consultation": consultation,
            "responses": responses,
            "tally": result,
            "quorum_met": rules.quorum_met(result, consultation.quorum_percent),
            "form": form,
            "can_respond": can_respond,
            "can_decide": policy.can(request.user, "decide", consultation)
            and rules.outcome_due(consultation.status, consultation.deadline, timezone.localdate()),
        },
    )


@login_required
def consultation_decide(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = policy.get_or_deny(
        request.user, Consultation.objects.select_related("protocol", "proposed_version"), action="decide", pk=pk
    )
    if not rules.outcome_due(consultation.status, consultation.deadline, timezone.localdate()):
        # The service would refuse the outcome: say why now rather than after the form is filled in.
        if consultation.status == ConsultationStatus.DECIDED:
            messages.info(request, "The outcome of this consultation has already been recorded.")
        else:
            messages.info(
                request,
                f"Responses are open until {long_date(consultation.deadline)}: "
                "the outcome is recorded after the deadline.",
            )
        return redirect("consultation-detail", pk=consultation.pk)
    form = DecideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.consultation_decide(
                actor=request.user,
                consultation=consultation,
                adopt=form.cleaned_data["outcome"] == "adopt",
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The outcome has been recorded and every consulted agency told.")
            return redirect("protocol-detail", pk=consultation.protocol_id)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Record the outcome",
            "caption": str(consultation),
            "submit": "Record outcome",
            "back_url": reverse("consultation-detail", args=[consultation.pk]),
            "intro": ["Adopting puts the new version in force; signatures carry over unless withdrawn."],
        },
    )
