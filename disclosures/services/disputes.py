"""Disputes: raising one, positions, escalation, advice, the decision, case-file records, withdrawal, and the sweep
(issue 13; Southampton 13; docs/after-disclosure-design.md 3.3, 6.3).

Every service locks the dispute row, asks the policy (disclosures.dispute_policy.dispute_refusal: the one rule,
with the model `today` a sweep or the state machine passes), writes, adds a DisputeEvent to the journey, records an
audit event `dispute.<verb>` (its detail names the register number, stage, side and outcome - never the free
text), and tells the people concerned once each (isp_portal.notifications, after commit). A refusal raises before
anything is written, and the transaction leaves every row as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from agencies.models import Membership, User
from agencies.selectors import designated_managers_of, partnership_admins
from audit.services import EventDraft, audit_record, audit_record_many
from disclosures import rules
from disclosures.dispute_policy import (
    acting_side,
    adviser_role,
    dispute_facts,
    dispute_refusal,
    open_refusal,
    side_agency,
    subject_facts,
)
from disclosures.models import (
    Dispute,
    DisputeAdvice,
    DisputeAssignee,
    DisputeEvent,
    DisputePosition,
    DisputeRecord,
    InformationRequest,
    OnwardRequest,
    State,
)
from disclosures.services import checks
from disclosures.services.requests import request_submit
from isp_portal import bounds
from isp_portal.notifications import NotificationDraft, notify_many
from isp_portal.policy import AccessDenied, NotPermitted, OutOfScope, SystemActor, require
from isp_portal.wording import long_date
from sharing.models import Child, RecordEntry

Side = rules.Side
DisputeState = rules.DisputeState
EventKind = rules.DisputeEventKind
SWEEP_ACTOR_LABEL = "disputes sweep"
BATCH = 500
TARGET = "disclosures.dispute"


def dispute_link(dispute: Dispute | int) -> str:
    return f"/disputes/{dispute if isinstance(dispute, int) else dispute.pk}/"


def moment(today: date | None) -> datetime:
    """Now, or - when a sweep or a test runs a model `today` ahead of the clock - the same time of day on `today`,
    so the dates the database checks (trigger dispute_escalation_not_early) agree with the rules'."""
    now = timezone.now()
    if today is None or today == timezone.localdate(now):
        return now
    return timezone.make_aware(datetime.combine(today, timezone.localtime(now).time()))


def _text(value: str, field: str, errors: dict[str, str], *, required: str = "") -> str:
    value = (value or "").strip()
    if required and not value:
        errors[field] = required
    elif len(value) > bounds.REASON or "\x00" in value:
        errors[field] = f"Keep it to {bounds.REASON} characters, without NUL characters."
    return value


def _locked(dispute: Dispute) -> Dispute:
    """The dispute, locked for this transaction (a concurrent position, escalation or decision waits here)."""
    return (
        Dispute.objects.select_for_update(of=("self",))
        .select_related("raising_agency", "responding_agency", "child")
        .get(pk=dispute.pk)
    )


def _require(actor: Any, action: str, dispute: Dispute, *, today: date | None) -> None:
    """Out of scope: 404; in scope but refused: 403 with the rule's sentence (dispute_refusal with `today`)."""
    require(actor, "view", dispute)
    if isinstance(actor, SystemActor):
        return
    refusal = dispute_refusal(actor, action, dispute, today=today)
    if refusal:
        raise NotPermitted(
            action=action, target_type=TARGET, target_id=str(dispute.pk), reason=refusal, child_id=dispute.child_id
        )


def _audit(kind: str, actor: Any, dispute: Dispute, **detail: Any) -> None:
    audit_record(
        kind=f"dispute.{kind}", actor=actor, target=dispute, child_id=dispute.child_id,
        detail={"register_number": dispute.register_number, "stage": dispute.stage, **detail},
    )  # fmt: skip


def _event(dispute: Dispute, kind: str, *, actor: User | None, at: datetime, side: str = "", note: str = "") -> None:
    DisputeEvent.objects.create(
        dispute=dispute, kind=kind, stage=dispute.stage, side=side, actor=actor, at=at, note=note
    )


def tell(
    user_ids: Iterable[int | None],
    *,
    key: str,
    subject: str,
    body: str,
    dispute: Dispute | int,
    skip: int | None = None,
) -> int:
    """Tell each person once per key (keyed f"{key}-{user}")."""
    ids = sorted({user for user in user_ids if user is not None and user != skip})
    return notify_many(NotificationDraft(user, f"{key}-{user}", subject, body, dispute_link(dispute)) for user in ids)


# --- Who a stage goes to (design 5: "Assignees") -------------------------------------------------------------------


def assignees_for(dispute: Dispute, stage: int) -> list[tuple[str, int, str]]:
    """(side, user id, basis) for `stage`: at stage 1 each practitioner's line manager (an active member of the
    same agency), else that agency's designated managers; at stage 2 each agency's heads of service, else its
    designated managers (design Q8). Never a side's own practitioner. Two statements."""
    return assignees_for_many([dispute], stage)[dispute.pk]


def assignees_for_many(disputes: Sequence[Dispute], stage: int) -> dict[int, list[tuple[str, int, str]]]:
    """assignees_for of each of `disputes` (by id), in two statements however many there are (the sweep escalates
    them together: DESIGN 3.3)."""
    practitioners = {
        d.pk: {Side.RAISING: d.raising_practitioner_id, Side.RESPONDING: d.responding_practitioner_id} for d in disputes
    }
    agencies = {d.pk: {side: side_agency(d, side) for side in Side} for d in disputes}
    chosen: dict[int, dict[rules.Side, list[tuple[int, str]]]] = {d.pk: {side: [] for side in Side} for d in disputes}
    all_agencies = sorted({agency for sides in agencies.values() for agency in sides.values()})

    def choose(agency_id: int, user_id: int, basis: str, *, sides: Callable[[int], Iterable[rules.Side]]) -> None:
        for pk in chosen:
            for side in sides(pk):
                if agencies[pk][side] == agency_id and practitioners[pk][side] != user_id:
                    chosen[pk][side].append((user_id, basis))

    if stage == 1:
        active_in = Membership.objects.filter(
            user_id=OuterRef("line_manager_id"), agency_id=OuterRef("agency_id"), is_active=True, user__is_active=True
        )
        for agency_id, user_id, manager_id in (
            Membership.objects.filter(
                is_active=True, line_manager__isnull=False,
                user_id__in=sorted({p for sides in practitioners.values() for p in sides.values() if p}),
                agency_id__in=all_agencies,
            )
            .filter(Exists(active_in))
            .values_list("agency_id", "user_id", "line_manager_id")
        ):  # fmt: skip
            for pk in chosen:
                for side in Side:
                    if agencies[pk][side] == agency_id and practitioners[pk][side] == user_id and manager_id != user_id:
                        chosen[pk][side].append((manager_id, rules.AssigneeBasis.LINE_MANAGER))
    else:
        for agency_id, user_id in Membership.objects.filter(
            agency_id__in=all_agencies, is_active=True, is_head_of_service=True, user__is_active=True,
            user__is_system=False,
        ).values_list("agency_id", "user_id"):  # fmt: skip
            choose(agency_id, user_id, rules.AssigneeBasis.HEAD_OF_SERVICE, sides=lambda pk: Side)
    wanting = {pk: [side for side in Side if not chosen[pk][side]] for pk in chosen}
    wanted = sorted({agencies[pk][side] for pk, sides in wanting.items() for side in sides})
    if wanted:
        for agency_id, user_id in designated_managers_of(wanted).values_list("agency_id", "user_id"):
            choose(agency_id, user_id, rules.AssigneeBasis.DESIGNATED_MANAGER, sides=lambda pk: wanting[pk])
    return {
        pk: [(side, user, basis) for side in Side for user, basis in sorted(set(sides[side]))]
        for pk, sides in chosen.items()
    }


def _assign(dispute: Dispute, stage: int, *, at: datetime, actor: User | None) -> list[tuple[str, int, str]]:
    chosen = assignees_for(dispute, stage)
    DisputeAssignee.objects.bulk_create(
        DisputeAssignee(dispute=dispute, stage=stage, side=side, user_id=user, basis=basis)
        for side, user, basis in chosen
    )
    DisputeEvent.objects.bulk_create(_assigned_events(dispute, stage, chosen, at=at, actor=actor))
    return chosen


def _assigned_events(
    dispute: Dispute, stage: int, chosen: Sequence[tuple[str, int, str]], *, at: datetime, actor: User | None
) -> list[DisputeEvent]:
    return [
        DisputeEvent(
            dispute=dispute, kind=EventKind.ASSIGNED, stage=stage, side=side, actor=actor, at=at,
            note=f"{sum(1 for s, _u, _b in chosen if s == side)} assigned",
        )
        for side in Side
    ]  # fmt: skip


# --- Raising a dispute ----------------------------------------------------------------------------------------------


def _child_now_held(child_id: int) -> tuple[int, datetime | None]:
    """The child a record about `child_id` is now held as: the child it was merged into, when it was (merged_into
    names the survivor, never another merged-away entry: sharing.services.children.child_merge), else itself; and
    when the record was erased (the erasure marks the entries merged into it too). Its row is locked (FOR NO KEY
    UPDATE) to the end of the transaction: a merge of it, or of the child it was merged into, updates that row, so
    waits."""
    merged_into, erased_at = (
        Child.objects.select_for_update(no_key=True).values_list("merged_into_id", "erased_at").get(pk=child_id)
    )
    return merged_into or child_id, erased_at


@transaction.atomic
def dispute_open(
    *,
    actor: Any,
    request: InformationRequest | None = None,
    onward_request: OnwardRequest | None = None,
    grounds: str,
    impact_so_far: str = "",
    today: date | None = None,
) -> Dispute:
    """Raise a dispute about a declined or overdue request (Southampton 13; design Q10, Q13): by its requester or a
    designated manager of the requesting agency (Q11). Refused, naming the rule, about a request answered in time
    (rules.dispute_eligibility_refusal, field `request`) or one already disputed. Stage 1 goes to the line managers
    of both practitioners, else the agencies' designated managers; it is due rules.stage_due_on(today, 1). Audit:
    dispute.open; tells the assignees and both practitioners."""
    if (request is None) == (onward_request is None):
        raise ValidationError({"request": "Choose the request the dispute is about."})
    field = "request" if request is not None else "onward_request"
    if isinstance(actor, SystemActor) or getattr(actor, "is_system", False):
        raise NotPermitted(action="open", target_type=TARGET, reason="Disputes are raised by people.")
    user = checks.user_of(actor)
    # The child the record now holds, its row locked before the subject's as a merge locks it before the requests it
    # moves (so neither waits for the other): the dispute is about it (trigger dispute_child_follows_subject,
    # migration 0020), and no merge can change it before this transaction ends.
    child_id, erased_at = _child_now_held((request or onward_request).child_id)  # type: ignore[union-attr]
    subject: InformationRequest | OnwardRequest
    if request is not None:
        subject = InformationRequest.objects.select_for_update().get(pk=request.pk)
        raising, responding = subject.requester_agency_id, subject.holding_agency_id
        responder = subject.declined_by_id or subject.answered_by_id
    else:
        assert onward_request is not None
        subject = OnwardRequest.objects.select_for_update().get(pk=onward_request.pk)
        raising, responding = subject.from_agency_id, subject.originator_agency_id
        responder = subject.decided_by_id
    refusal = open_refusal(user, subject)
    if refusal:
        # Someone of either agency is told why; anyone else cannot tell the request exists.
        from agencies.policy import principal

        target_type = subject._meta.label_lower
        if principal(user).membership_in(raising) is None and principal(user).membership_in(responding) is None:
            raise OutOfScope(action="dispute", target_type=target_type, target_id=str(subject.pk))
        raise NotPermitted(
            action="dispute", target_type=target_type, target_id=str(subject.pk), reason=refusal,
            child_id=subject.child_id,
        )  # fmt: skip
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    eligibility = rules.dispute_eligibility_refusal(subject_facts(subject), today)
    if eligibility:
        errors[field] = eligibility
    else:
        lookup = {"request_id": subject.pk} if request is not None else {"onward_request_id": subject.pk}
        already = Dispute.objects.filter(state__in=rules.DISPUTE_OPEN_STATES, **lookup).first()
        if already is not None:
            errors[field] = f"This is already disputed: {already.register_label} is open."
    grounds = _text(grounds, "grounds", errors, required="Say why the information should be shared.")
    impact_so_far = _text(impact_so_far, "impact_so_far", errors)
    checks.errors_or_none(errors)
    # No dispute is raised about an erased record: its grounds would be new free text about the child, kept for
    # good (checks.text_about; breakt1311 F3).
    checks.text_after_erasure(erased_at, grounds, field="grounds")
    ground = rules.dispute_ground(subject_facts(subject), today)
    assert ground is not None
    at = moment(today)
    try:
        with transaction.atomic():
            dispute = Dispute.objects.create(
                subject_kind=rules.DisputeSubject.REQUEST if request is not None else rules.DisputeSubject.ONWARD,
                request=subject if isinstance(subject, InformationRequest) else None,
                onward_request=subject if isinstance(subject, OnwardRequest) else None,
                ground=ground, child_id=child_id, raising_agency_id=raising, responding_agency_id=responding,
                raised_by=user, raising_practitioner_id=subject.requester_id, responding_practitioner_id=responder,
                grounds=grounds, impact_so_far=impact_so_far, opened_at=at,
                stage_one_due_on=rules.stage_due_on(today, 1, nation=checks.nation()),
            )  # fmt: skip
    except IntegrityError as error:  # a concurrent dispute on the same subject (dispute_open_per_request)
        raise ValidationError({field: "This is already disputed."}) from error
    dispute.refresh_from_db(fields=["register_number"])
    _event(dispute, EventKind.OPENED, actor=user, at=at)
    chosen = _assign(dispute, 1, at=at, actor=user)
    _audit("open", actor, dispute, subject_kind=dispute.subject_kind, subject_id=subject.pk, ground=ground)
    tell(
        [user_id for _side, user_id, _basis in chosen] + [dispute.raising_practitioner_id, responder],
        key=f"dispute-opened-{dispute.pk}", subject=f"Dispute {dispute.register_label} was raised",
        body=(
            "A dispute about whether information should be shared was raised. Stage 1, with the line managers, runs "
            f"until {long_date(dispute.stage_one_due_on)}."
        ),
        dispute=dispute, skip=user.pk,
    )  # fmt: skip
    return dispute


# --- Stage 1 and 2 --------------------------------------------------------------------------------------------------


def _position_value(position: str, errors: dict[str, str], field: str = "position") -> str:
    if position not in set(rules.Position):
        errors[field] = "Choose share or do not share."
    return position


@transaction.atomic
def dispute_position_record(
    *, actor: Any, dispute: Dispute, position: str, note: str, today: date | None = None
) -> Dispute:
    """A side's position at the current stage, by the person the stage went to (at stage 2 after that side's
    advice). At stage 1, the second position equal to the first resolves the dispute with that outcome. Audit:
    dispute.position (+ dispute.resolve)."""
    dispute = _locked(dispute)
    _require(actor, "position", dispute, today=today)
    errors: dict[str, str] = {}
    position = _position_value(position, errors)
    note = _text(note, "note", errors, required="Say why.")
    checks.errors_or_none(errors)
    note = checks.text_about(dispute.child, note, field="note")
    side = acting_side(actor, "position", dispute)
    assert side is not None
    at = moment(today)
    DisputePosition.objects.create(
        dispute=dispute, stage=dispute.stage, side=side, author=actor, position=position, note=note, at=at
    )
    _event(dispute, EventKind.POSITION, actor=actor, at=at, side=side)
    _audit("position", actor, dispute, side=side, position=position)
    facts = dispute_facts(dispute, fresh=True)
    outcome = rules.stage_one_resolution(facts.positions_at(1)) if dispute.stage == 1 else None
    if outcome is not None:
        _resolve(actor, dispute, outcome=outcome, reason="Both line managers agreed.", by=None, at=at, today=today)
    else:
        tell(
            _parties(dispute, facts), key=f"dispute-position-{dispute.pk}-{dispute.stage}-{side}",
            subject=f"A position was recorded on dispute {dispute.register_label}",
            body=f"The {Side(side).value} agency's position at stage {dispute.stage} was recorded.",
            dispute=dispute, skip=actor.pk,
        )  # fmt: skip
    return dispute


def _parties(dispute: Dispute, facts: Any) -> list[int]:
    return [user for _stage, _side, user in facts.assignees] + [
        dispute.raised_by_id,
        dispute.raising_practitioner_id,
        dispute.responding_practitioner_id,
    ]


@transaction.atomic
def dispute_escalate(*, actor: Any, dispute: Dispute, reason: str = "", today: date | None = None) -> Dispute:
    """Stage 1 to stage 2 (Southampton 13: the heads of service, each advised by their Caldicott guardian or DPO),
    by the raiser or a stage-1 assignee; never early (rules.escalation_refusal, 403 naming stage 1's last day;
    trigger dispute_escalation_not_early). Audit: dispute.escalate."""
    dispute = _locked(dispute)
    _require(actor, "escalate", dispute, today=today)
    errors: dict[str, str] = {}
    reason = _text(reason, "reason", errors)
    checks.errors_or_none(errors)
    # An escalation moves the dispute on to its end: about an erased record it is still made (as the sweep makes
    # it), its reason stored as erased (checks.text_about; breakt1311 F1).
    reason = checks.text_about(dispute.child, reason, field="reason", closes=True)
    today = today or timezone.localdate()
    why = rules.escalation_reason(
        stage_one_due_on=dispute.stage_one_due_on, positions=dispute_facts(dispute).positions_at(1), today=today
    )
    assert why is not None
    _escalate([dispute], actor=actor, why=why, at=moment(today), today=today, note=reason)
    return dispute


def _escalate(
    disputes: Sequence[Dispute], *, actor: User | None, why: str, at: datetime, today: date, note: str = ""
) -> tuple[int, int]:
    """Move locked stage-1 disputes to stage 2: assign the heads of service, tell them and both agencies' Caldicott
    guardians and DPOs that their advice is asked. A constant number of statements however many (the sweep moves
    every due one at once: DESIGN 3.3): one UPDATE, the assignees, one INSERT of events, one of audit events, one
    of notifications. Returns (disputes moved, people told)."""
    if not disputes:
        return 0, 0
    due_on = rules.stage_due_on(today, 2, nation=checks.nation())
    Dispute.objects.filter(pk__in=[d.pk for d in disputes]).update(
        state=DisputeState.STAGE_TWO, stage=2, escalated_at=at, escalated_by=actor, escalation_reason=why,
        stage_two_due_on=due_on,
    )  # fmt: skip
    for dispute in disputes:
        dispute.state, dispute.stage = DisputeState.STAGE_TWO, 2
        dispute.escalated_at, dispute.escalated_by, dispute.escalation_reason = at, actor, why
        dispute.stage_two_due_on = due_on
    chosen = assignees_for_many(disputes, 2)
    DisputeAssignee.objects.bulk_create(
        DisputeAssignee(dispute=dispute, stage=2, side=side, user_id=user, basis=basis)
        for dispute in disputes
        for side, user, basis in chosen[dispute.pk]
    )
    DisputeEvent.objects.bulk_create(
        event
        for dispute in disputes
        for event in [
            DisputeEvent(dispute=dispute, kind=EventKind.ESCALATED, stage=2, side="", actor=actor, at=at, note=note),
            *_assigned_events(dispute, 2, chosen[dispute.pk], at=at, actor=actor),
        ]
    )
    audit_record_many(
        kind="dispute.escalate", actor=actor or SystemActor(SWEEP_ACTOR_LABEL),
        events=[
            EventDraft.of(
                d, child_id=d.child_id, detail={"register_number": d.register_number, "stage": 2, "reason": why}
            )
            for d in disputes
        ],
    )  # fmt: skip
    advisers: dict[int, list[int]] = {}
    for agency_id, user_id in (
        Membership.objects.filter(
            agency_id__in={agency for d in disputes for agency in (d.raising_agency_id, d.responding_agency_id)},
            is_active=True, user__is_active=True,
        )
        .filter(models_q_adviser())
        .values_list("agency_id", "user_id")
    ):  # fmt: skip
        advisers.setdefault(agency_id, []).append(user_id)
    body = (
        "A dispute about whether information should be shared went to the heads of service. Each takes the advice of "
        f"their Caldicott guardian or data protection officer; stage 2 runs until {long_date(due_on)}."
    )
    told = notify_many(
        NotificationDraft(
            user, f"dispute-escalated-{d.pk}-{user}", f"Dispute {d.register_label} is at stage 2", body,
            dispute_link(d),
        )
        for d in disputes
        for user in sorted(
            {user for _side, user, _basis in chosen[d.pk]}
            | {*advisers.get(d.raising_agency_id, []), *advisers.get(d.responding_agency_id, [])}
        )
        if actor is None or user != actor.pk
    )  # fmt: skip
    return len(disputes), told


def models_q_adviser() -> Q:
    return Q(is_caldicott_guardian=True) | Q(is_data_protection_officer=True)


@transaction.atomic
def dispute_advice_record(*, actor: Any, dispute: Dispute, advice: str, today: date | None = None) -> Dispute:
    """The Caldicott guardian's or DPO's advice for their agency's side at stage 2 (Southampton 13: "each take
    advice ... before making a final decision"). Audit: dispute.advise; tells that side's heads of service."""
    dispute = _locked(dispute)
    _require(actor, "advise", dispute, today=today)
    errors: dict[str, str] = {}
    advice = _text(advice, "advice", errors, required="Give your advice.")
    checks.errors_or_none(errors)
    advice = checks.text_about(dispute.child, advice, field="advice")
    side = acting_side(actor, "advise", dispute)
    assert side is not None
    role = adviser_role(actor, side_agency(dispute, side))
    assert role is not None
    at = moment(today)
    DisputeAdvice.objects.create(dispute=dispute, side=side, adviser=actor, adviser_role=role, advice=advice, at=at)
    _event(dispute, EventKind.ADVICE, actor=actor, at=at, side=side)
    _audit("advise", actor, dispute, side=side, adviser_role=role)
    tell(
        dispute_facts(dispute).assignee_ids(2, side), key=f"dispute-advice-{dispute.pk}-{side}",
        subject=f"Advice was given on dispute {dispute.register_label}",
        body="Your agency's Caldicott guardian or data protection officer gave their advice: you can now record your "
        "position.",
        dispute=dispute, skip=actor.pk,
    )  # fmt: skip
    return dispute


@transaction.atomic
def dispute_decide(*, actor: Any, dispute: Dispute, outcome: str, reason: str, today: date | None = None) -> Dispute:
    """Stage 2's decision, by the head of service of the agency holding the information (design Q9), after both
    agencies' advice and the requesting side's position (or stage 2's deadline). Audit: dispute.decide."""
    dispute = _locked(dispute)
    _require(actor, "decide", dispute, today=today)
    errors: dict[str, str] = {}
    outcome = _position_value(outcome, errors, "outcome")
    reason = _text(reason, "reason", errors, required="Give the reason for the decision.")
    checks.errors_or_none(errors)
    reason = checks.text_about(dispute.child, reason, field="reason")
    _resolve(actor, dispute, outcome=outcome, reason=reason, by=actor, at=moment(today), today=today)
    return dispute


def _resolve(
    actor: Any, dispute: Dispute, *, outcome: str, reason: str, by: User | None, at: datetime, today: date | None
) -> None:
    today = today or timezone.localdate()
    dispute.state = DisputeState.RESOLVED
    dispute.outcome, dispute.outcome_reason, dispute.resolved_stage = outcome, reason, dispute.stage
    dispute.resolved_at, dispute.decided_by = at, by
    dispute.records_due_on = rules.records_due_on(today, nation=checks.nation())
    fields = ["state", "outcome", "outcome_reason", "resolved_stage", "resolved_at", "decided_by", "records_due_on"]
    onward_follow_up: OnwardRequest | None = None
    if outcome == rules.Position.SHARE and dispute.subject_kind == rules.DisputeSubject.REQUEST:
        follow_up = _follow_up(dispute, today=today, at=at)
        if follow_up is not None:
            dispute.follow_up_request = follow_up
            fields.append("follow_up_request")
    elif outcome == rules.Position.SHARE and dispute.subject_kind == rules.DisputeSubject.ONWARD:
        onward_follow_up = _onward_follow_up(dispute)
    dispute.save(update_fields=fields)
    _event(dispute, EventKind.RESOLVED, actor=by, at=at, note=rules.Position(outcome).value)
    onward_detail = {"follow_up_onward_request_id": onward_follow_up.pk} if onward_follow_up is not None else {}
    _audit(
        "resolve", actor, dispute, outcome=outcome, resolved_stage=dispute.stage,
        follow_up_request_id=dispute.follow_up_request_id, **onward_detail,
    )  # fmt: skip
    tell(
        _parties(dispute, dispute_facts(dispute)) + checks.designated_managers(dispute.raising_agency_id)
        + checks.designated_managers(dispute.responding_agency_id),
        key=f"dispute-resolved-{dispute.pk}", subject=f"Dispute {dispute.register_label} was resolved",
        body=(
            f"The outcome: {'share' if outcome == rules.Position.SHARE else 'do not share'}. Both agencies record "
            f"the process, the reason and the impact on their case files by {long_date(dispute.records_due_on)}."
        ),
        dispute=dispute, skip=getattr(actor, "pk", None),
    )  # fmt: skip


def _follow_up(dispute: Dispute, *, today: date, at: datetime) -> InformationRequest | None:
    """Design Q14: "share" on a declined request opens a follow-up request, on the same terms, for the holding
    agency to answer under its usual approvals (the declined request stays final), through request_submit and its
    usual checks, in the name of the first of _follow_up_requesters it admits, about the child the record now holds;
    when it admits none, the requesting agency's designated managers are told to ask again. On an overdue open
    request the holding agency is told to answer it (no new request)."""
    assert dispute.request_id is not None
    request = InformationRequest.objects.select_related("protocol_version").get(pk=dispute.request_id)
    if request.state != State.DECLINED:
        if request.state in {state.value for state in rules.OPEN_STATES}:
            checks.tell(
                checks.designated_managers(request.holding_agency_id), key=f"dispute-answer-{dispute.pk}",
                subject="A disputed request is to be answered",
                body="A dispute about a request your agency has not answered was resolved: share. Answer it now.",
                link=checks.request_link(request),
            )  # fmt: skip
        return None
    request = InformationRequest.objects.select_related("child", "holding_agency", "requester_agency", "consent").get(
        pk=request.pk
    )
    # About the child the record now holds (the dispute's child): a merge since the decline moved the child's
    # entries and the dispute to the kept child, and left the closed request with the merged-away one (break13e F10;
    # triggers dispute_child_follows_subject and dispute_follow_up_child, migration 0020).
    child = request.child.merged_into or request.child
    return _asked_again(
        dispute, _follow_up_requesters(dispute, request), agency_id=request.requester_agency_id,
        submit=lambda person: request_submit(
            actor=person, child=child, holding_agency=request.holding_agency,
            purpose=request.purpose, tiers=request.tiers, categories=request.categories,
            need_to_know=request.need_to_know, urgency=request.urgency, consent_basis=request.consent_basis,
            consent=request.consent, not_sought_reason=request.not_sought_reason,
            override_ground=request.override_ground, agency=request.requester_agency,
        ),
        nobody="No follow-up request could be made for your agency", then="Make a new request for the information.",
    )  # fmt: skip


Asked = TypeVar("Asked")


def _asked_again(
    dispute: Dispute, people: Iterable[Any], *, agency_id: int, submit: Callable[[Any], Asked], nobody: str, then: str
) -> Asked | None:
    """A dispute resolved "share" asks again (design Q14): `submit` in the name of each of `people` in turn, a
    savepoint each (a refused submit leaves nothing, and the next person is tried); the first it admits made it.
    When it admits nobody (they left, or the protocol's terms refuse it now), the designated managers of
    `agency_id` (the asking side) are told to ask again themselves, with the last refusal's reason, rather than a
    request nobody may answer to (key dispute-follow-up-<dispute>). Returns what was made, or None."""
    refusals: list[str] = []
    for person in people:
        try:
            with transaction.atomic():
                return submit(person)
        except (ValidationError, AccessDenied) as refused:
            refusals.append(_said(refused))
    checks.tell(
        checks.designated_managers(agency_id), key=f"dispute-follow-up-{dispute.pk}",
        subject=f"Dispute {dispute.register_label} was resolved: ask again",
        body=(
            f"The dispute was resolved: share. {nobody}" + (f" ({refusals[-1]})" if refusals else "") + f". {then}"
        ),
        link=dispute_link(dispute),
    )  # fmt: skip
    return None


def _onward_follow_up(dispute: Dispute) -> OnwardRequest | None:
    """Design Q14 for a dispute about an onward request (breakt13g F5): "share" on a declined onward request opens a
    new one, on the same terms and entries, waiting for the originator to agree under its usual decision (the
    declined one stays final), through onward_request_submit and its usual checks, in the name of the first who may
    ask (a live named recipient of the disclosure: the original requester, then the dispute's raiser); its id is in
    the dispute.resolve audit event, and onward.submit records it. When neither may ask now, the raising agency's
    designated managers are told to ask again (key dispute-follow-up-<dispute>, as _follow_up). On an onward request
    still waiting, the originator's designated managers are told to decide it (no new request)."""
    from disclosures.services.onward import _onward_link, onward_request_submit  # (onward imports requests too)

    assert dispute.onward_request_id is not None
    onward = OnwardRequest.objects.select_related("parent_disclosure__child", "to_agency", "consent").get(
        pk=dispute.onward_request_id
    )
    if onward.state != rules.OnwardState.DECLINED:
        if onward.state == rules.OnwardState.REQUESTED:
            checks.tell(
                checks.designated_managers(onward.originator_agency_id), key=f"dispute-answer-{dispute.pk}",
                subject="A disputed onward request is to be decided",
                body="A dispute about a request to pass your agency's information on was resolved: share. Decide it "
                "now.",
                link=_onward_link(onward),
            )  # fmt: skip
        return None
    entries = list(RecordEntry.objects.filter(pk__in=onward.entries.values("entry_id")).order_by("pk"))
    members = set(
        Membership.objects.filter(agency_id=onward.from_agency_id, is_active=True).values_list("user_id", flat=True)
    )
    wanted = [user_id for user_id in dict.fromkeys([onward.requester_id, dispute.raised_by_id]) if user_id in members]
    people = User.objects.in_bulk(wanted)
    return _asked_again(
        dispute, [people[user_id] for user_id in wanted], agency_id=dispute.raising_agency_id,
        submit=lambda person: onward_request_submit(
            actor=person, parent=onward.parent_disclosure, entries=entries,
            to_agency=onward.to_agency, purpose=onward.purpose, tiers=onward.tiers,
            categories=onward.categories, need_to_know=onward.need_to_know,
            consent_basis=onward.consent_basis, consent=onward.consent,
            not_sought_reason=onward.not_sought_reason, override_ground=onward.override_ground,
            legal_basis=onward.legal_basis,
        ),
        nobody="No new request to pass the information on could be made for your agency",
        then="Ask again to pass it on.",
    )  # fmt: skip


def _said(refused: Exception) -> str:
    if isinstance(refused, ValidationError):
        return "; ".join(refused.messages)
    return str(getattr(refused, "reason", "") or "you may not ask for it")


def _follow_up_requesters(dispute: Dispute, request: InformationRequest) -> list[User]:
    """Who a follow-up request is made in the name of, first who may (design Q14: the original requester): the
    original requester, the dispute's raiser, then the requesting agency's designated managers - each only while an
    active member of the requesting agency (break13e F9: never someone who left, whom the answer could not reach).
    request_submit then applies the usual checks (the index, training, the protocol, consent)."""
    members = set(
        Membership.objects.filter(agency_id=request.requester_agency_id, is_active=True).values_list(
            "user_id", flat=True
        )
    )
    order = [request.requester_id, dispute.raised_by_id, *checks.designated_managers(request.requester_agency_id)]
    wanted = list(dict.fromkeys(user_id for user_id in order if user_id in members))
    people = User.objects.in_bulk(wanted)
    return [people[user_id] for user_id in wanted if user_id in people]


@transaction.atomic
def dispute_record_make(
    *, actor: Any, dispute: Dispute, process_followed: str, reason: str, impact: str, today: date | None = None
) -> DisputeRecord:
    """Southampton 13: "both agencies must record on their case files the process followed, the reason information
    was not shared and the impact" - one record a side, once the dispute has ended. Audit: dispute.record."""
    dispute = _locked(dispute)
    _require(actor, "record", dispute, today=today)
    errors: dict[str, str] = {}
    process_followed = _text(process_followed, "process_followed", errors, required="Say what process was followed.")
    reason = _text(reason, "reason", errors, required="Give the reason the information was or was not shared.")
    impact = _text(impact, "impact", errors, required="Say what impact it had.")
    checks.errors_or_none(errors)
    checks.text_about(dispute.child, process_followed, field="process_followed")  # refuses all three at once
    side = acting_side(actor, "record", dispute)
    assert side is not None
    at = moment(today)
    record = DisputeRecord.objects.create(
        dispute=dispute, side=side, agency_id=side_agency(dispute, side), recorded_by=actor,
        process_followed=process_followed, reason=reason, impact=impact, at=at,
    )  # fmt: skip
    _event(dispute, EventKind.RECORDED, actor=actor, at=at, side=side)
    _audit("record", actor, dispute, side=side)
    return record


@transaction.atomic
def dispute_withdraw(*, actor: Any, dispute: Dispute, reason: str, today: date | None = None) -> Dispute:
    """The raising side withdraws an open dispute (the raiser, or a designated manager of the requesting agency).
    The case-file records are still due. Once the child's record is erased it may still be withdrawn (so it does not
    stay open for ever), its reason stored as erased (checks.text_about: breakt13g F1). Audit: dispute.withdraw."""
    dispute = _locked(dispute)
    _require(actor, "withdraw", dispute, today=today)
    errors: dict[str, str] = {}
    reason = _text(reason, "reason", errors, required="Say why the dispute is withdrawn.")
    checks.errors_or_none(errors)
    reason = checks.text_about(dispute.child, reason, field="reason", closes=True)
    today = today or timezone.localdate()
    at = moment(today)
    dispute.state, dispute.withdrawn_at, dispute.withdraw_reason = DisputeState.WITHDRAWN, at, reason
    dispute.records_due_on = rules.records_due_on(today, nation=checks.nation())
    dispute.save(update_fields=["state", "withdrawn_at", "withdraw_reason", "records_due_on"])
    _event(dispute, EventKind.WITHDRAWN, actor=actor, at=at)
    _audit("withdraw", actor, dispute)
    tell(
        _parties(dispute, dispute_facts(dispute)), key=f"dispute-withdrawn-{dispute.pk}",
        subject=f"Dispute {dispute.register_label} was withdrawn",
        body="The requesting agency withdrew the dispute. Both agencies still record it on their case files.",
        dispute=dispute, skip=actor.pk,
    )  # fmt: skip
    return dispute


# --- The sweep (disclosures.tasks.after_sweep) ----------------------------------------------------------------------


def _sweep_escalate(*, today: date, limit: int) -> tuple[int, int]:
    """Stage 1 past its deadline goes to stage 2, once (the row lock and the state filter: a dispute escalated by
    a person meanwhile is skipped), all together in a constant number of statements (_escalate)."""
    candidates = list(
        Dispute.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(state=DisputeState.STAGE_ONE, stage_one_due_on__lt=today)
        .order_by("stage_one_due_on", "pk")[:limit]
    )
    return _escalate(candidates, actor=None, why=rules.EscalationReason.DEADLINE_PASSED, at=moment(today), today=today)


def _sweep_refer(*, today: date, limit: int) -> tuple[int, int]:
    """Stage 2 past its deadline is referred, once, to the register's keepers (partnership admins) and both heads
    of service (design Q9)."""
    due = list(
        Dispute.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(state=DisputeState.STAGE_TWO, stage_two_due_on__lt=today, referred_at__isnull=True)
        .order_by("stage_two_due_on", "pk")[:limit]
    )
    if not due:
        return 0, 0
    at = moment(today)
    Dispute.objects.filter(pk__in=[d.pk for d in due]).update(referred_at=at)
    DisputeEvent.objects.bulk_create(
        DisputeEvent(dispute=d, kind=EventKind.REFERRED, stage=2, side="", at=at) for d in due
    )
    heads: dict[int, list[int]] = {}
    for dispute_id, user_id in DisputeAssignee.objects.filter(dispute__in=due, stage=2).values_list(
        "dispute_id", "user_id"
    ):
        heads.setdefault(dispute_id, []).append(user_id)
    keepers = partnership_admins()
    audit_record_many(
        kind="dispute.refer", actor=SystemActor(SWEEP_ACTOR_LABEL),
        events=[
            EventDraft.of(d, child_id=d.child_id, detail={"register_number": d.register_number, "stage": 2})
            for d in due
        ],
    )  # fmt: skip
    drafts = []
    for dispute in due:
        assert dispute.stage_two_due_on is not None
        drafts += [
            NotificationDraft(
                user,
                f"dispute-referred-{dispute.pk}-{user}",
                f"Dispute {dispute.register_label} is overdue",
                f"Stage 2 was due to be decided by {long_date(dispute.stage_two_due_on)} and has not been.",
                dispute_link(dispute),
            )
            for user in sorted(set(keepers + heads.get(dispute.pk, [])))
        ]
    return len(due), notify_many(drafts)


def _sweep_chase(*, today: date, limit: int) -> tuple[int, int]:
    """A side that has not recorded an ended dispute on its case file by records_due_on is chased, once: its
    designated managers and its assignees (event `chased` per side, a partial UNIQUE)."""
    due = list(
        Dispute.objects.filter(state__in=rules.DISPUTE_TERMINAL_STATES, records_due_on__lt=today)
        .exclude(pk__in=DisputeEvent.objects.filter(kind=EventKind.CHASED).values("dispute_id").order_by())
        .order_by("records_due_on", "pk")[:limit]
    )
    if not due:
        return 0, 0
    recorded = set(DisputeRecord.objects.filter(dispute__in=due).values_list("dispute_id", "side"))
    already = set(DisputeEvent.objects.filter(dispute__in=due, kind=EventKind.CHASED).values_list("dispute_id", "side"))
    wanting = [
        (dispute, side)
        for dispute in due
        for side in Side
        if (dispute.pk, side.value) not in recorded and (dispute.pk, side.value) not in already
    ]
    if not wanting:
        # Nothing to chase: mark both sides' records as chased-or-complete so the row is not read again.
        DisputeEvent.objects.bulk_create(
            [
                DisputeEvent(dispute=d, kind=EventKind.CHASED, stage=d.stage, side=side, note="recorded")
                for d in due
                for side in Side
            ],
            ignore_conflicts=True,
        )
        return 0, 0
    managers: dict[int, list[int]] = {}
    for agency_id, user_id in designated_managers_of({side_agency(d, s) for d, s in wanting}).values_list(
        "agency_id", "user_id"
    ):
        managers.setdefault(agency_id, []).append(user_id)
    assigned: dict[tuple[int, str], list[int]] = {}
    for dispute_id, side, user_id in DisputeAssignee.objects.filter(dispute__in=due).values_list(
        "dispute_id", "side", "user_id"
    ):
        assigned.setdefault((dispute_id, side), []).append(user_id)
    at = timezone.now()
    DisputeEvent.objects.bulk_create(
        [
            DisputeEvent(
                dispute=d, kind=EventKind.CHASED, stage=d.stage, side=side,
                note="recorded" if (d.pk, side.value) in recorded else "", at=at,
            )
            for d in due
            for side in Side
        ],
        ignore_conflicts=True,
    )  # fmt: skip
    drafts = []
    for dispute, side in wanting:
        assert dispute.records_due_on is not None
        for user in sorted(set(managers.get(side_agency(dispute, side), []) + assigned.get((dispute.pk, side), []))):
            drafts.append(
                NotificationDraft(
                    user,
                    f"dispute-chased-{dispute.pk}-{side}-{user}",
                    f"Record dispute {dispute.register_label} on your case file",
                    "Your agency has not yet recorded the process followed, the reason and the impact of this dispute "
                    f"on its case file: it was due by {long_date(dispute.records_due_on)}.",
                    dispute_link(dispute),
                )
            )
    return len(wanting), notify_many(drafts)


@transaction.atomic
def disputes_sweep(*, now: datetime, today: date, limit: int = BATCH) -> tuple[int, int]:
    """Stage 1 past due escalated, stage 2 past due referred, missing case-file records chased - each once
    however often beat runs (state filters, referred_at, the `chased` events' partial UNIQUE, notification keys):
    (rows changed, people notified)."""
    changed = told = 0
    for step in (_sweep_escalate, _sweep_refer, _sweep_chase):
        c, t = step(today=today, limit=limit)
        changed, told = changed + c, told + t
    return changed, told
