"""Making and withdrawing a request for information (issue 12: "Requesting information"; design12 5.2)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, QuerySet, Subquery
from django.utils import timezone

from agencies.models import Agency, User
from agencies.selectors import designated_managers_of
from audit.services import audit_record
from consent.models import ConsentRecord
from disclosures import rules
from disclosures.models import InformationRequest, State
from disclosures.services import checks
from disclosures.services.erasure import request_texts_erase
from isp_portal import bounds, rows
from isp_portal.notifications import notify_selected
from isp_portal.policy import NotPermitted, require
from isp_portal.wording import long_date
from protocols.models import Ground
from sharing.models import Child, Involvement
from sharing.policy import (
    CLOSED_RECORD_SHARE,
    index_agencies,
    require_open_record,
    shield_admits_agency,
    shield_admits_request,
)
from sharing.services.children import age_scope_error

SHIELDED_HOLDER = (
    "This child is shielded: only the agency that shielded it, or an agency involved with the child that its record "
    "names, can be asked about it or share about it."
)


def acting_agency_id(actor: User, agency: Agency | None) -> int:
    """The id of the agency the actor asks for: the one named, or their only index agency (no query: request_terms
    reads the agency as the database has it now)."""
    mine = index_agencies(actor)
    if agency is not None:
        if agency.pk not in mine:
            raise NotPermitted(
                action="request", target_type="agencies.agency", target_id=str(agency.pk),
                reason=f"You cannot ask for information on behalf of {agency}: you do not practise there in the index.",
            )  # fmt: skip
        return int(agency.pk)
    if len(mine) != 1:
        raise ValidationError({"agency": "Choose the agency you are asking for."})
    return next(iter(mine))


# Both agencies with the child's closing, compiled once per process (isp_portal.rows.Compiled).
_AGENCIES = rows.Compiled(
    "request_agencies",
    lambda child, first, second: Agency.objects.annotate(
        child_closed_on=Subquery(Child.objects.filter(pk=child).values("closed_on"))
    ).filter(pk__in=[first, second]),
    child=rows.SLOT_ID,
    first=rows.SLOT_ID_2,
    second=rows.SLOT_ID_3,
)


def request_terms(
    *,
    child: Child,
    requester_agency: Agency | int,
    holding_agency: Agency | int,
    purpose: str,
    tiers: Sequence[str],
    categories: Sequence[str],
    need_to_know: str,
    urgency: str,
    consent_basis: str,
    consent: ConsentRecord | None,
    not_sought_reason: str,
    override_ground: str,
) -> dict[str, Any]:
    """What a request (or a proactive referral, or an emergency disclosure) asks, checked against the protocol both
    agencies signed; the request's column values, or ValidationError by field naming the rule. The agencies are
    given as rows or ids: they are read again here either way."""
    errors: dict[str, str] = {}
    # As the database has them now (their standing, ICO registration and sanctions decide what they may send and
    # receive), whatever copy the caller holds: both in one statement.
    # The child's closing too, as the database has it now, in the same statement.
    holding_id, requester_id = (a if isinstance(a, int) else a.pk for a in (holding_agency, requester_agency))
    both = {agency.pk: agency for agency in _AGENCIES.rows(child=int(child.pk), first=holding_id, second=requester_id)}
    holding_agency, requester_agency = both[holding_id], both[requester_id]
    if holding_agency.pk == requester_agency.pk:
        raise ValidationError({"holding_agency": "Choose another agency: sharing is between two agencies."})
    # A closed record is kept for reference only until its erasure (Southampton 8, 11): nothing about the child
    # is requested or shared from it (break11j finding 8).
    now_closed_on = getattr(holding_agency, "child_closed_on", None)
    if now_closed_on is not None and child.closed_on is None:
        child = copy.copy(child)
        child.closed_on = now_closed_on
    require_open_record(child, action="share", target=child, what=CLOSED_RECORD_SHARE)
    if not shield_admits_agency(child, holding_agency.pk):
        # The shield (DESIGN 2.3): an agency it keeps out of a shielded child neither answers about it nor shares
        # the index's record of it (break12b F9). The discloser's own agency here, or one request_submit already
        # refused in the same words whether involved or not.
        raise ValidationError({"holding_agency": SHIELDED_HOLDER})
    version = checks.shared_version(requester_agency, holding_agency)
    if version is None:
        raise ValidationError({"holding_agency": checks.no_shared_version(requester_agency, holding_agency)})
    age = age_scope_error(
        version, child.born_on, additional_needs=child.has_additional_needs, care_leaver=child.is_care_leaver
    )
    if age:
        errors["child"] = age
    purpose = (purpose or "").strip()
    tiers = list(dict.fromkeys(tiers))
    categories = list(categories)
    errors.update(
        rules.request_scope_refusals(
            tiers=tiers, categories=categories, purpose=purpose,
            permitted_purposes=version.permitted_purposes, sensitive_fields=version.sensitive_fields,
        )
    )  # fmt: skip
    need_to_know = (need_to_know or "").strip()
    if not need_to_know:
        errors["need_to_know"] = (
            "Say why you need to know this: information is shared only with those who need to know it."
        )
    elif len(need_to_know) > bounds.REASON or "\x00" in need_to_know:
        errors["need_to_know"] = f"Keep it to {bounds.REASON} characters, without NUL characters."
    if urgency not in set(rules.Urgency):
        errors["urgency"] = "Choose routine, urgent or emergency."
    today = timezone.localdate()
    if "tiers" not in errors:
        refusal = checks.agencies_refusal(sender=holding_agency, receiver=requester_agency, tiers=tiers, on=today)
        if refusal:
            errors["holding_agency"] = refusal
    if consent_basis == rules.ConsentBasis.CONSENT:
        not_sought_reason, override_ground = "", ""
        if consent is None or consent.child_id != child.pk:
            errors["consent"] = "Choose the consent recorded for this child that covers the request."
        elif "tiers" not in errors and "purpose" not in errors:
            answers = checks.consent_answers(child=child, tiers=tiers, agency=requester_agency, purpose=purpose)
            refusal = checks.consent_refusal(answers)
            if refusal:
                errors["consent"] = refusal
            elif any(answer.consent is not None and answer.consent.pk != consent.pk for _, answer in answers):
                errors["consent"] = "Another consent decides this share now: choose the consent that covers it."
    elif consent_basis == rules.ConsentBasis.NOT_SOUGHT:
        consent, override_ground = None, ""
        if not_sought_reason not in set(rules.NotSoughtReason):
            errors["not_sought_reason"] = "Say why consent was not sought."
    elif consent_basis == rules.ConsentBasis.REFUSED:
        not_sought_reason = ""
        if consent is not None and consent.child_id != child.pk:
            consent = None
        if override_ground not in Ground.values:
            errors["override_ground"] = "Choose the ground that overrides the refusal."
        elif override_ground not in version.grounds_without_consent:
            errors["override_ground"] = (
                f"The protocol you share under{version.cite('consent')} does not allow sharing without consent on "
                f"the ground '{Ground(override_ground).label}'."
            )
    else:
        errors["consent_basis"] = "Say whether consent was given, not sought, or refused."
    checks.errors_or_none(errors)
    return {
        "child": child, "requester_agency": requester_agency, "holding_agency": holding_agency,
        "protocol_version": version, "purpose": purpose, "tiers": tiers, "categories": categories,
        "need_to_know": need_to_know, "urgency": urgency, "consent_basis": consent_basis, "consent": consent,
        "not_sought_reason": not_sought_reason, "override_ground": override_ground,
    }  # fmt: skip


@transaction.atomic
def request_submit(
    *,
    actor: Any,
    child: Child,
    holding_agency: Agency,
    purpose: str,
    tiers: Sequence[str],
    categories: Sequence[str] = (),
    need_to_know: str,
    urgency: str = rules.Urgency.ROUTINE,
    consent_basis: str,
    consent: ConsentRecord | None = None,
    not_sought_reason: str = "",
    override_ground: str = "",
    agency: Agency | None = None,
) -> InformationRequest:
    """Ask another agency for a child's information (Haringey 3.8, 4.4-4.8; WYCPS). Refused, naming the rule, when the
    protocol does not allow it: no version in force both agencies signed, a purpose it does not permit, a tier or
    category outside its scope, a child outside its age scope, an agency that may not send or receive (suspended,
    lapsed, sanctioned), or consent that does not cover it. The answer is due the version's response time in working
    days later. Audit: request.submit. Tells the holding agency's practitioners involved with the child (else its
    designated managers)."""
    require(actor, "view", child)  # a child outside the actor's reach answers 404 (the shield, the index)
    user = checks.user_of(actor)
    if not shield_admits_request(user, child, holding_agency.pk):
        raise ValidationError({"holding_agency": SHIELDED_HOLDER})
    terms = request_terms(
        child=child, requester_agency=acting_agency_id(user, agency), holding_agency=holding_agency, purpose=purpose,
        tiers=tiers, categories=categories, need_to_know=need_to_know, urgency=urgency, consent_basis=consent_basis,
        consent=consent, not_sought_reason=not_sought_reason, override_ground=override_ground,
    )  # fmt: skip
    version = terms["protocol_version"]
    now = timezone.now()
    due_on = rules.request_due_on(timezone.localdate(), version.response_working_days, nation=checks.nation())
    request = InformationRequest.objects.create(
        kind=rules.Kind.REQUESTED,
        state=State.SUBMITTED,
        requester=user,
        submitted_at=now,
        due_on=due_on,
        **terms,
    )
    holding_agency, requester_agency = terms["holding_agency"], terms["requester_agency"]
    purpose, tiers, categories = terms["purpose"], terms["tiers"], terms["categories"]
    audit_record(
        kind="request.submit", actor=actor, target=request, child_id=child.pk, purpose=purpose,
        detail={
            "holding_agency_id": holding_agency.pk, "requester_agency_id": requester_agency.pk, "tiers": tiers,
            "categories": categories, "consent_basis": consent_basis, "urgency": urgency,
            "protocol_version_id": version.pk, "due_on": request.due_on.isoformat() if request.due_on else None,
        },
    )  # fmt: skip
    notify_selected(  # who is told and the telling: one statement
        _told_of_request(child, holding_agency),
        key=f"request-submitted-{request.pk}",
        subject=f"A request for information from {requester_agency}",
        body=f"{requester_agency} asks for information about a child. The answer is due by {long_date(due_on)}.",
        link=checks.request_link(request),
    )
    return request


def _told_of_request(child: Child, holding_agency: Agency) -> tuple[str, tuple[Any, ...]]:
    """The holding agency's lead professionals for the child, else (when it has none) its designated managers: the
    user ids, as one query (its SQL and parameters, the query compiled once per process)."""
    return _TOLD_OF_REQUEST.sql_with_params(child=int(child.pk), agency=int(holding_agency.pk))


def _told_of_request_query(child: int, agency: int) -> QuerySet[Any]:
    leads = (
        Involvement.objects.filter(child_id=child, agency_id=agency, ended_on__isnull=True)
        .exclude(lead_professional__isnull=True)
        .values_list("lead_professional__user_id")
    )
    managers = designated_managers_of([agency]).filter(~Exists(leads)).values_list("user_id")
    return leads.union(managers, all=True)


_TOLD_OF_REQUEST = rows.CompiledSQL(
    "told_of_request", _told_of_request_query, child=rows.SLOT_ID, agency=rows.SLOT_ID_2
)


@transaction.atomic
def request_withdraw(*, actor: Any, request: InformationRequest, reason: str = "") -> InformationRequest:
    """The requester withdraws an open request (no longer needed). Audit: request.withdraw; tells whoever answered."""
    request = InformationRequest.objects.select_for_update(of=("self",)).select_related("child").get(pk=request.pk)
    require(actor, "withdraw", request)
    reason = (reason or "").strip()
    if len(reason) > bounds.REASON or "\x00" in reason:
        raise ValidationError({"reason": f"Keep it to {bounds.REASON} characters, without NUL characters."})
    # A withdrawal only closes the request: about an erased record it is still made, its reason stored as erased
    # (checks.text_about; breakt1311 F5).
    reason = checks.text_about(request.child, reason, field="reason", closes=True)
    request.state = State.WITHDRAWN
    request.withdrawn_at = timezone.now()
    request.withdraw_reason = reason
    request.save(update_fields=["state", "withdrawn_at", "withdraw_reason"])
    audit_record(kind="request.withdraw", actor=actor, target=request, child_id=request.child_id)
    if request.answered_by_id:
        checks.tell(
            [request.answered_by_id], key=f"request-withdrawn-{request.pk}", subject="A request was withdrawn",
            body="The person who made a request you answered has withdrawn it.", link=checks.request_link(request),
        )  # fmt: skip
    return request


def requests_erase(*, child: Child, today: date) -> dict[str, int]:
    """Erase the free text typed into the requests about the child and the entries merged into it (why the
    requester needs to know, why it was declined or withdrawn): each becomes "Erased." (empty stays empty), for they
    name the child, where they live and what they said (Southampton 6, 8: "deleted beyond recovery"; break11h
    finding 12). Kept: the ids, dates, agencies, codes and states. Called by the child's erasure
    (disclosures.receivers, sharing.signals.child_erased) in its transaction, with after_disclosure_erase for the
    rest of this app's free text; the trigger lets a closed request change only so, and only then
    (disclosures/migrations/0017). Raises ValidationError {"child": ...} unless the record is closed and its erasure
    due on `today`. Returns {"request_texts": rows erased}."""
    return request_texts_erase(child=child, today=today)
