"""The onward pages (issue 13; Southampton 10-11; docs/after-disclosure-design.md 9): asking to pass on what was
received (a form, then "check your answers"), the onward requests an agency raised or must decide, one onward
request, the originator's decision, the requester's withdrawal, and the onward disclosure (a form, then "check your
answers"). What was typed is kept in the session between the two steps (one draft each), never in an address; both
steps ask the service itself (confirming.rehearse: a transaction rolled back), and the confirmation asks it again,
once, and only what the page showed (confirming.py). Views only read
through disclosures.onward_selectors and write through disclosures.services.onward; who may act is
disclosures.onward_policy's (out of scope 404, refused 403 with the rule). No JavaScript is needed."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from agencies.forms import add_service_errors
from agencies.models import Agency, User
from consent.models import ConsentNotSoughtReason
from disclosures import rules, selectors
from disclosures.forms.answers import SUBJECT_TOLD_LABELS
from disclosures.forms.onward import AGREE, OnwardDecisionForm, OnwardDiscloseForm, OnwardWithdrawForm, PassOnForm
from disclosures.forms.requests import CONSENT_CHOICES, TIER_CHOICES
from disclosures.models import Disclosure, DisclosureEntry, OnwardRequest
from disclosures.onward_selectors import onward_entries, onward_request_page, onward_requests
from disclosures.services import checks
from disclosures.services import onward as services
from disclosures.views import confirming
from disclosures.views.requests import _consent_found, _on_fields, _on_top
from isp_portal.policy import get_or_deny
from isp_portal.wording import long_date
from protocols.models import Ground
from sharing.models import RecordEntry
from sharing.rules import CATEGORY_LABELS, Category

ASK_DRAFT = "onward_ask_draft"
DISCLOSE_DRAFT = "onward_disclose_draft"


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


@login_required
def onward_list(request: HttpRequest) -> HttpResponse:
    role: Literal["raised", "to_decide"] = "to_decide" if request.GET.get("role") == "to_decide" else "raised"
    rows = onward_requests(request.user, role=role)
    return render(request, "disclosures/onward_list.html", {"rows": rows, "role": role})


@login_required
def onward_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "disclosures/onward_detail.html", {"page": onward_request_page(request.user, pk)})


@login_required
def onward_decide(request: HttpRequest, pk: int) -> HttpResponse:
    onward = get_or_deny(
        request.user, OnwardRequest.objects.select_related("from_agency", "to_agency"), action="decide", pk=pk
    )
    form = OnwardDecisionForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            if values["decision"] == AGREE:
                services.onward_request_agree(actor=request.user, onward=onward, conditions=values["conditions"])
            else:
                services.onward_request_decline(
                    actor=request.user, onward=onward, reason=values["decline_reason"], detail=values["decline_detail"]
                )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Your decision has been recorded and the person who asked has been told.")
            return redirect("onward-detail", pk=onward.pk)
    # What is asked, named as the other disclosure pages name entries (kind, entry, revision): one statement.
    entries = onward_entries(onward)
    return render(request, "disclosures/onward_decide.html", {"onward": onward, "form": form, "entries": entries})


@login_required
def onward_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    onward = get_or_deny(
        request.user, OnwardRequest.objects.select_related("originator_agency", "to_agency"), action="withdraw", pk=pk
    )
    form = OnwardWithdrawForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.onward_request_withdraw(actor=request.user, onward=onward, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The onward request has been withdrawn.")
            return redirect("onward-detail", pk=onward.pk)
    return render(request, "disclosures/onward_withdraw.html", {"onward": onward, "form": form})


# --- Passing on: the form, then "check your answers" (Southampton 10-11, 18 item 13) --------------------------------


def _parent_of(http: HttpRequest, pk: int) -> Disclosure:
    """The received disclosure the reader would pass on: another agency's is a 404, one the reader may not pass on
    (not a named recipient still able to read it) a 403 with disclosures.policy.pass_on_refusal's sentence."""
    return get_or_deny(
        http.user,
        Disclosure.objects.select_related("child", "from_agency", "to_agency"),
        action="pass_on",
        pk=pk,
    )


def _category(value: str) -> str:
    return CATEGORY_LABELS.get(Category(value), value) if value in set(Category) else value


def _pass_on_choices(http: HttpRequest, parent: Disclosure) -> dict[str, Any]:
    """What the pass-on form offers: the entries received (at the revision received), the agencies that share a
    protocol in force with the passer's agency other than the one the information came from, and the purposes the
    reader's protocols permit. Which of them the rules allow for this request is the service's to say."""
    originator = services.originator_of(parent)
    return {
        "entries": [
            (row.entry_id, f"{_category(row.category)}: entry {row.entry_id}, revision {row.revision}")
            for row in selectors.disclosed_entries(parent)
        ],
        "agencies": [
            (agency.pk, agency.name)
            for agency in selectors.partner_agencies([parent.to_agency_id])
            if agency.pk != originator
        ],
        "purposes": selectors.request_holding_options(http.user).purposes,
    }


def _pass_on_arguments(parent: Disclosure, values: dict[str, Any]) -> dict[str, Any]:
    """The service's arguments from what was typed. An entry the passer's agency did not receive in this disclosure
    (another agency's id, or none) reads like one that does not exist (no existence leak), as in the API; an agency
    id that names none is refused on its field; for a consent basis, the consent record that covers passing it on
    to the third agency, or the consent check's sentence (as the request form does)."""
    ids = [int(pk) for pk in values.get("entries") or []]
    held = DisclosureEntry.objects.filter(disclosure=parent, entry_id__in=ids).values("entry_id")
    received = list(RecordEntry.objects.filter(pk__in=held))
    if len(received) != len(set(ids)):
        raise ValidationError({"entries": services.NOT_RECEIVED})
    agency = Agency.objects.filter(pk=values["to_agency"]).first()
    if agency is None:
        raise ValidationError({"to_agency": "Select the agency to pass it to from the list."})
    consent = None
    if values["consent_basis"] == rules.ConsentBasis.CONSENT:
        consent, message = _consent_found(parent.child, values["tiers"], agency, values["purpose"])
        if message is not None:
            raise ValidationError({"consent_basis": message})
    return {
        "entries": received, "to_agency": agency, "purpose": values["purpose"], "tiers": list(values["tiers"]),
        "categories": list(values["categories"]), "need_to_know": values["need_to_know"],
        "consent_basis": values["consent_basis"], "consent": consent,
        "not_sought_reason": values["not_sought_reason"], "override_ground": values["override_ground"],
        "legal_basis": values["legal_basis"],
    }  # fmt: skip


def _pass_on_trial(http: HttpRequest, parent: Disclosure, values: dict[str, Any]) -> Any:
    """What onward_request_submit would make of the draft, or its refusal (confirming.rehearse)."""
    return confirming.rehearse(
        lambda: services.onward_request_submit(actor=http.user, parent=parent, **_pass_on_arguments(parent, values))
    )


@login_required
def pass_on_new(http: HttpRequest, pk: int) -> HttpResponse:
    parent = _parent_of(http, pk)
    choices = _pass_on_choices(http, parent)
    draft = confirming.draft_of(http, ASK_DRAFT, parent.pk)
    form = PassOnForm(
        _posted(http),
        initial=dict(draft["data"]) if draft is not None else {"tiers": list(parent.tiers), "entries": []},
        **choices,
    )
    if http.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        _made, problems = _pass_on_trial(http, parent, values)
        if problems is not None:
            add_service_errors(form, _on_fields(problems))
        else:
            http.session[ASK_DRAFT] = {"target": parent.pk, "data": values}
            return redirect("onward-pass-on-check", pk=parent.pk)
    return render(
        http,
        "disclosures/onward_pass_on.html",
        {
            "form": form,
            "parent": parent,
            "nothing_to_pass": not choices["entries"],
            "no_agency": not choices["agencies"],
        },
    )


def _consent_words(values: dict[str, Any]) -> str:
    basis = values.get("consent_basis") or ""
    words = dict(CONSENT_CHOICES).get(basis, basis)
    if basis == rules.ConsentBasis.NOT_SOUGHT and values.get("not_sought_reason") in ConsentNotSoughtReason.values:
        words += f": {ConsentNotSoughtReason(values['not_sought_reason']).label}"
    if basis == rules.ConsentBasis.REFUSED and values.get("override_ground") in Ground.values:
        words += f": {Ground(values['override_ground']).label}"
    return words


def _pass_on_rows(
    parent: Disclosure, values: dict[str, Any], choices: dict[str, Any], made: OnwardRequest | None
) -> list[tuple[str, str, str]]:
    """The rows of "check your answers": (label, value, anchor of the form's section to change it)."""
    entries = dict(choices["entries"])
    agencies = dict(choices["agencies"])
    basis = values.get("legal_basis") or ""
    rows = [
        ("Entries", "\n".join(entries.get(int(pk), f"Entry {pk}") for pk in values.get("entries") or []), "entries"),
        ("Information", "; ".join(dict(TIER_CHOICES).get(tier, tier) for tier in values.get("tiers") or []), "entries"),
        ("Kinds of information", "; ".join(_category(c) for c in values.get("categories") or []) or "None", "entries"),
        ("Pass it to", agencies.get(values.get("to_agency") or 0, f"Agency {values.get('to_agency')}"), "agency"),
        ("Purpose", values.get("purpose") or "", "purpose"),
        ("Why they need to know", values.get("need_to_know") or "", "purpose"),
        ("Consent", _consent_words(values), "consent"),
        ("Legal basis", rules.LEGAL_BASIS_LABELS.get(rules.LegalBasis(basis), basis) if basis else "", "basis"),
        ("Who must agree", f"{services.originator_agency_of(parent)}, the agency the information came from", ""),
    ]
    if made is not None:
        rows.append(("Decision due by", long_date(made.due_on), ""))
    return rows


@login_required
def pass_on_check(http: HttpRequest, pk: int) -> HttpResponse:
    parent = _parent_of(http, pk)

    def confirmed(made: OnwardRequest) -> HttpResponse:
        messages.success(
            http,
            f"Your request has been sent to {services.originator_agency_of(parent)}. Nothing is passed on unless "
            "they agree.",
        )
        return redirect("onward-detail", pk=made.pk)

    page = confirming.check_answers(
        http, key=ASK_DRAFT, target=parent.pk,
        form_url=reverse("onward-pass-on", args=[parent.pk]),
        check_url=reverse("onward-pass-on-check", args=[parent.pk]),
        service=lambda values: services.onward_request_submit(
            actor=http.user, parent=parent, **_pass_on_arguments(parent, values)
        ),
        link=lambda onward: reverse("onward-detail", args=[onward.pk]),
        confirmed=confirmed,
        on_form=lambda problems: _on_top(_on_fields(problems)),
    )  # fmt: skip
    if isinstance(page, HttpResponse):
        return page
    return render(
        http,
        "disclosures/onward_pass_on_check.html",
        {
            "parent": parent,
            "answers": _pass_on_rows(parent, page.values, _pass_on_choices(http, parent), page.made),
            "form": page.form,
            "change_url": reverse("onward-pass-on", args=[parent.pk]),
            "draft_digest": page.draft_digest,
        },
    )


# --- The onward disclosure: the form, then "check your answers" (Southampton 10) ----------------------------------


def _agreed(http: HttpRequest, pk: int) -> OnwardRequest:
    """The onward request the reader would pass on: another agency's is a 404; not the requester, not agreed, or
    the agreement ended, a 403 with the policy's sentence (disclosures.onward_policy)."""
    return get_or_deny(
        http.user,
        OnwardRequest.objects.select_related("parent_disclosure", "from_agency", "to_agency", "originator_agency"),
        action="disclose",
        pk=pk,
    )


def _disclose_arguments(onward: OnwardRequest, values: dict[str, Any]) -> dict[str, Any]:
    """The service's arguments from what was typed: people by id (an id that names nobody is refused on its field;
    a person the service refuses, with its sentence); a day's end for access, but never past the passer's own access
    that same day (Southampton 8)."""
    ids = [int(pk) for pk in values.get("recipients") or []]
    people = list(User.objects.filter(pk__in=ids))
    if len(people) != len(set(ids)):
        raise ValidationError({"recipients": "Choose the people from the list."})
    retain = None
    if values.get("retain_until"):
        day = date.fromisoformat(values["retain_until"])
        parent_until = onward.parent_disclosure.retain_until
        retain = checks.end_of_day(day)
        if day == timezone.localdate(parent_until):
            retain = min(retain, parent_until)
    return {
        "recipients": people, "subject_told": values.get("subject_told") or "",
        "subject_not_told_reason": values.get("subject_not_told_reason") or "", "retain_until": retain,
        "why_shared": values.get("why_shared") or "", "proportionality": values.get("proportionality") or "",
        "public_interest": values.get("public_interest") or "",
        "why_without_consent": values.get("why_without_consent") or "",
        "s29_form_reference": values.get("s29_form_reference") or "",
    }  # fmt: skip


def _disclose_trial(http: HttpRequest, onward: OnwardRequest, values: dict[str, Any]) -> Any:
    return confirming.rehearse(
        lambda: services.onward_request_disclose(actor=http.user, onward=onward, **_disclose_arguments(onward, values))
    )


@login_required
def onward_disclose(http: HttpRequest, pk: int) -> HttpResponse:
    onward = _agreed(http, pk)
    draft = confirming.draft_of(http, DISCLOSE_DRAFT, onward.pk)
    initial: dict[str, Any] = dict(draft["data"]) if draft is not None else {}
    if initial.get("retain_until"):
        initial["retain_until"] = date.fromisoformat(initial["retain_until"])
    form = OnwardDiscloseForm(_posted(http), initial=initial, people=selectors.recipients_offered(onward.to_agency_id))
    if http.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        values["retain_until"] = values["retain_until"].isoformat() if values.get("retain_until") else None
        _made, problems = _disclose_trial(http, onward, values)
        if problems is not None:
            add_service_errors(form, problems)
        else:
            http.session[DISCLOSE_DRAFT] = {"target": onward.pk, "data": values}
            return redirect("onward-disclose-check", pk=onward.pk)
    return render(
        http,
        "disclosures/onward_disclose.html",
        {"form": form, "onward": onward, "parent_until": onward.parent_disclosure.retain_until},
    )


def _disclose_rows(
    onward: OnwardRequest, values: dict[str, Any], people: list[tuple[int, str]]
) -> list[tuple[str, str, str]]:
    named = dict(people)
    told = values.get("subject_told") or ""
    retain = values.get("retain_until")
    rows = [
        ("Passed on to", str(onward.to_agency), ""),
        (
            "Recipients",
            "\n".join(named.get(int(pk), f"Person {pk}") for pk in values.get("recipients") or []),
            "recipients",
        ),
        (
            "Child or family told",
            SUBJECT_TOLD_LABELS.get(rules.SubjectTold(told), told) if told in set(rules.SubjectTold) else told,
            "told",
        ),
    ]
    if told and told != rules.SubjectTold.TOLD:
        rows.append(("Why not told", values.get("subject_not_told_reason") or "Not given", "told"))
    rows += [
        (
            "Access ends",
            long_date(date.fromisoformat(retain)) if retain
            else f"When your agency's own access ends ({long_date(onward.parent_disclosure.retain_until)})",
            "retain",
        ),
        ("Why it is passed on", values.get("why_shared") or "", "why"),
        ("Proportionality", values.get("proportionality") or "", "why"),
        ("Why without consent", values.get("why_without_consent") or "Not given", "why"),
        ("Public interest", values.get("public_interest") or "Not given", "why"),
        ("Conditions of the agreement", onward.conditions or "None", ""),
    ]  # fmt: skip
    return rows


@login_required
def onward_disclose_check(http: HttpRequest, pk: int) -> HttpResponse:
    if http.method == "POST" and (made_already := confirming.already_made(http, DISCLOSE_DRAFT, pk)):
        return made_already  # a second click: where the first one's disclosure is (the request is closed now)
    onward = _agreed(http, pk)

    def confirmed(made: Disclosure) -> HttpResponse:
        messages.success(http, f"The information was passed on: disclosure {made.pk} was made to {onward.to_agency}.")
        return redirect("disclosure-detail", pk=made.pk)

    page = confirming.check_answers(
        http, key=DISCLOSE_DRAFT, target=onward.pk,
        form_url=reverse("onward-disclose", args=[onward.pk]),
        check_url=reverse("onward-disclose-check", args=[onward.pk]),
        service=lambda values: services.onward_request_disclose(
            actor=http.user, onward=onward, **_disclose_arguments(onward, values)
        ),
        link=lambda disclosure: reverse("disclosure-detail", args=[disclosure.pk]),
        confirmed=confirmed,
        on_form=_on_top,
    )  # fmt: skip
    if isinstance(page, HttpResponse):
        return page
    return render(
        http,
        "disclosures/onward_disclose_check.html",
        {
            "onward": onward,
            "answers": _disclose_rows(onward, page.values, selectors.recipients_offered(onward.to_agency_id)),
            "form": page.form,
            "change_url": reverse("onward-disclose", args=[onward.pk]),
            "draft_digest": page.draft_digest,
        },
    )
