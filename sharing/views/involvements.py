"""An agency's involvement with a child: adding it to a child already in the index, and ending it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from agencies.forms import add_service_errors
from agencies.models import Agency
from isp_portal import policy
from isp_portal.wording import possessive
from sharing import services
from sharing.forms import InvolvementForm, ReasonForm
from sharing.models import Child, Involvement
from sharing.policy import require_open_record
from sharing.views.children import ask_purpose, form_caption
from sharing.views.new_child import agency_choices, lead_membership
from sharing.views.purposes import purpose_for


@login_required
def involvement_new(request: HttpRequest, pk: int) -> HttpResponse:
    child = policy.found_or_deny(
        request.user, Child, Child.objects.filter(pk=pk).first(), action="add_involvement", target_id=pk
    )
    # The caption names the child: only once a purpose is stated for it, the view recorded (form_caption).
    if request.method != "POST" and purpose_for(request, child.pk) is None:
        return ask_purpose(request, child)
    choices = agency_choices(request.user)
    form = InvolvementForm(request.POST or None, agencies=choices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        agency = Agency.objects.get(pk=data.get("agency", choices[0][0]))
        lead = lead_membership(request.user, agency) if data["lead"] or data["is_key_contact"] else None
        try:
            services.involvement_add(
                actor=request.user,
                child=child,
                agency=agency,
                service=data["service"],
                lead_professional=lead,
                is_key_contact=data["is_key_contact"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{possessive(agency)} involvement has been added.")
            return redirect("child-detail", pk=child.pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": "Add your agency's involvement",
            "caption": form_caption(request, child, "add an involvement") or f"Child {child.pk}",
            "intro": ["Other agencies see that your agency is involved, and who to contact, never what you hold."],
            "submit": "Add involvement",
            "back_url": reverse("child-detail", args=[child.pk]),
        },
    )


@login_required
def involvement_end(request: HttpRequest, pk: int, involvement_pk: int) -> HttpResponse:
    involvement = Involvement.objects.filter(pk=involvement_pk, child_id=pk).select_related("agency", "child").first()
    involvement = policy.found_or_deny(request.user, Involvement, involvement, action="end", target_id=involvement_pk)
    # Southampton 8: a closed record is never changed, so its form is refused as sending it would be
    # (services.involvement_end), not offered (break10e finding 3).
    require_open_record(
        involvement.child, action="end", target=involvement, what="its involvements can no longer be changed."
    )
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.involvement_end(actor=request.user, involvement=involvement, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{possessive(involvement.agency)} involvement has ended.")
            return redirect("child-detail", pk=pk)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": f"End {possessive(involvement.agency)} involvement",
            "caption": f"{involvement.service}, child {pk}",
            "submit": "End involvement",
            "back_url": reverse("child-detail", args=[pk]),
        },
    )
