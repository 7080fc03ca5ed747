"""The partners' meeting about a breach, with recusal, and the sanctions it imposes (Haringey 6.3-6.6; issue 14;
DESIGN 2.5).

The breach is an agenda item of a partners' meeting (protocols.Meeting). At the meeting the agency in breach
presents its report (the meeting is held: `partners_meeting` done, `minutes_circulated` due 5 working days later),
then withdraws; the others deliberate, draft sanctions and vote; the decision is recorded, which imposes the
sanctions (a suspension inserts agencies.AgencySanction, enforced by the question sharing asks; retraining inserts
agencies.RetrainingRequirement, read by the training gate); the agency is recalled and told, at a recorded time;
the minutes are circulated. Every step is one transaction, audited, and moves the stage forward only (the database
trigger breaches_hearing_forward refuses anything else). Who may do each is breaches.hearing_policy's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from agencies.identity import identity_changed
from agencies.models import Agency, AgencySanction, RetrainingRequirement, SanctionDirection, SanctionScope, User
from audit.services import audit_record
from breaches import rules
from breaches.models import (
    Breach,
    Hearing,
    HearingStage,
    HearingVote,
    ObligationKind,
    SanctionDecision,
    SanctionKind,
    VoteChoice,
)
from breaches.services.breaches import (
    ANCHOR_MEETING,
    _complete,
    _partnership_admins,
    _speakers,
    breach_link,
    obligation_build,
    obligation_locked,
    written,
)
from isp_portal import bounds
from isp_portal.notifications import notify_selected
from isp_portal.policy import NotPermitted, require
from isp_portal.wording import long_date
from protocols.models import AgendaItem, Meeting, Signature
from protocols.services.meetings import meeting_circulate_minutes, meeting_create, meeting_record_minutes

SUSPENSIONS = {
    SanctionKind.SUSPENSION_SENSITIVE: SanctionScope.SENSITIVE_TIER,
    SanctionKind.SUSPENSION_PROTOCOL: SanctionScope.PROTOCOL,
}
_STAGE_WORDS = {
    HearingStage.SCHEDULED: "on the agenda, not yet presented",
    HearingStage.PRESENTED: "presented; the agency in breach has not yet withdrawn",
    HearingStage.DELIBERATING: "in deliberation",
    HearingStage.DECIDED: "decided",
    HearingStage.TOLD: "decided and the agency in breach told",
}


def hearing_link(breach: Breach) -> str:
    return f"/breaches/{breach.pk}/hearing/"


def _locked(breach: Breach) -> tuple[Breach, Hearing]:
    """The breach and its hearing, locked (the breach first, as every breaches service locks it)."""
    breach = Breach.objects.select_for_update().select_related("alleged_agency", "protocol").get(pk=breach.pk)
    hearing = Hearing.objects.select_for_update().filter(breach=breach).select_related("meeting").first()
    if hearing is None:
        raise ValidationError({"stage": "This breach is not on a meeting's agenda yet."})
    hearing.breach = breach
    return breach, hearing


def _at_stage(hearing: Hearing, *stages: HearingStage, doing: str) -> None:
    if hearing.stage not in stages:
        now = _STAGE_WORDS[HearingStage(hearing.stage)]
        raise ValidationError({"stage": f"The hearing is {now}, so you cannot {doing} now."})


def _partner_agency_ids(breach: Breach) -> list[int]:
    """The agencies with a live signature on the breached protocol's current version (Haringey 6.1's partners)."""
    return list(
        Signature.objects.filter(version_id=breach.protocol.current_version_id, withdrawn_at__isnull=True)
        .values_list("agency_id", flat=True)
        .distinct()
    )


def _audit(step: str, actor: Any, hearing: Hearing, **detail: Any) -> None:
    audit_record(
        kind=f"breach.hearing.{step}",
        actor=actor,
        target=hearing,
        detail={"breach": hearing.breach_id, "stage": hearing.stage, **detail},
    )


@transaction.atomic
def hearing_schedule(
    *,
    actor: Any,
    breach: Breach,
    meeting: Meeting | None = None,
    held_on: date | None = None,
    title: str = "",
    location: str = "",
) -> Hearing:
    """Put `breach` on the agenda of a partners' meeting (Haringey 6.3): `meeting`, or a new one on `held_on`. The
    agency in breach is added to the attendees (it presents, 6.4); the agenda item is titled with the breach's
    reference. Refused on its field: a meeting dated before the breach occurred, a meeting whose minutes are out, a
    breach already on an agenda."""
    breach = Breach.objects.select_for_update().select_related("alleged_agency", "protocol").get(pk=breach.pk)
    require(actor, "schedule_hearing", breach)
    errors: dict[str, str] = {}
    if Hearing.objects.filter(breach=breach).exists():
        errors["meeting"] = f"Breach {breach.reference} is already on a meeting's agenda."
    if meeting is not None:
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        held_on = meeting.held_on
        if meeting.minutes_circulated_on is not None:
            errors["meeting"] = "That meeting's minutes have been circulated: choose a later meeting or arrange one."
    field = "meeting" if meeting is not None else "held_on"
    if held_on is None:
        errors[field] = "Choose a meeting, or give the date of a new one."
    elif not bounds.EARLIEST_DATE <= held_on <= bounds.LATEST_DATE:
        errors[field] = bounds.ERA_ERROR
    elif held_on < breach.occurred_on:
        errors.setdefault(
            field,
            f"The meeting cannot be before the breach occurred ({long_date(breach.occurred_on)}): the partners meet "
            "about a breach after it.",
        )
    title = title.strip()
    if len(title) > 200:
        errors["title"] = "Keep the title to 200 characters."
    if errors:
        raise ValidationError(errors)
    assert held_on is not None
    item_title = f"Breach {breach.reference}: {breach.alleged_agency.name}"[:200]
    if meeting is None:
        partners = Agency.objects.filter(pk__in={*_partner_agency_ids(breach), breach.alleged_agency_id})
        meeting = meeting_create(
            actor=actor,
            title=title or f"Partners' meeting about breach {breach.reference}",
            held_on=held_on,
            location=location,
            attendee_agencies=partners,
            agenda=[(item_title, None)],
        )
    else:
        meeting.attendee_agencies.add(breach.alleged_agency)
        last = AgendaItem.objects.filter(meeting=meeting).order_by("-position").values_list("position", flat=True)
        AgendaItem.objects.create(meeting=meeting, position=(last.first() or 0) + 1, title=item_title)
    hearing = Hearing.objects.create(breach=breach, meeting=meeting)
    _audit("schedule", actor, hearing, meeting=meeting.pk, held_on=held_on.isoformat())
    notify_selected(
        _speakers([breach.alleged_agency_id, *_partner_agency_ids(breach)]).values("user_id"),
        key=f"breach-{breach.pk}-hearing-scheduled",
        subject=f"Breach {breach.reference} is on the agenda of {meeting.title}",
        body=(
            f"The partners meet about breach {breach.reference} by {breach.alleged_agency.name} on "
            f"{long_date(held_on)}. The agency in breach presents its report, then withdraws while the partners "
            "deliberate; it is recalled and told the decision (the protocol, sections 6.4 and 6.5)."
        ),
        link=hearing_link(breach),
    )
    return hearing


@transaction.atomic
def hearing_present(*, actor: Any, breach: Breach) -> Hearing:
    """The agency in breach has presented its report at the meeting (Haringey 6.4): the meeting is held, so the
    `partners_meeting` step is done now and `minutes_circulated` falls due 5 working days after the meeting's date
    (6.6)."""
    breach, hearing = _locked(breach)
    require(actor, "run", hearing)
    _at_stage(hearing, HearingStage.SCHEDULED, doing="record the report as presented")
    held_on = hearing.meeting.held_on
    if held_on > timezone.localdate():
        raise ValidationError({"stage": f"The meeting is on {long_date(held_on)}: the report is presented there."})
    now = timezone.now()
    hearing.stage = HearingStage.PRESENTED
    hearing.presented_at = now
    hearing.save(update_fields=["stage", "presented_at"])
    meeting_step = obligation_locked(breach, ObligationKind.PARTNERS_MEETING)
    if meeting_step.completed_at is None:
        # Done when the meeting was held, not when it is recorded (Haringey 6.3; break t14 F2).
        _complete(meeting_step, actor=actor, note=f"Held on {long_date(held_on)}", at=rules.done_on(held_on, now=now))
    due = rules.obligation_due_dates(
        breach.occurred_on, breach.identified_on, meeting_held_on=held_on, nation=breach.nation
    )[ObligationKind.MINUTES_CIRCULATED]
    obligation_build(
        breach=breach,
        kind=ObligationKind.MINUTES_CIRCULATED,
        anchor=ANCHOR_MEETING,
        anchor_at=rules.start_of_day(held_on),
        due_at=rules.end_of_day(due),
        responsible_agency_id=None,
        nation=breach.nation,
    ).save()
    _audit("present", actor, hearing, minutes_due_on=due.isoformat())
    return hearing


@transaction.atomic
def hearing_withdraw(*, actor: Any, breach: Breach) -> Hearing:
    """The agency in breach withdraws while the partners deliberate (Haringey 6.5): recusal starts."""
    breach, hearing = _locked(breach)
    require(actor, "run", hearing)
    _at_stage(hearing, HearingStage.PRESENTED, doing="record the agency in breach as withdrawn")
    hearing.stage = HearingStage.DELIBERATING
    hearing.withdrew_at = timezone.now()
    hearing.save(update_fields=["stage", "withdrew_at"])
    _audit("withdraw", actor, hearing)
    return hearing


@transaction.atomic
def hearing_notes_record(*, actor: Any, breach: Breach, notes: str) -> Hearing:
    """The deliberation notes (replacing the last saved), while deliberating. The audit event holds no text."""
    breach, hearing = _locked(breach)
    require(actor, "run", hearing)
    _at_stage(hearing, HearingStage.DELIBERATING, doing="record deliberation notes")
    notes = written(notes, field="notes", missing="Write the deliberation notes.")
    hearing.deliberation_notes = notes
    hearing.save(update_fields=["deliberation_notes"])
    _audit("notes", actor, hearing, characters=len(notes))
    return hearing


@transaction.atomic
def hearing_sanction_draft(
    *,
    actor: Any,
    breach: Breach,
    kind: str,
    reason: str,
    from_on: date | None = None,
    until_on: date | None = None,
    direction: str = "",
    users: Iterable[User] = (),
) -> SanctionDecision:
    """Draft a sanction in deliberation (Haringey 6.6; DESIGN 2.5): a formal warning; retraining of named users of
    the agency in breach; a suspension from the sensitive tier, or from the protocol, for sending, receiving or
    both, from a day (not before today) until the day it is lifted (or open-ended). Refused on its field: a
    sanction ending before it starts, a suspension without its start or direction, retraining of nobody or of
    someone outside the agency in breach."""
    breach, hearing = _locked(breach)
    require(actor, "run", hearing)
    _at_stage(hearing, HearingStage.DELIBERATING, doing="draft a sanction")
    errors: dict[str, str] = {}
    reason = reason.strip()
    users = list(users)
    if kind not in SanctionKind.values:
        errors["kind"] = "Choose the sanction."
    problem = rules.text_problem(reason, missing="Say why the partners agree this sanction.", limit=bounds.REASON)
    if problem:
        errors["reason"] = problem
    suspension = kind in SUSPENSIONS
    today = timezone.localdate()
    for field, value in (("from_on", from_on), ("until_on", until_on)):
        if value is not None and not bounds.EARLIEST_DATE <= value <= bounds.LATEST_DATE:
            errors[field] = bounds.ERA_ERROR
    if suspension:
        if direction not in SanctionDirection.values:
            errors["direction"] = "Choose whether the agency is suspended from sending, receiving or both."
        if from_on is None:
            errors.setdefault("from_on", "Give the day the suspension starts.")
        elif from_on < today:
            errors.setdefault("from_on", "A suspension cannot start before today.")
    else:
        # A warning is given and retraining required when the decision is recorded: neither has a period.
        direction, from_on, until_on = "", None, None
    if until_on is not None and "until_on" not in errors:
        if from_on is None:
            errors.setdefault("from_on", "Give the day the sanction starts as well as the day it ends.")
        elif until_on <= from_on:
            errors["until_on"] = "A sanction cannot end before it starts: give an end date after the start date."
    if kind == SanctionKind.RETRAINING:
        members = set(
            User.objects.filter(
                pk__in=[user.pk for user in users],
                memberships__agency_id=breach.alleged_agency_id,
                memberships__is_active=True,
            ).values_list("pk", flat=True)
        )
        if not users:
            errors["users"] = "Name the people of the agency in breach who must retrain."
        elif any(user.pk not in members for user in users):
            errors["users"] = "Name only people of the agency in breach."
    else:
        users = []
    if errors:
        raise ValidationError(errors)
    if not isinstance(actor, User):
        raise NotPermitted(action="run", target_type="breaches.hearing", reason="A person drafts a sanction.")
    sanction = SanctionDecision.objects.create(
        hearing=hearing,
        kind=kind,
        direction=direction,
        from_on=from_on,
        until_on=until_on,
        reason=reason,
        drafted_by=actor,
    )
    if users:
        sanction.users.set(users)
    _audit("sanction", actor, hearing, sanction=sanction.pk, sanction_kind=kind, users=len(users))
    return sanction


@transaction.atomic
def hearing_sanction_remove(*, actor: Any, breach: Breach, sanction: SanctionDecision) -> Hearing:
    """Remove a sanction drafted in deliberation, before the decision imposes it (Haringey 6.6: the partners agree
    the sanctions; a draft they do not agree goes). Refused on `sanction`: one of another breach's hearing, or one
    already imposed (the decision stands: the database trigger breaches_sanction_imposed_kept refuses it too).
    Audited with what it was; the people a retraining draft named go with it."""
    breach, hearing = _locked(breach)
    require(actor, "run", hearing)
    _at_stage(hearing, HearingStage.DELIBERATING, doing="remove a draft sanction")
    draft = SanctionDecision.objects.select_for_update().filter(pk=sanction.pk, hearing=hearing).first()
    if draft is None:
        raise ValidationError({"sanction": f"That sanction is not one drafted for breach {breach.reference}."})
    if draft.imposed_at is not None:
        raise ValidationError({"sanction": "That sanction was imposed by the decision, so it stays."})
    detail = {"sanction": draft.pk, "sanction_kind": draft.kind, "reason_characters": len(draft.reason)}
    draft.delete()  # with its named people (the many-to-many rows)
    _audit("sanction_remove", actor, hearing, **detail)
    return hearing


@transaction.atomic
def hearing_vote_cast(*, actor: Any, breach: Breach, agency: Agency, choice: str) -> HearingVote:
    """A partner agency's vote on the proposed decision, in deliberation, once; never the agency in breach's."""
    from breaches.hearing_policy import vote_for_refusal

    breach, hearing = _locked(breach)
    require(actor, "vote", hearing)
    _at_stage(hearing, HearingStage.DELIBERATING, doing="record a vote")
    errors: dict[str, str] = {}
    if agency.pk == breach.alleged_agency_id:
        errors["agency"] = "The agency in breach does not vote on its own breach (the protocol, section 6.5)."
    elif agency.pk not in _partner_agency_ids(breach):
        errors["agency"] = f"{agency.name} is not a partner to {breach.protocol.title}, so it has no vote."
    elif HearingVote.objects.filter(hearing=hearing, agency=agency).exists():
        errors["agency"] = f"{agency.name} has already voted."
    if choice not in VoteChoice.values:
        errors["choice"] = "Choose for, against or abstain."
    if errors:
        raise ValidationError(errors)
    refused = vote_for_refusal(actor, agency.pk) or (None if isinstance(actor, User) else "A person casts a vote.")
    if refused:
        raise NotPermitted(action="vote", target_type="breaches.hearing", target_id=str(hearing.pk), reason=refused)
    vote = HearingVote.objects.create(hearing=hearing, agency=agency, choice=choice, cast_by=actor)
    _audit("vote", actor, hearing, agency=agency.pk, choice=choice)
    return vote


@transaction.atomic
def hearing_decide(*, actor: Any, breach: Breach, decision: str) -> Hearing:
    """Record the decision (Haringey 6.5-6.6): recusal ends, and every drafted sanction is imposed: a suspension
    inserts an agencies.AgencySanction naming the breach (enforced by agencies.policy.sharing_refusal from its
    first day, ending by itself at `until_on`); retraining inserts an agencies.RetrainingRequirement for each named
    person, so their training no longer counts until they complete the course again."""
    breach, hearing = _locked(breach)
    require(actor, "run", hearing)
    _at_stage(hearing, HearingStage.DELIBERATING, doing="record the decision")
    decision = written(decision, field="decision", missing="Write the decision: what the partners agreed.")
    if not isinstance(actor, User):
        raise NotPermitted(action="run", target_type="breaches.hearing", reason="A person records the decision.")
    now = timezone.now()
    hearing.stage = HearingStage.DECIDED
    hearing.decision = decision
    hearing.decided_at = now
    hearing.decided_by = actor
    hearing.save(update_fields=["stage", "decision", "decided_at", "decided_by"])
    sanctions = list(SanctionDecision.objects.select_for_update().filter(hearing=hearing).order_by("pk"))
    by_pk = {sanction.pk: sanction for sanction in sanctions}
    retrain_users: dict[int, SanctionDecision] = {}  # each person once, with the first sanction naming them
    for link in SanctionDecision.users.through.objects.filter(sanctiondecision__in=sanctions).order_by("pk"):
        retrain_users.setdefault(link.user_id, by_pk[link.sanctiondecision_id])
    for sanction in sanctions:
        sanction.imposed_at = now
        if sanction.kind in SUSPENSIONS:
            assert sanction.from_on is not None
            sanction.agency_sanction = AgencySanction.objects.create(
                agency_id=breach.alleged_agency_id,
                scope=SUSPENSIONS[SanctionKind(sanction.kind)],
                direction=sanction.direction,
                from_on=sanction.from_on,
                until_on=sanction.until_on,
                reason=sanction.reason,
                breach_reference=breach.reference,
                created_by=actor,
            )
        sanction.save(update_fields=["imposed_at", "agency_sanction"])
        audit_record(
            kind="breach.sanction.impose",
            actor=actor,
            target=sanction,
            detail={
                "breach": breach.pk,
                "kind": sanction.kind,
                "agency": breach.alleged_agency_id,
                "agency_sanction": sanction.agency_sanction_id,
                "from_on": sanction.from_on.isoformat() if sanction.from_on else None,
                "until_on": sanction.until_on.isoformat() if sanction.until_on else None,
            },
        )
    RetrainingRequirement.objects.bulk_create(
        [
            RetrainingRequirement(
                user_id=user_id,
                required_since=now,
                required_on=timezone.localdate(now),
                reason=sanction.reason,
                breach_reference=breach.reference,
                created_by=actor,
            )
            for user_id, sanction in retrain_users.items()
        ]
    )
    for user_id in retrain_users:
        identity_changed(user_id)  # bulk_create sends no signal: the cached training validity is stale
    _audit("decide", actor, hearing, sanctions=len(sanctions), retraining=sorted(retrain_users))
    return hearing


def sanction_words(sanction: SanctionDecision) -> str:
    """A sanction in words, with its period for a suspension (the notice to the agency in breach; the page
    removing a draft)."""
    words = sanction.get_kind_display()
    if sanction.kind in SUSPENSIONS and sanction.from_on is not None:
        direction = SanctionDirection(sanction.direction).label.lower()
        until = f" until {long_date(sanction.until_on)}" if sanction.until_on else " until the partnership lifts it"
        words += f" ({direction}), from {long_date(sanction.from_on)}{until}"
    return words


@transaction.atomic
def hearing_tell(*, actor: Any, breach: Breach) -> Hearing:
    """The agency in breach is recalled and told the decision (Haringey 6.5): the time it was told is recorded, and
    the people who speak for it are told in the portal and by email, with the sanctions."""
    breach, hearing = _locked(breach)
    require(actor, "run", hearing)
    _at_stage(hearing, HearingStage.DECIDED, doing="record the agency in breach as told")
    if not isinstance(actor, User):
        raise NotPermitted(action="run", target_type="breaches.hearing", reason="A person tells the agency.")
    hearing.stage = HearingStage.TOLD
    hearing.told_at = timezone.now()
    hearing.told_by = actor
    hearing.save(update_fields=["stage", "told_at", "told_by"])
    sanctions = [sanction_words(s) for s in SanctionDecision.objects.filter(hearing=hearing).order_by("pk")]
    body = f"The partners' decision on breach {breach.reference}: {hearing.decision}"
    body += "\n\nSanctions: " + ("; ".join(sanctions) if sanctions else "none") + "."
    notify_selected(
        _speakers([breach.alleged_agency_id]).values("user_id"),
        key=f"breach-{breach.pk}-hearing-told",
        subject=f"Breach {breach.reference}: the partners' decision",
        body=body,
        link=hearing_link(breach),
    )
    _audit("tell", actor, hearing, told_at=hearing.told_at.isoformat())
    return hearing


@transaction.atomic
def hearing_minutes_circulate(*, actor: Any, breach: Breach, minutes: str = "") -> Hearing:
    """Circulate the meeting's minutes with the agreed actions and sanctions (Haringey 6.6), through protocols'
    meeting services (recorded first when `minutes` is given); completes `minutes_circulated`. Only after the
    decision: the minutes carry the sanctions. A meeting whose minutes another hearing already circulated
    completes the step at once."""
    breach, hearing = _locked(breach)
    require(actor, "run", hearing)
    _at_stage(hearing, HearingStage.DECIDED, HearingStage.TOLD, doing="circulate the minutes")
    obligation = obligation_locked(breach, ObligationKind.MINUTES_CIRCULATED)
    if obligation.completed_at is not None:
        raise ValidationError({"minutes": "The minutes have already been circulated for this breach."})
    meeting = hearing.meeting
    if meeting.minutes_circulated_on is None:
        if minutes.strip():
            meeting = meeting_record_minutes(actor=actor, meeting=meeting, minutes=minutes)
        meeting = meeting_circulate_minutes(actor=actor, meeting=meeting)
    circulated_on = meeting.minutes_circulated_on or timezone.localdate()
    _complete(
        obligation,
        actor=actor,
        note=f"Circulated on {long_date(circulated_on)}",
        at=rules.done_on(circulated_on, now=timezone.now()),  # when circulated, not when recorded (Haringey 6.6)
    )
    notify_selected(
        _partnership_admins().values("user_id"),
        key=f"breach-{breach.pk}-minutes",
        subject=f"Breach {breach.reference}: minutes circulated",
        body=f"The minutes of {meeting} with the agreed actions and sanctions have been circulated.",
        link=breach_link(breach),
        email=False,
    )
    _audit("minutes", actor, hearing, meeting=meeting.pk)
    return hearing
