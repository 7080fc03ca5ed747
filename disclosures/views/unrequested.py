"""Disclosures without a request, started from a child's page (issue 12: "Emergency disclosure", "Proactive
sharing"; design12 5.2 and 8): the agency that receives it, one form in sections, "check your answers", then the
disclosure (disclosures.services.disclosure_emergency, disclosure_refer).

Like the consent journey (consent/views.py): what was typed is kept in the session between the steps (one draft per
journey, for one child), never in an address (DESIGN 4); the form step asks the service itself, in a transaction
rolled back, so every refusal shows on the field it concerns, naming its rule, before anything is disclosed; "check
your answers" asks it again (a rule may have changed meanwhile, and the trial says whether a referral would wait
for a designated manager's approval); the confirmation calls the service for real. The pages name the child, so a
GET asks the purpose first (sharing.views.children.form_caption records the view with it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from agencies.forms import add_service_errors
from agencies.models import Agency, User
from agencies.policy import principal
from consent.models import ConsentNotSoughtReason
from disclosures import rules, selectors, services
from disclosures.forms.unrequested import (
    CONSENT_BASES,
    DECISION_TEXTS,
    EMERGENCY_REASONS,
    NO,
    SUBJECT_TOLD,
    YES,
    EmergencyForm,
    ReceivingAgencyForm,
    ReferForm,
)
from disclosures.models import Disclosure, InformationRequest
from disclosures.services import checks
from disclosures.views import confirming
from isp_portal import policy
from isp_portal.forms import GovukForm
from isp_portal.navigation import PageSection, register_section
from isp_portal.wording import long_date
from protocols.models import Ground, ProtocolVersion
from sharing.models import Child, RecordEntry
from sharing.policy import index_agencies, index_refusal
from sharing.rules import Category
from sharing.views.children import ask_purpose, form_caption
from sharing.views.purposes import purpose_for

EMERGENCY = "emergency"
REFER = "refer"
_CATEGORY_ORDER = {category.value: number for number, category in enumerate(Category)}
# A service's field -> the field of these forms that shows its refusal (the rest show above the form).
_TIER_WORDS = {
    rules.Tier.MINIMUM.value: "The minimum data",
    rules.Tier.SENSITIVE.value: "Detailed and sensitive information: the entries below",
}
_FIELD_OF = {"categories": "entries", "need_to_know": "why", "consent": "consent_basis"}


@dataclass(frozen=True)
class Journey:
    kind: str
    title: str
    form_class: type[EmergencyForm] | type[ReferForm]
    session_key: str
    confirm: str  # the confirmation button

    @property
    def route(self) -> str:
        return f"disclosure-{self.kind}"

    @property
    def check_route(self) -> str:
        return f"disclosure-{self.kind}-check"


JOURNEYS = {
    EMERGENCY: Journey(EMERGENCY, "Share in an emergency", EmergencyForm, "disclosure_emergency_draft", "Share now"),
    REFER: Journey(REFER, "Refer a concern", ReferForm, "disclosure_refer_draft", "Refer the concern"),
}


# --- Who may: the child's page offers the journeys to them, and the pages let them in ---------------------------


def may_disclose(user: Any, child: Child) -> bool:
    """Whether `user` may make a disclosure without a request about `child` (in their reach already): a person who
    practises in an agency that may use the child index (the services act for one of those agencies:
    disclosures.services.requests.acting_agency_id), about a child that was not merged into another. No query once
    the principal is loaded."""
    return not getattr(user, "is_system", False) and bool(index_agencies(user)) and child.merged_into_id is None


def _child(request: HttpRequest, pk: int) -> Child:
    """The child, in reach (404, the shield included), and the user one who may disclose about it (403)."""
    child = policy.found_or_deny(request.user, Child, Child.objects.filter(pk=pk).first(), target_id=pk)
    if not may_disclose(request.user, child):
        reason = (
            "This entry was merged into another: share from the record it was merged into."
            if child.merged_into_id is not None
            else index_refusal(request.user) or "Only people of partner agencies can share information."
        )
        raise policy.NotPermitted(
            action="disclose", target_type="sharing.child", target_id=str(child.pk), reason=reason, child_id=child.pk
        )
    return child


def _child_section(user: Any, child: Child) -> dict[str, Any] | None:
    """The child page's links to the two journeys, for those who may take them (no query: may_disclose)."""
    if not may_disclose(user, child):
        return None
    return {"child": child}


# The child's page renders the sections registered for it (isp_portal.navigation); this module is imported with the
# URLs, before any page is served.
register_section(
    PageSection(
        name="disclosures-without-a-request",
        page="child-detail",
        template="disclosures/emergency_section.html",
        context=_child_section,
        order=40,
    )
)


# --- The draft ---------------------------------------------------------------------------------------------------


def _draft(request: HttpRequest, journey: Journey, child_id: int) -> dict[str, Any] | None:
    draft = request.session.get(journey.session_key)
    if (
        not isinstance(draft, dict)
        or draft.get("child") != child_id
        or not isinstance(draft.get("data"), dict)
        or not isinstance(draft.get("agency"), int)
        or not isinstance(draft.get("to_agency"), int)
    ):
        return None
    return draft


def _to_session(values: dict[str, Any]) -> dict[str, Any]:
    data = dict(values)
    data["retain_until"] = values["retain_until"].isoformat() if values.get("retain_until") else None
    data["is_confidential"] = YES if values.get("is_confidential") else NO
    return data


def _from_session(data: dict[str, Any]) -> dict[str, Any]:
    values = dict(data)
    values["retain_until"] = date.fromisoformat(data["retain_until"]) if data.get("retain_until") else None
    values["is_confidential"] = data.get("is_confidential") == YES
    return values


# --- The agencies --------------------------------------------------------------------------------------------------


def _mine(user: Any) -> list[tuple[int, str]]:
    """The user's agencies that may use the child index, by name (from the principal: no query)."""
    indexed = index_agencies(user)
    seen: dict[int, str] = {}
    for membership in principal(user).memberships:
        if membership.agency_id in indexed:
            seen.setdefault(membership.agency_id, membership.agency_name)
    return sorted(seen.items(), key=lambda item: item[1])


@dataclass(frozen=True)
class Pair:
    from_agency: Agency
    to_agency: Agency
    version: ProtocolVersion


def _pair(
    request: HttpRequest, mine: list[tuple[int, str]], draft: dict[str, Any] | None
) -> Pair | ReceivingAgencyForm:
    """The agencies chosen (to_agency, and agency for someone who practises in several: asked by GET, then carried
    by the form), else the draft's, with the protocol version they share; or the form that asks for them."""
    partners = [(agency.pk, agency.name) for agency in selectors.partner_agencies([pk for pk, _ in mine])]
    # The form's answers carry the agencies chosen (hidden inputs), so a POST stands on its own.
    chosen = request.POST if request.method == "POST" and "to_agency" in request.POST else request.GET
    chooser = ReceivingAgencyForm(chosen if "to_agency" in chosen else None, agencies=partners, mine=mine)
    if chooser.is_bound:
        if not chooser.is_valid():
            return chooser
        from_id = chooser.cleaned_data.get("agency") or mine[0][0]
        to_id = chooser.cleaned_data["to_agency"]
    elif draft is not None and "change" not in request.GET:
        from_id, to_id = draft["agency"], draft["to_agency"]
    else:
        return chooser
    agencies = Agency.objects.in_bulk([from_id, to_id])
    if from_id not in agencies or to_id not in agencies or from_id not in dict(mine):
        return ReceivingAgencyForm(None, agencies=partners, mine=mine)
    version = selectors.shared_version(agencies[from_id], agencies[to_id])
    if version is None:
        if not chooser.is_bound:
            chooser = ReceivingAgencyForm({"to_agency": str(to_id)}, agencies=partners, mine=mine)
            chooser.is_valid()
        chooser.add_error("to_agency", checks.no_shared_version(agencies[from_id], agencies[to_id]))
        return chooser
    return Pair(agencies[from_id], agencies[to_id], version)


# --- Asking the service --------------------------------------------------------------------------------------------


def _entry_label(choice: selectors.EntryChoice) -> str:
    revision = choice.revision
    restricted = ", restricted" if choice.is_restricted else ""
    by = f" by {revision.author.full_name}" if revision.author is not None and revision.author.full_name else ""
    return (
        f"{choice.category_label}: revision {revision.number}, recorded {long_date(revision.recorded_at)}{by} "
        f"({revision.basis}{restricted})"
    )


def _arguments(journey: Journey, user: Any, child: Child, pair: Pair, values: dict[str, Any]) -> dict[str, Any]:
    """What the form gave, as the service takes it. The kinds of information shared are those of the entries chosen
    (the minimum needed: Barnet)."""
    entries = list(RecordEntry.objects.filter(pk__in=values.get("entries") or [], child_id=child.pk).order_by("pk"))
    recipients = list(User.objects.filter(pk__in=values.get("recipients") or []).order_by("pk"))
    categories = sorted({entry.category for entry in entries}, key=lambda category: _CATEGORY_ORDER[category])
    retain_until = values.get("retain_until")
    arguments: dict[str, Any] = {
        "actor": user,
        "child": child,
        "agency": pair.from_agency,
        "to_agency": pair.to_agency,
        "recipients": recipients,
        "purpose": values["purpose"],
        "tiers": list(values["tiers"]),
        "categories": categories,
        "entries": entries,
        "why": values["why"],
        "legal_basis": values["legal_basis"],
        "decision": services.DecisionInput(
            is_confidential=bool(values["is_confidential"]), **{name: values[name] for name in DECISION_TEXTS}
        ),
        "subject_told": values["subject_told"],
        "subject_not_told_reason": values["subject_not_told_reason"],
        "onward_terms": values["onward_terms"],
        "retain_until": checks.end_of_day(retain_until) if retain_until else None,
    }
    if journey.kind == EMERGENCY:
        arguments["reason"] = values["reason"]
        return arguments
    consent = None
    if values["consent_basis"] == rules.ConsentBasis.CONSENT:
        # The consent that decides this share now (consent.selectors.consent_covering, for the stricter tier): the
        # service checks it covers every tier, and names a withdrawal or a refusal when it does not.
        answers = checks.consent_answers(
            child=child, tiers=values["tiers"], agency=pair.to_agency, purpose=values["purpose"]
        )
        consent = answers[0][1].consent if answers else None
    arguments.update(
        consent_basis=values["consent_basis"],
        consent=consent,
        not_sought_reason=values["not_sought_reason"],
        override_ground=values["override_ground"],
        s29_form_reference=values["s29_form_reference"],
    )
    return arguments


def _service(journey: Journey) -> Any:
    return services.disclosure_emergency if journey.kind == EMERGENCY else services.disclosure_refer


def _trial(journey: Journey, arguments: dict[str, Any]) -> tuple[ValidationError | None, bool]:
    """What the service would refuse in what was typed, asked of the service itself in a transaction that is rolled
    back (the rules are written once, and nothing is kept, nobody told); and whether it would wait for a designated
    manager's approval. The confirmation asks it again, for real."""
    made, error = confirming.rehearse(lambda: _service(journey)(**arguments))
    return error, error is None and isinstance(made, InformationRequest)


def _on_this_form(error: ValidationError) -> ValidationError:
    """The service's refusal with its fields named as this form names them."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError({_FIELD_OF.get(field, field): messages_ for field, messages_ in error.message_dict.items()})


# --- The form ----------------------------------------------------------------------------------------------------


def _caption(request: HttpRequest, child: Child, journey: Journey) -> str:
    return form_caption(request, child, journey.title.lower()) or f"Child {child.pk}"


def _journey_form(request: HttpRequest, pk: int, journey: Journey) -> HttpResponse:
    child = _child(request, pk)
    if request.method != "POST" and purpose_for(request, child.pk) is None:
        return ask_purpose(request, child)
    back = reverse("child-detail", args=[child.pk])
    caption = _caption(request, child, journey)
    mine = _mine(request.user)
    draft = _draft(request, journey, child.pk)
    pair = _pair(request, mine, draft)
    if isinstance(pair, ReceivingAgencyForm):
        return render(
            request,
            "disclosures/emergency_agency.html",
            {"form": pair, "journey": journey, "caption": caption, "back_url": back},
        )
    entries = selectors.entries_to_disclose(request.user, child_id=child.pk, agency_id=pair.from_agency.pk)
    initial: dict[str, Any] = {"is_confidential": YES, "tiers": [rules.Tier.MINIMUM.value]}
    if draft is not None and (draft["agency"], draft["to_agency"]) == (pair.from_agency.pk, pair.to_agency.pk):
        initial = _from_session(draft["data"])
        initial["is_confidential"] = draft["data"].get("is_confidential")
    form = journey.form_class(
        request.POST or None,
        initial=initial,
        purposes=list(pair.version.permitted_purposes),
        entries=[(choice.entry.pk, _entry_label(choice)) for choice in entries],
        recipients=selectors.recipients_offered(pair.to_agency.pk),
    )
    basis = form.fields["legal_basis"]
    assert isinstance(basis, forms.ChoiceField)
    # Only the bases the receiving agency may be disclosed to on (rules.requester_basis_refusal: break12b F6).
    basis.choices = [
        (value, label)
        for value, label in cast(list[tuple[str, str]], basis.choices)
        if rules.requester_basis_refusal(rules.LegalBasis(value), pair.to_agency.kind) is None
    ]
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        problems, _waits = _trial(journey, _arguments(journey, request.user, child, pair, values))
        if problems is not None:
            add_service_errors(form, _on_this_form(problems))
        else:
            request.session[journey.session_key] = {
                "child": child.pk,
                "agency": pair.from_agency.pk,
                "to_agency": pair.to_agency.pk,
                "data": _to_session(values),
            }
            return redirect(journey.check_route, pk=child.pk)
    return render(
        request,
        f"disclosures/{journey.kind}.html",
        {
            "form": form,
            "journey": journey,
            "child": child,
            "caption": caption,
            "pair": pair,
            "several": len(mine) > 1,
            "change_agency": f"{reverse(journey.route, args=[child.pk])}?change=agency",
            "back_url": back,
        },
    )


@login_required
def emergency_new(request: HttpRequest, pk: int) -> HttpResponse:
    return _journey_form(request, pk, JOURNEYS[EMERGENCY])


@login_required
def refer_new(request: HttpRequest, pk: int) -> HttpResponse:
    return _journey_form(request, pk, JOURNEYS[REFER])


# --- Check your answers, then the disclosure --------------------------------------------------------------------


def _label(choices: list[tuple[str, str]], value: str) -> str:
    return dict(choices).get(value, value)


def _answers(
    journey: Journey, pair: Pair, values: dict[str, Any], names: dict[str, dict[int, str]], change_url: str
) -> list[tuple[str, str, str]]:
    """The rows of "check your answers": (label, value, where to change it: the form's section, or the choice of
    the agencies)."""
    agency = f"{change_url}?change=agency"
    rows: list[tuple[str, str, str]] = [
        ("Shared by", pair.from_agency.name, agency),
        ("Shared with", pair.to_agency.name, agency),
        ("Under", str(pair.version), agency),
    ]
    if journey.kind == EMERGENCY:
        rows += [
            ("Why it cannot wait", _label(EMERGENCY_REASONS, values["reason"]), "why"),
            ("Legal basis", rules.LEGAL_BASIS_LABELS[rules.LegalBasis(values["legal_basis"])], "why"),
            ("Purpose", values["purpose"], "why"),
            ("What is happening", values["why"] or "Not given", "why"),
        ]
    else:
        consent = _label(CONSENT_BASES, values["consent_basis"])
        if values["consent_basis"] == rules.ConsentBasis.NOT_SOUGHT and values["not_sought_reason"]:
            consent += f": {ConsentNotSoughtReason(values['not_sought_reason']).label}"
        if values["consent_basis"] == rules.ConsentBasis.REFUSED and values["override_ground"]:
            consent += f": {Ground(values['override_ground']).label}"
        basis = rules.LEGAL_BASIS_LABELS[rules.LegalBasis(values["legal_basis"])]
        if values["s29_form_reference"]:
            basis += f" (form {values['s29_form_reference']})"
        rows += [
            ("Purpose", values["purpose"], "why"),
            ("Your concern", values["why"], "why"),
            ("Consent", consent, "consent"),
            ("Legal basis", basis, "basis"),
        ]
    entries = [names["entries"].get(pk, f"Entry {pk}") for pk in values["entries"]]
    rows += [
        ("What you share", "\n".join(_TIER_WORDS.get(tier, tier) for tier in values["tiers"]), "what"),
        ("Entries", "\n".join(entries) or "None", "what"),
        (
            "Who receives it",
            "\n".join(names["recipients"].get(pk, f"Person {pk}") for pk in values["recipients"]),
            "whom",
        ),
        ("Confidential", "Yes" if values["is_confidential"] else "No", "decision"),
    ]
    decision_labels = {
        "public_interest": "The public interest",
        "proportionality": "Proportionality",
        "why_shared": "Why it is shared",
        "why_without_consent": "Why without consent",
        "what_agreed": "What was agreed",
        "third_parties": "Information about other people",
    }
    rows += [(label, values[name], "decision") for name, label in decision_labels.items() if values[name]]
    told = _label(SUBJECT_TOLD, values["subject_told"])
    if values["subject_told"] != rules.SubjectTold.TOLD and values["subject_not_told_reason"]:
        told += f": {values['subject_not_told_reason']}"
    rows += [
        ("Child or family told", told, "told"),
        ("Terms for passing it on", values["onward_terms"] or "None beyond the protocol", "terms"),
        (
            "Kept until",
            long_date(values["retain_until"])
            if values["retain_until"]
            else f"The protocol's retention period ({pair.version.retention_months} months)",
            "terms",
        ),
    ]
    return [(label, value, where if where.startswith("/") else f"{change_url}#{where}") for label, value, where in rows]


class ConfirmForm(GovukForm):
    """The confirmation: nothing to type; a refusal at this moment shows above the answers."""


def _journey_check(request: HttpRequest, pk: int, journey: Journey) -> HttpResponse:
    child = _child(request, pk)
    if request.method == "POST" and (made_already := confirming.already_made(request, journey.session_key, child.pk)):
        return made_already
    draft = _draft(request, journey, child.pk)
    if draft is None:
        return redirect(journey.route, pk=child.pk)
    agencies = Agency.objects.in_bulk([draft["agency"], draft["to_agency"]])
    mine = dict(_mine(request.user))
    version = None
    if draft["agency"] in agencies and draft["to_agency"] in agencies and draft["agency"] in mine:
        version = selectors.shared_version(agencies[draft["agency"]], agencies[draft["to_agency"]])
    if version is None:  # no longer sharing under a version in force: the form asks again
        return redirect(journey.route, pk=child.pk)
    pair = Pair(agencies[draft["agency"]], agencies[draft["to_agency"]], version)
    names = {
        "entries": {
            choice.entry.pk: _entry_label(choice)
            for choice in selectors.entries_to_disclose(request.user, child_id=child.pk, agency_id=pair.from_agency.pk)
        },
        "recipients": dict(selectors.recipients_offered(pair.to_agency.pk)),
    }
    change_url = reverse(journey.route, args=[child.pk])
    try:
        values = _from_session(draft["data"])
        arguments = _arguments(journey, request.user, child, pair, values)
        answers = _answers(journey, pair, values, names, change_url)
    except (KeyError, TypeError, ValueError):  # a draft this journey did not write (an older form): ask again
        del request.session[journey.session_key]
        return redirect(journey.route, pk=child.pk)
    confirm = ConfirmForm(request.POST if request.method == "POST" else None)
    problems: list[str] = []
    waits = False
    if request.method == "POST":
        confirm.is_valid()  # nothing to type: the service decides
        check_url = reverse(journey.check_route, args=[child.pk])
        try:
            with transaction.atomic():
                # Once, and only what the page showed (break12b F1, F13: confirming.py).
                current = confirming.locked_draft(request, journey.session_key)
                if current != draft:
                    request.session[journey.session_key] = current
                    return confirming.already_made(request, journey.session_key, child.pk) or redirect(check_url)
                if confirming.stale(request, journey.session_key, child.pk, draft["data"]):
                    return confirming.refuse_stale(request, check_url)
                made = _service(journey)(**arguments)
                confirming.mark_made(request, journey.session_key, child.pk, _made_link(made))
        except ValidationError as error:
            add_service_errors(confirm, _on_this_form(error))
            problems = [str(message) for message in confirm.non_field_errors()]
        else:
            return _done(request, journey, made, pair)
    else:
        refused, waits = _trial(journey, arguments)
        problems = refused.messages if refused is not None else []
    return render(
        request,
        f"disclosures/{journey.kind}_check.html",
        {
            "child": child,
            "journey": journey,
            "caption": _caption(request, child, journey),
            "answers": answers,
            "problems": problems,
            "waits": waits,
            "pair": pair,
            "change_url": change_url,
            "draft_digest": confirming.shown(request, journey.session_key, child.pk, draft["data"]),
        },
    )


def _made_link(made: Disclosure | InformationRequest) -> str:
    return checks.request_link(made) if isinstance(made, InformationRequest) else f"/disclosures/{made.pk}/"


def _done(request: HttpRequest, journey: Journey, made: Disclosure | InformationRequest, pair: Pair) -> HttpResponse:
    """Where the disclosure (or the referral waiting for approval) is shown, with what happens next."""
    if isinstance(made, InformationRequest):
        # Haringey 4.6: detailed and sensitive information without consent waits for a designated manager.
        messages.success(
            request,
            f"Your referral to {pair.to_agency.name} is waiting for approval: a designated manager of "
            f"{pair.from_agency.name} must approve it before anything is shared. They have been told.",
        )
        return redirect(_made_link(made))
    if journey.kind == EMERGENCY:
        due = f", {long_date(made.review_due_at)}" if made.review_due_at else ""
        messages.success(
            request,
            f"Shared with {pair.to_agency.name}. The designated managers of {pair.from_agency.name} have been alerted: "
            f"a designated manager must review this emergency disclosure by the end of the next working day{due}.",
        )
    else:
        messages.success(request, f"Your referral has been shared with {pair.to_agency.name}.")
    return redirect(_made_link(made))


@login_required
def emergency_check(request: HttpRequest, pk: int) -> HttpResponse:
    return _journey_check(request, pk, JOURNEYS[EMERGENCY])


@login_required
def refer_check(request: HttpRequest, pk: int) -> HttpResponse:
    return _journey_check(request, pk, JOURNEYS[REFER])
