"""Reporting a breach of protocol and completing the steps it sets (Haringey 6.1-6.2; UK GDPR art. 33; issue 14).

Every service is one transaction: the breach, its obligations, the notifications and the audit events commit
together or not at all. Dates are checked here (a breach identified before it occurred, or in the future, is
refused on its field) and again by the database's constraints.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from agencies.models import Agency, Membership, Role, User
from audit.services import audit_record
from breaches import rules
from breaches.models import Breach, Obligation, ObligationKind, ObligationState
from isp_portal import bounds
from isp_portal.notifications import notify_selected
from isp_portal.policy import NotPermitted, SystemActor, require, restrict
from isp_portal.wording import long_date
from isp_portal.workdays import nation_from
from protocols.models import Protocol, Signature

ANCHOR_IDENTIFIED = "breach identified"
ANCHOR_OCCURRED = "breach occurred"
ANCHOR_MEETING = "partners' meeting"
ANCHOR_AWARE = "became aware of the personal-data breach"
ANCHOR_NOTICE = "indemnity notice received"


def breach_link(breach: Breach) -> str:
    return f"/breaches/{breach.pk}/"


def _nation() -> str:
    return nation_from(settings.BANK_HOLIDAY_NATION)


def obligation_build(
    *,
    kind: ObligationKind,
    anchor: str,
    anchor_at: datetime,
    due_at: datetime,
    responsible_agency_id: int | None,
    nation: str,
    breach: Breach | None = None,
    indemnity_notice: Any = None,
) -> Obligation:
    """An unsaved Obligation with its reminder times (breaches.rules.reminders_for). `due_at` is the moment it
    passes; `due_on` is the London date it falls due on."""
    reminders = rules.reminders_for(kind, due_at, nation=nation)
    now = timezone.now()
    return Obligation(
        breach=breach,
        indemnity_notice=indemnity_notice,
        kind=kind,
        anchor=anchor,
        anchor_at=anchor_at,
        due_at=due_at,
        due_on=rules.due_day(due_at),
        responsible_agency_id=responsible_agency_id,
        remind_at=reminders.first_at,
        remind_again_at=reminders.again_at,
        created_at=now,
    )


def _day_obligation(
    breach: Breach, kind: ObligationKind, anchor: str, anchor_on: date, due_on: date, responsible: int | None
) -> Obligation:
    return obligation_build(
        breach=breach,
        kind=kind,
        anchor=anchor,
        anchor_at=rules.start_of_day(anchor_on),
        due_at=rules.end_of_day(due_on),
        responsible_agency_id=responsible,
        nation=breach.nation,
    )


def written(text: str, *, field: str, missing: str, limit: int = bounds.LONG_TEXT) -> str:
    """`text` stripped, or ValidationError on `field` naming what is missing or the bound (rules.text_problem)."""
    text = text.strip()
    problem = rules.text_problem(text, missing=missing, limit=limit)
    if problem:
        raise ValidationError({field: problem})
    return text


def _reporting_agency(actor: Any, chosen: Agency | None) -> Agency | None:
    """The agency the reporter reports for: the one chosen (among their agencies), else their only one; None for a
    partnership admin with no agency."""
    if isinstance(actor, SystemActor):
        return chosen
    mine = Agency.objects.filter(memberships__user=actor, memberships__is_active=True).distinct().order_by("name")
    if chosen is not None:
        if not mine.filter(pk=chosen.pk).exists():
            raise ValidationError({"reporting_agency": "Choose an agency you are a member of."})
        return chosen
    return mine.first()


def date_problems(occurred_on: date, identified_on: date, today: date) -> dict[str, str]:
    """The field errors of a breach's dates (issue 14's bad input): in the portal's era, not in the future, and
    identified on or after the day it occurred."""
    errors: dict[str, str] = {}
    for field, value, what in (
        ("occurred_on", occurred_on, "occurred"),
        ("identified_on", identified_on, "was identified"),
    ):
        if not bounds.EARLIEST_DATE <= value <= bounds.LATEST_DATE:
            errors[field] = bounds.ERA_ERROR
        elif value > today:
            errors[field] = f"The date the breach {what} cannot be in the future."
    if not errors and identified_on < occurred_on:
        errors["identified_on"] = "A breach cannot be identified before it occurred."
    return errors


def _speakers(agency_ids: Iterable[int]) -> QuerySet[Membership]:
    """The active members who speak for these agencies in the procedure (designated managers, admins, Caldicott
    guardians, DPOs)."""
    return Membership.objects.filter(
        Q(roles__overlap=[Role.DESIGNATED_MANAGER, Role.AGENCY_ADMIN])
        | Q(is_caldicott_guardian=True)
        | Q(is_data_protection_officer=True),
        agency_id__in=list(agency_ids),
        is_active=True,
        user__is_active=True,
    )


def _partnership_admins() -> QuerySet[Membership]:
    return Membership.objects.filter(roles__contains=[Role.PARTNERSHIP_ADMIN], is_active=True, user__is_active=True)


@transaction.atomic
def breach_report(
    *,
    actor: Any,
    protocol: Protocol,
    alleged_agency: Agency,
    occurred_on: date,
    identified_on: date,
    description: str,
    children: Iterable[Any] = (),
    is_personal_data_breach: bool = False,
    aware_at: datetime | None = None,
    reporting_agency: Agency | None = None,
) -> Breach:
    """Report a breach of `protocol` by `alleged_agency` (issue 14; Haringey 6). Creates the breach and its
    obligations (notify the partners, identified + 5 working days; the report, occurred + 10; the meeting,
    occurred + 20; for a personal-data breach, the ICO decision within 72 hours of `aware_at`), and tells the
    reporter's agency, the alleged agency's Caldicott guardian and DPO, and the partnership admins at once.

    Raises ValidationError keyed by field (dates in the future or reversed, an agency that never signed the
    protocol, a child the reporter may not see, a personal-data breach without the time of awareness) and
    NotPermitted when the actor may not report."""
    require(actor, "create", Breach)
    today = timezone.localdate()
    errors = date_problems(occurred_on, identified_on, today)
    description = description.strip()
    problem = rules.text_problem(description, missing="Describe what happened.", limit=bounds.LONG_TEXT)
    if problem:
        errors["description"] = problem
    if not Signature.objects.filter(agency=alleged_agency, version__protocol=protocol).exists():
        errors["alleged_agency"] = f"{alleged_agency.name} has not signed {protocol.title}, so it cannot breach it."
    if is_personal_data_breach:
        if aware_at is None:
            errors["aware_at"] = "Give the date and time your agency became aware of the personal-data breach."
        elif aware_at > timezone.now():
            errors["aware_at"] = "The time you became aware cannot be in the future."
        elif "occurred_on" not in errors and timezone.localtime(aware_at).date() < occurred_on:
            errors["aware_at"] = "You cannot have become aware of the breach before it occurred."
    elif aware_at is not None:
        aware_at = None  # only a personal-data breach runs the ICO's clock
    children = list(children)
    if children:
        from sharing.models import Child

        visible = set(
            restrict(actor, "view", Child).filter(pk__in=[c.pk for c in children]).values_list("pk", flat=True)
        )
        if any(child.pk not in visible for child in children):
            errors["children"] = "Choose children from the index that you may see."
    reporter_agency = None
    try:
        reporter_agency = _reporting_agency(actor, reporting_agency)
    except ValidationError as error:
        errors.update(error.message_dict)  # type: ignore[arg-type]
    if (
        reporter_agency is not None
        and "protocol" not in errors
        and not Signature.objects.filter(agency=reporter_agency, protocol=protocol, withdrawn_at__isnull=True).exists()
    ):
        # Issue 14: a breach is reported of a protocol the reporter's agency signed (it is a partner to it).
        errors["protocol"] = f"{reporter_agency.name} has not signed {protocol.title}: choose a protocol it signed."
    if errors:
        raise ValidationError(errors)
    breach = Breach.objects.create(
        protocol=protocol,
        protocol_version_id=protocol.current_version_id,
        alleged_agency=alleged_agency,
        reporting_agency=reporter_agency,
        reported_by=actor,
        occurred_on=occurred_on,
        identified_on=identified_on,
        description=description,
        is_personal_data_breach=is_personal_data_breach,
        aware_at=aware_at,
        nation=_nation(),
    )
    breach.refresh_from_db(fields=["register_number"])
    if children:
        breach.children.set(children)
    due = rules.obligation_due_dates(occurred_on, identified_on, nation=breach.nation)
    reporter_id = reporter_agency.pk if reporter_agency is not None else None
    obligations = [
        _day_obligation(
            breach, ObligationKind.NOTIFY_PARTNERS, ANCHOR_IDENTIFIED, identified_on,
            due[ObligationKind.NOTIFY_PARTNERS], reporter_id,
        ),
        _day_obligation(
            breach, ObligationKind.BREACH_REPORT, ANCHOR_OCCURRED, occurred_on,
            due[ObligationKind.BREACH_REPORT], alleged_agency.pk,
        ),
        _day_obligation(
            breach, ObligationKind.PARTNERS_MEETING, ANCHOR_OCCURRED, occurred_on,
            due[ObligationKind.PARTNERS_MEETING], None,
        ),
    ]  # fmt: skip
    if is_personal_data_breach and aware_at is not None:
        obligations.append(
            obligation_build(
                breach=breach,
                kind=ObligationKind.ICO_DECISION,
                anchor=ANCHOR_AWARE,
                anchor_at=aware_at,
                due_at=rules.ico_deadline(aware_at),
                responsible_agency_id=alleged_agency.pk,
                nation=breach.nation,
            )
        )
    Obligation.objects.bulk_create(obligations)
    audit_record(
        kind="breach.report",
        actor=actor,
        target=breach,
        detail={
            "alleged_agency": alleged_agency.pk,
            "reporting_agency": reporter_id,
            "occurred_on": occurred_on.isoformat(),
            "identified_on": identified_on.isoformat(),
            "personal_data_breach": is_personal_data_breach,
            "children": len(children),
        },
    )
    subject = f"Breach {breach.reference} reported: {alleged_agency.name}"
    body = (
        f"A breach of {protocol.title} by {alleged_agency.name} was reported on {long_date(today)}. It occurred on "
        f"{long_date(occurred_on)} and was identified on {long_date(identified_on)}. The partners must be told by "
        f"{long_date(due[ObligationKind.NOTIFY_PARTNERS])}; the report of the agency in breach is due by "
        f"{long_date(due[ObligationKind.BREACH_REPORT])} and the partners' meeting by "
        f"{long_date(due[ObligationKind.PARTNERS_MEETING])} (the protocol, sections 6.1 to 6.3)."
    )
    if is_personal_data_breach:
        body += " It is a personal-data breach: whether to tell the ICO must be decided within 72 hours."
    told = (
        _speakers([reporter_id] if reporter_id else []).exclude(user_id=getattr(actor, "pk", None) or 0)
        | Membership.objects.filter(
            Q(is_caldicott_guardian=True) | Q(is_data_protection_officer=True),
            agency=alleged_agency,
            is_active=True,
            user__is_active=True,
        )
        | _partnership_admins()
    )
    notify_selected(
        told.values("user_id"), key=f"breach-{breach.pk}-reported", subject=subject, body=body, link=breach_link(breach)
    )
    return breach


def _complete(obligation: Obligation, *, actor: Any, note: str = "", at: datetime | None = None) -> Obligation:
    """Record `obligation` done at `at` (now by default) by `actor`, once (the trigger freezes it after). Call
    inside the caller's transaction, with the obligation locked."""
    if obligation.state == ObligationState.DONE:
        raise ValidationError({"obligation": "This step is already done; its completion time cannot change."})
    require(actor, "complete", obligation)
    obligation.state = ObligationState.DONE
    obligation.completed_at = at or timezone.now()
    obligation.completed_by = actor if isinstance(actor, User) else None
    obligation.completion_note = note.strip()[: bounds.REASON]
    obligation.save(update_fields=["state", "completed_at", "completed_by", "completion_note"])
    late = rules.lateness(obligation.due_at, obligation.completed_at, now=obligation.completed_at)
    audit_record(
        kind="breach.obligation.complete",
        actor=actor,
        target=obligation,
        detail={
            "breach": obligation.breach_id,
            "obligation": obligation.kind,
            "due_at": obligation.due_at.isoformat(),
            "late_seconds": int(late.total_seconds()) if late else 0,
        },
    )
    return obligation


def obligation_locked(breach: Breach, kind: ObligationKind) -> Obligation:
    """The breach's obligation of `kind`, locked for update; ValidationError when the breach has none."""
    obligation = Obligation.objects.select_for_update().filter(breach=breach, kind=kind).first()
    if obligation is None:
        raise ValidationError({"obligation": "This breach has no such step."})
    obligation.breach = breach
    return obligation


@transaction.atomic
def breach_partners_notify(*, actor: Any, breach: Breach, note: str = "") -> Obligation:
    """Tell the other partner agencies of the breach (Haringey 6.1): every agency with a live signature on the
    protocol's current version, through the people who speak for it. Completes `notify_partners`."""
    breach = Breach.objects.select_for_update().get(pk=breach.pk)
    obligation = obligation_locked(breach, ObligationKind.NOTIFY_PARTNERS)
    _complete(obligation, actor=actor, note=note)
    partners = Signature.objects.filter(
        version_id=breach.protocol.current_version_id, withdrawn_at__isnull=True
    ).values_list("agency_id", flat=True)
    subject = f"Breach {breach.reference}: {breach.alleged_agency.name}"
    body = (
        f"A breach of {breach.protocol.title} by {breach.alleged_agency.name} occurred on "
        f"{long_date(breach.occurred_on)} and was identified on {long_date(breach.identified_on)}. The partners "
        "meet about it within 20 working days of the breach (the protocol, section 6.3)."
    )
    notify_selected(
        _speakers(list(partners)).exclude(user_id=getattr(actor, "pk", None) or 0).values("user_id"),
        key=f"breach-{breach.pk}-partners",
        subject=subject,
        body=body,
        link=breach_link(breach),
    )
    return obligation


@transaction.atomic
def breach_report_submit(*, actor: Any, breach: Breach, report: str) -> Breach:
    """The agency in breach's report with details of the breach and the actions taken (Haringey 6.2), once.
    Completes `breach_report` and tells the partnership admins."""
    breach = Breach.objects.select_for_update().get(pk=breach.pk)
    obligation = obligation_locked(breach, ObligationKind.BREACH_REPORT)
    require(actor, "complete", obligation)
    report = report.strip()
    if breach.report_submitted_at is not None:
        raise ValidationError({"report": "The report has been submitted; it cannot be changed."})
    report = written(report, field="report", missing="Write the report: what happened and the actions taken since.")
    breach.report = report
    breach.report_submitted_by = actor if isinstance(actor, User) else None
    breach.report_submitted_at = timezone.now()
    if breach.report_submitted_by is None:
        raise NotPermitted(action="complete", target_type="breaches.breach", reason="A person submits the report.")
    breach.save(update_fields=["report", "report_submitted_by", "report_submitted_at"])
    _complete(obligation, actor=actor)
    notify_selected(
        _partnership_admins().values("user_id"),
        key=f"breach-{breach.pk}-report",
        subject=f"Breach {breach.reference}: the report of {breach.alleged_agency.name}",
        body="The agency in breach has submitted its report with the actions taken (the protocol, section 6.2).",
        link=breach_link(breach),
    )
    return breach


@transaction.atomic
def breach_ico_decide(*, actor: Any, breach: Breach, reportable: bool, reason: str) -> Breach:
    """Record whether a personal-data breach must be reported to the ICO, who decided and why (UK GDPR art. 33(1),
    33(5)). Completes `ico_decision`; when reportable, opens `ico_notified`, due 72 hours after awareness."""
    breach = Breach.objects.select_for_update().get(pk=breach.pk)
    if not breach.is_personal_data_breach or breach.aware_at is None:
        raise ValidationError({"reportable": "Only a personal-data breach is decided for the ICO."})
    obligation = obligation_locked(breach, ObligationKind.ICO_DECISION)
    require(actor, "complete", obligation)
    reason = reason.strip()
    if breach.ico_reportable is not None:
        raise ValidationError({"reportable": "The decision is recorded; it cannot be changed."})
    reason = written(
        reason,
        field="reason",
        missing="Say why: the facts, the likely effects and the risk to people (art. 33(5)).",
        limit=bounds.REASON,
    )
    if not isinstance(actor, User):
        raise NotPermitted(action="complete", target_type="breaches.breach", reason="A person decides.")
    breach.ico_reportable = reportable
    breach.ico_decided_by = actor
    breach.ico_decided_at = timezone.now()
    breach.ico_decision_reason = reason
    breach.save(update_fields=["ico_reportable", "ico_decided_by", "ico_decided_at", "ico_decision_reason"])
    _complete(obligation, actor=actor, note="Reportable" if reportable else "Not reportable")
    if reportable:
        Obligation.objects.bulk_create(
            [
                obligation_build(
                    breach=breach,
                    kind=ObligationKind.ICO_NOTIFIED,
                    anchor=ANCHOR_AWARE,
                    anchor_at=breach.aware_at,
                    due_at=rules.ico_deadline(breach.aware_at),
                    responsible_agency_id=breach.alleged_agency_id,
                    nation=breach.nation,
                )
            ]
        )
    audit_record(kind="breach.ico.decide", actor=actor, target=breach, detail={"reportable": reportable})
    return breach


@transaction.atomic
def breach_ico_notified(
    *, actor: Any, breach: Breach, notified_at: datetime, reference: str = "", delay_reason: str = ""
) -> Breach:
    """Record when the ICO was told (UK GDPR art. 33(1)); after the 72 hours, with the reasons for the delay. The
    obligation is completed at `notified_at` (when it was done, not when it was recorded)."""
    breach = Breach.objects.select_for_update().get(pk=breach.pk)
    obligation = obligation_locked(breach, ObligationKind.ICO_NOTIFIED)
    require(actor, "complete", obligation)
    errors: dict[str, str] = {}
    reference, delay_reason = reference.strip(), delay_reason.strip()
    if notified_at.tzinfo is None:
        errors["notified_at"] = "Give the time with its time zone."
    elif notified_at > timezone.now():
        errors["notified_at"] = "The time the ICO was told cannot be in the future."
    elif breach.aware_at is not None and notified_at < breach.aware_at:
        errors["notified_at"] = "The ICO cannot have been told before your agency became aware of the breach."
    if len(reference) > 64:
        errors["reference"] = "Keep the ICO's reference to 64 characters."
    if len(delay_reason) > bounds.REASON:
        errors["delay_reason"] = f"Keep the reasons to {bounds.REASON:,} characters."
    if "notified_at" not in errors and notified_at > obligation.due_at and not delay_reason:
        errors["delay_reason"] = (
            "The ICO was told more than 72 hours after your agency became aware: give the reasons for the delay "
            "(UK GDPR art. 33(1))."
        )
    if errors:
        raise ValidationError(errors)
    breach.ico_notified_at = notified_at
    breach.ico_reference = reference
    breach.ico_delay_reason = delay_reason
    breach.save(update_fields=["ico_notified_at", "ico_reference", "ico_delay_reason"])
    _complete(obligation, actor=actor, note=reference, at=notified_at)
    return breach
