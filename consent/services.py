"""Every write of the consent app (DESIGN 2.4): recording a decision, withdrawing a consent, reviewing one,
attaching its evidence, and the sweep that reminds of reviews due.

Each service takes the acting user as `actor`, checks the policy inside its transaction, asks the rules, and
records an audit event; a refusal is a ValidationError naming the field (nothing half-written).
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Expression, F, OuterRef, Q, Value
from django.db.models.fields import DateField
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear
from django.db.models.lookups import LessThan, LessThanOrEqual
from django.utils import timezone

from agencies.models import Agency, Membership, Role, User
from agencies.selectors import partnership_admins
from audit.services import EventDraft, audit_record, audit_record_many
from consent import rules
from consent.evidence import evidence_verdict
from consent.models import Competence as CompetenceChoice
from consent.models import (
    ConsentEvidence,
    ConsentRecord,
    ConsentReview,
    ConsentTier,
    ConsentWithdrawal,
    Decision,
    GivenBy,
)
from consent.models import ConsentForm as FormChoice
from consent.policy import involved_with, require_may_record
from isp_portal import bounds, uploads
from isp_portal.notifications import NotificationDraft, notify_many
from isp_portal.policy import NotPermitted, SystemActor, require
from isp_portal.wording import long_date
from protocols.models import Protocol, Signature
from sharing.models import Child
from sharing.policy import require_open_record
from sharing.retention_rules import latest_birth_date_older_than

EVIDENCE_DIRECTORY = "consent-evidence"
REVIEW_SWEEP_ACTOR_LABEL = "consent review sweep"


def _storage_dir() -> Path:
    directory = Path(settings.PRIVATE_MEDIA_ROOT) / EVIDENCE_DIRECTORY
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def evidence_path(evidence: ConsentEvidence) -> Path:
    return _storage_dir() / evidence.stored_name


def _size(limit: int) -> str:
    megabytes = limit / (1024 * 1024)
    if limit >= 1024 * 1024:
        return f"{megabytes:g} MB" if megabytes == int(megabytes) else f"{megabytes:.1f} MB"
    return f"{max(limit // 1024, 1)} KB"


def _text(value: str | None, errors: dict[str, str], field: str, limit: int, *, missing: str = "") -> str:
    cleaned = (value or "").strip()
    if missing and not cleaned:
        errors[field] = missing
    elif len(cleaned) > limit or bounds.has_nul(cleaned):
        errors[field] = f"Enter at most {limit} characters."
    return cleaned


@dataclass(frozen=True)
class _Evidence:
    data: bytes
    content_type: str
    name: str


def _evidence_read(upload: IO[bytes], filename: str, field: str = "evidence") -> _Evidence:
    """The upload, read at most to the limit and judged by its content (consent.evidence), or ValidationError."""
    limit: int = settings.CONSENT_EVIDENCE_MAX_BYTES
    data = upload.read(limit + 1)
    if not data:
        raise ValidationError({field: "The selected file is empty."})
    if len(data) > limit:
        raise ValidationError({field: f"The file must be smaller than {_size(limit)}."})
    verdict = evidence_verdict(data, filename or "")
    if verdict.problem:
        raise ValidationError({field: verdict.problem})
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}[verdict.content_type]
    return _Evidence(data, verdict.content_type, uploads.safe_filename(filename or "", f"consent-evidence.{extension}"))


def _evidence_store(*, actor: Any, consent: ConsentRecord, evidence: _Evidence) -> ConsentEvidence:
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}[evidence.content_type]
    stored_name = f"{uuid.uuid4().hex}.{extension}"
    row = ConsentEvidence.objects.create(
        consent=consent,
        stored_name=stored_name,
        original_name=evidence.name,
        content_type=evidence.content_type,
        size=len(evidence.data),
        sha256=hashlib.sha256(evidence.data).hexdigest(),
        uploaded_by=actor if isinstance(actor, User) else None,
    )
    path = _storage_dir() / stored_name
    with open(path, "xb") as handle:  # never overwrite
        handle.write(evidence.data)
        handle.flush()
        os.fsync(handle.fileno())
    path.chmod(0o600)
    return row


def _acting_agency(actor: Any, involved: frozenset[int], agency: Agency | None) -> Agency:
    """The agency the actor records for: the one given (which must be involved with the child and theirs), or
    their only involved agency."""
    if not isinstance(actor, User):
        if agency is None:
            raise ValidationError({"agency": "Say which agency records this consent."})
        return agency
    if agency is None:
        if len(involved) == 1:
            return Agency.objects.get(pk=next(iter(involved)))
        raise ValidationError({"agency": "You practise in more than one involved agency: say which one records this."})
    if agency.pk not in involved:
        raise NotPermitted(
            action="record_consent",
            target_type="agencies.agency",
            target_id=str(agency.pk),
            reason=f"{agency} is not an agency of yours involved with this child: record for one that is.",
        )
    return agency


def _live_signatories(protocol: Protocol) -> frozenset[int]:
    """The agencies with a live signature on the version in force of `protocol` (one query)."""
    return frozenset(
        Signature.objects.filter(
            protocol=protocol, version_id=protocol.current_version_id, withdrawn_at__isnull=True
        ).values_list("agency_id", flat=True)
    )


def decision_facts(record: ConsentRecord) -> rules.DecisionFacts:
    return rules.DecisionFacts(
        record_id=record.pk or 0,
        given_by=record.given_by,
        decision=record.decision,
        obtained_on=record.obtained_on,
        child_age=record.child_age,
        assessment=record.competence,
        assessed_on=record.assessed_on,
        relationship=record.parent_relationship,
    )


def _decisions_recorded(child: Child) -> list[ConsentRecord]:
    """Every decision recorded about `child`, each with `withdrawn_on` (its withdrawal's day, or None) and
    `recipient_ids` (the agencies it names): what the recording asks of the child's history. One statement."""
    named = ConsentRecord.recipients.through.objects.filter(consentrecord_id=OuterRef("pk")).values("agency_id")
    return list(
        ConsentRecord.objects.filter(child=child).annotate(
            withdrawn_on=F("withdrawal__withdrawn_on"), recipient_ids=ArraySubquery(named)
        )
    )


def _child_refusals_in_force(recorded: list[ConsentRecord], day: date, scope: rules.ScopeFacts) -> list[ConsentRecord]:
    """The child's own refusals among `recorded` (_decisions_recorded) in force on `day` whose scope overlaps
    `scope`."""
    annotated: list[Any] = recorded  # with _decisions_recorded's withdrawn_on and recipient_ids
    return [
        record
        for record in annotated
        if record.given_by == GivenBy.CHILD
        and record.decision == Decision.REFUSED
        and record.valid_from <= day
        and (record.valid_until is None or record.valid_until >= day)
        and (record.withdrawn_on is None or record.withdrawn_on > day)
        and rules.scopes_overlap(
            rules.ScopeFacts(
                purposes=frozenset(record.purposes),
                tiers=frozenset(record.tiers),
                all_signatories=record.all_signatories,
                recipients=frozenset(record.recipient_ids),
                protocol_id=record.protocol_id,
            ),
            scope,
        )
    ]


@transaction.atomic
def consent_record(
    *,
    actor: Any,
    child: Child,
    given_by: str,
    form: str,
    decision: str,
    protocol: Protocol,
    purposes: Sequence[str],
    tiers: Sequence[str],
    obtained_on: date,
    agency: Agency | None = None,
    all_signatories: bool = False,
    recipients: Iterable[Agency] = (),
    parent_name: str = "",
    parent_relationship: str = "",
    parents_separated: bool = False,
    is_resident_parent: bool = False,
    competence: str = "",
    assessed_on: date | None = None,
    assessor_name: str = "",
    assessor: User | None = None,
    valid_from: date | None = None,
    valid_until: date | None = None,
    notice_given_on: date | None = None,
    review_due_on: date | None = None,
    note: str = "",
    evidence: IO[bytes] | None = None,
    evidence_name: str = "",
) -> ConsentRecord:
    """Record a decision about sharing `child`'s information (DESIGN 2.4), by a practitioner of an agency
    involved with the child. Refuses (ValidationError by field): a child's own decision under 16 without a
    Fraser/Gillick assessment finding them competent, or with an assessment not made for this decision (dated
    more than rules.ASSESSMENT_WINDOW_DAYS before it); a parent's decision for a child who decides for themselves
    (16 and over, or assessed competent) or for a young person of 18 or over (parental responsibility ends at 18:
    Children Act 1989 ss.3, 105) or one whose period starts on or after the day it would stop counting
    (rules.parent_period_error); a parent's consent where the competent child has refused a share it would cover
    and the refusal still prevails; a child's own decision resting on an assessment a later one found not competent
    after (rules.own_decision_rebutted_error); purposes not permitted by the protocol version in force; a named
    recipient without a live signature on it; impossible dates; evidence that is not what it says it is. Audit:
    consent.record."""
    # Locked so that a child's refusal and a parent's consent recorded at the same moment are checked in turn.
    child = Child.objects.select_for_update(of=("self",)).get(pk=child.pk)
    involved = require_may_record(actor, child)
    # A withdrawal stays recordable on a closed record (the person's right to withdraw); a new decision is not.
    require_open_record(child, action="record_consent", target=child, what="no consent can be recorded for it.")
    acting = _acting_agency(actor, involved, agency)
    today = timezone.localdate()
    errors: dict[str, str] = {}

    if given_by not in GivenBy.values:
        errors["given_by"] = "Say who made the decision: the child, or a person with parental responsibility."
    if form not in FormChoice.values:
        errors["form"] = "Say how the decision was made: explicitly in writing, explicitly spoken, or implied."
    if decision not in Decision.values:
        errors["decision"] = "Say whether consent was given or refused."
    if competence and competence not in CompetenceChoice.values:
        errors["competence"] = "Give the outcome of the assessment: competent or not competent."

    # Who: a parent is named, with their relationship; the resident parent when the parents are separated
    # (Barnet: "if parents are separated, then this should be the resident parent").
    if given_by == GivenBy.PARENT:
        parent_name = _text(parent_name, errors, "parent_name", bounds.NAME, missing="Enter the parent's full name.")
        parent_relationship = _text(
            parent_relationship,
            errors,
            "parent_relationship",
            bounds.NAME,
            missing="Enter their relationship to the child, for example mother, father or special guardian.",
        )
        if parents_separated and not is_resident_parent:
            # Barnet, "Whose consent should be sought?" (users read the rule, not its source: issue 8 item 13).
            errors["is_resident_parent"] = (
                "The parents are separated: the resident parent's decision is the one to record."
            )
        elif is_resident_parent and not parents_separated:
            # The resident parent is a fact of separated parents (constraint
            # consent_resident_parent_only_when_separated): ask rather than guess which answer is meant.
            errors["parents_separated"] = (
                "You said this is the parent the child lives with: say whether the child's parents are separated."
            )
    else:
        if (parent_name or "").strip() or (parent_relationship or "").strip() or is_resident_parent:
            errors["parent_name"] = "A child's own decision names no parent: leave the parent's details empty."
        parent_name, parent_relationship, parents_separated, is_resident_parent = "", "", parents_separated, False

    # Competence: the assessment is whole (outcome, date, assessor) or absent.
    assessor_name = _text(
        assessor_name or (assessor.full_name if assessor else ""), errors, "assessor_name", bounds.NAME
    )
    if competence:
        if assessed_on is None:
            errors["assessed_on"] = "Enter the date of the competence assessment."
        if not assessor_name and "assessor_name" not in errors:
            errors["assessor_name"] = "Enter who assessed the child's competence."
    elif assessed_on is not None or assessor_name or assessor is not None:
        errors["competence"] = "Give the outcome of the competence assessment, or leave the assessment out."

    age = rules.age_on(child.born_on, obtained_on)
    if given_by in GivenBy.values and "competence" not in errors and age >= 0:
        problem = rules.competence_error(given_by=given_by, age=age, assessment=competence)
        if problem is not None:
            errors[problem.field] = str(problem)

    valid_from = valid_from or obtained_on
    errors.update(
        {
            field: message
            for field, message in rules.dates_error(
                obtained_on=obtained_on,
                valid_from=valid_from,
                valid_until=valid_until,
                review_due_on=review_due_on,
                assessed_on=assessed_on,
                notice_given_on=notice_given_on,
                born_on=child.born_on,
                today=today,
            ).items()
            if field not in errors
        }
    )
    for field, value in (("obtained_on", obtained_on), ("valid_until", valid_until), ("review_due_on", review_due_on)):
        if value is not None and field not in errors:
            problem_text = bounds.date_window_error(value, bounds.EARLIEST_DATE, bounds.LATEST_DATE)
            if problem_text:
                errors[field] = problem_text
    if form == FormChoice.IMPLIED and notice_given_on is None:
        # Barnet: implied consent is where the person "has been informed about the information to be shared,
        # the purpose for sharing and that they have the right to object"; Haringey 4.3.
        errors["notice_given_on"] = (
            "Implied consent needs the fair-processing notice: enter when the child or family was told what "
            "will be shared, why, and that they may object."
        )
    elif (
        form == FormChoice.IMPLIED
        and "notice_given_on" not in errors
        and notice_given_on is not None
        and notice_given_on > obtained_on
    ):
        # Barnet: consent is implied by behaviour *after* the person has been informed; behaviour before the
        # notice signals nothing.
        errors["notice_given_on"] = (
            "Implied consent is shown by what the child or family did after they were told: the notice must be "
            "dated on or before the day the decision was obtained."
        )

    # Scope: purposes of the protocol version in force, tiers, recipients who have signed it.
    version = protocol.current_version if protocol.is_in_force else None
    if version is None:
        errors["protocol"] = f"{protocol} is not in force: a consent is recorded under a protocol in force."
    wanted_purposes = list(dict.fromkeys(p.strip() for p in purposes if p and p.strip()))
    if not wanted_purposes:
        errors["purposes"] = "Choose at least one purpose the consent covers."
    elif len(wanted_purposes) > bounds.LIST_ITEMS:
        errors["purposes"] = f"Choose at most {bounds.LIST_ITEMS} purposes."
    elif version is not None:
        unknown = [p for p in wanted_purposes if p not in version.permitted_purposes]
        if unknown:
            errors["purposes"] = (
                f"{protocol} does not permit sharing for “{unknown[0][:100]}”: choose among the purposes of the "
                "version in force."
            )
    wanted_tiers = list(dict.fromkeys(tiers))
    if not wanted_tiers:
        errors["tiers"] = "Choose at least one kind of information the consent covers."
    elif any(tier not in ConsentTier.values for tier in wanted_tiers):
        errors["tiers"] = (
            "Choose the minimum data or the detailed and sensitive information (counts of children are anonymised "
            "and need no consent)."
        )
    named = list({agency.pk: agency for agency in recipients}.values())
    if all_signatories and named:
        errors["recipients"] = "Either name the recipient agencies or choose every signatory of the protocol, not both."
    elif not all_signatories and not named:
        errors["recipients"] = "Name the agencies the information may be shared with, or choose every signatory."
    elif len(named) > bounds.LIST_ITEMS:
        errors["recipients"] = f"Name at most {bounds.LIST_ITEMS} agencies."
    elif version is not None and named:
        signed = _live_signatories(protocol)
        unsigned = [agency for agency in named if agency.pk not in signed]
        if unsigned:
            errors["recipients"] = (
                f"{unsigned[0]} has not signed {protocol} (the version in force): information can only be shared "
                "with agencies that have signed it, so it cannot be named in a consent under it."
            )
    note = _text(note, errors, "note", bounds.REASON)

    upload: _Evidence | None = None
    if evidence is not None and not errors:
        upload = _evidence_read(evidence, evidence_name)

    if not errors and given_by == GivenBy.PARENT:
        # Barnet: from 16 the young person decides; parental responsibility ends at 18 (break11j finding 7).
        problem = rules.parent_period_error(given_by=given_by, child_age=age, born_on=child.born_on, starts=valid_from)
        if problem is not None:
            errors[problem.field] = str(problem)
    if not errors and (given_by == GivenBy.CHILD or decision == Decision.GIVEN):
        # The child's history of competence assessments decides whether a child's refusal still prevails and
        # whether the child's own decision can rest on its assessment (rules.rebutted_on; break11j findings 4, 6).
        recorded = _decisions_recorded(child)
        facts = rules.DecisionFacts(
            0, given_by, decision, obtained_on, age, competence, assessed_on, parent_relationship.strip()
        )
        history = rules.competence_history([*(decision_facts(record) for record in recorded), facts], child.born_on)
        if given_by == GivenBy.CHILD:
            problem = rules.own_decision_rebutted_error(facts, history, today)
        else:
            scope = rules.ScopeFacts(
                purposes=frozenset(wanted_purposes),
                tiers=frozenset(wanted_tiers),
                all_signatories=all_signatories,
                recipients=frozenset(agency.pk for agency in named),
                protocol_id=protocol.pk,
            )
            refusals = _child_refusals_in_force(recorded, max(obtained_on, valid_from), scope)
            problem = rules.parent_consent_refusal(
                facts, [decision_facts(record) for record in refusals], history, max(today, valid_from)
            )
        if problem is not None:
            errors[problem.field] = str(problem)
    if errors:
        raise ValidationError(errors)

    assert version is not None
    record = ConsentRecord.objects.create(
        child=child,
        recorded_by=actor if isinstance(actor, User) else None,
        recorded_by_agency=acting,
        given_by=given_by,
        parent_name=parent_name,
        parent_relationship=parent_relationship,
        parents_separated=parents_separated,
        is_resident_parent=is_resident_parent,
        child_age=age,
        competence=competence,
        assessed_on=assessed_on if competence else None,
        assessor_name=assessor_name if competence else "",
        assessor=assessor if competence else None,
        form=form,
        decision=decision,
        protocol=protocol,
        protocol_version=version,
        purposes=wanted_purposes,
        tiers=wanted_tiers,
        all_signatories=all_signatories,
        obtained_on=obtained_on,
        valid_from=valid_from,
        valid_until=valid_until,
        notice_given_on=notice_given_on,
        review_due_on=review_due_on or rules.default_review_on(obtained_on),
        note=note,
    )
    if named:
        record.recipients.set(named)
    stored = _evidence_store(actor=actor, consent=record, evidence=upload) if upload is not None else None
    audit_record(
        kind="consent.record",
        actor=actor,
        target=record,
        child_id=child.pk,
        detail={
            "agency_id": acting.pk,
            "given_by": given_by,
            "decision": decision,
            "form": form,
            "child_age": age,
            "competence": competence,
            "protocol_version_id": version.pk,
            "purposes": wanted_purposes,
            "tiers": wanted_tiers,
            "all_signatories": all_signatories,
            "recipients": sorted(agency.pk for agency in named),
            "evidence_sha256": stored.sha256 if stored else None,
        },
    )
    return record


def _locked(consent: ConsentRecord) -> ConsentRecord:
    return ConsentRecord.objects.select_for_update(of=("self",)).select_related("child").get(pk=consent.pk)


@transaction.atomic
def consent_withdraw(*, actor: Any, consent: ConsentRecord, withdrawn_on: date, reason: str) -> ConsentWithdrawal:
    """Record that a consent was withdrawn on `withdrawn_on` (Barnet: "A person can withdraw consent at any
    time"). It takes effect from that day for every future disclosure (consent.selectors.consent_covering);
    requests that relied on it need another basis. Refuses a date before the consent was obtained or in the
    future, and a record already withdrawn or that is a refusal (403). Audit: consent.withdraw."""
    consent = _locked(consent)
    require(actor, "withdraw", consent)
    errors: dict[str, str] = {}
    problem = rules.withdrawal_error(
        withdrawn_on=withdrawn_on, obtained_on=consent.obtained_on, today=timezone.localdate()
    )
    if problem:
        errors["withdrawn_on"] = problem
    reason = _text(reason, errors, "reason", bounds.REASON, missing="Say why the consent was withdrawn, and by whom.")
    if errors:
        raise ValidationError(errors)
    agency_id = min(involved_with(actor, consent.child_id), default=None) if isinstance(actor, User) else None
    try:
        with transaction.atomic():
            withdrawal = ConsentWithdrawal.objects.create(
                consent=consent,
                withdrawn_on=withdrawn_on,
                reason=reason,
                recorded_by=actor if isinstance(actor, User) else None,
                recorded_by_agency_id=agency_id,
            )
    except IntegrityError:
        raise ValidationError({"withdrawn_on": "This consent has already been withdrawn."}) from None
    audit_record(
        kind="consent.withdraw",
        actor=actor,
        target=consent,
        child_id=consent.child_id,
        # The reason is free text ("why, and by whom": names, addresses): it lives only in the withdrawal row,
        # which the erasure blanks (consents_erase). The audit trail is append-only (DESIGN 2.5), so it records
        # which withdrawal was made and from when, never the text (Southampton 8; break11b finding 3).
        detail={"withdrawn_on": withdrawn_on.isoformat(), "withdrawal_id": withdrawal.pk},
    )
    return withdrawal


@transaction.atomic
def consent_review_record(
    *, actor: Any, consent: ConsentRecord, reviewed_on: date, note: str, next_review_on: date | None = None
) -> ConsentReview:
    """Record a review of a consent (Barnet: "Consent needs to be kept under active review, for example, if the
    situation changes") and set its next review date (none: no further review is due). A consent that no longer
    reflects the person's wishes is withdrawn, or a new decision recorded, not changed. Audit: consent.review."""
    consent = _locked(consent)
    require(actor, "review", consent)
    require_open_record(consent.child, action="review", target=consent, what="its consents are no longer reviewed.")
    errors: dict[str, str] = {}
    today = timezone.localdate()
    if reviewed_on > today:
        errors["reviewed_on"] = "The review date must be today or in the past."
    elif reviewed_on < consent.obtained_on:
        errors["reviewed_on"] = "A consent cannot be reviewed before it was obtained."
    if next_review_on is not None:
        if next_review_on <= reviewed_on:
            errors["next_review_on"] = "The next review must be after this one."
        elif problem := bounds.date_window_error(next_review_on, bounds.EARLIEST_DATE, bounds.LATEST_DATE):
            errors["next_review_on"] = problem
    note = _text(note, errors, "note", bounds.REASON, missing="Say what the review found.")
    if errors:
        raise ValidationError(errors)
    review = ConsentReview.objects.create(
        consent=consent,
        reviewed_on=reviewed_on,
        note=note,
        next_review_on=next_review_on,
        reviewed_by=actor if isinstance(actor, User) else None,
    )
    consent.review_due_on = next_review_on
    consent.save(update_fields=["review_due_on"])
    audit_record(
        kind="consent.review",
        actor=actor,
        target=consent,
        child_id=consent.child_id,
        detail={
            "reviewed_on": reviewed_on.isoformat(),
            "next_review_on": next_review_on and next_review_on.isoformat(),
        },
    )
    return review


@transaction.atomic
def consent_evidence_attach(*, actor: Any, consent: ConsentRecord, upload: IO[bytes], filename: str) -> ConsentEvidence:
    """Attach the evidence of a decision recorded without it (a scan of the signed form, once it is back): a
    PDF or an image judged by its content, once per record. Audit: consent.evidence_attach."""
    consent = _locked(consent)
    require(actor, "attach_evidence", consent)
    require_open_record(
        consent.child, action="attach_evidence", target=consent, what="nothing can be added to its consents."
    )
    if ConsentEvidence.objects.filter(consent=consent).exists():
        raise ValidationError({"file": "This record already has its evidence: it is kept as it was uploaded."})
    evidence = _evidence_read(upload, filename, field="file")
    stored = _evidence_store(actor=actor, consent=consent, evidence=evidence)
    audit_record(
        kind="consent.evidence_attach",
        actor=actor,
        target=consent,
        child_id=consent.child_id,
        detail={"size": stored.size, "sha256": stored.sha256, "content_type": stored.content_type},
    )
    return stored


def consent_evidence_open(*, actor: Any, evidence: ConsentEvidence, purpose: str) -> tuple[ConsentEvidence, Path]:
    """Check the policy and record the opening with the purpose stated for the child; the evidence row and where
    its file is. Audit: consent.evidence_view (every opening of a signed form is recorded, like the security
    documents', with why: Southampton 18 items 13-14, audit trails for all access)."""
    require(actor, "view", evidence)
    audit_record(
        kind="consent.evidence_view",
        actor=actor,
        target=evidence.consent,
        child_id=evidence.consent.child_id,
        detail={"sha256": evidence.sha256},
        purpose=purpose,
    )
    return evidence, evidence_path(evidence)


# --- Erasure (Southampton 6, 8) ----------------------------------------------------------------------------------

ERASED_NAME = "Erased"  # stands for a name the constraints require (consent_parent_named, consent_assessment_whole)
ERASED_TEXT = "Erased."  # consent/migrations/0003: the withdrawal trigger lets through exactly this reason


def consents_erase(*, child_id: int) -> dict[str, int]:
    """Erase the personal content of a closed child's consent records, inside child_erase's transaction (its
    receiver, consent.receivers): the parent's name and relationship, the assessor's name, the notes, the
    withdrawals' reasons and the reviews' notes are replaced, and the evidence (the signed form, named after the
    child as scans usually are) is removed, its row and its file, the file once the transaction commits (a rolled
    back erasure keeps it). Kept: the ids, who recorded what and when, the decision, its scope and dates, the
    withdrawal dates: what the disclosure log and the audit trail need, never who the child is. Returns the
    counts of what was erased (for the child.erase event). A fixed number of statements for any number of
    records."""
    records = ConsentRecord.objects.filter(child_id=child_id)
    parents = records.filter(given_by=GivenBy.PARENT).exclude(
        parent_name=ERASED_NAME, parent_relationship=ERASED_NAME.lower()
    )
    parent_names = parents.update(parent_name=ERASED_NAME, parent_relationship=ERASED_NAME.lower())
    assessors = records.exclude(assessor_name="").exclude(assessor_name=ERASED_NAME).update(assessor_name=ERASED_NAME)
    notes = records.exclude(note="").update(note="")
    with connection.cursor() as cursor:
        # The withdrawal trigger's sanctioned exception (consent/migrations/0003), for this transaction only.
        cursor.execute("SELECT set_config('isp_portal.erasing', 'on', true)")
    withdrawals = (
        ConsentWithdrawal.objects.filter(consent__child_id=child_id)
        .exclude(reason=ERASED_TEXT)
        .update(reason=ERASED_TEXT)
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('isp_portal.erasing', '', true)")
    reviews = (
        ConsentReview.objects.filter(consent__child_id=child_id).exclude(note=ERASED_TEXT).update(note=ERASED_TEXT)
    )
    evidence = ConsentEvidence.objects.filter(consent__child_id=child_id)
    paths = [_storage_dir() / name for name in evidence.values_list("stored_name", flat=True)]
    files = evidence.delete()[0]

    def remove_files() -> None:
        for path in paths:
            path.unlink(missing_ok=True)

    if paths:
        transaction.on_commit(remove_files)
    return {
        "consent_parent_names": parent_names,
        "consent_assessor_names": assessors,
        "consent_notes": notes,
        "consent_withdrawal_reasons": withdrawals,
        "consent_review_notes": reviews,
        "consent_evidence_files": files,
    }


# --- The review sweep (DESIGN 3.3) ------------------------------------------------------------------------------


def _day_number(day: Expression | F) -> Expression:
    """A date as the number YYYYMMDD: two of them differ by at least 10000 * n exactly when the later is on or
    after the n-th birthday of someone born on the earlier (sharing.rules.age_on: the day and month compared, a
    29 February birthday counted from 1 March in a common year)."""
    return ExtractYear(day) * 10000 + ExtractMonth(day) * 100 + ExtractDay(day)


def parent_decision_lapsed(
    today: date,
    *,
    born_on: Expression | None = None,
    obtained_on: Expression | None = None,
) -> Q:
    """The parent's decisions that no longer count on `today`, as a condition the database answers: the rule
    consent.rules.parent_decision_ends_on (used by consent.selectors.record_timing) expressed as bounds, so the
    review sweep reads none of them (issue 11, fix11h: it read a decision that lapsed at 16 on every run until
    the young person was 18, and passed over it in Python). A parent's decision lapses on the 18th birthday
    whenever it was made (parental responsibility ends: Children Act 1989 ss.3, 105), and on the 16th when it
    was made for a child under 16 (Barnet: 16 and over presumed competent), the age at the decision counted by
    the date of birth recorded now (as consent.selectors.decision_age). The birthdays are `born_on` bounds from
    `today` (sharing.retention_rules.latest_birth_date_older_than, exact for 29 February); the age at the
    decision compares the two dates as YYYYMMDD numbers (_day_number), which is sharing.rules.age_on. `born_on`
    and `obtained_on` default to the consent record's columns; tests/consent/test_fix11h.py checks the
    database's answer against the rule over many birthdays, 29 February among them."""
    born = born_on if born_on is not None else F("child__born_on")
    obtained = obtained_on if obtained_on is not None else F("obtained_on")
    adult = Value(latest_birth_date_older_than(rules.ADULT_AGE - 1, today), output_field=DateField())
    sixteen = Value(latest_birth_date_older_than(rules.PRESUMED_COMPETENT_AGE - 1, today), output_field=DateField())
    decided_under_sixteen = LessThan(
        _day_number(obtained) - _day_number(born), Value(rules.PRESUMED_COMPETENT_AGE * 10000)
    )
    return Q(LessThanOrEqual(born, adult)) | (Q(LessThanOrEqual(born, sixteen)) & Q(decided_under_sixteen))


@transaction.atomic
def consent_reviews_sweep(*, today: date, limit: int = 5_000) -> int:
    """Remind of every consent whose review is due (review_due_on today or past), in force (not withdrawn, ended
    or, for a parent's decision, lapsed at the young person's birthday), once
    per review date: the recorder (when still a member of the recording agency), or else that agency's designated
    managers, or, when the agency has none, the partnership admins (told that nobody there can review it, so they
    can appoint someone), as the retention sweep leaves nobody untold (sharing.services.retention._people_to_tell).
    Each reminder is a notification with a unique key, and every due record is marked with the review date it was
    handled for (`review_reminded_for`), whoever was told, so a repeated tick claims it no more (break11h finding
    13: one outcome however often beat runs). A review nobody at its agency could be told of is recorded once
    (audit: consent.review_unassigned, with how many partnership admins were told, none included). A parent's
    decision a competent child's own prevails against everywhere is marked without a reminder.
    A child's own decision whose competence an assessment made since rebutted (rules.rebutted_on, Miss.REBUTTED,
    read with the child's history of assessments as the selector reads it) is not in force: nobody is asked to
    review it, since a person with parental responsibility decides now (Barnet, "Whose consent should be
    sought?": "where a child ... is not competent to do so, then a person with parental responsibility should be
    asked"). It is marked without a reminder, as a parent's decision the child's prevails against is, and not
    left to be claimed tick after tick: it counts again only if a later assessment finds the child competent,
    and that finding comes with a new decision of the child's own (a parent decides only for a child who cannot:
    rules.competence_error), which has its own review date and is the decision to review then.
    Returns how many were sent.
    Set-based, in a fixed number of statements whatever the number of rows: one to claim the due rows (skipping
    those another sweep holds), one for the due children's histories of assessments, one to mark them (and the
    readings, the memberships and the notices, each read or written once for all)."""
    # Imported here: consent.selectors reads decisions through this module (decision_facts).
    from consent.selectors import children_readings, competence_histories, record_timing

    due = list(
        # A closed (or erased) record is kept for reference only (Southampton 8): nobody is asked to review it.
        ConsentRecord.objects.filter(review_due_on__lte=today, withdrawal__isnull=True, child__closed_on__isnull=True)
        # Not yet in force: left unclaimed until it is (then reminded, its review overdue: break11e finding 6).
        .filter(valid_from__lte=today)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        # A parent's decision that no longer counts (lapsed at the 16th birthday, or the 18th) never counts again
        # (rules.parent_decision_ends_on): not read at all, rather than read and passed over tick after tick.
        .exclude(Q(given_by=GivenBy.PARENT) & parent_decision_lapsed(today))
        .filter(Q(review_reminded_for__isnull=True) | ~Q(review_reminded_for=F("review_due_on")))
        .select_related("child", "withdrawal", "recorded_by_agency")
        .select_for_update(of=("self",), skip_locked=True)
        .order_by("review_due_on", "pk")[:limit]
    )
    if not due:
        return 0
    # Only a decision in force is reviewed, read as the selector and the summary read it (record_timing: its
    # period, and whether it was the decider's to make at the child's age then, by the date of birth recorded now).
    # A parent's decision that no longer counts (the young person decides for themselves from 16, Barnet 'Whose
    # consent') is not in force: nobody is asked to review it, since only the young person's own decision can be
    # used now (break11b finding 4). Only those in force are marked (review_reminded_for), and those rebutted
    # (below): a decision not yet in force or not counting today for another reason is left to be reminded once
    # it is (a corrected date of birth can bring it back), so each review is reminded once, when it can be acted
    # on (break11e finding 6).
    # The child's own decision is read against the child's every assessment (competence_history, all the due
    # children's in one statement): one an assessment made since found the child not competent is not in force.
    histories = competence_histories({record.child_id for record in due})
    timings = {
        record.pk: record_timing(
            record, today, born_on=record.child.born_on, history=histories.get(record.child_id, ())
        )
        for record in due
    }
    timely = [record for record in due if timings[record.pk] is None]
    # A child's own decision an assessment since rebutted: a parent decides now; marked without a reminder (the
    # docstring says why), so it is not claimed tick after tick (break11h finding 13).
    rebutted = [record.pk for record in due if (timing := timings[record.pk]) and timing[0] == rules.Miss.REBUTTED]
    # A parent's decision that a competent child's own decision prevails against on every share it covers does
    # not count, and will not count again unless an assessment finds the child not competent - and then with a
    # new decision of a parent's (rules.superseding_child_decision): nobody is asked to review it, the child's
    # decision being what would need asking; it is marked, so it is not claimed tick after tick (break11h
    # finding 15, as a lapsed one: break11b finding 4). Read as the summary reads it (the one reading).
    readings = children_readings({record.child_id for record in timely if record.given_by == GivenBy.PARENT}, today)
    given_way: set[int] = set()
    for record in timely:
        reading = readings.get(record.pk)
        standing = reading.standing if reading is not None else None
        if standing is not None and standing.overridden and all(f.given_by == rules.CHILD for f in standing.prevailing):
            given_way.add(record.pk)
    remind = [record for record in timely if record.pk not in given_way]
    members: dict[int, set[int]] = {}
    managers: dict[int, list[int]] = {}
    for agency_id, user_id, roles in Membership.objects.filter(
        agency_id__in={record.recorded_by_agency_id for record in due},
        is_active=True,
        user__is_active=True,
        user__is_system=False,
    ).values_list("agency_id", "user_id", "roles"):
        members.setdefault(agency_id, set()).add(user_id)
        if Role.DESIGNATED_MANAGER.value in roles:
            managers.setdefault(agency_id, []).append(user_id)
    drafts = []
    admins: list[int] | None = None
    unassigned: list[ConsentRecord] = []
    for record in remind:
        agency_id = record.recorded_by_agency_id
        recorder = record.recorded_by_id
        due_on: date = record.review_due_on or today
        recipients = [recorder] if recorder in members.get(agency_id, set()) else managers.get(agency_id, [])
        if not recipients:
            # Nobody at the agency can be told (the recorder gone, no designated manager): the partnership admins
            # are, once, so that someone appoints a reviewer (as the disclosure escalation reaches them when nobody
            # at the agency may act: disclosures.services.sweeps). It is still marked: claimed tick after tick it
            # was a statement each time and an outcome never (break11h finding 13).
            unassigned.append(record)
            if admins is None:
                admins = partnership_admins()
            for user_id in admins:
                drafts.append(
                    NotificationDraft(
                        user_id,
                        # One notice per agency and review date, however many of its consents fall due then.
                        f"consent-review-unassigned:{agency_id}:{due_on.isoformat()}",
                        f"Nobody at {record.recorded_by_agency} can review its consents due for review",
                        # Names the agency only: never the child, the record or the decision (DESIGN 2.3, 3.2: a
                        # partnership admin may not open the record, and which agency holds a consent about which
                        # child says which services are involved with it; break11e finding 2).
                        f"Consents recorded by {record.recorded_by_agency} were due for review on "
                        f"{long_date(due_on)}, and nobody there can be reminded: those who recorded them are no "
                        "longer members, and the agency has no designated manager to review them instead. Appoint "
                        "a designated manager there and ask them to review the consents the agency recorded.",
                        f"/agencies/{agency_id}/",
                    )
                )
        for user_id in recipients:
            drafts.append(
                NotificationDraft(
                    user_id,
                    f"consent-review:{record.pk}:{due_on.isoformat()}",
                    f"A consent for child {record.child_id} is due for review",
                    # Barnet: "Consent needs to be kept under active review, for example, if the situation changes".
                    # Names the child's index number and the consent record's number only: never the involvement
                    # or service the decision was recorded through, the agencies it names, the parent or the
                    # decision itself. The recipient recorded it (or stands in at its agency), but a notice is an
                    # email too, read outside the policy (DESIGN 3.2: what a reader may see is decided on the
                    # page); the link opens the record behind the policy (fix11h, issue 11).
                    f"Consent record {record.pk} was due for review on {long_date(due_on)}. Check "
                    "with the child or family that it still reflects their wishes, and record the review (or a "
                    "withdrawal, or a new decision).",
                    f"/children/{record.child_id}/consents/{record.pk}/",
                )
            )
    sent = notify_many(drafts)
    if unassigned:
        audit_record_many(
            kind="consent.review_unassigned",
            actor=SystemActor(REVIEW_SWEEP_ACTOR_LABEL),
            events=[
                EventDraft.of(
                    record,
                    child_id=record.child_id,
                    detail={
                        "review_due_on": (record.review_due_on or today).isoformat(),
                        "agency": record.recorded_by_agency_id,
                        "partnership_admins_told": len(admins or []),
                    },
                )
                for record in unassigned
            ],
        )
    # Every claimed record is handled for its review date now (reminded, given way, rebutted, or nobody at its
    # agency to remind): marked, so no later tick claims it again for the same date.
    ConsentRecord.objects.filter(pk__in=[*(record.pk for record in timely), *rebutted]).update(
        review_reminded_for=F("review_due_on")
    )
    return sent
