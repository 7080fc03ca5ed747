"""The request pages (issue 12; design12 section 8): asking another agency for a child's information (a form, then
"check your answers"), the holding agency's inbox with the requests the reader sent, a request's page, and its
withdrawal.

The request journey is started from the child's page and, like it, names the child only once the user has stated a
purpose for the child (sharing.views.children.form_caption). What was typed is kept in the session between the two
steps (one draft, for one child), never in an address (DESIGN 4). The rules are the service's
(disclosures.services.requests.request_terms): both steps ask the service itself, in a transaction rolled back, so
every refusal (no version both agencies signed, a purpose it does not permit, a tier or category outside it, a child
outside its age scope, an agency that may not send or receive, consent that does not cover it) is shown on the field
it concerns, naming the rule, before anything is sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from agencies.forms import add_service_errors
from agencies.models import Agency
from agencies.policy import is_practitioner, principal
from consent.models import ConsentNotSoughtReason, ConsentRecord
from consent.selectors import consent_covering
from disclosures import selectors, services
from disclosures.dispute_policy import dispute_offered
from disclosures.forms.requests import (
    CONSENT_CHOICES,
    TIER_CHOICES,
    InboxFilterForm,
    RequestForm,
    SubmitForm,
    WithdrawForm,
)
from disclosures.models import InformationRequest, State, Urgency
from disclosures.views import confirming
from isp_portal import policy
from isp_portal.wording import long_date
from protocols.models import Ground
from sharing.models import Child
from sharing.policy import index_agencies, index_refusal, shield_admits_request
from sharing.rules import CATEGORY_LABELS, Category
from sharing.views.children import ask_purpose, form_caption
from sharing.views.purposes import purpose_for

SESSION_KEY = "request_draft"
_TIER_WORDS = dict(TIER_CHOICES)
_BASIS_WORDS = dict(CONSENT_CHOICES)
NOT_PRACTISING = "Only practitioners and designated managers ask for and answer requests for information."
# The states a request is tagged with, and the tag's colour (GOV.UK tag modifiers).
STATE_COLOURS = {
    State.SUBMITTED.value: "govuk-tag--blue",
    State.AWAITING_APPROVAL.value: "govuk-tag--yellow",
    State.APPROVED.value: "govuk-tag--turquoise",
    State.SHARED.value: "govuk-tag--green",
    State.DECLINED.value: "govuk-tag--red",
    State.WITHDRAWN.value: "govuk-tag--grey",
    State.EXPIRED.value: "govuk-tag--grey",
}
URGENCY_COLOURS = {Urgency.URGENT.value: "govuk-tag--orange", Urgency.EMERGENCY.value: "govuk-tag--red"}


# --- The request journey: the form, then "check your answers" -----------------------------------------------------


def _request_child(request: HttpRequest, pk: int) -> Child:
    """The child a request is about: in reach (404), and the user practising in the child index for an agency
    (403, with the index's own reason), on a record that is not merged into another."""
    child = policy.found_or_deny(request.user, Child, Child.objects.filter(pk=pk).first(), target_id=pk)
    reason = None if index_agencies(request.user) else (index_refusal(request.user) or NOT_PRACTISING)
    if reason is None and child.merged_into_id is not None:
        reason = "This entry was merged into another: ask about the child on the entry that was kept."
    if reason is not None:
        raise policy.NotPermitted(
            action="request", target_type="sharing.child", target_id=str(child.pk), reason=reason, child_id=child.pk
        )
    return child


def _acting_agencies(user: Any) -> list[tuple[int, str]]:
    """The agencies the user may ask for (their index agencies), by name, from the principal: no statement."""
    mine = index_agencies(user)
    seen: dict[int, str] = {}
    for membership in principal(user).memberships:
        if membership.agency_id in mine:
            seen.setdefault(membership.agency_id, membership.agency_name)
    return sorted(seen.items(), key=lambda item: item[1])


def _caption(request: HttpRequest, child: Child) -> str:
    return form_caption(request, child, "request information") or f"Child {child.pk}"


def _draft(request: HttpRequest, child_id: int) -> dict[str, Any] | None:
    draft = request.session.get(SESSION_KEY)
    if not isinstance(draft, dict) or draft.get("child") != child_id or not isinstance(draft.get("data"), dict):
        return None
    return draft


@dataclass(frozen=True)
class Asked:
    """What the form gave, as request_submit takes it, with the consent the consent selector found."""

    arguments: dict[str, Any]
    consent_message: str | None  # why no consent covers it, when the basis is consent and none does


def _consent_found(
    child: Child, tiers: Sequence[str], agency: Agency | None, purpose: str
) -> tuple[ConsentRecord | None, str | None]:
    """The consent record that covers the request (consent.selectors.consent_covering, the stricter tier first),
    or the record that decides against it with the selector's sentence (withdrawn a minute ago, say)."""
    if agency is None or not tiers:
        return None, None
    found: ConsentRecord | None = None
    for tier in sorted(set(tiers), key=lambda tier: tier != "sensitive"):
        answer = consent_covering(child=child, tier=tier, agency=agency, purpose=purpose)
        if not answer.covered:
            return answer.consent, answer.message
        found = found or answer.consent
    return found, None


def _asked(values: dict[str, Any], child: Child, agencies: list[tuple[int, str]]) -> Asked:
    """The service's arguments from what was typed: the agencies by id (an id that names no agency is refused on its
    field), and the consent record the consent selector finds for a request on consent."""
    agency_id = values.get("agency") or (agencies[0][0] if agencies else None)
    found = {agency.pk: agency for agency in Agency.objects.filter(pk__in=[values["holding_agency"], agency_id or 0])}
    holding = found.get(values["holding_agency"])
    if holding is None:
        raise ValidationError({"holding_agency": "Select the agency that holds the information from the list."})
    acting = found.get(agency_id or 0)
    consent: ConsentRecord | None = None
    message: str | None = None
    if values["consent_basis"] == "consent":
        consent, message = _consent_found(child, values["tiers"], acting, values["purpose"])
    return Asked(
        arguments={
            "holding_agency": holding,
            "agency": acting,
            "purpose": values["purpose"],
            "tiers": list(values["tiers"]),
            "categories": list(values["categories"]),
            "need_to_know": values["need_to_know"],
            "urgency": values["urgency"],
            "consent_basis": values["consent_basis"],
            "consent": consent,
            "not_sought_reason": values["not_sought_reason"],
            "override_ground": values["override_ground"],
        },
        consent_message=message,
    )


def _trial(actor: Any, child: Child, asked: Asked) -> tuple[InformationRequest | None, ValidationError | None]:
    """What request_submit would do with what was typed, asked of the service itself in a transaction that is rolled
    back (so the rules are written once, and nothing is kept or sent): the request it would make (its due date and
    the protocol version it is made under), or its refusal. The confirmation asks it again."""
    if asked.consent_message is not None:
        # Consent does not cover it: the consent selector's own sentence, on the consent question (WYCPS).
        return None, ValidationError({"consent_basis": asked.consent_message})
    made, error = confirming.rehearse(lambda: services.request_submit(actor=actor, child=child, **asked.arguments))
    return made, None if error is None else _on_fields(error)


def _on_fields(error: ValidationError) -> ValidationError:
    """The service names the consent record it was given (`consent`) and the child's age scope (`child`); the form
    asks the consent basis and names no child, so those refusals are put on the consent question and on top."""
    if not hasattr(error, "error_dict"):
        return error
    moved: dict[str, list[str]] = {}
    for name, texts in error.message_dict.items():
        target = {"consent": "consent_basis", "child": "__all__"}.get(name, name)
        moved.setdefault(target, []).extend(texts)
    return ValidationError(moved)


@login_required
def request_new(request: HttpRequest, pk: int) -> HttpResponse:
    child = _request_child(request, pk)
    # The pages name the child: only once a purpose is stated for it, the view recorded (form_caption).
    if request.method != "POST" and purpose_for(request, child.pk) is None:
        return ask_purpose(request, child)
    options = selectors.request_holding_options(request.user)
    agencies = _acting_agencies(request.user)
    draft = _draft(request, child.pk)
    initial: dict[str, Any] = dict(draft["data"]) if draft is not None else {}
    form = RequestForm(
        request.POST or None,
        initial=initial,
        # For a shielded child, only the agencies the shield lets the requester ask (break12b F9; the service
        # refuses the others in the same words).
        holding=[
            (agency.pk, agency.name)
            for agency in options.agencies
            if shield_admits_request(request.user, child, agency.pk)
        ],
        purposes=options.purposes,
        agencies=agencies,
    )
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        try:
            _made, problems = _trial(request.user, child, _asked(values, child, agencies))
        except ValidationError as error:
            problems = error
        if problems is not None:
            add_service_errors(form, problems)
        else:
            request.session[SESSION_KEY] = {"child": child.pk, "data": values}
            return redirect("request-new-check", pk=child.pk)
    return render(
        request,
        "disclosures/request_new.html",
        {
            "form": form,
            "child": child,
            "caption": _caption(request, child),
            "back_url": reverse("child-detail", args=[child.pk]),
            "nothing_to_ask": not options.agencies,
        },
    )


def _answers(values: dict[str, Any], asked: Asked, made: InformationRequest | None) -> list[tuple[str, str, str]]:
    """The rows of "check your answers": (label, value, anchor of the form's section to change it)."""
    holding = asked.arguments["holding_agency"]
    consent = asked.arguments["consent"]
    basis = values["consent_basis"]
    if basis == "consent":
        consent_words = (
            f"Consent recorded on {long_date(consent.obtained_on)} covers this request"
            if consent is not None and asked.consent_message is None
            else "No consent record covers this request"
        )
    elif basis == "not_sought":
        reason = values["not_sought_reason"]
        consent_words = "Consent was not sought: " + (
            str(ConsentNotSoughtReason(reason).label) if reason in ConsentNotSoughtReason.values else "no reason given"
        )
    else:
        ground = values["override_ground"]
        consent_words = "Consent was refused; overridden on the ground: " + (
            str(Ground(ground).label) if ground in Ground.values else "none given"
        )
    categories = "; ".join(CATEGORY_LABELS[Category(c)] for c in values["categories"] if c in set(Category)) or "None"
    rows = [("Asking for", asked.arguments["agency"].name, "agency")] if asked.arguments["agency"] else []
    rows += [
        ("Agency that holds the information", holding.name, "agency"),
        ("Purpose", values["purpose"], "purpose"),
        ("Information needed", "; ".join(_TIER_WORDS.get(tier, tier) for tier in values["tiers"]), "information"),
        ("Kinds of detailed and sensitive information", categories, "information"),
        ("Why you need to know", values["need_to_know"], "need"),
        ("Urgency", str(Urgency(values["urgency"]).label), "urgency"),
        ("Consent", consent_words, "consent"),
    ]
    if made is not None:
        rows.append(("Shared under", f"{made.protocol_version.protocol} (version {made.protocol_version.number})", ""))
        if made.due_on:
            rows.append(("Answer due by", long_date(made.due_on), ""))
    return rows


@login_required
def request_new_check(request: HttpRequest, pk: int) -> HttpResponse:
    child = _request_child(request, pk)
    if request.method == "POST" and (made_already := confirming.already_made(request, SESSION_KEY, child.pk)):
        return made_already
    draft = _draft(request, child.pk)
    if draft is None:
        return redirect("request-new", pk=child.pk)
    values = dict(draft["data"])
    agencies = _acting_agencies(request.user)
    # Bound on a GET too: the trial's refusals are put on it before anything is sent.
    form = SubmitForm(request.POST if request.method == "POST" else {})
    try:
        asked = _asked(values, child, agencies)
    except ValidationError:  # the agency named no longer exists: the form asks again
        return redirect("request-new", pk=child.pk)
    made: InformationRequest | None = None
    if request.method == "POST" and form.is_valid():
        problems = None if asked.consent_message is None else _trial(request.user, child, asked)[1]
        if problems is None:
            check_url = reverse("request-new-check", args=[child.pk])
            try:
                with transaction.atomic():
                    # Once, and only what the page showed (break12b F1, F13: confirming.py).
                    current = confirming.locked_draft(request, SESSION_KEY)
                    if current != draft:
                        request.session[SESSION_KEY] = current
                        return confirming.already_made(request, SESSION_KEY, child.pk) or redirect(check_url)
                    if confirming.stale(request, SESSION_KEY, child.pk, draft["data"]):
                        return confirming.refuse_stale(request, check_url)
                    made = services.request_submit(actor=request.user, child=child, **asked.arguments)
                    confirming.mark_made(request, SESSION_KEY, child.pk, reverse("request-detail", args=[made.pk]))
            except ValidationError as error:
                problems = _on_fields(error)
        if problems is None and made is not None:
            messages.success(request, f"Your request has been sent to {made.holding_agency}.")
            return redirect("request-detail", pk=made.pk)
        assert problems is not None
        add_service_errors(form, _on_top(problems))
    else:
        form.is_valid()
        made, problems = _trial(request.user, child, asked)
        if problems is not None:
            # Shown before anything is sent, with the rule that refuses it (the check is the service's own).
            add_service_errors(form, _on_top(problems))
    return render(
        request,
        "disclosures/request_check.html",
        {
            "child": child,
            "caption": _caption(request, child),
            "answers": _answers(values, asked, made if not form.errors else None),
            "form": form,
            "change_url": reverse("request-new", args=[child.pk]),
            "draft_digest": confirming.shown(request, SESSION_KEY, child.pk, draft["data"]),
        },
    )


def _on_top(error: ValidationError) -> ValidationError:
    """The check page has no fields: every refusal goes on top, worded as the rule said it."""
    return ValidationError(list(error.messages))


# --- The inbox and the requests sent -----------------------------------------------------------------------------


def _tagged(row: Any, made: InformationRequest) -> tuple[Any, str, str]:
    """A row with the colours of its state and urgency tags (routine requests carry no urgency tag)."""
    return row, STATE_COLOURS.get(made.state, ""), URGENCY_COLOURS.get(made.urgency, "")


@login_required
def request_inbox(request: HttpRequest) -> HttpResponse:
    if not is_practitioner(request.user):
        raise policy.NotPermitted(
            action="list", target_type="disclosures.informationrequest", target_id="", reason=NOT_PRACTISING
        )
    form = InboxFilterForm(request.GET or None)
    state = form.cleaned_data.get("state") or None if form.is_bound and form.is_valid() else None
    inbox = selectors.requests_inbox(request.user, state=state)
    sent = selectors.requests_sent(request.user, state=state)
    return render(
        request,
        "disclosures/inbox.html",
        {
            "form": form,
            "state": State(state).label if state else "",
            "inbox": [_tagged(row, row.request) for row in inbox],
            "overdue": sum(1 for row in inbox if row.overdue),
            "sent": [_tagged(row, row.request) for row in sent],
            "listed_max": selectors.PAGE_SIZE,
        },
    )


# --- A request's page and its withdrawal ------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    at: datetime
    what: str


def timeline(made: InformationRequest) -> list[Step]:
    """What happened to the request, from its own timestamps (design12 section 6), in order."""
    steps = [Step(made.submitted_at, f"Sent by {made.requester.full_name}, {made.requester_agency}")]
    if made.answered_at and made.answered_by:
        steps.append(Step(made.answered_at, f"Answered by {made.answered_by.full_name}"))
    if made.approved_at and made.approver:
        steps.append(Step(made.approved_at, f"Approved by {made.approver.full_name}, a designated manager"))
    if made.declined_at:
        who = f" by {made.declined_by.full_name}" if made.declined_by else ""
        steps.append(Step(made.declined_at, f"Declined{who}"))
    if made.state == State.SHARED:
        steps.append(Step(made.approved_at or made.answered_at or made.submitted_at, "Information shared"))
    if made.withdrawn_at:
        steps.append(
            Step(made.withdrawn_at, "Withdrawn" + (f": {made.withdraw_reason}" if made.withdraw_reason else ""))
        )
    if made.expired_at:
        steps.append(Step(made.expired_at, "Expired unanswered"))
    return sorted(steps, key=lambda step: step.at)


def _consent_words(made: InformationRequest) -> str:
    if made.consent_basis == "consent":
        return f"Consent given (consent record {made.consent_id})"
    if made.consent_basis == "not_sought":
        return "Consent not sought: " + str(ConsentNotSoughtReason(made.not_sought_reason).label)
    return "Consent refused; overridden on the ground: " + str(Ground(made.override_ground).label)


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    page = selectors.request_page(request.user, pk)
    made = page.request
    today = timezone.localdate()
    overdue = made.due_on is not None and made.due_on < today and made.state in selectors.OPEN
    categories = "; ".join(CATEGORY_LABELS[Category(c)] for c in made.categories if c in set(Category)) or "None"
    rows = [
        ("Child", f"Child {made.child_id}"),
        ("Asked by", f"{made.requester.full_name}, {made.requester_agency}"),
        ("Asked of", str(made.holding_agency)),
        ("Shared under", f"{made.protocol_version.protocol} (version {made.protocol_version.number})"),
        ("Purpose", made.purpose),
        ("Information needed", "; ".join(_TIER_WORDS.get(tier, tier) for tier in made.tiers)),
        ("Kinds of detailed and sensitive information", categories),
        ("Why they need to know", made.need_to_know),
        ("Urgency", str(Urgency(made.urgency).label)),
        ("Consent", _consent_words(made)),
        ("Answer due by", long_date(made.due_on) if made.due_on else "No due date"),
    ]
    if made.decline_reason:
        detail = f": {made.decline_detail}" if made.decline_detail else ""
        rows.append(("Why it was declined", made.get_decline_reason_display() + detail))
    return render(
        request,
        "disclosures/request_detail.html",
        {
            "made": made,
            "rows": rows,
            "overdue": overdue,
            "state_colour": STATE_COLOURS.get(made.state, ""),
            "urgency_colour": URGENCY_COLOURS.get(made.urgency, ""),
            "timeline": timeline(made),
            # Offered as the policy allows (page.actions).
            "answer_url": reverse("disclosures-answer", args=[made.pk]) if "answer" in page.actions else "",
            "approval_url": reverse("request-approval", args=[made.pk]) if "approve" in page.actions else "",
            "disclosure_url": reverse("disclosure-detail", args=[page.disclosure_id]) if page.disclosure_id else "",
            "may_withdraw": "withdraw" in page.actions,
            "may_dispute": dispute_offered(request.user, made, today),
            "child_url": reverse("child-detail", args=[made.child_id]) if index_agencies(request.user) else "",
        },
    )


@login_required
def request_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    found = InformationRequest.objects.filter(pk=pk).select_related("holding_agency").first()
    try:
        made = policy.found_or_deny(request.user, InformationRequest, found, action="withdraw", target_id=pk)
    except policy.NotPermitted:
        if request.method == "POST" and (closed := confirming.closed_already(request, pk)):
            return closed  # a second click: what happened, not an access denial (break12b F3)
        raise
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_withdraw(actor=request.user, request=made, reason=form.cleaned_data["reason"])
        except policy.NotPermitted:
            if closed := confirming.closed_already(request, pk):  # closed meanwhile, by the first click
                return closed
            raise
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Your request has been withdrawn.")
            return redirect("request-detail", pk=made.pk)
    return render(
        request,
        "disclosures/request_withdraw.html",
        {"form": form, "made": made, "back_url": reverse("request-detail", args=[made.pk])},
    )


__all__ = [
    "request_detail",
    "request_inbox",
    "request_new",
    "request_new_check",
    "request_withdraw",
    "timeline",
]
