"""The partners' meeting about a breach: the hearing page, the deliberation page (refused to the agency in breach
while it is withdrawn: breaches.hearing_policy) and one page for each step a partnership admin records (issue 14;
Haringey 6.3-6.6). Thin: reads from breaches.hearing_selectors, writes through breaches.services.hearings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from agencies.forms import add_service_errors
from agencies.models import Agency, User
from breaches import hearing_forms as forms
from breaches.hearing_selectors import STEPS_AT, breach_for_hearing, deliberation_page, draft_sanction, hearing_page
from breaches.models import Breach, Hearing
from breaches.services import hearings as services
from isp_portal import policy
from isp_portal.forms import GovukForm
from protocols.models import Meeting, Signature


def _meetings(breach: Breach) -> QuerySet[Meeting]:
    return Meeting.objects.filter(minutes_circulated_on__isnull=True, held_on__gte=breach.occurred_on).order_by(
        "held_on"
    )


def _members(breach: Breach) -> QuerySet[User]:
    return (
        User.objects.filter(
            memberships__agency_id=breach.alleged_agency_id, memberships__is_active=True, is_system=False
        )
        .distinct()
        .order_by("full_name")
    )


def _partners(breach: Breach) -> QuerySet[Agency]:
    signed = Signature.objects.filter(version_id=breach.protocol.current_version_id, withdrawn_at__isnull=True).values(
        "agency_id"
    )
    return Agency.objects.filter(pk__in=signed).exclude(pk=breach.alleged_agency_id).order_by("name")


def _notes(breach: Breach) -> str:
    hearing = getattr(breach, "hearing", None)
    return hearing.deliberation_notes if hearing is not None else ""


@dataclass(frozen=True)
class Step:
    title: str
    submit: str
    done: str
    form: Callable[[Any, Breach], GovukForm]
    run: Callable[[Any, Breach, dict[str, Any]], Any]
    action: str = "run"
    intro: str = ""


STEPS: dict[str, Step] = {
    "schedule": Step(
        "Put the breach on a meeting's agenda", "Put on the agenda", "The breach is on the meeting's agenda.",
        lambda data, b: forms.ScheduleForm(data, meetings=_meetings(b)),
        lambda user, b, v: services.hearing_schedule(actor=user, breach=b, **v),
        action="schedule_hearing",
        intro="The agency in breach is added to the meeting's attendees: it presents its report (the protocol, "
        "section 6.4).",
    ),
    "present": Step(
        "The agency in breach has presented its report", "Record the report as presented",
        "The report is recorded as presented: the meeting is held.",
        lambda data, b: forms.ConfirmForm(data),
        lambda user, b, v: services.hearing_present(actor=user, breach=b),
        intro="Recording this records the partners' meeting as held; the minutes are then due within 5 working days.",
    ),
    "withdraw": Step(
        "The agency in breach withdraws", "Record the agency as withdrawn",
        "The agency in breach is withdrawn while the partners deliberate.",
        lambda data, b: forms.ConfirmForm(data),
        lambda user, b, v: services.hearing_withdraw(actor=user, breach=b),
        intro="From now until the decision is recorded its people cannot see the deliberation, the draft sanctions "
        "or the votes (the protocol, section 6.5).",
    ),
    "notes": Step(
        "Deliberation notes", "Save the notes", "The deliberation notes are saved.",
        lambda data, b: forms.NotesForm(data, initial={"notes": _notes(b)}),
        lambda user, b, v: services.hearing_notes_record(actor=user, breach=b, **v),
    ),
    "sanction": Step(
        "Draft a sanction", "Draft the sanction", "The sanction is drafted.",
        lambda data, b: forms.SanctionForm(data, members=_members(b)),
        lambda user, b, v: services.hearing_sanction_draft(actor=user, breach=b, **v),
        intro="Drafted sanctions take effect when the decision is recorded.",
    ),
    "vote": Step(
        "Record a partner agency's vote", "Record the vote", "The vote is recorded.",
        lambda data, b: forms.VoteForm(data, agencies=_partners(b)),
        lambda user, b, v: services.hearing_vote_cast(actor=user, breach=b, **v),
        action="vote",
    ),
    "decide": Step(
        "Record the decision", "Record the decision", "The decision is recorded and the sanctions imposed.",
        lambda data, b: forms.DecideForm(data),
        lambda user, b, v: services.hearing_decide(actor=user, breach=b, **v),
        intro="Recording it ends the withdrawal and imposes every drafted sanction: suspensions take effect from "
        "their first day, and the people named for retraining lose their training until they retrain.",
    ),
    "tell": Step(
        "The agency in breach is recalled and told", "Record the agency as told",
        "The agency in breach has been told the decision.",
        lambda data, b: forms.ConfirmForm(data),
        lambda user, b, v: services.hearing_tell(actor=user, breach=b),
        intro="The time it was told is recorded, and the people who speak for it are sent the decision and the "
        "sanctions.",
    ),
    "minutes": Step(
        "Circulate the minutes", "Circulate the minutes", "The minutes have been circulated.",
        lambda data, b: forms.MinutesForm(data),
        lambda user, b, v: services.hearing_minutes_circulate(actor=user, breach=b, **v),
        intro="The minutes with the agreed actions and sanctions go to the meeting's attendees (the protocol, "
        "section 6.6).",
    ),
}  # fmt: skip


@login_required
def hearing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    page = hearing_page(request.user, pk)
    return render(request, "breaches/hearing.html", {"page": page, "today": timezone.localdate()})


@login_required
def hearing_deliberation(request: HttpRequest, pk: int) -> HttpResponse:
    page = deliberation_page(request.user, pk)
    return render(request, "breaches/hearing_deliberation.html", {"page": page})


@login_required
def hearing_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    spec = STEPS.get(step)
    if spec is None:
        raise policy.OutOfScope(action="view", target_type="breaches.hearing", target_id=f"{pk}/{step}"[:64])
    breach = breach_for_hearing(request.user, pk)
    cannot: list[str] = []
    if step == "schedule":
        policy.require(request.user, "schedule_hearing", breach)
        if Hearing.objects.filter(breach=breach).exists():
            cannot = [f"Breach {breach.reference} is already on a meeting's agenda."]
    else:
        hearing = policy.restrict(request.user, "view", Hearing).filter(breach=breach).first()
        if hearing is None:
            raise policy.OutOfScope(action=spec.action, target_type="breaches.hearing", target_id=str(pk))
        hearing.breach = breach
        policy.require(request.user, spec.action, hearing)
        breach.hearing = hearing
        if step not in STEPS_AT[hearing.stage]:
            cannot = [f"This step is not open now: the hearing is at the stage “{hearing.get_stage_display()}”."]
    form = spec.form(request.POST if request.method == "POST" else None, breach)
    if request.method == "POST" and not cannot and form.is_valid():
        try:
            spec.run(request.user, breach, form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, spec.done)
            return redirect("breach-hearing", pk=breach.pk)
    back = reverse("breach-hearing", kwargs={"pk": breach.pk})
    return render(
        request,
        "form_page.html",
        {
            "form": form, "title": spec.title, "caption": f"Breach {breach.reference}", "submit": spec.submit,
            "intro": [spec.intro] if spec.intro else [], "back_url": back, "back_label": "Back to the hearing",
            "cannot": cannot,
        },
    )  # fmt: skip


@login_required
def hearing_sanction_remove(request: HttpRequest, pk: int, sanction: int) -> HttpResponse:
    """Remove a draft sanction in deliberation (breaches.services.hearings.hearing_sanction_remove): a page
    asking to confirm, and its button."""
    breach, hearing, draft = draft_sanction(request.user, pk, sanction)
    cannot: list[str] = []
    if hearing.stage != "deliberating" or draft.imposed_at is not None:
        cannot = ["Only a sanction drafted in deliberation, before the decision is recorded, can be removed."]
    form = forms.ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and not cannot and form.is_valid():
        try:
            services.hearing_sanction_remove(actor=request.user, breach=breach, sanction=draft)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The draft sanction is removed.")
            return redirect("breach-hearing", pk=breach.pk)
    back = reverse("breach-hearing", kwargs={"pk": breach.pk})
    return render(
        request,
        "form_page.html",
        {
            "form": form, "title": "Remove the draft sanction", "caption": f"Breach {breach.reference}",
            "intro": [f"{services.sanction_words(draft)}. {draft.reason}",
                      "It will not be imposed when the decision is recorded."],
            "submit": "Remove the draft sanction", "danger": True, "back_url": back,
            "back_label": "Back to the hearing", "cannot": cannot,
        },
    )  # fmt: skip


urlpatterns: list[URLPattern] = [
    path("breaches/<int:pk>/hearing/", hearing_detail, name="breach-hearing"),
    path("breaches/<int:pk>/hearing/deliberation/", hearing_deliberation, name="breach-hearing-deliberation"),
    path("breaches/<int:pk>/hearing/<slug:step>/", hearing_step, name="breach-hearing-step"),
    path(
        "breaches/<int:pk>/hearing/sanctions/<int:sanction>/remove/",
        hearing_sanction_remove,
        name="breach-hearing-sanction-remove",
    ),
]
