"""Changing a child's minimum data one part at a time (the "Change" links of the child's summary list), and shielding
a child or lifting its shield (DESIGN 2.3; Haringey 3.8). Thin: the policy decides who (sharing.policy.ChildPolicy
`change`, `shield`, `unshield`), the services check and write (sharing.services.child_update, child_shield,
child_unshield), the same ones the API calls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from agencies.forms import add_service_errors
from agencies.models import Agency
from isp_portal import policy
from sharing import services
from sharing.forms import ChildChangeForm, ShieldForm
from sharing.models import Child
from sharing.policy import involved_agencies
from sharing.selectors import child_record
from sharing.views.children import ask_purpose
from sharing.views.new_child import agency_choices
from sharing.views.purposes import purpose_for


@dataclass(frozen=True)
class Part:
    """One part of the minimum data with its own page: its fields (ChildChangeForm), the words of its page."""

    fields: tuple[str, ...]
    title: str
    done: str
    intro: str = ""


PARTS: dict[str, Part] = {
    "name": Part(
        ("given", "family", "name_change", "reason"),
        "Change the name",
        "The name has been changed.",
        "The child's legal name. A correction replaces it; when the child's name has changed, the current one is "
        "kept as a previous name, so searches find the child by either.",
    ),
    "born-on": Part(
        ("born_on",),
        "Change the date of birth",
        "The date of birth has been changed.",
        "A date that takes the child out of the protocol's age scope is refused, with the rule that refuses it.",
    ),
    "gender": Part(("gender",), "Change the gender", "The gender has been changed."),
    "ethnicity": Part(("ethnicity",), "Change the ethnicity", "The ethnicity has been changed."),
    "languages": Part(("languages",), "Change the languages", "The languages have been changed."),
    "phone": Part(("phone",), "Change the phone number", "The phone number has been changed."),
    "setting": Part(
        ("setting", "setting_name"),
        "Change the current setting",
        "The current setting has been changed.",
        "Under-5s provision, school or college, with its name.",
    ),
    "nhs-number": Part(("nhs_number",), "Change the NHS number", "The NHS number has been changed."),
    "area": Part(("area",), "Change the local authority area", "The local authority area has been changed."),
    "age-scope": Part(
        ("has_additional_needs", "is_care_leaver"),
        "Change what extends the age scope",
        "What extends the age scope has been changed.",
        "Additional needs and leaving care extend the protocol's age scope. Taking one away from a child who needs "
        "it to stay in scope is refused, with the rule that refuses it.",
    ),
}


class PartConverter:
    """The `<minimum_part:part>` of a change page's URL: one of PARTS, so any other does not resolve (404)."""

    regex = "|".join(PARTS)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


def _changeable(request: HttpRequest, pk: int, action: str) -> Child:
    found = Child.objects.filter(pk=pk).first()
    return policy.found_or_deny(request.user, Child, found, action=action, target_id=pk)


@login_required
def child_change(request: HttpRequest, pk: int, part: str) -> HttpResponse:
    child = _changeable(request, pk, "change")
    spec = PARTS[part]
    initial: dict[str, Any] = {}
    if request.method != "POST":
        # The form shows the child's minimum data: a view of the record like any other (DPA 2018 s62), so the
        # purpose is asked first and the record is read through child_record, which records it.
        purpose = purpose_for(request, pk)
        if purpose is None:
            return ask_purpose(request, child)
        record = child_record(principal=request.user, child_id=pk, purpose=purpose)
        legal = record.legal_name
        initial = {
            **{name: getattr(record.child, name) for name in spec.fields if hasattr(record.child, name)},
            "languages": ", ".join(record.child.languages),
            "nhs_number": record.child.nhs_number or "",
            "area": record.child.area_id or "",
            "given": legal.given if legal else "",
            "family": legal.family if legal else "",
        }
    form = ChildChangeForm(request.POST or None, fields=spec.fields, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        name = (values.pop("given"), values.pop("family")) if part == "name" else None
        how = {"name_change": values.pop("name_change"), "reason": values.pop("reason")} if name else {}
        try:
            services.child_update(
                actor=request.user, child=child, data=services.minimum_data_of(child, **values), name=name, **how
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, spec.done)
            return redirect("child-detail", pk=child.pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": spec.title,
            "caption": f"Index number {child.pk}",
            "intro": [spec.intro] if spec.intro else [],
            "submit": "Save",
            "back_url": reverse("child-detail", args=[child.pk]),
        },
    )


@login_required
def child_shield(request: HttpRequest, pk: int) -> HttpResponse:
    child = _changeable(request, pk, "shield")
    involved = involved_agencies(child.pk)
    choices = [choice for choice in agency_choices(request.user) if choice[0] in involved]
    form = ShieldForm(
        request.POST or None,
        agencies=choices,
        confirm_label="I confirm this child must be shielded",
    )
    if request.method == "POST" and form.is_valid():
        agency = Agency.objects.get(pk=form.cleaned_data.get("agency", choices[0][0]))
        try:
            services.child_shield(actor=request.user, child=child, agency=agency, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"The child is shielded. {agency} is told whenever someone reaches the record.")
            return redirect("child-detail", pk=child.pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Shield this child",
            "caption": f"Index number {child.pk}",
            "intro": [
                "Shield a child whose whereabouts must be protected, for example one who has fled abuse.",
                "Agencies not involved with the child will find them only by their exact NHS number, or their exact "
                "full name with their date of birth, and will not see their address, setting or phone. Your agency "
                "is told whenever someone reaches the record; the other agencies involved are told it is shielded.",
            ],
            "warning": "Only a designated manager of the shielding agency can lift the shield.",
            "submit": "Shield this child",
            "back_url": reverse("child-detail", args=[child.pk]),
        },
    )


@login_required
def child_unshield(request: HttpRequest, pk: int) -> HttpResponse:
    child = _changeable(request, pk, "unshield")
    form = ShieldForm(request.POST or None, confirm_label="I confirm the child no longer needs the shield")
    if request.method == "POST" and form.is_valid():
        try:
            services.child_unshield(actor=request.user, child=child, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The shield has been lifted.")
            return redirect("child-detail", pk=child.pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Lift the shield",
            "caption": f"Index number {child.pk}",
            "intro": ["The agencies involved with the child are told."],
            "warning": "Every agency of the index will see the child's address, setting and phone again, and find "
            "them by a partial name.",
            "danger": True,
            "submit": "Lift the shield",
            "back_url": reverse("child-detail", args=[child.pk]),
        },
    )
