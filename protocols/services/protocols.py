"""Protocols and their versions: creating, revising, putting a version in force, changing status."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from agencies.models import User
from audit.services import audit_record
from isp_portal.policy import require
from isp_portal.wording import long_date
from protocols import rules
from protocols.models import (
    ConsultationStatus,
    Ground,
    Protocol,
    ProtocolKind,
    ProtocolStatus,
    ProtocolVersion,
    Review,
    Signature,
    VersionAdoption,
)

VERSION_FIELDS = (
    "age_min",
    "age_max",
    "extended_age_max",
    "extended_age_conditions",
    "permitted_purposes",
    "aggregate_fields",
    "minimum_fields",
    "sensitive_fields",
    "grounds_without_consent",
    "response_working_days",
    "retention_months",
    "shows_held_categories",
    "clauses",
)


def _user(actor: Any) -> User | None:
    return actor if isinstance(actor, User) else None


def _clean_list(values: Iterable[str]) -> list[str]:
    return [value.strip() for value in values if value and value.strip()]


def _clean_version(values: dict[str, Any]) -> dict[str, Any]:
    """Check a version's rules; raise ValidationError with a message per field."""
    cleaned = dict(values)
    errors: dict[str, str] = {}
    for field in ("permitted_purposes", "aggregate_fields", "minimum_fields", "sensitive_fields"):
        if field in cleaned:
            cleaned[field] = _clean_list(cleaned[field])
    if not cleaned.get("text", "x").strip():
        errors["text"] = "Enter the protocol's text."
    if "change_note" in cleaned and not str(cleaned["change_note"]).strip():
        # Haringey 2.3: any changes are agreed by report to the partnership.
        errors["change_note"] = "Say what this version changes: changes are agreed by report to the partnership."
    if not cleaned.get("permitted_purposes"):
        errors["permitted_purposes"] = "List at least one purpose for which information may be shared."
    age_min, age_max = cleaned.get("age_min", 0), cleaned.get("age_max", 18)
    if age_max <= age_min:
        errors["age_max"] = "The upper age must be above the lower age."
    extended = cleaned.get("extended_age_max")
    if extended is not None and extended <= age_max:
        errors["extended_age_max"] = "The extended age must be above the usual upper age."
    if extended is not None and not cleaned.get("extended_age_conditions"):
        errors["extended_age_conditions"] = "Say who the extended age applies to (e.g. care leavers, additional needs)."
    unknown = set(cleaned.get("grounds_without_consent", [])) - set(Ground.values)
    if unknown:
        errors["grounds_without_consent"] = f"Unknown grounds: {', '.join(sorted(unknown))}."
    clauses = cleaned.get("clauses") or {}
    if not isinstance(clauses, dict):
        errors["clauses"] = "Give the clause numbers as a mapping from rule to section."
    else:
        cleaned["clauses"] = {key: str(value).strip() for key, value in clauses.items() if str(value or "").strip()}
        problems = rules.clause_errors(cleaned["clauses"])
        if problems:
            errors["clauses"] = " ".join(f"{key}: {message}" for key, message in sorted(problems.items()))
    if cleaned.get("response_working_days", 1) < 1:
        errors["response_working_days"] = "Requests need at least one working day for a response."
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_schedule(
    completion: date | None, first: int | None, every: int | None, fixed: date | None
) -> rules.ReviewSchedule:
    schedule = rules.ReviewSchedule(first_months=first, every_months=every, fixed_date=fixed)
    try:
        schedule.check(completion or timezone.localdate())
    except rules.ScheduleError as error:
        raise ValidationError({error.field: str(error)}) from None
    return schedule


@transaction.atomic
def protocol_create(
    *,
    actor: Any,
    title: str,
    kind: str,
    text: str,
    parent: Protocol | None = None,
    change_note: str = "First draft",
    first_review_months: int | None = 6,
    review_every_months: int | None = 12,
    fixed_review_date: date | None = None,
    **version_rules: Any,
) -> Protocol:
    """A new protocol, in draft, with its first version (partnership admins)."""
    require(actor, "create", Protocol)
    errors: dict[str, str] = {}
    title = " ".join(title.split())
    if not title:
        errors["title"] = "Enter the protocol's title."
    elif Protocol.objects.filter(title__iexact=title).exists():
        errors["title"] = f"A protocol called {title} already exists."
    if kind not in ProtocolKind.values:
        errors["kind"] = "Choose the kind of protocol."
    # Haringey 2.1; Buckinghamshire 1: only an individual protocol or a code of practice supplements, and
    # only a general protocol is supplemented.
    supplement = rules.supplement_error(kind, parent.kind if parent is not None else None)
    if supplement and kind in ProtocolKind.values:
        errors["parent"] = supplement
    if errors:
        raise ValidationError(errors)
    if fixed_review_date is not None:
        first_review_months = review_every_months = None
    _check_schedule(None, first_review_months, review_every_months, fixed_review_date)
    unknown = set(version_rules) - set(VERSION_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "Not a protocol rule."))
    protocol = Protocol.objects.create(
        title=title,
        kind=kind,
        parent=parent,
        first_review_months=first_review_months,
        review_every_months=review_every_months,
        fixed_review_date=fixed_review_date,
        created_by=_user(actor),
    )
    version = _new_version(actor, protocol, text=text, change_note=change_note, rules_=version_rules)
    audit_record(kind="protocol.create", actor=actor, target=protocol, detail={"version": version.number})
    return protocol


def _new_version(
    actor: Any, protocol: Protocol, *, text: str, change_note: str, rules_: dict[str, Any]
) -> ProtocolVersion:
    base = protocol.latest_version()
    values = {field: getattr(base, field) for field in VERSION_FIELDS} if base else {}
    values.update(rules_)
    values = _clean_version({**values, "text": text, "change_note": change_note})
    if base is not None and rules.same_version(
        {field: getattr(base, field) for field in (*VERSION_FIELDS, "text")},
        {field: values[field] for field in (*VERSION_FIELDS, "text")},
    ):
        raise ValidationError(
            {"text": f"This is the same as version {base.number}: change the text or a rule to make a new version."}
        )
    return ProtocolVersion.objects.create(
        protocol=protocol,
        number=(base.number + 1) if base else 1,
        created_by=_user(actor),
        **values,
    )


@transaction.atomic
def protocol_version_create(
    *, actor: Any, protocol: Protocol, text: str, change_note: str, **version_rules: Any
) -> ProtocolVersion:
    """A new immutable version (text and rules) with its change note. It is not in force until adopted,
    directly (a draft) or after consultation (Buckinghamshire 1-2)."""
    protocol = Protocol.objects.select_for_update().get(pk=protocol.pk)
    require(actor, "new_version", protocol)
    if protocol.status in rules.TERMINAL:
        raise ValidationError({"protocol": f"{protocol} is {protocol.get_status_display().lower()}: it cannot change."})
    if protocol.status == ProtocolStatus.CONSULTATION:
        raise ValidationError({"protocol": "A consultation is open on this protocol: wait for its outcome."})
    unknown = set(version_rules) - set(VERSION_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "Not a protocol rule."))
    version = _new_version(actor, protocol, text=text, change_note=change_note, rules_=version_rules)
    audit_record(kind="protocol.version", actor=actor, target=version, detail={"change_note": version.change_note})
    return version


def _carry_over_signatures(previous: ProtocolVersion, new: ProtocolVersion) -> int:
    """Buckinghamshire 1: all existing signatories transfer to the new version unless they withdrew."""
    live = Signature.objects.filter(version=previous, withdrawn_at__isnull=True).select_related("agency")
    carried = [
        Signature(
            agency=signature.agency,
            version=new,
            protocol=new.protocol,
            signatory_name=signature.signatory_name,
            signatory_title=signature.signatory_title,
            attestation=signature.attestation,
            signed_by=signature.signed_by,
            signed_at=timezone.now(),
            carried_over_from=signature,
        )
        for signature in live
    ]
    Signature.objects.bulk_create(carried)
    return len(carried)


@transaction.atomic
def protocol_adopt(
    *,
    actor: Any,
    protocol: Protocol,
    version: ProtocolVersion,
    completion_date: date | None = None,
    consultation: Any = None,
) -> Protocol:
    """Put `version` in force. Live signatures of the previous version carry over; the first review is
    scheduled from the completion date (Haringey 5.1)."""
    protocol = Protocol.objects.select_for_update().get(pk=protocol.pk)
    require(actor, "adopt", protocol)
    current = rules.Status(protocol.status)
    if version.protocol_id != protocol.pk:
        raise ValidationError({"version": "That version belongs to another protocol."})
    if hasattr(version, "adoption"):
        raise ValidationError({"version": f"Version {version.number} has already been in force."})
    if current == rules.Status.CONSULTATION and consultation is None:
        raise ValidationError({"protocol": "A consultation is open: the version is adopted through its outcome."})
    in_force = protocol.current_version_id is not None
    if current != rules.Status.ACTIVE and not rules.can_transition(
        current, rules.Status.ACTIVE, has_been_in_force=in_force
    ):
        raise ValidationError(
            {"protocol": f"A {protocol.get_status_display().lower()} protocol cannot be put in force."}
        )
    if protocol.completion_date is None:
        # The review schedule must still work from the completion date being set now (Haringey 5.1).
        completion = completion_date or timezone.localdate()
        implausible = rules.completion_date_error(completion, timezone.localdate())
        if implausible:
            raise ValidationError({"completion_date": implausible})
        try:
            rules.ReviewSchedule(
                protocol.first_review_months, protocol.review_every_months, protocol.fixed_review_date
            ).check(completion)
        except rules.ScheduleError as error:
            raise ValidationError({"completion_date": f"{error} It is {long_date(completion)}."}) from None
    previous = protocol.current_version
    carried = _carry_over_signatures(previous, version) if previous is not None else 0
    VersionAdoption.objects.create(version=version, adopted_by=_user(actor), consultation=consultation)
    protocol.current_version = version
    protocol.status = ProtocolStatus.ACTIVE
    if protocol.completion_date is None:
        protocol.completion_date = completion_date or timezone.localdate()
    protocol.save(update_fields=["current_version", "status", "completion_date"])
    _schedule_first_review(protocol)
    audit_record(
        kind="protocol.adopt",
        actor=actor,
        target=protocol,
        detail={"version": version.number, "signatures_carried_over": carried},
    )
    # bulk_create bypasses django-auditlog: the carried-over signatures are in the event above.
    return protocol


def _schedule_first_review(protocol: Protocol) -> None:
    if protocol.reviews.exists() or protocol.completion_date is None:
        return
    schedule = rules.ReviewSchedule(
        first_months=protocol.first_review_months,
        every_months=protocol.review_every_months,
        fixed_date=protocol.fixed_review_date,
    )
    due = rules.next_review_due(schedule, protocol.completion_date, 0)
    if due is not None:
        Review.objects.create(protocol=protocol, number=1, due_on=due)


@transaction.atomic
def protocol_transition(*, actor: Any, protocol: Protocol, to_status: str, reason: str) -> Protocol:
    """Move a protocol between statuses where the state machine allows it (rules.allowed_transitions).
    Putting a version in force goes through protocol_adopt; consultations through consultation_open."""
    protocol = Protocol.objects.select_for_update().get(pk=protocol.pk)
    require(actor, "transition", protocol)
    current = rules.Status(protocol.status)
    try:
        target = rules.Status(to_status)
    except ValueError:
        raise ValidationError({"to_status": "Choose a status."}) from None
    in_force = protocol.current_version_id is not None
    errors = {}
    undecided = protocol.consultations.exclude(status=ConsultationStatus.DECIDED).exists()
    if current == rules.Status.CONSULTATION and undecided:
        # Buckinghamshire 1-2: the consultation decides what happens to the proposed version; leaving it by
        # a status change would leave the consultation open and let its version be adopted later.
        errors["to_status"] = "A consultation is under way: record its outcome instead."
    elif target == rules.Status.CONSULTATION:
        errors["to_status"] = "Open a consultation on a new version instead."
    elif target == rules.Status.ACTIVE and not in_force:
        errors["to_status"] = "Put a version in force first."
    elif not rules.can_transition(current, target, has_been_in_force=in_force):
        errors["to_status"] = (
            f"A protocol that is {protocol.get_status_display().lower()} cannot become "
            f"{ProtocolStatus(target.value).label.lower()}."
        )
    if not reason.strip():
        errors["reason"] = "Say why: it goes on the protocol's record."
    if errors:
        raise ValidationError(errors)
    protocol.status = target.value
    protocol.save(update_fields=["status"])
    audit_record(
        kind="protocol.transition",
        actor=actor,
        target=protocol,
        detail={"from": current.value, "to": target.value, "reason": reason.strip()},
    )
    return protocol
