"""Adding a child to the index: the minimum data and the agency's involvement, the likely existing entries offered
first (add my involvement to this child instead: one entry per child), then "check your answers" before the child
is created. What was typed is kept in the session between the steps, never in an address (DESIGN 4)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from agencies.forms import add_service_errors, add_service_message
from agencies.models import Agency, Area, Membership
from agencies.policy import principal
from isp_portal import policy
from isp_portal.policy import NotPermitted
from isp_portal.wording import long_date, possessive
from sharing import rules, services
from sharing.forms import ChildForm, ConsideredForm, ServiceProblems
from sharing.models import Child, Ethnicity, Gender, Setting
from sharing.policy import index_agencies
from sharing.search_pace import SearchesTooFrequent
from sharing.selectors import likely_matches
from sharing.views.purposes import remember_purpose
from sharing.views.search import index_closed

SESSION_KEY = "sharing_new_child"
# The purpose recorded with the duplicate check and with the first view of the child created or joined.
MATCH_PURPOSE = "Checking whether a child is already in the index before recording them"
RECORD_PURPOSE = "Recording my agency's involvement with the child"


def agency_choices(user: Any) -> list[tuple[int, str]]:
    """The agencies the user may record children for, by name (from the principal: no statement)."""
    mine = index_agencies(user)
    seen: dict[int, str] = {}
    for membership in principal(user).memberships:
        if membership.agency_id in mine:
            seen.setdefault(membership.agency_id, membership.agency_name)
    return sorted(seen.items(), key=lambda item: item[1])


def _minimum(data: dict[str, Any]) -> services.MinimumData:
    return services.MinimumData(
        born_on=data["born_on"],
        gender=data["gender"],
        ethnicity=data["ethnicity"],
        languages=data["languages"],
        phone=data["phone"],
        setting=data["setting"],
        setting_name=data["setting_name"],
        nhs_number=data["nhs_number"],
        area=data["area"],
        has_additional_needs=data["has_additional_needs"],
        is_care_leaver=data["is_care_leaver"],
    )


def _errors(data: dict[str, Any], agency: Agency) -> dict[str, str]:
    """What child_create would refuse in what was typed, by field, before the check-answers step (the
    service's own checks, sharing.services.children.child_minimum_errors); child_create checks it all again."""
    errors, _code = services.child_minimum_errors(
        agency=agency,
        given=data["given"],
        family=data["family"],
        data=_minimum(data),
        address=data["address"],
        postcode=data["postcode"],
    )
    return errors


def _stored(request: HttpRequest) -> dict[str, Any] | None:
    stored = request.session.get(SESSION_KEY)
    if not isinstance(stored, dict) or "data" not in stored:
        return None
    data = dict(stored["data"])
    data["born_on"] = date.fromisoformat(data["born_on"])
    return {**stored, "data": data}


def _agency(request: HttpRequest, agency_id: int) -> Agency:
    """The agency the child is recorded for: one the user may record for (else NotPermitted, recorded)."""
    agency = Agency.objects.filter(pk=agency_id).first()
    if agency is None or agency_id not in index_agencies(request.user):
        raise NotPermitted(
            action="act_for",
            target_type="agencies.agency",
            target_id=str(agency_id),
            reason="You cannot record children for this agency: you are not one of its practitioners in the index.",
        )
    return agency


@login_required
def child_new(request: HttpRequest) -> HttpResponse:
    closed = index_closed(request, "Add a child")
    if closed is not None:
        return closed
    policy.require(request.user, "create", Child)
    choices = agency_choices(request.user)
    stored = _stored(request)
    initial = dict(stored["data"]) if stored else {}
    if stored:
        initial["languages"] = ", ".join(initial.get("languages", []))
        initial["agency"] = stored["agency"]
    form = ChildForm(request.POST or None, agencies=choices, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        agency_id = data.pop("agency", choices[0][0])
        agency = _agency(request, agency_id)
        errors = _errors(data, agency)
        if errors:
            add_service_errors(form, ValidationError(errors))
        else:
            request.session[SESSION_KEY] = {
                "data": {**data, "born_on": data["born_on"].isoformat()},
                "agency": agency.pk,
                "considered": [],
            }
            return redirect("child-new-check")
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Add a child to the index",
            "intro": [
                "Record the child's minimum data and your agency's involvement. Before the child is added you "
                "will see any children already in the index who may be the same child."
            ],
            "submit": "Continue",
            "back_url": reverse("child-search"),
        },
    )


def _area_name(code: str) -> str:
    """The name of the area with GSS `code` ("" for none, or an area since removed)."""
    return (Area.objects.filter(code=code).values_list("name", flat=True).first() or "") if code else ""


def _answers(data: dict[str, Any], agency_name: str) -> list[tuple[str, str]]:
    """The rows of "check your answers"."""
    name = f"{data['given']} {data['family']}".strip()
    setting = Setting(data["setting"]).label + (f": {data['setting_name']}" if data["setting_name"] else "")
    flags = [
        label
        for key, label in (("has_additional_needs", "Additional needs"), ("is_care_leaver", "Care leaver"))
        if data[key]
    ]
    return [
        ("Name", name),
        ("Known as", data["known_as"] or "Not given"),
        ("Date of birth", long_date(data["born_on"])),
        ("Gender", Gender(data["gender"]).label),
        ("Ethnicity", Ethnicity(data["ethnicity"]).label),
        ("Languages", ", ".join(data["languages"]) or "Not given"),
        (
            "NHS number",
            rules.nhs_number_display(rules.nhs_number_normalised(data["nhs_number"]))
            if data["nhs_number"]
            else "Not given",
        ),
        ("Phone", data["phone"] or "Not given"),
        ("Address", data["address"] or "Not given"),
        ("Postcode", rules.postcode_normalised(data["postcode"]) if data["postcode"] else "Not given"),
        ("Current setting", setting),
        ("Local authority area", _area_name(data["area"]) or "Your agency's area"),
        ("Extends the age scope", ", ".join(flags) or "No"),
        ("Recording for", agency_name),
        ("Your service", data["service"]),
        ("Lead professional", "You" if data["lead"] else "Not you"),
    ]


@login_required
def child_new_check(request: HttpRequest) -> HttpResponse:
    closed = index_closed(request, "Check your answers")
    if closed is not None:
        return closed
    policy.require(request.user, "create", Child)
    stored = _stored(request)
    if stored is None:
        return redirect("child-new")
    data = stored["data"]
    agency = _agency(request, stored["agency"])
    confirm = ConsideredForm(request.POST if request.method == "POST" else None)
    problems = ServiceProblems(request.POST if request.method == "POST" else None)
    if request.method == "POST" and "use" in request.POST:
        return _join(request, stored, agency)
    if request.method == "POST" and (not stored["considered"] or confirm.is_valid()):
        created = _create(request, stored, agency, problems)
        if created is not None:
            return created
    try:
        found = likely_matches(
            principal=request.user,
            purpose=MATCH_PURPOSE,
            given=data["given"],
            family=data["family"],
            born_on=data["born_on"],
            nhs_number=data["nhs_number"] or None,
            postcode=data["postcode"] or None,
        )
    except SearchesTooFrequent as refusal:
        # The likely existing entries are a read of the register, paced like the search (sharing.search_pace):
        # nothing is listed, and the child cannot be created without them (child_create checks again).
        # The first refusal of a minute is recorded by the pace itself, as for the search page.
        problems = ServiceProblems({})
        problems.add_error(None, refusal.message)
        context = {"answers": _answers(data, agency.name), "matches": [], "confirm": confirm, "problems": problems}
        return render(request, "sharing/child_check.html", context, status=429)
    considered = [result.child_id for result in found.results]
    request.session[SESSION_KEY] = {**request.session[SESSION_KEY], "considered": considered}
    return render(
        request,
        "sharing/child_check.html",
        {
            "answers": _answers(data, agency.name),
            "matches": found.results,
            "confirm": confirm,
            "problems": problems,
        },
    )


def _join(request: HttpRequest, stored: dict[str, Any], agency: Agency) -> HttpResponse:
    """Add the user's agency's involvement to a child offered as a likely match, instead of a new entry."""
    try:
        child_id = int(request.POST.get("use", ""))
    except ValueError:
        child_id = -1
    if child_id not in stored["considered"]:
        messages.error(request, "Choose one of the children offered.")
        return redirect("child-new-check")
    child = policy.found_or_deny(
        request.user, Child, Child.objects.filter(pk=child_id).first(), action="add_involvement", target_id=child_id
    )
    data = stored["data"]
    try:
        services.involvement_add(
            actor=request.user,
            child=child,
            agency=agency,
            service=data["service"],
            lead_professional=lead_membership(request.user, agency) if data["lead"] else None,
        )
    except ValidationError as error:
        add_service_message(request, error)
        return redirect("child-new-check")
    del request.session[SESSION_KEY]
    remember_purpose(request, [child.pk], RECORD_PURPOSE)
    messages.success(request, f"{possessive(agency)} involvement has been added to this child.")
    return redirect("child-detail", pk=child.pk)


def lead_membership(user: Any, agency: Agency) -> Membership | None:
    """The user's membership of `agency`, named as lead professional (a person in the role there)."""
    return Membership.objects.filter(user=user, agency=agency, is_active=True).first()


def _create(
    request: HttpRequest, stored: dict[str, Any], agency: Agency, problems: ServiceProblems
) -> HttpResponse | None:
    data = stored["data"]
    aliases = [("known_as", "", data["known_as"])] if data["known_as"] else []
    try:
        child = services.child_create(
            actor=request.user,
            agency=agency,
            given=data["given"],
            family=data["family"],
            data=_minimum(data),
            service=data["service"],
            address=data["address"],
            postcode=data["postcode"],
            aliases=aliases,
            lead_professional=lead_membership(request.user, agency) if data["lead"] else None,
            considered=stored["considered"],
        )
    except services.PossibleDuplicates:
        add_service_errors(
            problems,
            ValidationError("Another child who may be this one was added meanwhile: check the children below."),
        )
        return None
    except ValidationError as error:
        add_service_errors(problems, error)
        return None
    del request.session[SESSION_KEY]
    remember_purpose(request, [child.pk], RECORD_PURPOSE)
    messages.success(request, "The child has been added to the index with your agency's involvement.")
    return redirect("child-detail", pk=child.pk)
