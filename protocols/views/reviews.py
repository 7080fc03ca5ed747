"""Reviews, implementation plans, partner audits and their draft extracts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from agencies.forms import add_service_errors
from agencies.models import Role, User
from agencies.policy import principal
from isp_portal import policy
from protocols import services
from protocols.forms import (
    ActionForm,
    ActionUpdateForm,
    AuditNoticeForm,
    ExtractForm,
    ExtractResponseForm,
    ReviewCompleteForm,
)
from protocols.models import AuditExtract, Protocol, ProtocolAudit, Review, ReviewAction
from protocols.policy import acting_agencies


def _officer_choices() -> object:
    return User.objects.filter(memberships__is_active=True, is_system=False).distinct().order_by("full_name")


@login_required
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = policy.get_or_deny(request.user, Review.objects.select_related("protocol", "reported_at"), pk=pk)
    form = ReviewCompleteForm(
        request.POST or None, officers=_officer_choices(), initial={"completed_on": timezone.localdate()}
    )
    if request.method == "POST":
        policy.require(request.user, "complete", review)
        if form.is_valid():
            try:
                services.review_complete(actor=request.user, review=review, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "The review's findings are recorded and the next review scheduled.")
                return redirect("review-detail", pk=review.pk)
    actions = list(review.actions.select_related("owner_agency"))
    return render(
        request,
        "protocols/review_detail.html",
        {
            "review": review,
            "officers": list(review.officers.order_by("full_name")),
            "actions": actions,
            # Only the actions this user may update are links (the same policy decides the update page).
            "updatable": {action.pk for action in actions if policy.can(request.user, "update", action)},
            "form": form,
            "can_complete": policy.can(request.user, "complete", review),
            "can_add_action": policy.can(request.user, "add_action", review),
            "today": timezone.localdate(),
        },
    )


@login_required
def review_action_add(request: HttpRequest, pk: int) -> HttpResponse:
    review = policy.get_or_deny(
        request.user, Review.objects.select_related("protocol__current_version"), action="add_action", pk=pk
    )
    form = ActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.review_action_add(actor=request.user, review=review, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The action has been added to the implementation plan.")
            return redirect("review-detail", pk=review.pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Add an action",
            "caption": str(review),
            "submit": "Add action",
            "back_url": reverse("review-detail", args=[review.pk]),
            "intro": [
                "Partners carry out the implementation plan within the agreed time"
                f"{review.protocol.cite('implementation_plan')}."
            ],
        },
    )


@login_required
def review_action_update(request: HttpRequest, pk: int) -> HttpResponse:
    action = policy.get_or_deny(
        request.user, ReviewAction.objects.select_related("review__protocol", "owner_agency"), action="update", pk=pk
    )
    form = ActionUpdateForm(request.POST or None, initial={"status": action.status, "note": action.note})
    if request.method == "POST" and form.is_valid():
        try:
            services.review_action_update(actor=request.user, action=action, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The action has been updated.")
            return redirect("review-detail", pk=action.review_id)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Update the action",
            "caption": action.description[:80],
            "submit": "Save",
            "back_url": reverse("review-detail", args=[action.review_id]),
        },
    )


@login_required
def protocol_audit_create(request: HttpRequest, pk: int) -> HttpResponse:
    protocol = policy.get_or_deny(
        request.user, Protocol.objects.select_related("current_version"), action="audit", pk=pk
    )
    form = AuditNoticeForm(
        request.POST or None, agencies=acting_agencies(request.user), initial={"notice_given_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            audit = services.protocol_audit_create(actor=request.user, protocol=protocol, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Notice of the audit has been recorded.")
            return redirect("protocol-audit-detail", pk=audit.pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Give notice of an audit",
            "caption": protocol.title,
            "submit": "Give notice",
            "back_url": reverse("protocol-detail", args=[protocol.pk]),
            "intro": [
                f"Any partner may audit the use of the protocol{protocol.cite('audit')}. "
                "Give the scope in writing at least one month "
                "before the audit starts."
            ],
        },
    )


@login_required
def protocol_audit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    audit = policy.get_or_deny(request.user, ProtocolAudit.objects.select_related("protocol", "auditing_agency"), pk=pk)
    form = ExtractForm(request.POST or None)
    if request.method == "POST":
        policy.require(request.user, "share_extract", audit)
        if form.is_valid():
            try:
                services.audit_extract_share(actor=request.user, audit=audit, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "The extract has been shared with the partners it names.")
                return redirect("protocol-audit-detail", pk=audit.pk)
    extracts = list(policy.restrict(request.user, "view", AuditExtract).filter(audit=audit).distinct())
    return render(
        request,
        "protocols/audit_detail.html",
        {
            "audit": audit,
            "extracts": extracts,
            "form": form,
            "can_share": policy.can(request.user, "share_extract", audit),
        },
    )


@login_required
def audit_extract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    extract = policy.get_or_deny(
        request.user, AuditExtract.objects.select_related("audit__protocol", "audit__auditing_agency"), pk=pk
    )
    named = extract.named_agencies.order_by("name")
    mine = named.filter(pk__in=principal(request.user).agencies_with(Role.AGENCY_ADMIN))
    form = ExtractResponseForm(request.POST or None, agencies=mine)
    if request.method == "POST":
        policy.require(request.user, "respond", extract)
        if form.is_valid():
            try:
                services.extract_respond(actor=request.user, extract=extract, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Your agency's response has been recorded.")
                return redirect("audit-extract-detail", pk=extract.pk)
    return render(
        request,
        "protocols/extract_detail.html",
        {
            "extract": extract,
            "named": list(named),
            "responses": list(extract.responses.select_related("agency", "responded_by")),
            "form": form,
            "can_respond": policy.can(request.user, "respond", extract)
            and mine.exists()
            and timezone.localdate() <= extract.audit.responses_due_on,
        },
    )
