"""Meetings of the partners: the list, arranging one, minutes and their circulation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from agencies.forms import add_service_errors, add_service_message
from isp_portal import policy
from protocols import services
from protocols.forms import MeetingForm, MinutesForm
from protocols.models import Meeting, Review, ReviewStatus


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "view", Meeting)
    return render(
        request,
        "protocols/meeting_list.html",
        {
            "meetings": policy.restrict(request.user, "view", Meeting).order_by("-held_on"),
            "can_create": policy.can(request.user, "create", Meeting),
        },
    )


@login_required
def meeting_create(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "create", Meeting)
    reviews = Review.objects.filter(status=ReviewStatus.COMPLETED, reported_at__isnull=True).select_related("protocol")
    form = MeetingForm(request.POST or None, reviews=reviews)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        agenda = [(title, None) for title in data["agenda"]]
        agenda += [(f"Report of {review}", review) for review in data["reviews"]]
        try:
            meeting = services.meeting_create(
                actor=request.user,
                title=data["title"],
                held_on=data["held_on"],
                location=data["location"],
                attendee_agencies=data["attendee_agencies"],
                agenda=agenda,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{meeting} has been arranged.")
            return redirect("meeting-detail", pk=meeting.pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Arrange a meeting of the partners",
            "submit": "Arrange meeting",
            "back_url": reverse("meeting-list"),
        },
    )


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = policy.get_or_deny(request.user, Meeting, pk=pk)
    form = MinutesForm(request.POST or None, initial={"minutes": meeting.minutes})
    if request.method == "POST":
        policy.require(request.user, "change", meeting)
        if form.is_valid():
            try:
                services.meeting_record_minutes(
                    actor=request.user, meeting=meeting, minutes=form.cleaned_data["minutes"]
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "The minutes have been saved.")
                return redirect("meeting-detail", pk=meeting.pk)
    return render(
        request,
        "protocols/meeting_detail.html",
        {
            "meeting": meeting,
            "agenda": list(meeting.agenda_items.select_related("review__protocol")),
            "agencies": list(meeting.attendee_agencies.order_by("name")),
            "form": form,
            "can_change": policy.can(request.user, "change", meeting) and meeting.minutes_circulated_on is None,
        },
    )


@login_required
@require_POST
def meeting_circulate(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = policy.get_or_deny(request.user, Meeting, action="circulate", pk=pk)
    try:
        services.meeting_circulate_minutes(actor=request.user, meeting=meeting)
    except ValidationError as error:
        add_service_message(request, error)
    else:
        messages.success(request, "The minutes have been circulated to the attendees.")
    return redirect("meeting-detail", pk=meeting.pk)
