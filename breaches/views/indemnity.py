"""The indemnity notice pages (Haringey 11.1; issue 14): the list of the reader's notices, sending one (a form, then
"check your answers": disclosures.views.confirming), a notice with its answer's due time, completion and lateness,
and the alleged contributor's written answer. Thin: the policy decides (404 out of scope, 403 with the rule), the
services write, the selectors read."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse

from agencies.forms import add_service_errors
from agencies.models import Agency
from breaches import indemnity_selectors as selectors
from breaches import rules
from breaches.indemnity_forms import NoticeForm, RespondForm
from breaches.indemnity_policy import LIST_RULE, indemnity_scope
from breaches.models import Breach, IndemnityNotice
from breaches.services import indemnity as services
from disclosures.views import confirming
from isp_portal import policy
from isp_portal.wording import long_datetime
from protocols.models import Protocol

DRAFT = "indemnity_notice_draft"
# A new notice is about no object yet: its draft's target is this constant (confirming.draft_of).
NEW = 0


@login_required
def indemnity_list(request: HttpRequest) -> HttpResponse:
    if indemnity_scope(request.user) is None:
        raise policy.NotPermitted(action="view", target_type="breaches.indemnitynotice", reason=LIST_RULE)
    return render(
        request,
        "breaches/indemnity_list.html",
        {
            "notices": selectors.notices_mine(request.user),
            "may_send": policy.can(request.user, "create", IndemnityNotice),
        },
    )


def _send(request: HttpRequest, values: dict[str, Any]) -> IndemnityNotice:
    """Send the notice the draft describes (its ids as the form offered them)."""
    protocol = Protocol.objects.filter(pk=values.get("protocol") or 0).first()
    contributor = Agency.objects.filter(pk=values.get("contributor_agency") or 0).first()
    if protocol is None or contributor is None:
        raise ValidationError({"protocol": "Choose the protocol and the agency again."})
    sender = Agency.objects.filter(pk=values["suffering_agency"]).first() if values.get("suffering_agency") else None
    breach = Breach.objects.filter(pk=values["breach"]).first() if values.get("breach") else None
    return services.indemnity_notice_send(
        actor=request.user, protocol=protocol, contributor_agency=contributor, details=values.get("details") or "",
        suffering_agency=sender, breach=breach,
    )  # fmt: skip


@login_required
def indemnity_new(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "create", IndemnityNotice)
    draft = confirming.draft_of(request, DRAFT, NEW)
    form = NoticeForm(
        request.POST or None,
        initial=dict(draft["data"]) if draft is not None else None,
        choices=selectors.send_choices(request.user),
    )
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        _made, problems = confirming.rehearse(lambda: _send(request, values))
        if problems is not None:
            add_service_errors(form, problems)
        else:
            request.session[DRAFT] = {"target": NEW, "data": values}
            return redirect("indemnity-new-check")
    return render(request, "breaches/indemnity_new.html", {"form": form})


@login_required
def indemnity_new_check(request: HttpRequest) -> HttpResponse:
    """Check your answers before the notice is sent: sent once, and only what the page showed."""
    policy.require(request.user, "create", IndemnityNotice)

    def confirmed(notice: IndemnityNotice) -> HttpResponse:
        messages.success(request, f"Your indemnity notice was sent to {notice.contributor_agency.name}.")
        return redirect("indemnity-detail", pk=notice.pk)

    page = confirming.check_answers(
        request, key=DRAFT, target=NEW, form_url=reverse("indemnity-new"), check_url=reverse("indemnity-new-check"),
        service=lambda values: _send(request, values), confirmed=confirmed,
        link=lambda notice: reverse("indemnity-detail", args=[notice.pk]),
    )  # fmt: skip
    if isinstance(page, HttpResponse):
        return page
    values = page.values
    named = [values.get("contributor_agency") or 0, values.get("suffering_agency") or 0]
    names = dict(Agency.objects.filter(pk__in=named).values_list("pk", "name"))
    protocol = Protocol.objects.filter(pk=values.get("protocol") or 0).values_list("title", flat=True).first() or ""
    answers = [("Protocol", protocol, "id_protocol")]
    if values.get("suffering_agency"):
        answers.append(("Sent for", names.get(values["suffering_agency"], ""), "id_suffering_agency"))
    answers += [
        ("Alleged contributor", names.get(values.get("contributor_agency") or 0, ""), "id_contributor_agency"),
        ("Breach it arises from", str(page.made.breach) if page.made and page.made.breach else "None", "id_breach"),
        ("Details", values.get("details") or "", "id_details"),
    ]
    made = page.made
    if made is not None:
        answers.append(
            (
                "Also told",
                made.council_agency.name if made.council_agency else "Nobody else (the council is a party)",
                "",
            )
        )
        answers.append(("Answer due by", long_datetime(rules.indemnity_response_due(made.sent_at)), ""))
    return render(
        request,
        "breaches/indemnity_check.html",
        {
            "answers": answers, "form": page.form, "change_url": reverse("indemnity-new"),
            "draft_digest": page.draft_digest,
        },
    )  # fmt: skip


@login_required
def indemnity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    page = selectors.notice_page(request.user, pk)
    return render(request, "breaches/indemnity_detail.html", {"page": page, "notice": page.view.notice})


@login_required
def indemnity_respond(request: HttpRequest, pk: int) -> HttpResponse:
    """The alleged contributor's answer in writing (Haringey 11.1(b)): for anyone else in scope, 403 naming the rule."""
    page = selectors.notice_page(request.user, pk)
    notice = page.view.notice
    policy.require(request.user, "respond", notice)
    form = RespondForm(request.POST or None)
    if request.method == "POST" and notice.responded_at is None and form.is_valid():
        try:
            services.indemnity_notice_respond(actor=request.user, notice=notice, response=form.cleaned_data["response"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Your answer was sent to {notice.suffering_agency.name}.")
            return redirect("indemnity-detail", pk=notice.pk)
    return render(request, "breaches/indemnity_respond.html", {"page": page, "notice": notice, "form": form})


urlpatterns: list[URLPattern] = [
    path("breaches/indemnity/", indemnity_list, name="indemnity-list"),
    path("breaches/indemnity/new/", indemnity_new, name="indemnity-new"),
    path("breaches/indemnity/new/check/", indemnity_new_check, name="indemnity-new-check"),
    path("breaches/indemnity/<int:pk>/", indemnity_detail, name="indemnity-detail"),
    path("breaches/indemnity/<int:pk>/respond/", indemnity_respond, name="indemnity-respond"),
]
