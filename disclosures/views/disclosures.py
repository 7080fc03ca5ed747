"""The approvals and disclosure pages (issue 12: "Designated-manager approval", "Disclosures"; design12 section 8).

* `approvals/`: a designated manager's queue, oldest first, with due dates and how long each has waited, and the
  emergency disclosures of their agencies still to review; requests they raised or answered are listed but cannot
  be approved by them (Haringey 4.6).
* `requests/<pk>/approval/`: the decision record a manager approves or declines with reasons. Who may decide is the
  policy's (disclosures.policy: never the requester or the answerer), so anyone else gets its 403 with the sentence
  that refused them, and an id out of their scope a 404.
* `disclosures/<pk>/`: what was disclosed, to whom, why, on which legal basis and under which protocol version,
  with its decision record and follow-ups and whether its SHA-256 still verifies; the content only for who may read
  it (disclosures.selectors.disclosure_page: the named recipients while their grant lives, the disclosing agency).
  Its review (emergency disclosures) and revocation are forms of their own.
* `disclosures/` and `disclosures/received/`: what the reader's agency sent, and what the reader received.

Views only read through the selectors and write through the services; no JavaScript is needed anywhere."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from agencies.forms import add_service_errors
from agencies.policy import is_designated_manager
from disclosures import selectors, services
from disclosures.correction_policy import reporter_refusal
from disclosures.forms.approvals import APPROVE, ApprovalForm, ReviewForm, RevokeForm
from disclosures.models import (
    ConsentBasis,
    Disclosure,
    DisclosureEvent,
    EmergencyReason,
    InformationRequest,
    LegalBasis,
    ReviewOutcome,
    SubjectTold,
)
from disclosures.views import confirming
from isp_portal import policy
from isp_portal.policy import can, get_or_deny
from isp_portal.wording import long_date, long_datetime
from sharing.forms import PurposeForm
from sharing.models.children import Ethnicity, Gender
from sharing.models.entries import Basis
from sharing.policy import index_agencies
from sharing.rules import CATEGORY_LABELS, Category
from sharing.views.purposes import purpose_for, remember_purpose

TIER_WORDS = {"minimum": "The minimum data", "sensitive": "Detailed and sensitive information"}
# consent.selectors.Reason's values, as the answerer saw them when they checked consent (the decision record).
CONSENT_SEEN = {
    "covered": "A consent covers this sharing",
    "none_recorded": "No consent is recorded",
    "refused": "Consent was refused",
    "parent_overridden": "A parent consented, but the young person, competent to decide, refused",
    "withdrawn": "Consent was withdrawn",
    "parent_decision_lapsed": "A parent decided, but the young person now decides for themselves",
    "expired": "The consent has ended",
    "not_yet_in_force": "The consent is not yet in force",
    "out_of_scope_purpose": "The consent does not cover this purpose",
    "out_of_scope_tier": "The consent does not cover this information",
    "out_of_scope_agency": "The consent does not cover this agency",
}
NOT_STATED = "Not stated"
Rows = list[tuple[str, str]]


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def _category(value: str) -> str:
    return CATEGORY_LABELS[Category(value)] if value in set(Category) else value


def _categories(values: list[str]) -> str:
    return ", ".join(_category(value) for value in values) or "None"


def _when(value: object) -> str:
    """A snapshot's ISO-8601 date or time (rules.snapshot_document), in words."""
    text = str(value or "")
    try:
        if "T" in text:
            return long_datetime(datetime.fromisoformat(text))
        return long_date(date.fromisoformat(text))
    except ValueError:
        return text


def _child_rows(child: Any) -> Rows:
    """The child's minimum data as the snapshot holds it (only when the minimum tier was disclosed)."""
    if not isinstance(child, dict):
        return []
    rows: Rows = [
        ("Name", f"{child.get('given', '')} {child.get('family', '')}".strip() or NOT_STATED),
        ("Date of birth", _when(child.get("born_on"))),
        ("Gender", _label(Gender, str(child.get("gender") or ""))),
        ("Ethnicity", _label(Ethnicity, str(child.get("ethnicity") or ""))),
        ("Languages", ", ".join(str(item) for item in child.get("languages") or []) or NOT_STATED),
    ]
    if child.get("nhs_number"):
        rows.append(("NHS number", str(child["nhs_number"])))
    return rows


def _shared_entry(item: dict[str, Any]) -> dict[str, Any]:
    """One entry of the snapshot, at the revision disclosed, for the page."""
    revision = item.get("revision") or {}
    fields = revision.get("fields") or {}
    return {
        "entry_id": item.get("entry_id"),
        "category": _category(str(item.get("category", ""))),
        "number": revision.get("number"),
        "text": revision.get("text", ""),
        "fields": sorted((str(name), str(value)) for name, value in fields.items()),
        "basis": _label(Basis, str(revision.get("basis", ""))),
        "recorded_at": _when(revision.get("recorded_at")),
    }


def _tiers(values: list[str]) -> str:
    return " and ".join(TIER_WORDS.get(value, value) for value in values)


def _consent(source: InformationRequest | Disclosure) -> str:
    words = _label(ConsentBasis, source.consent_basis)
    if source.consent_basis == ConsentBasis.CONSENT and source.consent_id is not None:
        return f"{words} (consent record {source.consent_id})"
    if source.not_sought_reason:
        return f"{words}: {source.get_not_sought_reason_display()}"
    if source.override_ground:
        return f"{words}, overridden on the ground: {source.get_override_ground_display()}"
    return words


def _legal_basis(source: Any) -> str:
    words = _label(LegalBasis, source.legal_basis)
    if source.s29_form_reference:
        return f"{words}: form reference {source.s29_form_reference}"
    return words


def _told(source: Any) -> str:
    words = _label(SubjectTold, source.subject_told)
    return f"{words}. {source.subject_not_told_reason}" if source.subject_not_told_reason else words


def _decision_rows(answer: Any) -> Rows:
    """The decision record (Barnet; Haringey 4.7) as summary-list rows."""
    return [
        ("Is the information confidential?", "Yes" if answer.is_confidential else "No"),
        ("Consent, when it was checked", CONSENT_SEEN.get(answer.consent_checked, NOT_STATED)),
        ("The public interest", answer.public_interest or NOT_STATED),
        ("Why sharing is proportionate (the minimum needed)", answer.proportionality or NOT_STATED),
        ("Why it is shared", answer.why_shared or NOT_STATED),
        ("Why without consent", answer.why_without_consent or "Shared on consent"),
        *([("What was agreed", answer.what_agreed)] if answer.what_agreed else []),
        *([("Third parties", answer.third_parties)] if answer.third_parties else []),
    ]


def _posted(request: HttpRequest) -> Any:
    """What was sent, for a bound form even when nothing was chosen (an empty POST is still an answer to check)."""
    return request.POST if request.method == "POST" else None


def _renamed(error: ValidationError, renamed: dict[str, str]) -> ValidationError:
    """A service's field errors under the names the form uses for those fields."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError({renamed.get(field, field): list(items) for field, items in error.error_dict.items()})


# --- The designated manager's approvals ----------------------------------------------------------------------------


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    user = request.user
    managed = [agency_id for agency_id in index_agencies(user) if is_designated_manager(user, agency_id)]
    if not managed:
        raise policy.NotPermitted(
            action="approve",
            target_type="disclosures.informationrequest",
            reason="Only a designated manager approves sharing detailed and sensitive information without consent, "
            "and reviews emergency disclosures.",
        )
    waiting, reviews = selectors.approvals_pending(user)
    return render(request, "disclosures/approvals.html", {"approvals": waiting, "reviews": reviews})


@login_required
def request_approval(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        decision = selectors.approval_decision(request.user, pk)
    except policy.NotPermitted:
        if request.method == "POST" and (closed := confirming.closed_already(request, pk)):
            return closed  # a second click: what happened, not an access denial (break12b F3)
        raise
    item, answer = decision.request, decision.answer
    form = ApprovalForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        note = form.cleaned_data["note"]
        try:
            if form.cleaned_data["decision"] == APPROVE:
                made = services.request_approve(actor=request.user, request=item, note=note)
            else:
                services.request_approval_decline(actor=request.user, request=item, reason=note)
        except policy.NotPermitted:
            if closed := confirming.closed_already(request, pk):  # closed meanwhile, by the first click
                return closed
            raise
        except ValidationError as error:
            add_service_errors(form, _renamed(error, {"reason": "note"}))
        else:
            if form.cleaned_data["decision"] == APPROVE:
                messages.success(request, f"Approved: the information was shared with {item.requester_agency}.")
                return redirect("disclosure-detail", pk=made.pk)
            messages.success(request, "Declined: the requester and the practitioner who answered have been told.")
            return redirect("approvals")
    request_rows: Rows = [
        ("Child", f"Child {item.child_id}"),
        ("Asked by", f"{item.requester}, {item.requester_agency}"),
        ("Purpose", item.purpose),
        ("Information asked for", _tiers(item.tiers)),
        ("Categories", _categories(item.categories)),
        ("Why they need to know", item.need_to_know),
        ("Consent", _consent(item)),
        ("Urgency", item.get_urgency_display()),
        ("Due", long_date(item.due_on) if item.due_on else "No due date"),
        ("Protocol version", str(item.protocol_version)),
    ]
    share_rows: Rows = [
        ("Answered by", f"{item.answered_by}, {long_datetime(answer.answered_at)}"),
        ("Legal basis", _legal_basis(answer)),
        ("Child or family told", _told(answer)),
        ("Onward disclosure", answer.onward_terms or "No terms beyond the protocol's"),
        ("Kept until", long_datetime(answer.retain_until) if answer.retain_until else NOT_STATED),
    ]
    return render(
        request,
        "disclosures/approval.html",
        {
            "item": item,
            "decision": decision,
            "request_rows": request_rows,
            "decision_rows": _decision_rows(answer),
            "share_rows": share_rows,
            "entries": [(row, _category(row.entry.category)) for row in decision.entries],
            "form": form,
        },
    )


# --- A disclosure ---------------------------------------------------------------------------------------------------


def _what_rows(disclosure: Disclosure) -> Rows:
    kind = disclosure.get_kind_display()
    if disclosure.emergency_reason:
        kind = f"{kind}: {_label(EmergencyReason, disclosure.emergency_reason).lower()}"
    rows: Rows = [
        ("Kind", kind),
        ("Child", f"Child {disclosure.child_id}"),
        ("From", f"{disclosure.from_agency}, by {disclosure.discloser}"),
        ("Approved by", str(disclosure.approver) if disclosure.approver else "Not needed"),
        ("To", f"{disclosure.to_agency}, asked by {disclosure.requester}"),
        ("Made", long_datetime(disclosure.made_at)),
        ("Purpose", disclosure.purpose),
        ("Information", _tiers(disclosure.tiers)),
        ("Categories", _categories(disclosure.categories)),
        ("Legal basis", _legal_basis(disclosure)),
        ("Consent", _consent(disclosure)),
        ("Protocol version in force", str(disclosure.protocol_version)),
        ("Child or family told", _told(disclosure)),
        ("Onward disclosure", disclosure.onward_terms or "No terms beyond the protocol's"),
        ("Kept until", long_datetime(disclosure.retain_until)),
    ]
    if disclosure.review_due_at is not None:
        rows.append(("Review due by", long_datetime(disclosure.review_due_at)))
    return rows


def _event_words(event: DisclosureEvent) -> str:
    who = f" by {event.actor}" if event.actor else ""
    words = f"{event.get_kind_display()}{who}, {long_datetime(event.at)}"
    if event.outcome:
        words += f": {_label(ReviewOutcome, event.outcome).lower()}"
    return f"{words}. {event.note}" if event.note else f"{words}."


@login_required
def disclosure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.disclosure_of(request.user, pk)  # the policy first: the purpose is asked only in scope
    # Why the reader is looking, asked before the content is shown and recorded with the showing, as a child's
    # record does (the purpose step's session table: a purpose stated for the child holds here too; break12b F11).
    form = PurposeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        remember_purpose(request, [found.child_id], form.cleaned_data["purpose"])
        return redirect(f"{reverse('disclosure-detail', args=[found.pk])}#content")
    page = selectors.disclosure_page(
        request.user, found, purpose=purpose_for(request, found.child_id) or "", purpose_asked=True
    )
    disclosure = page.disclosure
    content = page.content or {}
    # A named recipient may ask to pass it on (issue 13; Southampton 10): asked only of a recipient, so the other
    # readers' pages run no more statements.
    recipient = any(person.user_id == request.user.pk for person in page.recipients)
    return render(
        request,
        "disclosures/disclosure.html",
        {
            "page": page,
            "disclosure": disclosure,
            "what_rows": _what_rows(disclosure),
            "decision_rows": _decision_rows(page.decision) if page.decision is not None else [],
            "entries": [
                {"entry_id": row.entry_id, "category": _category(row.category), "revision": row.revision}
                for row in selectors.disclosed_entries(disclosure)
            ],
            "events": [_event_words(event) for event in page.events],
            "child_data": _child_rows(content.get("child")),
            "shared_entries": [_shared_entry(item) for item in content.get("entries") or []],
            # A recipient came from what they received; the disclosing agency (and an auditor) from what was sent.
            "back": "disclosures-received" if recipient else "disclosures-sent",
            "may_pass_on": recipient and not page.revoked and can(request.user, "pass_on", disclosure),
            # A recipient reading what it received may tell the originator an entry is inaccurate (Southampton 9),
            # the report page's own rule (reporter_refusal), offered beside each entry shown.
            "may_report": recipient
            and page.content is not None
            and reporter_refusal(request.user, disclosure.to_agency_id) is None,
            "may_review": disclosure.kind == "emergency" and can(request.user, "review", disclosure),
            "may_revoke": not page.revoked and can(request.user, "revoke", disclosure),
            "purpose_form": form,
        },
    )


def _follow_up_page(request: HttpRequest, disclosure: Disclosure, **context: Any) -> HttpResponse:
    return render(
        request,
        "form_page.html",
        {
            "caption": f"Disclosure {disclosure.pk} to {disclosure.to_agency}",
            "back_url": reverse("disclosure-detail", args=[disclosure.pk]),
            **context,
        },
    )


@login_required
def disclosure_review(request: HttpRequest, pk: int) -> HttpResponse:
    disclosure = get_or_deny(request.user, Disclosure.objects.select_related("to_agency"), action="review", pk=pk)
    form = ReviewForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.disclosure_review(actor=request.user, disclosure=disclosure, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Your review of the emergency disclosure has been recorded.")
            return redirect("disclosure-detail", pk=disclosure.pk)
    return _follow_up_page(
        request,
        disclosure,
        form=form,
        title="Review this emergency disclosure",
        intro=[
            f"Made by {disclosure.discloser} without waiting for approval. Say whether it was right to share, and "
            "what you found. A review is recorded once and cannot be changed."
        ],
        submit="Record the review",
    )


@login_required
def disclosure_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    disclosure = get_or_deny(request.user, Disclosure.objects.select_related("to_agency"), action="revoke", pk=pk)
    form = RevokeForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.disclosure_revoke(actor=request.user, disclosure=disclosure, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, _renamed(error, {"note": "reason"}))
        else:
            messages.success(request, "The disclosure has been revoked: its recipients can no longer read it.")
            return redirect("disclosure-detail", pk=disclosure.pk)
    return _follow_up_page(
        request,
        disclosure,
        form=form,
        title="Revoke this disclosure",
        intro=[
            f"The people at {disclosure.to_agency} it was disclosed to lose access at once. What was disclosed "
            "stays recorded, with its revocation."
        ],
        submit="Revoke the disclosure",
        danger=True,
    )


# --- Lists ----------------------------------------------------------------------------------------------------------


@login_required
def disclosures_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "disclosures/disclosures.html", {"rows": selectors.disclosures_sent(request.user)})


@login_required
def disclosures_received(request: HttpRequest) -> HttpResponse:
    return render(request, "disclosures/received.html", {"rows": selectors.disclosures_received(request.user)})
