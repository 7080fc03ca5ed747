"""The consent pages (DESIGN 2.4; issue 11): a child's consent summary, one consent with its withdrawal, reviews,
evidence and FHIR form, and the journey that records a decision ("check your answers" before it is saved).

A child's consents are the child's information: like the record page, they are shown only once the user has
stated a purpose for the child (sharing.views.purposes), and every showing is audited with it by the selectors
(consent.selectors.child_consents, consent_detail). Auditors read consents as their role, the purpose recorded
being the audit itself. What was typed in the journey is kept in the session between its two steps (one draft,
for one child), never in an address (DESIGN 4); the evidence file is sent with the confirmation itself, so no
file waits anywhere half-recorded. The rules are consent.rules and consent.services: the journey's first step
asks the service itself, in a transaction rolled back, so every refusal is shown on the field it concerns."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst

from agencies.forms import add_service_errors
from agencies.models import Agency
from agencies.policy import principal
from consent import rules, selectors, services
from consent.fhir import FHIR_MEDIA_TYPE, consent_json
from consent.forms import (
    EVERY_SIGNATORY,
    NAMED,
    NO_ASSESSMENT,
    ConsentRecordForm,
    EvidenceAttachForm,
    EvidenceForm,
    ProtocolChoiceForm,
    ReviewForm,
    WithdrawForm,
)
from consent.models import (
    Competence,
    ConsentEvidence,
    ConsentForm,
    ConsentRecord,
    ConsentTier,
    Decision,
    GivenBy,
)
from consent.policy import NOT_INVOLVED, consent_child, involved_with, may_list, reads_by_child_id
from isp_portal import policy
from isp_portal.policy import can
from isp_portal.rehearsal import rehearse
from isp_portal.wording import long_date
from protocols.models import Protocol
from sharing.models import Child
from sharing.policy import require_open_record
from sharing.presenters import closure_sentence
from sharing.retention_rules import birthday_in
from sharing.views.children import ask_purpose, form_caption
from sharing.views.purposes import purpose_for

SESSION_KEY = "consent_draft"
# Auditors read a child's consents as their role: that is the purpose recorded with the read.
AUDIT_PURPOSE = "Audit of the child's consent records"
_DATE_FIELDS = ("assessed_on", "obtained_on", "notice_given_on", "valid_from", "valid_until", "review_due_on")
_TIER_WORDS = {ConsentTier.MINIMUM.value: "The minimum data", ConsentTier.SENSITIVE.value: "Detailed and sensitive"}


def _audits_only(user: Any) -> bool:
    return reads_by_child_id(user)


def _child(request: HttpRequest, pk: int) -> Child:
    """The child whose consents are asked for: through the child policy for index users; by id, on the shield's
    terms, for an auditor (consent.policy.consent_child). 404 when missing or out of reach."""
    return consent_child(request.user, pk)


def _purpose(request: HttpRequest, child_id: int) -> str | None:
    return AUDIT_PURPOSE if _audits_only(request.user) else purpose_for(request, child_id)


def _caption(request: HttpRequest, child: Child, page: str) -> str:
    if _audits_only(request.user):
        return f"Child {child.pk}"
    return form_caption(request, child, page) or f"Child {child.pk}"


def _refuse_list(child: Child) -> None:
    raise policy.NotPermitted(
        action="list_consents",
        target_type="sharing.child",
        target_id=str(child.pk),
        reason=NOT_INVOLVED,
        child_id=child.pk,
    )


# --- The summary and one consent ----------------------------------------------------------------------------------


def _status(reading: selectors.Reading) -> tuple[str, str]:
    """The record's state today as a tag: its words and colour. The record is read as the summary, the selector's
    reasons, the FHIR form and the API read it (selectors.consent_readings: its period, its withdrawal, for a
    parent's decision the young person's 16th birthday, whether it was the decider's to make, and whether another
    decision prevails against it), so a decision that does not count is never tagged "Given" (Barnet 'Whose
    consent': from 16 the young person decides, and a competent child's decision prevails over a parent's;
    break11b finding 2, break11d finding 7)."""
    if reading.timing is not None:
        words = {
            rules.Miss.WITHDRAWN: "Withdrawn",
            rules.Miss.EXPIRED: "Ended",
            rules.Miss.NOT_YET_IN_FORCE: "Not yet",
            rules.Miss.PARENT_LAPSED: "No longer counts",
            rules.Miss.UNASSESSED: "Does not count",
        }
        return words.get(reading.timing[0], "Not in force"), "govuk-tag--grey"
    if reading.overridden:
        return "Does not prevail", "govuk-tag--grey"
    refused = reading.record.decision == Decision.REFUSED
    if reading.partly_overridden:
        return ("Refused in part", "govuk-tag--red") if refused else ("Given in part", "govuk-tag--yellow")
    return ("Refused", "govuk-tag--red") if refused else ("Given", "govuk-tag--green")


def _who(reading: selectors.Reading) -> str:
    return capfirst(selectors.who_decided(reading.record, reading.age))


@login_required
def consent_summary(request: HttpRequest, pk: int) -> HttpResponse:
    child = _child(request, pk)
    if not may_list(request.user, child):
        _refuse_list(child)
    purpose = _purpose(request, child.pk)
    if purpose is None:
        return ask_purpose(request, child)
    caption = _caption(request, child, "consent summary")
    today = timezone.localdate()
    records = selectors.child_consents(request.user, child, purpose=purpose)
    # Each decision read among all the child's, as its own page, the API and the FHIR form read it.
    summary = selectors.consent_summary(records, today, decisions=selectors.child_decisions(child.pk))
    may_record = child.merged_into_id is None and bool(involved_with(request.user, child.pk))
    return render(
        request,
        "consent/summary.html",
        {
            "child": child,
            "caption": caption,
            "summary": summary,
            "rows": [
                (record, _who(summary.readings[record.pk]), *_status(summary.readings[record.pk])) for record in records
            ],
            "may_record": may_record,
            # Southampton 8: a closed record takes no new decision (consent.services.consent_record refuses it).
            "closure": closure_sentence(child),
            "listed_max": selectors.CONSENTS_LISTED,
        },
    )


def _consent_of(request: HttpRequest, pk: int, consent_pk: int, action: str = "view") -> ConsentRecord:
    """The consent (of this child), with what the policy decides on, or the policy's 404/403."""
    found = ConsentRecord.objects.filter(pk=consent_pk, child_id=pk).select_related("child", "withdrawal").first()
    return policy.found_or_deny(request.user, ConsentRecord, found, action=action, target_id=consent_pk)


def _consent_read(request: HttpRequest, pk: int, consent_pk: int, purpose: str) -> ConsentRecord:
    """The consent, read for the purpose stated for child `pk` and audited with it (consent.selectors.
    consent_detail), once it is known to be that child's: a consent of another child is a 404 with no read
    recorded (break11 finding 9; DESIGN 2.6: every view with the purpose stated for its own child)."""
    if not ConsentRecord.objects.filter(pk=consent_pk, child_id=pk).exists():
        raise policy.OutOfScope(action="view", target_type="consent.consentrecord", target_id=str(consent_pk))
    return selectors.consent_detail(request.user, consent_pk, purpose=purpose)


def _rows(reading: selectors.Reading, covered: list[Agency]) -> list[tuple[str, str]]:
    """The record as summary-list rows, the child's age by the date of birth recorded now (selectors.decision_age:
    the age competence is judged by; break11d finding 8)."""
    record, age = reading.record, reading.age
    who = (
        "The child or young person"
        if record.given_by == GivenBy.CHILD
        else f"{record.parent_name}, {record.parent_relationship.lower()} (a person with parental responsibility)"
    )
    if record.given_by == GivenBy.PARENT and record.parents_separated:
        who += ". The parents are separated; this is the resident parent" if record.is_resident_parent else ""
    if record.competence:
        competence = (
            f"{Competence(record.competence).label}: assessed by {record.assessor_name} on "
            f"{long_date(record.assessed_on) if record.assessed_on else 'a date not recorded'}"
        )
    elif rules.presumed_competent(age):
        competence = f"Presumed competent at {age}"
    else:
        competence = f"Not assessed (the child was {age})"
    age_words = str(age)
    if age != record.child_age:
        age_words += f" (recorded as {record.child_age} with the decision: the date of birth has been corrected since)"
    # Consent is informed about "to whom": an every-signatory consent covers the signatories of the day it was
    # decided that still hold a live signature, and the page names them (selectors.signatories_covered).
    whom = (
        f"Every signatory of {record.protocol} when it was decided: "
        + (", ".join(agency.name for agency in covered) if covered else "none holds a live signature now")
        if record.all_signatories
        else ", ".join(agency.name for agency in record.recipients.all())
    )
    period = f"From {long_date(record.valid_from)}" + (
        f" to {long_date(record.valid_until)}" if record.valid_until else ", with no end"
    )
    standing = []
    if reading.overridden:
        standing = [("Does not prevail", reading.reason)]
    elif reading.partly_overridden:
        standing = [("Does not count for", f"{capfirst(reading.part)}: {reading.reason}")]
    return [
        ("Decision", Decision(record.decision).label),
        *standing,
        ("Made by", who),
        ("Child's age at the decision", age_words),
        ("Competence", competence),
        ("How it was made", ConsentForm(record.form).label),
        ("Obtained on", long_date(record.obtained_on)),
        (
            "Fair-processing notice given",
            long_date(record.notice_given_on) if record.notice_given_on else "Not recorded",
        ),
        ("Protocol", f"{record.protocol} (version {record.protocol_version.number})"),
        ("Purposes", "; ".join(record.purposes)),
        ("Information", "; ".join(_TIER_WORDS.get(tier, tier) for tier in record.tiers)),
        ("Who may receive it", whom),
        ("Period", period),
        ("Review due", long_date(record.review_due_on) if record.review_due_on else "No review due"),
        (
            "Recorded by",
            f"{record.recorded_by.full_name if record.recorded_by else 'The portal'}, "
            f"{record.recorded_by_agency.name}, {long_date(record.recorded_at)}",
        ),
        ("Note", record.note or "None"),
    ]


@login_required
def consent_page(request: HttpRequest, pk: int, consent_pk: int) -> HttpResponse:
    purpose = _purpose(request, pk)
    if purpose is None:
        # Whether the consent may be read at all is decided before the purpose is asked.
        record = _consent_of(request, pk, consent_pk)
        return ask_purpose(request, record.child)
    record = _consent_read(request, pk, consent_pk, purpose)
    evidence = record.evidence if services_has_evidence(record) else None
    reading = selectors.record_reading(record, timezone.localdate())
    tag, colour = _status(reading)
    # Southampton 8: a closed (or erased) record is kept for reference, never added to: no review and no evidence
    # is offered (the services refuse them, consent.services). A withdrawal stays recordable: the person's right
    # to withdraw consent does not end with the record (consent.services.consent_record).
    open_record = not record.child.is_closed
    return render(
        request,
        "consent/detail.html",
        {
            "record": record,
            "child": record.child,
            "caption": _caption(request, record.child, "a consent record"),
            "rows": _rows(reading, selectors.signatories_covered(record)),
            "tag": tag,
            "tag_colour": colour,
            "withdrawal": record.withdrawal_or_none(),
            "reviews": list(record.reviews.all()),
            "evidence": evidence,
            "closure": closure_sentence(record.child),
            "may_withdraw": can(request.user, "withdraw", record),
            "may_review": open_record and can(request.user, "review", record),
            "may_attach": open_record and evidence is None and can(request.user, "attach_evidence", record),
            "api_fhir": reverse("api-consent-fhir", args=[record.pk]),
        },
    )


def services_has_evidence(record: ConsentRecord) -> bool:
    try:
        record.evidence  # noqa: B018 - a reverse one-to-one raises when there is none
    except ConsentEvidence.DoesNotExist:
        return False
    return True


@login_required
def consent_fhir(request: HttpRequest, pk: int, consent_pk: int) -> HttpResponse:
    """The record as the FHIR R4 Consent resource (application/fhir+json), downloaded from the page: read like
    the page, with the purpose the user stated for the child (systems use the API, with X-Purpose)."""
    purpose = _purpose(request, pk)
    if purpose is None:
        record = _consent_of(request, pk, consent_pk)
        return ask_purpose(request, record.child)
    record = _consent_read(request, pk, consent_pk, purpose)
    response = HttpResponse(consent_json(record, timezone.localdate()), content_type=FHIR_MEDIA_TYPE)
    response["Content-Disposition"] = f'attachment; filename="consent-{record.pk}.fhir.json"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def consent_evidence_file(request: HttpRequest, pk: int, consent_pk: int) -> HttpResponse | FileResponse:
    """The evidence file, only after the policy says yes and a purpose is stated for the child; every opening is
    audited (consent.services.consent_evidence_open)."""
    evidence = policy.get_or_deny(
        request.user,
        ConsentEvidence.objects.select_related("consent", "consent__child"),
        consent_id=consent_pk,
        consent__child_id=pk,
    )
    purpose = _purpose(request, pk)
    if purpose is None:
        return ask_purpose(request, evidence.consent.child)
    _, path = services.consent_evidence_open(actor=request.user, evidence=evidence, purpose=purpose)
    handle = path.open("rb")  # FileResponse closes it when the response is done
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}.get(evidence.content_type, "bin")
    response = FileResponse(
        handle,
        content_type=evidence.content_type,
        as_attachment=True,
        filename=f"consent-{consent_pk}-evidence.{extension}",
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Withdraw, review, attach evidence ---------------------------------------------------------------------------


def _purpose_asked(request: HttpRequest, record: ConsentRecord) -> HttpResponse | None:
    """The purpose question, before a form about one consent is shown: the form names the child and says what
    the consent is (its date), so, like every page that shows a child's consents (and like the form that records
    one, consent_new), it is shown only once the user has said why, the showing recorded with that purpose
    (sharing.views.children.form_caption). Who may act on the consent is decided before (_consent_of: 404/403),
    so the question is never asked of someone who may not. A POST is not turned away: without a purpose its
    answer names the index number only."""
    if request.method == "POST" or _purpose(request, record.child_id) is not None:
        return None
    return ask_purpose(request, record.child)


def _form_page(request: HttpRequest, record: ConsentRecord, **context: Any) -> HttpResponse:
    return render(
        request,
        "form_page.html",
        {
            "caption": _caption(request, record.child, context.pop("page")),
            "back_url": reverse("consent-detail", args=[record.child_id, record.pk]),
            **context,
        },
    )


@login_required
def consent_withdraw(request: HttpRequest, pk: int, consent_pk: int) -> HttpResponse:
    record = _consent_of(request, pk, consent_pk, action="withdraw")
    if (asked := _purpose_asked(request, record)) is not None:
        return asked
    form = WithdrawForm(request.POST or None, initial={"withdrawn_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_withdraw(actor=request.user, consent=record, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"The withdrawal has been recorded: from {long_date(form.cleaned_data['withdrawn_on'])} this consent "
                "covers no sharing. Requests that relied on it need another basis.",
            )
            return redirect("consent-detail", pk=pk, consent_pk=record.pk)
    return _form_page(
        request,
        record,
        page="withdraw a consent",
        form=form,
        title="Record that consent was withdrawn",
        intro=[
            f"Consent obtained on {long_date(record.obtained_on)}. A person can withdraw consent at any time: from "
            "the day you enter, nothing more is shared on it. The record stays as it was, with its withdrawal."
        ],
        submit="Record the withdrawal",
        danger=True,
    )


@login_required
def consent_review(request: HttpRequest, pk: int, consent_pk: int) -> HttpResponse:
    record = _consent_of(request, pk, consent_pk, action="review")
    # Southampton 8: said before the form is filled in, in the words the service refuses it with.
    require_open_record(record.child, action="review", target=record, what="its consents are no longer reviewed.")
    if (asked := _purpose_asked(request, record)) is not None:
        return asked
    today = timezone.localdate()
    form = ReviewForm(
        request.POST or None, initial={"reviewed_on": today, "next_review_on": rules.default_review_on(today)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_review_record(actor=request.user, consent=record, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The review has been recorded.")
            return redirect("consent-detail", pk=pk, consent_pk=record.pk)
    return _form_page(
        request,
        record,
        page="review a consent",
        form=form,
        title="Record a review of this consent",
        intro=[
            "Check with the child or family that the decision still reflects their wishes. If it no longer does, "
            "record its withdrawal or a new decision instead."
        ],
        submit="Record the review",
    )


@login_required
def consent_evidence_attach(request: HttpRequest, pk: int, consent_pk: int) -> HttpResponse:
    record = _consent_of(request, pk, consent_pk, action="attach_evidence")
    require_open_record(
        record.child, action="attach_evidence", target=record, what="nothing can be added to its consents."
    )
    if (asked := _purpose_asked(request, record)) is not None:
        return asked
    form = EvidenceAttachForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            services.consent_evidence_attach(
                actor=request.user, consent=record, upload=upload, filename=str(upload.name or "")
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The evidence has been added to the consent record.")
            return redirect("consent-detail", pk=pk, consent_pk=record.pk)
    return _form_page(
        request,
        record,
        page="add evidence of a consent",
        form=form,
        title="Add the evidence of this decision",
        intro=["A scan or a photograph of the signed form. It is kept privately; every opening is recorded."],
        submit="Upload",
        multipart=True,
    )


# --- Recording a decision: the form, then "check your answers" ---------------------------------------------------


def _recording_agencies(user: Any, child: Child) -> list[tuple[int, str]]:
    """The user's agencies involved with the child, by name (from the principal: no further statement)."""
    involved = involved_with(user, child.pk)
    seen: dict[int, str] = {}
    for membership in principal(user).memberships:
        if membership.agency_id in involved:
            seen.setdefault(membership.agency_id, membership.agency_name)
    return sorted(seen.items(), key=lambda item: item[1])


def _options_by_protocol() -> dict[int, selectors.ScopeOption]:
    """What a consent under each protocol in force may cover (consent.selectors.consent_scope_options): its
    purposes and the agencies that signed it, the only ones offered as recipients (an agency named otherwise, say
    one whose signature was withdrawn since the form was shown, is refused by the service, naming it)."""
    return {option.protocol.pk: option for option in selectors.consent_scope_options()}


def _competence_help(child: Child, today: date) -> str:
    """The competence question's help: the child's age today, and that the rules go by their age on the day the
    decision was obtained (consent.services.consent_record: rules.age_on(born_on, obtained_on)), which the form asks
    below; the 16th birthday named when it is past, since a decision obtained before it was a child's under 16."""
    age = rules.age_on(child.born_on, today)
    on_the_day = " That is their age today: what counts is their age on the day the decision was obtained."
    if rules.presumed_competent(age):
        sixteen = birthday_in(child.born_on, rules.PRESUMED_COMPETENT_AGE)
        return (
            f"The young person is {age}.{on_the_day} From {rules.PRESUMED_COMPETENT_AGE} (for them, from "
            f"{long_date(sixteen)}) they are presumed competent and decide for themselves. Record an assessment only "
            "if one found them not competent, so that a parent decides."
        )
    expected = (
        f" From {rules.FRASER_EXPECTED_AGE} a child is generally expected to understand enough."
        if rules.assessment_expected(age)
        else ""
    )
    return (
        f"The child is {age}.{on_the_day} Under {rules.PRESUMED_COMPETENT_AGE}, a child gives or refuses consent "
        "themselves only "
        f"when a practitioner has assessed them as competent (Fraser/Gillick).{expected} For the child's own "
        "decision, record the assessment: its outcome, when and by whom."
    )


def _draft(request: HttpRequest, child_id: int) -> dict[str, Any] | None:
    draft = request.session.get(SESSION_KEY)
    if not isinstance(draft, dict) or draft.get("child") != child_id or not isinstance(draft.get("data"), dict):
        return None
    return draft


def _from_session(data: dict[str, Any]) -> dict[str, Any]:
    values = dict(data)
    for name in _DATE_FIELDS:
        values[name] = date.fromisoformat(values[name]) if values.get(name) else None
    return values


def _to_session(values: dict[str, Any]) -> dict[str, Any]:
    data = dict(values)
    for name in _DATE_FIELDS:
        data[name] = data[name].isoformat() if data.get(name) else None
    return data


def _service_values(values: dict[str, Any], protocol: Protocol, agency_id: int | None) -> dict[str, Any]:
    """What the form gave, as consent.services.consent_record takes it."""
    whom = values.get("whom")
    recipient_ids = values.get("recipients") or []
    recipients = list(Agency.objects.filter(pk__in=recipient_ids)) if whom == NAMED and recipient_ids else []
    found = {agency.pk for agency in recipients}
    if whom == NAMED and any(pk not in found for pk in recipient_ids):
        raise ValidationError({"recipients": "Select the agencies from the list."})
    return {
        "given_by": values["given_by"],
        "parent_name": values["parent_name"],
        "parent_relationship": values["parent_relationship"],
        "parents_separated": values["parents_separated"],
        "is_resident_parent": values["is_resident_parent"],
        "competence": values["competence"],
        "assessed_on": values["assessed_on"] if values["competence"] else None,
        "assessor_name": values["assessor_name"] if values["competence"] else "",
        "form": values["form"],
        "decision": values["decision"],
        "protocol": protocol,
        "purposes": values["purposes"],
        "tiers": values["tiers"],
        "all_signatories": whom == EVERY_SIGNATORY,
        "recipients": recipients,
        "obtained_on": values["obtained_on"],
        "valid_from": values["valid_from"],
        "valid_until": values["valid_until"],
        "notice_given_on": values["notice_given_on"],
        "review_due_on": values["review_due_on"],
        "note": values["note"],
        "agency": Agency.objects.filter(pk=agency_id).first() if agency_id else None,
    }


def _trial(actor: Any, child: Child, values: dict[str, Any]) -> ValidationError | None:
    """What consent_record would refuse in what was typed, asked of the service itself in a transaction that is
    rolled back (so the rules are written once, and nothing is kept). The confirmation asks it again."""
    _made, error = rehearse(lambda: services.consent_record(actor=actor, child=child, **values))
    return error


def _protocol(request: HttpRequest, protocols: list[Protocol], draft: dict[str, Any] | None) -> Protocol | None:
    """The protocol the consent is given under: the only one in force, or the one chosen (?protocol=), or the
    draft's."""
    if len(protocols) == 1:
        return protocols[0]
    by_id = {protocol.pk: protocol for protocol in protocols}
    chosen = request.GET.get("protocol", "")
    if chosen.isdigit() and int(chosen) in by_id:
        return by_id[int(chosen)]
    if draft is not None and draft.get("protocol") in by_id:
        return by_id[draft["protocol"]]
    return None


def _record_child(request: HttpRequest, pk: int) -> Child:
    """The child a decision is recorded for: in reach (404), and an agency of the user involved with it (403)."""
    child = policy.found_or_deny(request.user, Child, Child.objects.filter(pk=pk).first(), target_id=pk)
    if not involved_with(request.user, child.pk) or child.merged_into_id is not None:
        raise policy.NotPermitted(
            action="record_consent",
            target_type="sharing.child",
            target_id=str(child.pk),
            reason=NOT_INVOLVED if child.merged_into_id is None else "This entry was merged: record against the other.",
            child_id=child.pk,
        )
    return child


@login_required
def consent_new(request: HttpRequest, pk: int) -> HttpResponse:
    child = _record_child(request, pk)
    # The pages name the child: only once a purpose is stated for it, the view recorded (form_caption).
    if request.method != "POST" and purpose_for(request, child.pk) is None:
        return ask_purpose(request, child)
    back = reverse("consent-summary", args=[child.pk])
    draft = _draft(request, child.pk)
    options = _options_by_protocol()
    protocols = [option.protocol for option in options.values()]
    protocol = _protocol(request, protocols, draft)
    if protocol is None:
        if not protocols:
            return render(
                request,
                "form_page.html",
                {
                    "title": "Record a consent decision",
                    "caption": _caption(request, child, "record a consent"),
                    "cannot": ["No protocol is in force: a consent is given under the protocol in force."],
                    "back_url": back,
                },
            )
        chooser = ProtocolChoiceForm(
            request.GET if "protocol" in request.GET else None, protocols=[(p.pk, p.title) for p in protocols]
        )
        if chooser.is_bound:
            chooser.is_valid()
        return render(
            request,
            "consent/protocol_choice.html",
            {"form": chooser, "caption": _caption(request, child, "record a consent"), "back_url": back},
        )
    assert protocol.current_version is not None
    agencies = _recording_agencies(request.user, child)
    today = timezone.localdate()
    initial: dict[str, Any] = {"obtained_on": today}
    if draft is not None and draft.get("protocol") == protocol.pk:
        initial = _from_session(draft["data"])
        initial["competence"] = initial.get("competence") or NO_ASSESSMENT
        if draft.get("agency"):
            initial["agency"] = draft["agency"]
    form = ConsentRecordForm(
        request.POST or None,
        initial=initial,
        agencies=agencies,
        purposes=options[protocol.pk].purposes,
        recipients=[(agency.pk, agency.name) for agency in options[protocol.pk].signatories],
        competence_help=_competence_help(child, today),
    )
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        agency_id = values.pop("agency", None) or (agencies[0][0] if agencies else None)
        try:
            problems = _trial(request.user, child, _service_values(values, protocol, agency_id))
        except ValidationError as error:
            problems = error
        if problems is not None:
            add_service_errors(form, problems)
        else:
            request.session[SESSION_KEY] = {
                "child": child.pk,
                "protocol": protocol.pk,
                "agency": agency_id,
                "data": _to_session(values),
            }
            return redirect("consent-new-check", pk=child.pk)
    return render(
        request,
        "consent/record.html",
        {
            "form": form,
            "child": child,
            "protocol": protocol,
            "caption": _caption(request, child, "record a consent"),
            "back_url": back,
        },
    )


def _answers(values: dict[str, Any], protocol: Protocol, agencies: dict[int, str], agency: str) -> list[Any]:
    """The rows of "check your answers": (label, value, anchor of the form's section to change it)."""
    if values["given_by"] == GivenBy.CHILD:
        who = "The child or young person"
    else:
        who = f"{values['parent_name']}, {values['parent_relationship']}"
        if values["parents_separated"]:
            who += " (the parents are separated; " + (
                "this is the resident parent)" if values["is_resident_parent"] else "not the resident parent)"
            )
    if values["competence"]:
        competence = f"{Competence(values['competence']).label}: assessed by {values['assessor_name']}" + (
            f" on {long_date(values['assessed_on'])}" if values["assessed_on"] else ""
        )
    else:
        competence = "No assessment recorded"
    whom = (
        f"Every agency that has signed {protocol}"
        if values["whom"] == EVERY_SIGNATORY
        else ", ".join(agencies.get(pk, f"Agency {pk}") for pk in values["recipients"])
    )
    rows = [
        ("Recording for", agency, "who"),
        ("Made by", who, "who"),
        ("Competence", competence, "competence"),
        ("Decision", Decision(values["decision"]).label, "decision"),
        ("How it was made", ConsentForm(values["form"]).label, "decision"),
        ("Obtained on", long_date(values["obtained_on"]), "decision"),
        (
            "Fair-processing notice given",
            long_date(values["notice_given_on"]) if values["notice_given_on"] else "Not recorded",
            "decision",
        ),
        ("Protocol", str(protocol), "scope"),
        ("Purposes", "; ".join(values["purposes"]), "scope"),
        ("Information", "; ".join(_TIER_WORDS.get(tier, tier) for tier in values["tiers"]), "scope"),
        ("Who may receive it", whom, "scope"),
        ("In force from", long_date(values["valid_from"] or values["obtained_on"]), "period"),
        ("In force until", long_date(values["valid_until"]) if values["valid_until"] else "No end", "period"),
        (
            "Review date",
            long_date(values["review_due_on"] or rules.default_review_on(values["obtained_on"])),
            "period",
        ),
        ("Note", values["note"] or "None", "period"),
    ]
    return rows


@login_required
def consent_new_check(request: HttpRequest, pk: int) -> HttpResponse:
    child = _record_child(request, pk)
    draft = _draft(request, child.pk)
    if draft is None:
        return redirect("consent-new", pk=child.pk)
    option = _options_by_protocol().get(draft.get("protocol") or 0)
    if option is None:  # no longer in force: the form asks again
        return redirect("consent-new", pk=child.pk)
    protocol = option.protocol
    values = _from_session(draft["data"])
    evidence = EvidenceForm(
        request.POST if request.method == "POST" else None, request.FILES if request.method == "POST" else None
    )
    if request.method == "POST" and evidence.is_valid():
        upload = evidence.cleaned_data["evidence"]
        try:
            arguments = _service_values(values, protocol, draft.get("agency"))
            record = services.consent_record(
                actor=request.user,
                child=child,
                evidence=upload,
                evidence_name=str(upload.name or "") if upload else "",
                **arguments,
            )
        except ValidationError as error:
            add_service_errors(evidence, error)
        else:
            del request.session[SESSION_KEY]
            messages.success(
                request,
                "The decision has been recorded"
                + (" with its evidence." if upload else ". You can add the evidence from this page when you have it."),
            )
            return redirect("consent-detail", pk=child.pk, consent_pk=record.pk)
    agency_names = {agency.pk: agency.name for agency in option.signatories}
    agencies = dict(_recording_agencies(request.user, child))
    return render(
        request,
        "consent/check.html",
        {
            "child": child,
            "caption": _caption(request, child, "record a consent"),
            "answers": _answers(values, protocol, agency_names, agencies.get(draft.get("agency") or 0, "")),
            "form": evidence,
            "change_url": reverse("consent-new", args=[child.pk]),
        },
    )
