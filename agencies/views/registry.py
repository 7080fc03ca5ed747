"""The partner register: list, detail, create, edit, status; the checklist; the requirements list."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from agencies import selectors, services
from agencies.forms import (
    AgencyContactForm,
    AgencyFilterForm,
    AgencyForm,
    AgencyStatusForm,
    ChecklistConfirmForm,
    RequirementForm,
    add_service_errors,
)
from agencies.models import Agency, Role, SignatoryRequirement
from agencies.presenters import people_rows
from isp_portal import policy
from isp_portal.navigation import sections_for
from isp_portal.wording import possessive

CONTACT_FIELDS = list(AgencyContactForm.base_fields)


@login_required
def agency_list(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "view", Agency)
    form = AgencyFilterForm(request.GET or None, areas=selectors.area_choices())
    filters = form.cleaned_data if form.is_valid() else {}
    agencies = selectors.agencies_list(request.user, **{key: value for key, value in filters.items() if value})
    page = Paginator(agencies, 25).get_page(request.GET.get("page"))
    query = urlencode({key: value for key, value in filters.items() if value})
    return render(
        request,
        "agencies/agency_list.html",
        {"filter_form": form, "page": page, "query": query, "can_create": policy.can(request.user, "create", Agency)},
    )


@login_required
def agency_detail(request: HttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    # One statement for the agency, its compliance figures and the agencies it commissions (the policy
    # decides whether the user may see it, as get_or_deny would).
    agency = selectors.agency_page(request.user, pk, today)
    people = selectors.agency_people(request.user, agency, today)
    admins = [m.pk for m in people if Role.AGENCY_ADMIN in m.roles]  # people are never system accounts
    can_manage_members = policy.can(request.user, "manage_members", agency)
    # Ending memberships, withdrawing invitations and revoking API tokens only remove access: an agency's
    # admins may always do them, whatever its standing (issue 8, item 4).
    can_administer = policy.can(request.user, "administer", agency)
    context = {
        "agency": agency,
        "compliance": selectors.agency_compliance(agency, today),
        "people": people,
        # The table's rows as markup (docs/fast-pages.md §4). The agency always keeps an active human admin
        # (DESIGN 4): ending the only one's membership is not offered, since the service would refuse it
        # (issue 8 item 11).
        "people_rows": people_rows(
            people,
            can_administer=can_administer,
            sole_admin_id=admins[0] if len(admins) == 1 else None,
        ),
        "can_view_people": policy.can(request.user, "view_people", agency),
        "can_change": policy.can(request.user, "change", agency),
        "can_change_status": policy.can(request.user, "change_status", agency),
        "can_manage_members": can_manage_members,
        # Each link follows the policy action of the page it leads to, so the standing table
        # (agencies.rules.STANDING_ALLOWS) decides both: a suspended agency keeps its training current.
        "can_manage_training": policy.can(request.user, "manage_training", agency),
        "can_administer": can_administer,
        "invitations": selectors.open_invitations(request.user, agency),
        "document": selectors.document_summary(request.user, agency),
        "status_history": selectors.status_history(agency),
        "commissioned": agency.page_facts.commissioned,  # type: ignore[attr-defined]
        # Sections other apps add, e.g. the protocols this agency has signed (protocols app).
        "sections": sections_for("agency-detail", request.user, agency),
    }
    # The page body is a compiled template (docs/fast-pages.md §4: agencies/jinja2/agencies/agency_detail.html).
    return render(request, "agencies/agency_detail.html", context, using="jinja2")


@login_required
def agency_create(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "create", Agency)
    form = AgencyForm(request.POST or None, parents=Agency.objects.order_by("name"))
    if request.method == "POST" and form.is_valid():
        try:
            agency = services.agency_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{agency} has been registered.")
            return redirect("agency-detail", pk=agency.pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Register an agency",
            "submit": "Register agency",
            "back_url": reverse("agency-list"),
            "intro": ["Partner agencies can share information once they have signed the protocol."],
        },
    )


@login_required
def agency_edit(request: HttpRequest, pk: int) -> HttpResponse:
    agency = policy.get_or_deny(request.user, Agency, action="change", pk=pk)
    registry = policy.can(request.user, "change_registry", agency)
    # The area by its code: reading `agency.area` would load the Area for nothing (the select has them all).
    initial = {
        field: getattr(agency, field) for field in AgencyForm.base_fields if field != "area" and hasattr(agency, field)
    }
    initial["area"] = agency.area_id
    initial["phone"] = agency.phone_display
    if registry:
        form: AgencyContactForm = AgencyForm(
            request.POST or None, initial=initial, parents=Agency.objects.exclude(pk=agency.pk).order_by("name")
        )
    else:
        form = AgencyContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.agency_update(actor=request.user, agency=agency, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{possessive(agency)} details have been saved.")
            return redirect("agency-detail", pk=agency.pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Change the agency's details",
            "caption": agency.name,
            "submit": "Save details",
            "back_url": reverse("agency-detail", args=[agency.pk]),
            "intro": [] if registry else ["Its name, kind and area are kept by the partnership admins."],
        },
    )


@login_required
def agency_status(request: HttpRequest, pk: int) -> HttpResponse:
    agency = policy.get_or_deny(request.user, Agency, action="change_status", pk=pk)
    form = AgencyStatusForm(request.POST or None, initial={"to_status": agency.status})
    if request.method == "POST" and form.is_valid():
        try:
            services.agency_status_change(actor=request.user, agency=agency, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            agency.refresh_from_db()
            messages.success(request, f"{agency} is now {agency.get_status_display().lower()}.")
            return redirect("agency-detail", pk=agency.pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Change the agency's status",
            "caption": agency.name,
            "submit": "Change status",
            "back_url": reverse("agency-detail", args=[agency.pk]),
            "intro": [
                f"It is now {agency.get_status_display().lower()}. A suspended agency, or one that has left, "
                "can neither send nor receive information."
            ],
            "warning": "If the agency has left, every membership in it ends and its people are signed out.",
        },
    )


@login_required
def agency_checklist(request: HttpRequest, pk: int) -> HttpResponse:
    """Southampton 18: the agency's confirmations of the signatory requirements; its admins confirm here."""
    agency = policy.get_or_deny(request.user, Agency, pk=pk)
    can_confirm = policy.can(request.user, "confirm_checklist", agency)
    form = ChecklistConfirmForm(request.POST or None, initial={"confirmed_on": timezone.localdate()})
    if request.method == "POST":
        policy.require(request.user, "confirm_checklist", agency)
        if form.is_valid():
            try:
                confirmation = services.checklist_confirm(actor=request.user, agency=agency, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Requirement {confirmation.requirement.number} confirmed.")
                return redirect("agency-checklist", pk=agency.pk)
    rows, status = selectors.checklist_rows(agency)
    return render(
        request,
        "agencies/agency_checklist.html",
        {"agency": agency, "rows": rows, "status": status.value, "can_confirm": can_confirm, "form": form},
    )


@login_required
def requirement_list(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "view", SignatoryRequirement)
    requirements = policy.restrict(request.user, "view", SignatoryRequirement).order_by("-is_active", "number")
    return render(
        request,
        "agencies/requirement_list.html",
        {"requirements": requirements, "can_manage": policy.can(request.user, "create", SignatoryRequirement)},
    )


@login_required
def requirement_create(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "create", SignatoryRequirement)
    form = RequirementForm(request.POST or None)
    del form.fields["is_active"]
    if request.method == "POST" and form.is_valid():
        try:
            requirement = services.requirement_create(actor=request.user, text=form.cleaned_data["text"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Requirement {requirement.number} added: every agency must now confirm it.")
            return redirect("requirement-list")
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Add a signatory requirement",
            "submit": "Add requirement",
            "back_url": reverse("requirement-list"),
            "intro": ["Every agency will need to confirm it before its signature is complete."],
        },
    )


@login_required
def requirement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    requirement = policy.get_or_deny(request.user, SignatoryRequirement, action="change", pk=pk)
    form = RequirementForm(request.POST or None, initial={"text": requirement.text, "is_active": requirement.is_active})
    if request.method == "POST" and form.is_valid():
        try:
            services.requirement_update(actor=request.user, requirement=requirement, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Requirement {requirement.number} saved.")
            return redirect("requirement-list")
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": f"Change requirement {requirement.number}",
            "submit": "Save requirement",
            "back_url": reverse("requirement-list"),
            "intro": [
                "Rewording keeps the agencies' confirmations; taking it off the list removes it from every checklist."
            ],
        },
    )
