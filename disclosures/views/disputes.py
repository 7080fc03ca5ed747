"""The dispute pages (issue 13; Southampton 13; docs/after-disclosure-design.md 9): raising a dispute from a
request's or an onward request's page (a form, then "check your answers": disclosures.views.confirming), the list
of the user's disputes, a dispute's journey (a GOV.UK task list per stage for both sides), and each stage's action.
Thin: the policy decides (404 out of scope, 403 with the rule), the services write."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from agencies.forms import add_service_errors
from disclosures import dispute_selectors as selectors
from disclosures import rules
from disclosures.dispute_policy import (
    CONTENT_AUDITOR_ONLY,
    dispute_subject_scope,
    onward_subject_scope,
    open_refusal,
    subject_facts,
)
from disclosures.forms.disputes import ACTION_FORMS, DisputeForm
from disclosures.models import Dispute, InformationRequest, OnwardRequest
from disclosures.services import disputes as services
from disclosures.views import confirming
from disclosures.views.requests import _on_top
from isp_portal import policy
from isp_portal.wording import long_date
from sharing.policy import index_agencies

ACTION_TITLES = {
    "position": "Record your position",
    "escalate": "Escalate to stage 2",
    "advise": "Give your advice",
    "decide": "Decide",
    "record": "Record the dispute on your case file",
    "withdraw": "Withdraw the dispute",
}


@login_required
def dispute_list(request: HttpRequest) -> HttpResponse:
    return render(request, "disclosures/dispute_list.html", {"disputes": selectors.disputes_mine(request.user)})


# --- Raising a dispute: the form, then "check your answers" (Southampton 13; design Q10, Q11) -------------------------


@dataclass(frozen=True)
class _Subject:
    """What a dispute can be about: a request, or an onward request (design Q10: an originator's refusal to let
    information be passed on is a dispute about whether it should be shared). Its pages' names and the scope of
    those who may raise one (disclosures.dispute_policy)."""

    model: type[InformationRequest] | type[OnwardRequest]
    scope: Callable[[Any], Q | None]
    holder: str  # the field naming the agency that declined, or did not answer
    argument: str  # dispute_open's argument naming the subject
    draft: str  # the session key of the draft
    form_page: str
    check_page: str
    detail_page: str
    label: str


SUBJECTS = {
    "request": _Subject(
        InformationRequest, dispute_subject_scope, "holding_agency", "request", "dispute_request_draft",
        "dispute-new", "dispute-new-check", "request-detail", "Request",
    ),
    "onward": _Subject(
        OnwardRequest, onward_subject_scope, "originator_agency", "onward_request", "dispute_onward_draft",
        "onward-dispute-new", "onward-dispute-check", "onward-detail", "Onward request",
    ),
}  # fmt: skip


def _subject_of(request: HttpRequest, kind: _Subject, pk: int) -> Any:
    """The request a dispute would be about: one the reader may not dispute reads as not existing (recorded as
    every denial is)."""
    scope = kind.scope(request.user)
    found = kind.model.objects.filter(scope, pk=pk).select_related(kind.holder).first() if scope is not None else None
    if found is None:
        raise policy.OutOfScope(action="dispute", target_type=kind.model._meta.label_lower, target_id=str(pk))
    return found


def _raise(request: HttpRequest, kind: _Subject, found: Any, values: dict[str, Any]) -> Dispute:
    return services.dispute_open(actor=request.user, **{kind.argument: found}, **values)


def _dispute_form(request: HttpRequest, kind: _Subject, pk: int) -> HttpResponse:
    """Raise a dispute about a request (offered only when eligible; otherwise the page says why): what was typed is
    rehearsed (confirming.rehearse) and kept in the session for "check your answers"."""
    found = _subject_of(request, kind, pk)
    refusal = open_refusal(request.user, found) or rules.dispute_eligibility_refusal(
        subject_facts(found), timezone.localdate()
    )
    draft = confirming.draft_of(request, kind.draft, found.pk)
    form = DisputeForm(request.POST or None, initial=dict(draft["data"]) if draft is not None else None)
    if request.method == "POST" and refusal is None and form.is_valid():
        values = dict(form.cleaned_data)
        _made, problems = confirming.rehearse(lambda: _raise(request, kind, found, values))
        if problems is not None:
            add_service_errors(form, problems)
        else:
            request.session[kind.draft] = {"target": found.pk, "data": values}
            return redirect(kind.check_page, pk=found.pk)
    return render(
        request,
        "disclosures/dispute_new.html",
        {
            "form": form, "made": found, "refusal": refusal, "label": kind.label,
            "holder": getattr(found, kind.holder), "back_url": reverse(kind.detail_page, args=[found.pk]),
        },
    )  # fmt: skip


def _dispute_check(request: HttpRequest, kind: _Subject, pk: int) -> HttpResponse:
    """Check your answers before a dispute is raised: what dispute_open would make of them (its stage 1 due date),
    or its refusal; confirmed once, and only what the page showed (confirming.check_answers)."""
    found = _subject_of(request, kind, pk)

    def confirmed(dispute: Dispute) -> HttpResponse:
        messages.success(request, f"Dispute {dispute.register_label} was raised.")
        return redirect("dispute-detail", pk=dispute.pk)

    page = confirming.check_answers(
        request, key=kind.draft, target=found.pk,
        form_url=reverse(kind.form_page, args=[found.pk]), check_url=reverse(kind.check_page, args=[found.pk]),
        service=lambda values: _raise(request, kind, found, values),
        link=lambda dispute: reverse("dispute-detail", args=[dispute.pk]), confirmed=confirmed, on_form=_on_top,
    )  # fmt: skip
    if isinstance(page, HttpResponse):
        return page
    holder = getattr(found, kind.holder)
    answers = [
        ("About", f"{kind.label} {found.pk} to {holder}", ""),
        ("Why the information should be shared", page.values.get("grounds") or "", "id_grounds"),
        ("The impact so far", page.values.get("impact_so_far") or "Not given", "id_impact_so_far"),
    ]
    if page.made is not None:
        answers.append(("Stage 1, with the line managers, runs until", long_date(page.made.stage_one_due_on), ""))
    return render(
        request,
        "disclosures/dispute_check.html",
        {
            "made": found, "label": kind.label, "holder": holder, "answers": answers, "form": page.form,
            "change_url": reverse(kind.form_page, args=[found.pk]), "draft_digest": page.draft_digest,
        },
    )  # fmt: skip


@login_required
def dispute_new(request: HttpRequest, pk: int) -> HttpResponse:
    return _dispute_form(request, SUBJECTS["request"], pk)


@login_required
def dispute_new_check(request: HttpRequest, pk: int) -> HttpResponse:
    return _dispute_check(request, SUBJECTS["request"], pk)


@login_required
def onward_dispute_new(request: HttpRequest, pk: int) -> HttpResponse:
    return _dispute_form(request, SUBJECTS["onward"], pk)


@login_required
def onward_dispute_check(request: HttpRequest, pk: int) -> HttpResponse:
    return _dispute_check(request, SUBJECTS["onward"], pk)


@login_required
def dispute_detail(request: HttpRequest, pk: int) -> HttpResponse:
    page = selectors.dispute_page(request.user, pk)
    stages = []
    for stage in (1, 2):
        sides = []
        for side in rules.Side:
            position = next((p for p in page.positions if p.stage == stage and p.side == side), None)
            advice = next((a for a in page.advices if a.side == side), None) if stage == 2 else None
            sides.append(
                {
                    "side": side,
                    "label": "Requesting agency" if side == rules.Side.RAISING else "Agency holding the information",
                    "agency": page.dispute.raising_agency
                    if side == rules.Side.RAISING
                    else page.dispute.responding_agency,
                    "assignees": page.assignee_names.get((stage, side.value), []),
                    "position": position,
                    "advice": advice,
                }
            )
        stages.append({"number": stage, "sides": sides, "started": stage <= page.dispute.stage})
    return render(
        request,
        "disclosures/dispute_detail.html",
        {
            "page": page,
            "dispute": page.dispute,
            "stages": stages,
            "actions": [(action, ACTION_TITLES[action]) for action in page.allowed],
            "records": {record.side: record for record in page.records},
            "content_note": CONTENT_AUDITOR_ONLY,
            # Which child, as the request's page says it (its number; the record behind the index's purpose question)
            # to those who read the dispute's content, never to an auditor reading its metadata.
            "child_url": reverse("child-detail", args=[page.dispute.child_id])
            if page.content and index_agencies(request.user)
            else "",
        },
    )


RUN: dict[str, Callable[..., Any]] = {
    "position": services.dispute_position_record,
    "escalate": services.dispute_escalate,
    "advise": services.dispute_advice_record,
    "decide": services.dispute_decide,
    "record": services.dispute_record_make,
    "withdraw": services.dispute_withdraw,
}


def _action_view(action: str) -> Callable[..., HttpResponse]:
    @login_required
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        dispute = policy.get_or_deny(request.user, Dispute.objects.all(), action=action, pk=pk)
        form = ACTION_FORMS[action](request.POST or None)
        if request.method == "POST" and form.is_valid():
            run = RUN[action]
            try:
                run(actor=request.user, dispute=dispute, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Done: the dispute's journey shows it.")
                return redirect("dispute-detail", pk=dispute.pk)
        return render(
            request,
            "disclosures/dispute_action.html",
            {
                "form": form,
                "dispute": dispute,
                "title": ACTION_TITLES[action],
                "warning": action == "withdraw",
                "back_url": reverse("dispute-detail", args=[dispute.pk]),
            },
        )

    view.__name__ = f"dispute_{action}"
    return view


dispute_position = _action_view("position")
dispute_escalate = _action_view("escalate")
dispute_advise = _action_view("advise")
dispute_decide = _action_view("decide")
dispute_record = _action_view("record")
dispute_withdraw = _action_view("withdraw")

__all__ = [
    "Http404", "dispute_detail", "dispute_list", "dispute_new", "dispute_new_check", "onward_dispute_check",
    "onward_dispute_new",
]  # fmt: skip
