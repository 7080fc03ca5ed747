"""The decision journey (issue 12 "Answering"; design12 section 8): a practitioner of the agency a request was sent to
answers it, following the protocol's flowchart - is it confidential? is there consent (the consent check now, tier by
tier)? if not, is there a legal ground, and is sharing proportionate? what is the minimum needed? - then shares the
entries chosen or declines with a reason (Buckinghamshire 5: declines are recorded and reportable).

What was typed is kept in the session (one draft, for one request), never in an address (DESIGN 4). Nothing is
disclosed before "check your answers": that page is built by a trial of the service itself in a transaction rolled
back (the pattern of consent.views), so every refusal - consent withdrawn since the request, an entry the answerer may
not see, a legal basis the protocol does not allow, a restricted entry to someone not authorised - is shown there
before anything is confirmed. The confirmation asks the service again, at that moment. A request someone else answered
meanwhile is never a server error: the page says who answered it, and what became of it."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from agencies.forms import add_service_errors
from agencies.models import User
from consent.selectors import ConsentAnswer
from disclosures import rules, selectors, services
from disclosures.forms.answers import (
    DECLINE_LABELS,
    NO,
    SECTIONS,
    SUBJECT_TOLD_LABELS,
    YES,
    AnswerForm,
    ConfirmForm,
    DeclineForm,
)
from disclosures.models import Disclosure, InformationRequest
from disclosures.services import checks
from disclosures.views import confirming
from isp_portal import policy, refusals
from isp_portal.policy import AccessDenied, can, record_denial
from isp_portal.wording import long_date, long_datetime
from sharing.models import RecordEntry
from sharing.models.entries import Basis
from sharing.policy import index_agencies
from sharing.rules import CATEGORY_LABELS, Category

SESSION_KEY = "disclosure_answer_draft"
_TIER_WORDS = {rules.Tier.MINIMUM.value: "The minimum data", rules.Tier.SENSITIVE.value: "Detailed and sensitive"}
_CONSENT_BASIS_WORDS = {
    rules.ConsentBasis.CONSENT.value: "Consent was given",
    rules.ConsentBasis.NOT_SOUGHT.value: "Consent was not sought",
    rules.ConsentBasis.REFUSED.value: "Consent was refused",
}
_TEXTS = (
    "why_without_consent", "public_interest", "proportionality", "why_shared", "subject_not_told_reason",
    "onward_terms", "what_agreed", "third_parties",
)  # fmt: skip
EXCERPT = 300


def _request_of(http: HttpRequest, pk: int) -> InformationRequest:
    """The request, through the policy's view scope (another agency's request is a 404, recorded)."""
    return policy.get_or_deny(
        http.user,
        InformationRequest.objects.select_related(
            "child", "requester", "requester_agency", "holding_agency", "protocol_version__protocol", "consent",
            "answered_by", "declined_by",
        ),
        pk=pk,
    )  # fmt: skip


def _answered_page(http: HttpRequest, request: InformationRequest) -> HttpResponse:
    """What became of a request that is no longer waiting for an answer, for the agency it was sent to."""
    disclosure = Disclosure.objects.filter(request=request).values_list("pk", "made_at").first()
    return render(
        http,
        "disclosures/answer_done.html",
        {
            "request_obj": request,
            "caption": _caption(request),
            "outcome": _outcome(request, disclosure),
            "request_link": checks.request_link(request),
        },
    )


def _outcome(request: InformationRequest, disclosure: tuple[int, Any] | None) -> dict[str, str]:
    who = request.answered_by.full_name if request.answered_by else ""
    when = long_datetime(request.answered_at) if request.answered_at else ""
    state = rules.State(request.state)
    if state == rules.State.SHARED and disclosure is not None:
        return {
            "title": "Information shared",
            "body": f"Disclosure {disclosure[0]} was made to {request.requester_agency} on "
            f"{long_datetime(disclosure[1])}" + (f", answered by {who}." if who else "."),
        }
    if state == rules.State.AWAITING_APPROVAL:
        return {
            "title": "Waiting for a designated manager's approval",
            "body": f"{who} answered it on {when}, sharing detailed and sensitive information without consent. "
            "Nothing is shared until a designated manager of your agency, who neither made nor answered the request, "
            "approves it.",
        }
    if state == rules.State.DECLINED:
        reason = DECLINE_LABELS.get(rules.DeclineReason(request.decline_reason), request.decline_reason)
        by = request.declined_by.full_name if request.declined_by else who
        return {
            "title": "Request declined",
            "body": f"{by} declined it: {reason}" + (f" ({request.decline_detail})" if request.decline_detail else "")
            + ". The decline is recorded and reported with every request not shared.",
        }  # fmt: skip
    return {
        "title": "This request is not waiting for an answer",
        "body": rules.transition_refusal(state, rules.State.SHARED) or "",
    }


def _answerable(http: HttpRequest, pk: int) -> tuple[InformationRequest, HttpResponse | None]:
    """The request and None when the user may answer it. For someone of the agency it was sent to, once it is no
    longer waiting for an answer (someone answered it meanwhile), the page saying what became of it. Anyone else is
    refused by the policy, with its reason (403)."""
    request = _request_of(http, pk)
    user = http.user
    if can(user, "answer", request):
        return request, None
    if (
        request.state != rules.State.SUBMITTED
        and request.requester_id != user.pk
        and request.holding_agency_id in index_agencies(user)
    ):
        return request, _answered_page(http, request)
    policy.require(user, "answer", request)
    return request, None  # pragma: no cover - require raised


def _caption(request: InformationRequest) -> str:
    return f"Request {request.pk} from {request.requester_agency} about child {request.child_id}"


def _draft(http: HttpRequest, request_id: int) -> dict[str, Any] | None:
    draft = http.session.get(SESSION_KEY)
    if not isinstance(draft, dict) or draft.get("request") != request_id or not isinstance(draft.get("data"), dict):
        return None
    return draft


def _entry_label(choice: selectors.EntryChoice) -> str:
    revision = choice.revision
    label = CATEGORY_LABELS.get(Category(choice.entry.category), choice.entry.category)
    text = " ".join(revision.text.split())
    excerpt = text if len(text) <= EXCERPT else text[:EXCERPT] + "…"
    parts = [
        f"{label}, recorded {long_date(revision.recorded_at)} (revision {revision.number}, "
        f"{Basis(revision.basis).label.lower()}"
        + (", restricted" if revision.is_restricted or choice.entry.is_restricted else "")
        + ")",
    ]
    if excerpt:
        parts.append(excerpt)
    return ": ".join(parts)


def _form(
    http: HttpRequest, request: InformationRequest, choices: selectors.AnswerChoices, draft: dict[str, Any] | None
) -> AnswerForm:
    initial: dict[str, Any]
    if draft is not None:
        initial = dict(draft["data"])
        initial["retain_until"] = date.fromisoformat(initial["retain_until"]) if initial.get("retain_until") else None
    else:
        initial = {
            "is_confidential": YES,
            "recipients": [request.requester_id],
            "retain_until": choices.retain_until,
            "entries": [],
        }
    return AnswerForm(
        http.POST if http.method == "POST" else None,
        initial=initial,
        legal_bases=[(basis.value, rules.LEGAL_BASIS_LABELS[basis]) for basis in choices.legal_bases],
        entries=[(choice.entry.pk, _entry_label(choice)) for choice in choices.entries],
        people=choices.people,
    )


def _consent_rows(consent: list[tuple[str, ConsentAnswer]]) -> list[dict[str, Any]]:
    """The consent check now, tier by tier: covered or not, and the consent check's own sentence."""
    return [
        {"tier": _TIER_WORDS.get(tier, tier), "covered": answer.covered, "message": answer.message}
        for tier, answer in consent
    ]


def _basis_words(request: InformationRequest) -> str:
    words = _CONSENT_BASIS_WORDS.get(request.consent_basis, request.consent_basis)
    if request.consent_basis == rules.ConsentBasis.NOT_SOUGHT and request.not_sought_reason:
        words += f": {request.get_not_sought_reason_display().lower()}"
    if request.consent_basis == rules.ConsentBasis.REFUSED and request.override_ground:
        words += f"; the requester asks to override it on the ground: {request.get_override_ground_display().lower()}"
    return words + "."


@login_required
def answer_start(http: HttpRequest, pk: int) -> HttpResponse:
    """The decision, in the flowchart's order, as one form in sections; then "check your answers"."""
    request, answered = _answerable(http, pk)
    if answered is not None:
        return answered
    choices = selectors.answer_choices(http.user, request)
    draft = _draft(http, request.pk)
    form = _form(http, request, choices, draft)
    if http.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["retain_until"] = data["retain_until"].isoformat() if data.get("retain_until") else None
        http.session[SESSION_KEY] = {"request": request.pk, "data": data, "revisions": _shown(choices, data)}
        return redirect("disclosures-answer-check", pk=request.pk)
    return render(
        http,
        "disclosures/answer_form.html",
        {
            "form": form,
            "request_obj": request,
            "caption": _caption(request),
            "tiers": "; ".join(_TIER_WORDS.get(tier, tier) for tier in request.tiers),
            "categories": "; ".join(CATEGORY_LABELS.get(Category(c), c) for c in request.categories),
            "consent_basis": _basis_words(request),
            "consent_rows": _consent_rows(choices.consent),
            # The protocol's own clause, never the documents it was drafted from (users read their protocol).
            "consent_clause": request.protocol_version.cite("consent"),
            "no_bases": not choices.legal_bases,
            "no_entries": bool(request.categories) and not choices.entries,
            "decline_url": reverse("disclosures-decline", args=[request.pk]),
            "back_url": checks.request_link(request),
        },
    )


def _decision(data: dict[str, Any]) -> services.DecisionInput:
    """The decision record drafted (Barnet; Haringey 4.7), kept with a share or a decline alike."""
    return services.DecisionInput(
        is_confidential=data.get("is_confidential") != NO,
        public_interest=data.get("public_interest") or "",
        proportionality=data.get("proportionality") or "",
        why_shared=data.get("why_shared") or "",
        why_without_consent=data.get("why_without_consent") or "",
        what_agreed=data.get("what_agreed") or "",
        third_parties=data.get("third_parties") or "",
    )


def _shown(choices: selectors.AnswerChoices, data: dict[str, Any]) -> dict[str, int]:
    """The revision of each chosen entry the page shows (entry id, as the session's JSON keys it -> revision number):
    what confirming promises to share, and nothing corrected since (services.revisions_refusal)."""
    chosen = {int(pk) for pk in data.get("entries") or []}
    return {str(choice.entry.pk): choice.revision.number for choice in choices.entries if choice.entry.pk in chosen}


def _service_values(data: dict[str, Any], revisions: dict[str, int]) -> dict[str, Any]:
    """The draft as services.request_answer_share takes it, with the revisions shown. Entries and people named by an
    id that does not exist are refused here, like the service refuses one outside the child's record."""
    entry_ids = [int(pk) for pk in data.get("entries") or []]
    entries = list(RecordEntry.objects.filter(pk__in=entry_ids).select_related("child"))
    if len(entries) != len(set(entry_ids)):
        raise ValidationError({"entries": "Choose entries from this child's record."})
    people_ids = [int(pk) for pk in data.get("recipients") or []]
    people = list(User.objects.filter(pk__in=people_ids))
    if len(people) != len(set(people_ids)):
        raise ValidationError({"recipients": "Choose the people from the list."})
    retain = date.fromisoformat(data["retain_until"]) if data.get("retain_until") else None
    return {
        "entries": entries,
        "legal_basis": data.get("legal_basis") or "",
        "s29_form_reference": data.get("s29_form_reference") or "",
        "decision": _decision(data),
        "subject_told": data.get("subject_told") or "",
        "subject_not_told_reason": data.get("subject_not_told_reason") or "",
        "onward_terms": data.get("onward_terms") or "",
        "retain_until": checks.end_of_day(retain) if retain else None,
        "recipients": people,
        "revisions": {int(pk): int(revision) for pk, revision in revisions.items()},
    }


def _entry_refusal(http: HttpRequest, denial: AccessDenied) -> ValidationError:
    """An entry the answerer may not see, refused by the entry's policy inside the service: recorded as the denial it
    is, and shown on the check page as the entries' error (never the entry's content or holder)."""
    record_denial(denial, user=http.user, path=http.path, method=http.method or "")
    return ValidationError({"entries": "You can share only entries you may see yourself: choose from the list."})


def _trial(
    http: HttpRequest, request: InformationRequest, data: dict[str, Any], revisions: dict[str, int]
) -> tuple[str, ValidationError | None]:
    """What request_answer_share would do with the draft - "shared" or "approval" - or what it refuses, asked of the
    service itself in a transaction that is rolled back (the rules written once, nothing kept). A request answered
    meanwhile raises the policy's refusal, for the caller to show what became of it."""
    try:
        result, error = confirming.rehearse(
            lambda: services.request_answer_share(actor=http.user, request=request, **_service_values(data, revisions))
        )
    except AccessDenied as denial:
        if denial.target_type != "sharing.recordentry":
            raise
        return "", _entry_refusal(http, denial)
    if error is not None:
        return "", error
    return ("shared" if isinstance(result, Disclosure) else "approval"), None


def _check_rows(
    request: InformationRequest, data: dict[str, Any], choices: selectors.AnswerChoices
) -> list[tuple[str, str, str]]:
    """The rows of "check your answers": (label, value, anchor of the form's section to change it)."""
    entries = {choice.entry.pk: _entry_label(choice) for choice in choices.entries}
    people = dict(choices.people)
    basis = data.get("legal_basis") or ""
    told = data.get("subject_told") or ""
    chosen = [entries.get(int(pk), f"Entry {pk}") for pk in data.get("entries") or []]
    consent = "\n".join(f"{row['tier']}: {row['message']}" for row in _consent_rows(choices.consent))
    rows = [
        ("Confidential", "Yes" if data.get("is_confidential") != NO else "No", "confidential"),
        ("Consent now", consent, "consent"),
        ("Legal basis", rules.LEGAL_BASIS_LABELS.get(rules.LegalBasis(basis), basis) if basis else "None", "ground"),
    ]
    if basis == rules.LegalBasis.POLICE_S29 or data.get("s29_form_reference"):
        rows.append(("Police form reference", data.get("s29_form_reference") or "None", "ground"))
    rows += [
        ("Why without consent", data.get("why_without_consent") or "Not given", "ground"),
        ("Public interest", data.get("public_interest") or "Not given", "ground"),
        ("Proportionality", data.get("proportionality") or "Not given", "ground"),
        ("Information shared", "; ".join(_TIER_WORDS.get(tier, tier) for tier in request.tiers), "minimum"),
        ("Entries", "\n".join(chosen) or "None", "minimum"),
        ("Why shared", data.get("why_shared") or "Not given", "minimum"),
        ("Recipients", "\n".join(people.get(int(pk), f"Person {pk}") for pk in data.get("recipients") or []), "terms"),
        ("Child or family told", SUBJECT_TOLD_LABELS.get(rules.SubjectTold(told), told) if told else "", "terms"),
    ]
    if told and told != rules.SubjectTold.TOLD:
        rows.append(("Why not told", data.get("subject_not_told_reason") or "Not given", "terms"))
    retain = data.get("retain_until")
    rows += [
        ("Onward-disclosure terms", data.get("onward_terms") or "None", "terms"),
        ("Access ends", long_date(date.fromisoformat(retain)) if retain else "", "terms"),
        ("What was agreed", data.get("what_agreed") or "Not given", "terms"),
        ("Information about other people", data.get("third_parties") or "None", "terms"),
    ]
    return rows


def _errors(error: ValidationError) -> list[tuple[str, str]]:
    """A service's refusal as (message, anchor of the form's section to change)."""
    anchors = {name: anchor for anchor, _heading, names in SECTIONS for name in names}
    anchors["revisions"] = "minimum"  # the revisions shown with the entries (services.revisions_refusal)
    if hasattr(error, "error_dict"):
        return [
            (message, anchors.get(field, "confidential"))
            for field, field_messages in error.message_dict.items()
            for message in field_messages
        ]
    return [(message, "confidential") for message in error.messages]


def _answered_meanwhile(http: HttpRequest, pk: int, denial: AccessDenied) -> HttpResponse:
    """Someone else answered (or the requester withdrew) while this answer was being made: nothing of it was kept; the
    page says what became of the request. Recorded as the refusal it is."""
    record_denial(denial, user=http.user, path=http.path, method=http.method or "")
    http.session.pop(SESSION_KEY, None)
    state = InformationRequest.objects.filter(pk=pk).values_list("state", flat=True).first()
    if state is not None and state != rules.State.SUBMITTED:
        messages.error(
            http,
            "Your answer was not recorded, and nothing you chose was shared: this request was answered (or "
            "withdrawn) while you were working on it.",
        )
    else:
        messages.error(http, f"Your answer was not recorded: {denial.reason}")
    return redirect("disclosures-answer", pk=pk)


def _done_message(request: InformationRequest, result: Disclosure | InformationRequest) -> str:
    """Which of the two things confirming did: the disclosure made now, or the answer waiting for approval."""
    if isinstance(result, Disclosure):
        return (
            f"The information was shared: disclosure {result.pk} was made to {request.requester_agency}, and the "
            "people named can read it now."
        )
    return (
        "Your answer is recorded, but nothing is shared yet: a designated manager of your agency must approve it "
        "first. They have been told."
    )


@login_required
def answer_check(http: HttpRequest, pk: int) -> HttpResponse:
    """Check your answers: the trial's refusals, or what confirming will do (share now, or wait for approval)."""
    request, answered = _answerable(http, pk)
    if answered is not None:
        return answered
    draft = _draft(http, request.pk)
    if draft is None:
        return redirect("disclosures-answer", pk=request.pk)
    data = draft["data"]
    form = ConfirmForm(http.POST if http.method == "POST" else None)
    refusal: ValidationError | None = None
    outcome = ""
    if http.method == "POST" and form.is_valid():
        if confirming.stale(
            http, SESSION_KEY, request.pk, data
        ):  # break12b F13: only what the page showed (confirming.py)
            return confirming.refuse_stale(http, reverse("disclosures-answer-check", args=[request.pk]))
        try:
            result = services.request_answer_share(
                actor=http.user, request=request, **_service_values(data, draft.get("revisions") or {})
            )
        except ValidationError as error:
            refusals.note_service_refusal(error)  # recorded once, after the view, like a form's refusal
            refusal = error
        except AccessDenied as denial:
            if denial.target_type != "sharing.recordentry":
                return _answered_meanwhile(http, request.pk, denial)
            refusal = _entry_refusal(http, denial)
        else:
            http.session.pop(SESSION_KEY, None)
            http.session.pop(f"{SESSION_KEY}:shown", None)
            messages.success(http, _done_message(request, result))
            return redirect("disclosures-answer", pk=request.pk)
    choices = selectors.answer_choices(http.user, request)
    # This page shows each chosen entry at its latest revision: that is what confirming shares, and a correction made
    # after it is refused rather than shared unseen. The session is written only when a revision shown changed.
    shown = _shown(choices, data)
    if shown != draft.get("revisions"):
        http.session[SESSION_KEY] = {**draft, "revisions": shown}
    if http.method != "POST" or not form.is_valid():
        try:
            outcome, refusal = _trial(http, request, data, shown)
        except AccessDenied as denial:
            return _answered_meanwhile(http, request.pk, denial)
    return render(
        http,
        "disclosures/answer_check.html",
        {
            "request_obj": request,
            "caption": _caption(request),
            "answers": _check_rows(request, data, choices),
            "problems": _errors(refusal) if refusal is not None else [],
            "outcome": outcome,
            "form": form,
            "change_url": reverse("disclosures-answer", args=[request.pk]),
            "decline_url": reverse("disclosures-decline", args=[request.pk]),
            "draft_digest": confirming.shown(http, SESSION_KEY, request.pk, data),
        },
    )


@login_required
def answer_decline(http: HttpRequest, pk: int) -> HttpResponse:
    """Decline with a reason (Buckinghamshire 5); the decision so far, if any was drafted, is recorded with it."""
    request, answered = _answerable(http, pk)
    if answered is not None:
        return answered
    form = DeclineForm(http.POST if http.method == "POST" else None)
    if http.method == "POST" and form.is_valid():
        draft = _draft(http, request.pk)
        decision = _decision(draft["data"]) if draft is not None else None
        try:
            services.request_answer_decline(
                actor=http.user,
                request=request,
                reason=form.cleaned_data["reason"],
                detail=form.cleaned_data["detail"],
                decision=decision,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except AccessDenied as denial:
            return _answered_meanwhile(http, request.pk, denial)
        else:
            http.session.pop(SESSION_KEY, None)
            messages.success(
                http,
                f"The request was declined and {request.requester.full_name} has been told. The decline is recorded "
                "and reported with every request not shared.",
            )
            return redirect("disclosures-answer", pk=request.pk)
    return render(
        http,
        "disclosures/answer_decline.html",
        {
            "form": form,
            "request_obj": request,
            "caption": _caption(request),
            "back_url": reverse("disclosures-answer", args=[request.pk]),
        },
    )
