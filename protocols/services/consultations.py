"""Consultations on a change (Buckinghamshire 1-2): circulate to every signatory with a deadline in
working days, collect responses, record silence as assent at the deadline, decide the outcome."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, AgencyStatus, Membership, Role, User
from agencies.selectors import partnership_admins
from audit.services import EventDraft, audit_record, audit_record_many
from isp_portal.notifications import NotificationDraft, notify_many
from isp_portal.policy import SystemActor, require
from isp_portal.sweeps import transition_due
from isp_portal.wording import long_date
from isp_portal.workdays import nation_from
from protocols import rules
from protocols.models import (
    Consultation,
    ConsultationResponse,
    ConsultationStatus,
    Outcome,
    Protocol,
    ProtocolStatus,
    ProtocolVersion,
    Signature,
)
from protocols.services.protocols import protocol_adopt

DEFAULT_WORKING_DAYS = 20


def _responders(agency_ids: Iterable[int]) -> dict[int, list[int]]:
    """Who is told about a consultation for each agency: its nominated representatives, else its admins."""
    representatives: dict[int, list[int]] = {}
    admins: dict[int, list[int]] = {}
    rows = Membership.objects.filter(agency_id__in=list(agency_ids), is_active=True, user__is_system=False).values_list(
        "agency_id", "user_id", "is_nominated_representative", "roles"
    )
    for agency_id, user_id, nominated, roles in rows:
        if nominated:
            representatives.setdefault(agency_id, []).append(user_id)
        if Role.AGENCY_ADMIN in roles:
            admins.setdefault(agency_id, []).append(user_id)
    return {
        agency_id: representatives.get(agency_id) or admins.get(agency_id, [])
        for agency_id in set(admins) | set(representatives)
    }


def _link(consultation: Consultation) -> str:
    return f"/consultations/{consultation.pk}/"


@transaction.atomic
def consultation_open(
    *,
    actor: Any,
    protocol: Protocol,
    version: ProtocolVersion,
    working_days: int = DEFAULT_WORKING_DAYS,
    quorum_percent: int | None = None,
) -> Consultation:
    """Circulate a proposed version to every agency with a live signature on the version in force (for a
    protocol never in force: to every active agency), with a deadline `working_days` working days away."""
    protocol = Protocol.objects.select_for_update().get(pk=protocol.pk)
    require(actor, "open_consultation", protocol)
    current = rules.Status(protocol.status)
    in_force = protocol.current_version_id is not None
    errors: dict[str, str] = {}
    if not rules.can_transition(current, rules.Status.CONSULTATION, has_been_in_force=in_force):
        errors["protocol"] = f"A {protocol.get_status_display().lower()} protocol cannot go to consultation."
    if version.protocol_id != protocol.pk:
        errors["version"] = "That version belongs to another protocol."
    elif hasattr(version, "adoption") or protocol.versions.filter(number__gt=version.number).exists():
        errors["version"] = "Consult on the newest version, which has not been in force."
    elif Consultation.objects.filter(proposed_version=version).exists():
        errors["version"] = (
            f"Version {version.number} has already been consulted on. Make a new version with the changes, "
            "and consult on that."
        )
    if quorum_percent is not None and not 1 <= quorum_percent <= 100:
        errors["quorum_percent"] = "The quorum is a percentage from 1 to 100."
    if working_days < 1 or working_days > 60:
        errors["working_days"] = "Give between 1 and 60 working days for responses."
    if in_force:
        agency_ids = list(
            Signature.objects.filter(version_id=protocol.current_version_id, withdrawn_at__isnull=True).values_list(
                "agency_id", flat=True
            )
        )
    else:
        agency_ids = list(Agency.objects.filter(status=AgencyStatus.ACTIVE).values_list("pk", flat=True))
    if not agency_ids and not errors:
        errors["protocol"] = "There is no agency to consult: nobody has signed the version in force."
    if errors:
        raise ValidationError(errors)
    today = timezone.localdate()
    consultation = Consultation.objects.create(
        protocol=protocol,
        proposed_version=version,
        previous_status=protocol.status,
        opened_by=actor if isinstance(actor, User) else None,
        opened_on=today,
        deadline=rules.consultation_deadline(today, working_days, nation=nation_from(settings.BANK_HOLIDAY_NATION)),
        quorum_percent=quorum_percent,
    )
    ConsultationResponse.objects.bulk_create(
        ConsultationResponse(consultation=consultation, agency_id=agency_id) for agency_id in agency_ids
    )
    protocol.status = ProtocolStatus.CONSULTATION
    protocol.save(update_fields=["status"])
    audit_record(
        kind="consultation.open",
        actor=actor,
        target=consultation,
        detail={"version": version.number, "deadline": consultation.deadline.isoformat(), "agencies": agency_ids},
    )
    notify_many(
        NotificationDraft(
            user_id,
            f"consultation:{consultation.pk}:circulated",
            f"Consultation on {protocol}: respond by {long_date(consultation.deadline)}",
            f"Version {version.number} of {protocol} is circulated for consultation ({version.change_note}). Respond "
            f"for your agency by {long_date(consultation.deadline)}; if you do not, your agency is recorded as "
            "agreeing.",
            _link(consultation),
        )
        for users in _responders(agency_ids).values()
        for user_id in users
    )
    return consultation


@transaction.atomic
def consultation_respond(
    *, actor: Any, consultation: Consultation, agency: Agency, response: str, comment: str = ""
) -> ConsultationResponse:
    """An agency's nominated representative (or admin) answers agree, object or comment, by the deadline."""
    row = (
        ConsultationResponse.objects.select_for_update(of=("self",))
        .select_related("consultation")
        .filter(consultation=consultation, agency=agency)
        .first()
    )
    if row is None:
        raise ValidationError({"agency": f"{agency} was not consulted on this change."})
    require(actor, "respond", row)
    errors = {}
    if row.consultation.status != ConsultationStatus.OPEN or timezone.localdate() > row.consultation.deadline:
        errors["response"] = f"The deadline for responses was {long_date(row.consultation.deadline)}."
    if response not in {rules.Response.AGREE, rules.Response.OBJECT, rules.Response.COMMENT}:
        errors["response"] = "Choose agree, object or comment."
    elif response != rules.Response.AGREE and not comment.strip():
        errors["comment"] = "Say what your agency objects to or comments on."
    if errors:
        raise ValidationError(errors)
    row.response = response
    row.comment = comment.strip()
    row.responded_by = actor if isinstance(actor, User) else None
    row.responded_at = timezone.now()
    row.save(update_fields=["response", "comment", "responded_by", "responded_at"])
    audit_record(kind="consultation.respond", actor=actor, target=row, detail={"response": response})
    return row


def _close(consultation_ids: list[int]) -> list[int]:
    """Record silence as assent and close (set-based; only rows still pending and consultations still open)."""
    if not consultation_ids:
        return []
    closed = [
        row[0]
        for row in transition_due(
            Consultation.objects.filter(pk__in=consultation_ids, status=ConsultationStatus.OPEN),
            set_values={"status": ConsultationStatus.CLOSED, "closed_at": timezone.now()},
        )
    ]
    if closed:
        ConsultationResponse.objects.filter(consultation_id__in=closed, response=rules.Response.PENDING).update(
            response=rules.Response.DEEMED_ASSENT, responded_at=timezone.now()
        )
        audit_record_many(
            kind="consultation.close",
            actor=SystemActor("consultation sweep"),
            events=(
                EventDraft("protocols.consultation", consultation_id, detail={"deemed_assent": True})
                for consultation_id in closed
            ),
        )
    return closed


@dataclass(frozen=True)
class SweepResult:
    reminded: int
    closed: int


def consultations_sweep(*, today: date) -> SweepResult:
    """Remind agencies that have not responded two working days before the deadline; after the deadline,
    record the rest as deemed assent and close (idempotent: run it as often as you like)."""
    nation = nation_from(settings.BANK_HOLIDAY_NATION)
    open_ones = list(
        Consultation.objects.filter(status=ConsultationStatus.OPEN).select_related("protocol__current_version")
    )
    due_for_reminder = [c for c in open_ones if rules.reminder_due(c.opened_on, c.deadline, today, nation=nation)]
    drafts = []
    if due_for_reminder:
        pending = ConsultationResponse.objects.filter(
            consultation__in=due_for_reminder, response=rules.Response.PENDING
        ).values_list("consultation_id", "agency_id")
        pending_by_consultation: dict[int, list[int]] = {}
        for consultation_id, agency_id in pending:
            pending_by_consultation.setdefault(consultation_id, []).append(agency_id)
        responders = _responders({agency for agencies in pending_by_consultation.values() for agency in agencies})
        for consultation in due_for_reminder:
            for agency_id in pending_by_consultation.get(consultation.pk, []):
                for user_id in responders.get(agency_id, []):
                    drafts.append(
                        NotificationDraft(
                            user_id,
                            f"consultation:{consultation.pk}:reminder",
                            f"Two working days left to respond on {consultation.protocol}",
                            f"Your agency has not responded. After {long_date(consultation.deadline)} it will be "
                            # Buckinghamshire 2: silence is assent.
                            "recorded as agreeing: the protocol counts silence as agreement"
                            f"{consultation.protocol.cite('consultation')}.",
                            _link(consultation),
                        )
                    )
    reminded = notify_many(drafts)
    with transaction.atomic():
        closed = _close([c.pk for c in open_ones if today > c.deadline])
        admins = partnership_admins()
        notify_many(
            NotificationDraft(
                user_id,
                f"consultation:{consultation_id}:closed",
                "A consultation has closed: record its outcome",
                "The deadline has passed; agencies that did not respond are recorded as agreeing.",
                f"/consultations/{consultation_id}/",
            )
            for consultation_id in closed
            for user_id in admins
        )
    return SweepResult(reminded=reminded, closed=len(closed))


@transaction.atomic
def consultation_decide(*, actor: Any, consultation: Consultation, adopt: bool, note: str = "") -> Consultation:
    """Record the outcome once the deadline has passed: adopt (the version comes into force, signatures
    carry over) or reject (the protocol returns to where it was). A quorum, if set, must be met to adopt."""
    consultation = (
        Consultation.objects.select_for_update().select_related("protocol", "proposed_version").get(pk=consultation.pk)
    )
    require(actor, "decide", consultation)
    if not rules.outcome_due(consultation.status, consultation.deadline, timezone.localdate()):
        if consultation.status == ConsultationStatus.DECIDED:
            raise ValidationError({"outcome": "The outcome has already been recorded."})
        raise ValidationError({"outcome": f"Responses are open until {long_date(consultation.deadline)}."})
    if consultation.status == ConsultationStatus.OPEN:
        _close([consultation.pk])
        consultation.refresh_from_db()
    result = rules.tally(consultation.responses.values_list("response", flat=True))
    if adopt and not rules.quorum_met(result, consultation.quorum_percent):
        share = result.assenting * 100 // max(result.circulated, 1)
        raise ValidationError(
            {"outcome": f"The quorum is not met: {share}% assented, {consultation.quorum_percent}% is required."}
        )
    if not adopt and not note.strip():
        raise ValidationError({"outcome_note": "Say why the change is rejected."})
    protocol = consultation.protocol
    if adopt:
        protocol_adopt(actor=actor, protocol=protocol, version=consultation.proposed_version, consultation=consultation)
    else:
        protocol.status = consultation.previous_status
        protocol.save(update_fields=["status"])
    consultation.status = ConsultationStatus.DECIDED
    consultation.outcome = Outcome.ADOPTED if adopt else Outcome.REJECTED
    consultation.outcome_note = note.strip()
    consultation.decided_by = actor if isinstance(actor, User) else None
    consultation.decided_at = timezone.now()
    consultation.save(update_fields=["status", "outcome", "outcome_note", "decided_by", "decided_at"])
    audit_record(
        kind="consultation.decide",
        actor=actor,
        target=consultation,
        detail={
            "outcome": consultation.outcome,
            "agree": result.agree,
            "object": result.object,
            "deemed_assent": result.deemed_assent,
            "circulated": result.circulated,
        },
    )
    agency_ids = list(consultation.responses.values_list("agency_id", flat=True))
    verb = "adopted" if adopt else "rejected"
    notify_many(
        NotificationDraft(
            user_id,
            f"consultation:{consultation.pk}:outcome",
            f"Version {consultation.proposed_version.number} of {protocol} was {verb}",
            (
                f"Version {consultation.proposed_version.number} of {protocol} is now in force; your agency's "
                "signature carries over unless it was withdrawn."
                if adopt
                else f"The proposed change to {protocol} was rejected: {consultation.outcome_note}"
            ),
            _link(consultation),
        )
        for users in _responders(agency_ids).values()
        for user_id in users
    )
    return consultation
