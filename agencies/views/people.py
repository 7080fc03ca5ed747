"""An agency's people: invitations, roles and details, ending a membership, and training records."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from agencies import selectors, services
from agencies.forms import (
    ApiTokenForm,
    DeactivateForm,
    InvitationAcceptForm,
    InvitationForm,
    MembershipForm,
    TrainingImportForm,
    TrainingRecordForm,
    add_service_errors,
    add_service_message,
)
from agencies.models import Agency, ApiToken, Invitation, Membership, User
from agencies.policy import PARTNERSHIP_TRAINING, grants
from agencies.services.people import (
    invitation_for_token,
    membership_admin_role_refusal,
    membership_ending_refusal,
    record_privilege_refusal,
)
from audit.services import audit_record
from isp_portal import policy, signin
from isp_portal.views.auth import locked_out as locked_out_page
from isp_portal.wording import possessive


@login_required
def agency_invite(request: HttpRequest, pk: int) -> HttpResponse:
    agency = policy.get_or_deny(request.user, Agency, action="manage_members", pk=pk)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _ = services.invitation_create(actor=request.user, agency=agency, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, f"An invitation has been emailed to {invitation.email}. The link works for 7 days."
            )
            return redirect("agency-detail", pk=agency.pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Invite someone",
            "caption": agency.name,
            "submit": "Send invitation",
            "back_url": reverse("agency-detail", args=[agency.pk]),
            "intro": [
                "They will get an email with a link that works once, for 7 days, to set a password and set up "
                "two-factor authentication."
            ],
        },
    )


@login_required
@require_POST
def invitation_resend(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = policy.get_or_deny(request.user, Invitation.objects.select_related("agency"), action="resend", pk=pk)
    try:
        services.invitation_resend(actor=request.user, invitation=invitation)
    except ValidationError as error:
        add_service_message(request, error)
    else:
        messages.success(request, f"A new link has been emailed to {invitation.email}; the old one no longer works.")
    return redirect("agency-detail", pk=invitation.agency_id)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = policy.get_or_deny(request.user, Invitation.objects.select_related("agency"), action="revoke", pk=pk)
    try:
        services.invitation_revoke(actor=request.user, invitation=invitation)
    except ValidationError as error:
        add_service_message(request, error)
    else:
        messages.success(request, f"The invitation to {invitation.email} has been withdrawn.")
    return redirect("agency-detail", pk=invitation.agency_id)


@sensitive_post_parameters("password", "password_again")
@never_cache
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The invitee's page. A new person chooses a password, then sets up two-factor; someone who already
    has an account signs in and accepts."""
    invitation = invitation_for_token(token)
    if invitation is None:
        # A wrong or stale link is an access attempt with a bad credential: on the record, like a bad token.
        audit_record(
            kind="auth.invitation_rejected",
            actor=request.user,
            outcome="denied",
            detail={"status": 404, "path": "/invitations/…/"},
        )
        return render(request, "agencies/invitation_invalid.html", status=404)
    refused = services.invitation_standing_refusal(invitation)
    if refused:
        # A good link to an agency that may not take people on now: say why before anyone chooses a password,
        # rather than offer a form the service refuses (issue 8 item 11), and keep the refusal on the record.
        audit_record(
            kind="auth.invitation_rejected",
            actor=request.user,
            outcome="denied",
            target=invitation,
            detail={"status": 403, "path": "/invitations/…/", "reason": refused},
        )
        return render(request, "agencies/invitation_invalid.html", {"reason": refused}, status=403)
    existing = User.objects.filter(email=invitation.email).exists()
    if existing:
        if not request.user.is_authenticated:
            return render(request, "agencies/invitation_existing.html", {"invitation": invitation})
        if request.method == "POST":
            try:
                services.invitation_accept(token=token, user=request.user)
            except ValidationError as error:
                add_service_message(request, error)
                return redirect("dashboard")
            messages.success(request, f"You are now a member of {invitation.agency}.")
            return redirect("dashboard")
        return render(request, "agencies/invitation_existing.html", {"invitation": invitation})
    form = InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.invitation_accept(token=token, password=form.cleaned_data["password"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            # The password is set: go straight on to two-factor set-up, as after a password sign-in (not
            # while this username is locked out from this address: no step of sign-in then).
            try:
                signin.begin_pending_sign_in(request, membership.user)
            except signin.SignInLockedOut:
                return locked_out_page(request, credentials={"email": membership.user.email})
            messages.success(request, "Your password is set. Now set up two-factor authentication.")
            return redirect("two-factor-setup")
    return render(request, "agencies/invitation_accept.html", {"form": form, "invitation": invitation})


def _membership_place(membership: Membership) -> tuple[str, str]:
    """Where a membership belongs, for the page's caption and the way back: its agency's page, or (for a
    partnership-level membership, which has no agency) the dashboard."""
    if membership.agency_id is None:
        return "The partnership", reverse("dashboard")
    return str(membership.agency), reverse("agency-detail", args=[membership.agency_id])


@login_required
def membership_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = policy.get_or_deny(
        request.user, Membership.objects.select_related("agency", "user", "line_manager"), action="change", pk=pk
    )
    # Partnership-level memberships (no agency) have partnership colleagues: agency=None is agency IS NULL.
    colleagues = (
        User.objects.filter(memberships__agency=membership.agency_id, memberships__is_active=True, is_system=False)
        .exclude(pk=membership.user_id)
        .order_by("full_name")
    )
    caption, back_url = _membership_place(membership)
    retraining = selectors.retraining_required([membership.user_id]).get(membership.user_id)
    initial = {
        "roles": membership.roles,
        "job_title": membership.job_title,
        "team": membership.team,
        "line_manager": membership.line_manager,
        "is_caldicott_guardian": membership.is_caldicott_guardian,
        "is_data_protection_officer": membership.is_data_protection_officer,
        "is_nominated_representative": membership.is_nominated_representative,
        "authorised_for_restricted": membership.authorised_for_restricted,
        "vetting_checked_on": membership.vetting_checked_on,
    }
    form = MembershipForm(
        request.POST or None,
        initial=initial,
        membership=membership,
        colleagues=colleagues,
        grants=grants(request.user, membership),
        # The last active human admin keeps the admin role: not offered for removal (DESIGN 4).
        keep_admin_reason=membership_admin_role_refusal(membership=membership),
    )
    if request.method == "POST" and form.is_valid():
        try:
            values = {**form.cleaned_data, "roles": form.roles_to_save()}
            services.membership_update(actor=request.user, membership=membership, **values)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{possessive(membership.user)} roles and details have been saved.")
            return redirect(back_url)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": f"Change {possessive(membership.user)} roles and details",
            "caption": caption,
            # Said here when no roles are offered to carry it as their hint.
            "intro": [
                *([retraining.summary] if retraining else []),
                *([form.keep_admin_reason] if form.keep_admin_reason and "roles" not in form.fields else []),
            ],
            "submit": "Save",
            "back_url": back_url,
        },
    )


def _who_could_help(membership: Membership) -> list[str]:
    """Who can lift the last-admin refusal: someone who gives the admin role to another person."""
    if membership_admin_role_refusal(membership=membership) is None:
        return []  # another refusal, whose message says who could help
    if membership.agency_id is None:
        return ["A partnership admin can give the partnership admin role to another person first."]
    return [
        f"An admin of {membership.agency} or a partnership admin can give the agency admin role to another "
        "member first."
    ]


@login_required
def membership_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    membership = policy.get_or_deny(
        request.user, Membership.objects.select_related("agency", "user"), action="deactivate", pk=pk
    )
    caption, back_url = _membership_place(membership)
    title = f"End {possessive(membership.user)} membership"
    refusal = membership_ending_refusal(actor=request.user, membership=membership)
    if refusal is not None:
        # The rules refuse it whatever reason is given (the last admin stays, DESIGN 4): say why and who
        # could help instead of offering a form that can only fail; an attempt all the same is recorded.
        if request.method == "POST":
            record_privilege_refusal(actor=request.user, refusal=refusal)
        return render(
            request,
            "form_page.html",
            {
                "title": title,
                "caption": caption,
                "back_url": back_url,
                "cannot": [*refusal.messages, *_who_could_help(membership)],
            },
        )
    form = DeactivateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_deactivate(
                actor=request.user, membership=membership, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            where = "the partnership" if membership.agency_id is None else str(membership.agency)
            messages.success(request, f"{possessive(membership.user)} membership of {where} has ended.")
            return redirect(back_url)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": title,
            "caption": caption,
            "submit": "End membership",
            "danger": True,
            "back_url": back_url,
            "warning": "They will be signed out at once and lose their roles in "
            + ("the partnership." if membership.agency_id is None else "this agency."),
        },
    )


@login_required
def agency_training(request: HttpRequest, pk: int) -> HttpResponse:
    """Buckinghamshire 4: who in the agency holds valid information-sharing training."""
    agency = policy.get_or_deny(request.user, Agency, action="manage_training", pk=pk)
    return render(
        request,
        "agencies/training_list.html",
        {
            "agency": agency,
            "records": selectors.agency_training(request.user, agency),
            "people": selectors.agency_training_people(request.user, agency),
        },
    )


def _members(agency: Agency) -> QuerySet[User]:
    return User.objects.filter(memberships__agency=agency, memberships__is_active=True, is_system=False).order_by(
        "full_name"
    )


@login_required
def agency_training_add(request: HttpRequest, pk: int) -> HttpResponse:
    agency = policy.get_or_deny(request.user, Agency, action="manage_training", pk=pk)
    # Not the admin herself: nobody records their own training (agencies.services.training.OWN_TRAINING).
    form = TrainingRecordForm(request.POST or None, members=_members(agency).exclude(pk=getattr(request.user, "pk", 0)))
    if request.method == "POST" and form.is_valid():
        try:
            record = services.training_record_create(actor=request.user, agency=agency, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{record.course} recorded for {record.user}.")
            return redirect("agency-training", pk=agency.pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Record training",
            "caption": agency.name,
            "submit": "Record training",
            "back_url": reverse("agency-training", args=[agency.pk]),
        },
    )


@login_required
def partnership_training(request: HttpRequest) -> HttpResponse:
    """Buckinghamshire 4: the training of the partnership's own people (partnership admins and auditors, who
    have no agency): the training gate holds for them too, and a partnership admin records it."""
    policy.require(request.user, "view", PARTNERSHIP_TRAINING)
    return render(
        request,
        "agencies/partnership_training.html",
        {"people": selectors.partnership_training(request.user)},
    )


@login_required
def partnership_training_add(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "manage_training", PARTNERSHIP_TRAINING)
    # Not the admin herself: nobody records their own training (agencies.services.training.OWN_TRAINING).
    people = selectors.partnership_people(request.user).exclude(pk=getattr(request.user, "pk", 0))
    form = TrainingRecordForm(request.POST or None, members=people)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.training_record_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{record.course} recorded for {record.user}.")
            return redirect("partnership-training")
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Record training",
            "caption": "The partnership",
            "submit": "Record training",
            "back_url": reverse("partnership-training"),
            "intro": [
                "For the partnership's own people: partnership admins and auditors, who belong to no agency. "
                "Nobody records their own training: another partnership admin records yours."
            ],
        },
    )


@login_required
def agency_training_import(request: HttpRequest, pk: int) -> HttpResponse:
    agency = policy.get_or_deny(request.user, Agency, action="manage_training", pk=pk)
    form = TrainingImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.training_records_import(
                actor=request.user, agency=agency, csv_text=form.cleaned_data["file"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{len(created)} training record{'s' if len(created) != 1 else ''} imported.")
            return redirect("agency-training", pk=agency.pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Import training records",
            "caption": agency.name,
            "submit": "Import",
            "multipart": True,
            "back_url": reverse("agency-training", args=[agency.pk]),
            "intro": [
                "One row per completed course, for people who are members of this agency. If any row has a "
                "problem, nothing is imported and every problem is listed with its line number."
            ],
        },
    )


@login_required
def agency_api_tokens(request: HttpRequest, pk: int) -> HttpResponse:
    """An agency's API tokens: what each may do, when it expires and was last used; revoke; make a new one
    (DESIGN 4: least privilege, expiring, revocable). The new token is shown once, on this page."""
    agency = policy.get_or_deny(request.user, Agency, action="administer", pk=pk)
    can_create = policy.can(request.user, "create_api_token", agency)
    form = ApiTokenForm(request.POST or None, initial={"expires_on": timezone.localdate() + timedelta(days=365)})
    secret = None
    if request.method == "POST":
        policy.require(request.user, "create_api_token", agency)
        if form.is_valid():
            expires_on = form.cleaned_data["expires_on"]
            try:
                _token, secret = services.api_token_create(
                    actor=request.user,
                    agency=agency,
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    expires_at=_end_of(expires_on),
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                form = ApiTokenForm(initial={"expires_on": timezone.localdate() + timedelta(days=365)})
    return render(
        request,
        "agencies/api_tokens.html",
        {
            "agency": agency,
            "tokens": selectors.agency_api_tokens(request.user, agency),
            "form": form if can_create else None,
            "cannot_create": None if can_create else _why_not(request.user, "create_api_token", agency),
            "secret": secret,
        },
    )


def _why_not(user: Any, action: str, target: Any) -> str:
    """The policy's reason for refusing, to show in place of a form the page does not offer."""
    try:
        policy.require(user, action, target)
    except policy.AccessDenied as denial:
        return denial.reason
    return ""


def _end_of(day: Any) -> Any:
    """The last moment of a day, in the portal's time zone (a token "expires on" a date)."""
    if day is None:
        return None
    moment = timezone.make_aware(datetime.combine(day, time(23, 59, 59)))
    # A token may live at most a year: the last allowed day means "as late as allowed"; a later day is
    # passed on as it is, for the service to refuse with its message.
    limit = timezone.now() + services.TOKEN_MAX_LIFETIME
    if moment > limit and day <= timezone.localtime(limit).date():
        return limit
    return moment


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = policy.get_or_deny(request.user, ApiToken.objects.select_related("agency"), action="revoke", pk=pk)
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, f"The token {token.name} has been revoked: it no longer works.")
    return redirect("agency-api-tokens", pk=token.agency_id)
