"""The disclosures deadline sweep (design12 section 7; DESIGN 3.3: idempotent, set-based sweeps): overdue requests
and their expiry, emergency disclosures not reviewed in time, and the end of a disclosure's retention.

Each step changes every due row in a few statements and is safe to run as often as beat likes, by as many workers
as run it: a notice is a notification row with a unique key (INSERT ... ON CONFLICT DO NOTHING), an expiry is a
guarded UPDATE that skips rows another sweep holds (isp_portal.sweeps.transition_due), and an escalation or a
retention end is a DisclosureEvent whose (disclosure, kind) is unique, inserted ON CONFLICT DO NOTHING RETURNING:
only the sweep whose INSERT returned the row goes on to tell, log and audit it, so each happens exactly once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat

from agencies.models import Membership
from agencies.selectors import partnership_admins
from audit.services import EventDraft, audit_record_many, disclosure_log_record_many, disclosure_log_sha256
from disclosures import rules
from disclosures.models import Disclosure, DisclosureRecipient, InformationRequest, State
from disclosures.services import checks
from disclosures.services.disclosures import FOLLOW_UP_PREFETCH, follow_up_draft
from isp_portal.models import Notification
from isp_portal.notifications import NotificationDraft, notify_many
from isp_portal.policy import SystemActor
from isp_portal.sweeps import transition_due
from isp_portal.wording import long_date

SWEEP_ACTOR_LABEL = "disclosure deadlines sweep"
# Rows one tick handles per step; the rest wait for the next tick (beat runs it every five minutes).
BATCH = 500
# Escalations and retention ends each write a disclosure-log row naming its own audit event: a fixed number of
# statements per batch (audit_record_many returns the events' ids), but wider rows than a notice, so a smaller
# batch keeps a tick's transaction short.
FOLLOW_UP_BATCH = 100

OVERDUE_STATES = (State.SUBMITTED.value, State.AWAITING_APPROVAL.value, State.APPROVED.value)


@dataclass(frozen=True)
class DeadlineSweepResult:
    overdue: int = 0
    expired: int = 0
    escalated: int = 0
    retention_ended: int = 0
    notified: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _actor() -> SystemActor:
    return SystemActor(SWEEP_ACTOR_LABEL)


def _managers_of(agency_ids: Iterable[int]) -> dict[int, list[int]]:
    """The active designated managers of each agency, in one query."""
    managers: dict[int, list[int]] = {}
    for agency_id, user_id in Membership.objects.filter(
        agency_id__in=set(agency_ids), is_active=True, user__is_active=True, user__is_system=False,
        roles__contains=["designated_manager"],
    ).values_list("agency_id", "user_id"):  # fmt: skip
        managers.setdefault(agency_id, []).append(user_id)
    return managers


def _drafts(users: Iterable[int], *, key: str, subject: str, body: str, link: str) -> list[NotificationDraft]:
    return [NotificationDraft(user_id, f"{key}-{user_id}", subject, body, link) for user_id in sorted(set(users))]


@transaction.atomic
def requests_overdue_sweep(*, today: date, limit: int = BATCH) -> tuple[int, int]:
    """Tell the holding agency's designated managers and the requester, once, of each open requested share whose
    answer was due before today (issue 12: "overdue requests escalate"). Keyed request-overdue-<id>-<user>; a
    request whose requester already has the notice is not read again. Returns (requests, notifications)."""
    already_told = Exists(
        Notification.objects.filter(
            recipient_id=OuterRef("requester_id"),
            key=Concat(
                Value("request-overdue-"), Cast(OuterRef("pk"), CharField()), Value("-"),
                Cast(OuterRef("requester_id"), CharField()),
            ),
        )
    )  # fmt: skip
    due = list(
        InformationRequest.objects.filter(kind=rules.Kind.REQUESTED, state__in=OVERDUE_STATES, due_on__lt=today)
        .filter(~already_told)
        .order_by("due_on", "pk")
        .values("pk", "requester_id", "holding_agency_id", "requester_agency__name", "due_on")[:limit]
    )
    if not due:
        return 0, 0
    managers = _managers_of(row["holding_agency_id"] for row in due)
    drafts = []
    for row in due:
        drafts += _drafts(
            [row["requester_id"], *managers.get(row["holding_agency_id"], [])],
            key=f"request-overdue-{row['pk']}",
            subject="A request for information is overdue",
            body=(
                f"The answer to the request from {row['requester_agency__name']} was due by "
                f"{long_date(row['due_on'] or today)} and has not been given."
            ),
            link=f"/requests/{row['pk']}/",
        )
    return len(due), notify_many(drafts)


def expires_on(due_on: date, response_working_days: int) -> date:
    """design12 F8: an unanswered request is closed as expired only when a further response time (in working days)
    has passed after its due date, so a non-response is first shown as overdue (Buckinghamshire 5 counts it; a
    Southampton 13 dispute needs it) and then reported with the declines as "not shared"."""
    return rules.request_due_on(due_on, response_working_days, nation=checks.nation())


@transaction.atomic
def requests_expire(*, now: datetime, today: date, limit: int = BATCH) -> tuple[int, int]:
    """Close as expired every submitted request a further response time past its due date (design12 F8). Only a
    request still `submitted` expires - rules.TRANSITIONS allows no other (an answer waiting for approval is not
    unanswered) - in one guarded UPDATE that skips rows another sweep holds, so each expires once. The requester and
    the holding agency's designated managers are told. Audit: request.expire. Returns (expired, notifications)."""
    assert rules.transition_refusal(rules.State.SUBMITTED, rules.State.EXPIRED) is None
    candidates = (
        InformationRequest.objects.filter(kind=rules.Kind.REQUESTED, state=State.SUBMITTED, due_on__lt=today)
        .order_by("due_on", "pk")
        .values_list("pk", "due_on", "protocol_version__response_working_days")[:limit]
    )
    ids = [pk for pk, due_on, days in candidates if due_on is not None and expires_on(due_on, days) < today]
    if not ids:
        return 0, 0
    expired = transition_due(
        InformationRequest.objects.filter(pk__in=ids, state=State.SUBMITTED),
        set_values={"state": State.EXPIRED.value, "expired_at": now},
        returning=("id", "requester", "holding_agency", "child", "due_on"),
    )
    if not expired:
        return 0, 0
    managers = _managers_of(holding for _, _, holding, _, _ in expired)
    drafts = []
    for pk, requester_id, holding_id, _, due_on in expired:
        drafts += _drafts(
            [requester_id, *managers.get(holding_id, [])],
            key=f"request-expired-{pk}",
            subject="A request for information was closed unanswered",
            body=(
                f"The request was due to be answered by {long_date(due_on)}. It was not answered in a further "
                "response time, so it is closed as expired and counted as not shared."
            ),
            link=f"/requests/{pk}/",
        )
    notified = notify_many(drafts)
    audit_record_many(
        kind="request.expire",
        actor=_actor(),
        events=[
            EventDraft("disclosures.informationrequest", pk, f"request {pk}", {"due_on": due_on.isoformat()}, child)
            for pk, _, _, child, due_on in expired
        ],
    )
    return len(expired), notified


def _insert_events(kind: rules.FollowUp, *, where: str, params: Sequence[Any], at: datetime, limit: int) -> list[int]:
    """INSERT the follow-up event `kind` for the disclosures matching `where` that do not have it, ON CONFLICT DO
    NOTHING (unique per disclosure and kind): returns the disclosures this call recorded it for, so two sweeps
    racing each get a disjoint share and nothing is done twice."""
    sql = (
        "INSERT INTO disclosures_disclosureevent (disclosure_id, kind, actor_id, discloser_id, at, outcome, note) "  # noqa: S608
        "SELECT d.id, %s, NULL, d.discloser_id, %s, '', '' FROM disclosures_disclosure d "
        f"WHERE {where} AND NOT EXISTS (SELECT 1 FROM disclosures_disclosureevent e "
        "WHERE e.disclosure_id = d.id AND e.kind = %s) ORDER BY d.id LIMIT %s "
        "ON CONFLICT (disclosure_id, kind) DO NOTHING RETURNING disclosure_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [kind.value, at, *params, kind.value, limit])
        return sorted(row[0] for row in cursor.fetchall())


def _log(disclosures: Sequence[Disclosure], *, kind: rules.FollowUp, audit_kind: str, at: datetime) -> None:
    """The disclosure-log row and audit event of each follow-up the sweep recorded (the log row names its event, whose
    detail carries the row's SHA-256: audit.services.disclosure_log_record): one INSERT of the events, whose ids
    come back in order, and one of the log rows, whatever the batch (DESIGN 3.3)."""
    drafts = [follow_up_draft(disclosure, kind=kind.value, occurred_at=at, actor=None) for disclosure in disclosures]
    event_ids = audit_record_many(
        kind=audit_kind,
        actor=_actor(),
        occurred_at=at,
        events=[
            EventDraft(
                "disclosures.disclosure", disclosure.pk, disclosure.audit_label,
                {"log_sha256": disclosure_log_sha256(draft)}, disclosure.child_id, disclosure.purpose,
            )
            for disclosure, draft in zip(disclosures, drafts, strict=True)
        ],
    )  # fmt: skip
    disclosure_log_record_many(
        drafts=[replace(draft, event_id=event_id) for draft, event_id in zip(drafts, event_ids, strict=True)]
    )


def _disclosures(ids: Sequence[int]) -> list[Disclosure]:
    return list(
        Disclosure.objects.filter(pk__in=ids)
        .select_related("from_agency", "to_agency", "discloser", "requester", "approver", "protocol_version__protocol")
        .prefetch_related(*FOLLOW_UP_PREFETCH)
        .order_by("pk")
    )


@transaction.atomic
def emergency_escalation_sweep(*, now: datetime, limit: int = FOLLOW_UP_BATCH) -> tuple[int, int]:
    """Escalate, once, each emergency disclosure not reviewed by its deadline (issue 12: reviewed within one working
    day, else escalated to the disclosing agency's Caldicott guardian): a DisclosureEvent(escalated), the guardian(s)
    told (the designated managers when the agency names no guardian but the one who made it, the partnership
    admins when nobody there may review it: the escalation reaches someone who may act), a disclosure-log row and
    an audit event (disclosure.escalate). Returns (escalated, notifications)."""
    ids = _insert_events(
        rules.FollowUp.ESCALATED,
        where=(
            "d.kind = 'emergency' AND d.review_due_at < %s AND NOT EXISTS (SELECT 1 FROM disclosures_disclosureevent r "
            "WHERE r.disclosure_id = d.id AND r.kind = 'reviewed')"
        ),
        params=[now],
        at=now,
        limit=limit,
    )
    if not ids:
        return 0, 0
    escalated = _disclosures(ids)
    guardians: dict[int, list[int]] = {}
    for agency_id, user_id in Membership.objects.filter(
        agency_id__in={d.from_agency_id for d in escalated}, is_active=True, user__is_active=True,
        user__is_system=False, is_caldicott_guardian=True,
    ).values_list("agency_id", "user_id"):  # fmt: skip
        guardians.setdefault(agency_id, []).append(user_id)
    managers = _managers_of({d.from_agency_id for d in escalated})
    admins: list[int] | None = None
    drafts = []
    for disclosure in escalated:
        # Someone who may review it (disclosures.policy: never the person who made it; break12b F10): the
        # agency's guardians but the discloser, else its designated managers but the discloser, else the
        # partnership admins, so the escalation never reaches only the one person who may not act on it.
        others = [
            user_id
            for user_id in guardians.get(disclosure.from_agency_id) or managers.get(disclosure.from_agency_id, [])
            if user_id != disclosure.discloser_id
        ]
        if not others and disclosure.from_agency_id in guardians:
            others = [u for u in managers.get(disclosure.from_agency_id, []) if u != disclosure.discloser_id]
        if not others:
            if admins is None:
                admins = partnership_admins()
            others = [user_id for user_id in admins if user_id != disclosure.discloser_id]
        drafts += _drafts(
            others,
            key=f"disclosure-escalated-{disclosure.pk}",
            subject="An emergency disclosure was not reviewed in time",
            body=(
                f"{disclosure.from_agency} made an emergency disclosure to {disclosure.to_agency} that no designated "
                "manager reviewed by the end of the next working day. Review it now."
            ),
            link=f"/disclosures/{disclosure.pk}/",
        )
    notified = notify_many(drafts)
    _log(escalated, kind=rules.FollowUp.ESCALATED, audit_kind="disclosure.escalate", at=now)
    return len(escalated), notified


@transaction.atomic
def retention_end_sweep(*, now: datetime, limit: int = FOLLOW_UP_BATCH) -> tuple[int, int]:
    """Record, once, the end of each disclosure's retention and erase the content it disclosed (design12 F7;
    Southampton 8): a DisclosureEvent(retention_ended), the snapshot deleted (the hash, the metadata and the log
    stay), a disclosure-log row and an audit event (disclosure.retention_end), the recipients told. Bookkeeping
    only: their access already ended at retain_until (EntryGrant.expires_at). The database allows the deletion
    only once retain_until is past by its own clock (trigger disclosure_snapshot_kept), so that clock bounds the
    step too. Returns (ended, notifications)."""
    ids = _insert_events(
        rules.FollowUp.RETENTION_ENDED,
        where="d.retain_until < %s AND d.retain_until < now()",
        params=[now],
        at=now,
        limit=limit,
    )
    if not ids:
        return 0, 0
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM disclosures_disclosuresnapshot WHERE disclosure_id = ANY(%s)", [ids])
    ended = _disclosures(ids)
    recipients: dict[int, list[int]] = {}
    for disclosure_id, user_id in DisclosureRecipient.objects.filter(disclosure_id__in=ids).values_list(
        "disclosure_id", "user_id"
    ):
        recipients.setdefault(disclosure_id, []).append(user_id)
    drafts = []
    for disclosure in ended:
        drafts += _drafts(
            recipients.get(disclosure.pk, []),
            key=f"disclosure-retention-ended-{disclosure.pk}",
            subject="Information disclosed to you has reached the end of its retention",
            body=(
                f"The retention of what {disclosure.from_agency} disclosed to you has ended: the portal no longer "
                "holds its content. Delete any copy you made, as the protocol's onward terms require."
            ),
            link=f"/disclosures/{disclosure.pk}/",
        )
    notified = notify_many(drafts)
    _log(ended, kind=rules.FollowUp.RETENTION_ENDED, audit_kind="disclosure.retention_end", at=now)
    return len(ended), notified


def deadline_sweep(*, now: datetime, today: date) -> DeadlineSweepResult:
    """The whole sweep (Celery beat: disclosures.deadline_sweep), each step in its own transaction, so one step's
    failure does not hold back the others' work."""
    overdue, overdue_told = requests_overdue_sweep(today=today)
    expired, expired_told = requests_expire(now=now, today=today)
    escalated, escalated_told = emergency_escalation_sweep(now=now)
    ended, ended_told = retention_end_sweep(now=now)
    return DeadlineSweepResult(
        overdue=overdue,
        expired=expired,
        escalated=escalated,
        retention_ended=ended,
        notified=overdue_told + expired_told + escalated_told + ended_told,
    )
