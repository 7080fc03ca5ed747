"""Leaving the age scope and retention (Southampton 5, 8 and 11; issue 11): the sweep that tells lead
professionals weeks before a child passes the protocol's age scope, flags children past it (their lead
professionals told once), keeps those with an extending condition or a live consent, closes the rest after a grace
period (their lead professionals told the date), and erases the content of closed records once the retention
period of the protocol version they were closed under has run; a partnership admin's closing; and the erasure
itself.

Erasure is the one sanctioned exception to the immutability of entry revisions (sharing/migrations/0002, 0006):
`child_erase` alone sets the transaction-local flag the trigger asks for, and the trigger lets through only an
update that blanks a closed child's content. What stays: the ids (of the child, its entries, revisions and
involvements), who recorded what and when, the categories, and everything the disclosure log and the audit
trail need; the audit event says which kinds of data were erased, when and under which rule, never the content.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import TruncYear
from django.utils import timezone

from agencies.models import User
from agencies.selectors import designated_managers_of
from audit.services import EventDraft, audit_record, audit_record_many
from consent.models import ConsentRecord
from consent.selectors import own_consent_live
from isp_portal.notifications import NotificationDraft, notify_many
from isp_portal.policy import SystemActor, require
from isp_portal.wording import long_date
from isp_portal.workdays import nation_from
from protocols.models import IN_FORCE_STATUSES, ProtocolKind, ProtocolVersion
from sharing import retention_rules as rules
from sharing.models import (
    Child,
    ChildAddress,
    ChildMerge,
    ChildName,
    ChildNameCorrection,
    ChildNameKey,
    ChildReopening,
    ClosureRule,
    EntryRevision,
    Involvement,
    KeptUnder,
    Setting,
)
from sharing.rules import AgeScope
from sharing.services.checks import reason_cleaned
from sharing.signals import child_erased

SWEEP_ACTOR_LABEL = "retention sweep"
SWEEP_BATCH = 500
ERASE_BATCH = 50


def retention_version() -> ProtocolVersion | None:
    """The protocol version whose age scope and retention period the sweep applies: the version in force of the
    partnership's general protocol in force (an individual protocol or a code of practice supplements it,
    Haringey 2.1), the one adopted most recently if there are several; None when there is none. One query."""
    general_first = Case(When(protocol__kind=ProtocolKind.GENERAL, then=Value(0)), default=Value(1))
    return (
        ProtocolVersion.objects.filter(protocol__status__in=IN_FORCE_STATUSES, protocol__current_version=F("pk"))
        .select_related("protocol")
        .order_by(general_first, F("adoption__adopted_at").desc(nulls_last=True), "-pk")
        .first()
    )


def scope_of(version: ProtocolVersion) -> AgeScope:
    return AgeScope(
        age_min=version.age_min,
        age_max=version.age_max,
        extended_age_max=version.extended_age_max,
        extended_conditions=frozenset(version.extended_age_conditions),
    )


def children_with_live_consent(child_ids: Iterable[int], today: date) -> frozenset[int]:
    """Which of the children have the young person's own live consent today (consent.selectors.own_consent_live:
    a decision of theirs to share, in force and counting, as the consent summary reads it). A parent's consent
    keeps no record: Southampton 11 asks for consent "to retain records for young people past 18", and no parent
    decides for an adult (Children Act 1989 ss.3, 105). Two queries for any number of children."""
    ids = list(child_ids)
    if not ids:
        return frozenset()
    by_child: dict[int, list[ConsentRecord]] = {}
    for record in (
        ConsentRecord.objects.filter(child_id__in=ids)
        .select_related("withdrawal", "protocol", "child")
        .prefetch_related("recipients")
        .order_by("-obtained_on", "-pk")
    ):
        by_child.setdefault(record.child_id, []).append(record)
    return frozenset(child_id for child_id, records in by_child.items() if own_consent_live(records, today))


# What the retention notices name (fix11h, issue 11). A notice is an email too: it leaves the portal, where no
# policy stands between it and whoever reads the mailbox, and its recipient may not be able to open the record
# today (DESIGN 3.2: the minimum tier is for practitioners of active signatory agencies with valid training, and
# a designated manager standing in may have neither). So each names the child by its index number only, and of
# the involvements only the recipient's own, by its relation to them (LEAD, STAND_IN), never by its service:
# another agency's service ("CAMHS", "Youth offending") is the involvement DESIGN 2.3 lets the index show
# (ContactPoint: which services, without their content) only behind the policy, on the record page, where the
# shield can still withhold it (sharing.policy.shield_names_agency). Nor does a notice name another agency, the
# extending condition that keeps a record (additional needs, leaving care: sensitive in itself), or any reason
# typed by a person (break11e finding 2). The link opens the record, where the policy decides what is shown.
LEAD = "of whom you are lead professional"
STAND_IN = "whose involvement with your agency names no lead professional (you are told as a designated manager there)"


def _people_to_tell(child_ids: list[int]) -> dict[int, dict[int, str]]:
    """Who is told of each child's record approaching or leaving the scope, and why (the phrase naming it): the
    lead professional of each open involvement, or, where an involvement names none who is still active, the
    active designated managers of its agency (Southampton 11: the agency holding the record decides whether it is
    kept, so someone there must be told; Haringey 4.6 names the designated manager as the agency's decision
    maker). Two statements whatever the number of children."""
    told: dict[int, dict[int, str]] = {}
    led: set[tuple[int, int]] = set()
    for child_id, agency_id, user_id in Involvement.objects.filter(
        child_id__in=child_ids,
        ended_on__isnull=True,
        lead_professional__isnull=False,
        lead_professional__is_active=True,
        lead_professional__user__is_active=True,
    ).values_list("child_id", "agency_id", "lead_professional__user_id"):
        told.setdefault(child_id, {})[user_id] = LEAD
        led.add((child_id, agency_id))
    # The open involvements of agencies with no active lead for the child, and those agencies' active designated
    # managers: two more statements.
    unled: dict[int, set[int]] = {}
    for child_id, agency_id in Involvement.objects.filter(child_id__in=child_ids, ended_on__isnull=True).values_list(
        "child_id", "agency_id"
    ):
        if (child_id, agency_id) not in led:
            unled.setdefault(agency_id, set()).add(child_id)
    if unled:
        for agency_id, user_id in designated_managers_of(unled).values_list("agency_id", "user_id"):
            for child_id in unled[agency_id]:
                told.setdefault(child_id, {}).setdefault(user_id, STAND_IN)
    return told


@dataclass(frozen=True)
class SweepResult:
    flagged: int = 0
    kept: int = 0
    closed: int = 0
    pending: int = 0  # open, nothing keeps them, their closing date set and not reached
    erased: int = 0
    notified: int = 0
    reset: int = 0  # back within the scope: their marks of leaving it cleared

    def as_dict(self) -> dict[str, int]:
        return {
            "flagged": self.flagged,
            "kept": self.kept,
            "closed": self.closed,
            "pending": self.pending,
            "erased": self.erased,
            "notified": self.notified,
            "reset": self.reset,
        }


_CLOSED_WORDS = {
    rules.ClosedUnder.AGE_SCOPE: "it is past the protocol's age scope, with no extending condition or consent",
    rules.ClosedUnder.EXTENDED_AGE_SCOPE: "it is past the protocol's extended age scope, with no consent",
}


def grace_end(found_on: date) -> date:
    """The closing date of a record found on `found_on` with nothing to keep it by (sharing.retention_rules
    .closing_date, with the partnership's grace period and bank holidays)."""
    return rules.closing_date(
        found_on, settings.RETENTION_GRACE_WORKING_DAYS, nation=nation_from(settings.BANK_HOLIDAY_NATION)
    )


def _closing_words(closes_on: date) -> str:
    # Southampton 11: "consent is only required ... to retain records for young people past 18"; Southampton 8:
    # not kept "any longer than is necessary". The notice is sent while something can still be done.
    return (
        f"Its record will be closed on {long_date(closes_on)} unless, before then, an extending condition or the "
        "young person's consent to keeping it is recorded. If the young person has additional needs or has left "
        "care, record it; if they consent to their record being kept, record the consent."
    )


ADVANCE_KEY = "child-scope-leaving:"
EXTENSION_ENDING_KEY = "child-scope-extension-ending:"


def _approaching(cutoff: date, today: date, age_max: int, limit: int) -> list[tuple[int, date]]:
    """The open children who pass the ordinary scope within RETENTION_ADVANCE_NOTICE_DAYS and whose lead
    professionals have not been told yet (`scope_warned_on`): one statement, at most `limit` rows, those another
    sweep holds skipped."""
    ahead = today + timedelta(days=settings.RETENTION_ADVANCE_NOTICE_DAYS)
    horizon = rules.latest_birth_date_older_than(age_max, ahead)
    return list(
        Child.objects.filter(
            born_on__gt=cutoff,
            born_on__lte=horizon,
            closed_on__isnull=True,
            merged_into__isnull=True,
            scope_flagged_on__isnull=True,
            scope_warned_on__isnull=True,
        )
        .select_for_update(of=("self",), skip_locked=True)
        .order_by("born_on", "pk")
        .values_list("pk", "born_on")[:limit]
    )


def _advance_notice(
    user_id: int, child_id: int, leaves_on: date, version: ProtocolVersion, why: str = LEAD
) -> NotificationDraft:
    # Southampton 11: "consent is only required ... to retain records for young people past 18". The lead
    # professional is told weeks ahead, while the young person can still be asked (break11 finding 11). Names the
    # child's index number and the recipient's own relation to it only (see LEAD above: DESIGN 2.3, 3.2).
    return NotificationDraft(
        user_id,
        # Keyed by the day it passes: a child back within the scope and approaching it again is told again.
        f"{ADVANCE_KEY}{leaves_on.isoformat()}:{child_id}",
        f"Child {child_id} passes the protocol's age scope on {long_date(leaves_on)}",
        f"Child {child_id}, {why}, passes the age scope of "
        f"{version}{version.cite('scope')} on {long_date(leaves_on)}. From then their record is kept only while "
        "an extending condition the protocol lists applies or with the young person's consent; otherwise it is "
        f"closed {settings.RETENTION_GRACE_WORKING_DAYS} working days later. If the young person has additional "
        "needs or has left care, record it; if they consent to their record being kept, record the consent.",
        f"/children/{child_id}/",
    )


def _extension_ending_notice(
    user_id: int, child_id: int, ends_on: date, version: ProtocolVersion, why: str = LEAD
) -> NotificationDraft:
    # Southampton 11, as for the ordinary scope: a record kept under an extending condition (additional needs, a
    # care leaver) to `extended_age_max` is kept after that only with the young person's consent, so the people
    # responsible are told weeks ahead, while the consent can still be asked for. Once: the key is the day. It says
    # "an extending condition", never which (additional needs, leaving care), nor any service (see LEAD above).
    return NotificationDraft(
        user_id,
        f"{EXTENSION_ENDING_KEY}{ends_on.isoformat()}:{child_id}",
        f"The extended age scope of child {child_id} ends on {long_date(ends_on)}",
        f"Child {child_id}, {why}, is kept past the age scope of {version}{version.cite('scope')} under an extending "
        f"condition, which ends on {long_date(ends_on)}. From then their record is kept only with the young "
        f"person's consent; otherwise it is closed {settings.RETENTION_GRACE_WORKING_DAYS} working days later. If "
        "they consent to their record being kept, record the consent.",
        f"/children/{child_id}/",
    )


def _stale_marks(scope: AgeScope, today: date) -> Q:
    """The open children whose marks of leaving the scope no longer hold on `today` (break11c finding 3): flagged
    (with any closing date or reason kept) though within the ordinary scope, or told it is approaching though it
    is further off than the advance notice; a corrected date of birth or a version with a wider scope does that.
    Two ranges of `born_on` (the sweep's own bounds)."""
    cutoff = rules.latest_birth_date_older_than(scope.age_max, today)
    horizon = rules.latest_birth_date_older_than(
        scope.age_max, today + timedelta(days=settings.RETENTION_ADVANCE_NOTICE_DAYS)
    )
    return Q(closed_on__isnull=True, merged_into__isnull=True) & (
        Q(scope_flagged_on__isnull=False, born_on__gt=cutoff) | Q(scope_warned_on__isnull=False, born_on__gt=horizon)
    )


_MARKS = ("scope_flagged_on", "scope_warned_on", "closes_on", "kept_under")


def _marks_cleared(actor: Any, version: ProtocolVersion, rows: list[dict[str, Any]], today: date) -> int:
    """Clear the marks of leaving the scope of children back within it (`rows`, claimed by the caller): the flag,
    the notice, the closing date and the reason kept, so that when the child passes the scope again it is told
    ahead, flagged and given its grace period afresh (Southampton 11: the young person is asked before the record
    closes; break11 finding 11: a closing date is always set first). One update and one insert of audit events
    (child.scope_reset, with what was cleared)."""
    if not rows:
        return 0
    Child.objects.filter(pk__in=[row["pk"] for row in rows]).update(
        scope_flagged_on=None,
        scope_warned_on=None,
        closes_on=None,
        kept_under="",
        retention_checked_on=None,
        updated_at=timezone.now(),
    )
    _record_children(
        "child.scope_reset",
        actor,
        [
            (
                row["pk"],
                {
                    "protocol_version_id": version.pk,
                    "age_max": version.age_max,
                    "checked_on": today.isoformat(),
                    "cleared": {
                        key: row[key].isoformat() if isinstance(row[key], date) else row[key]
                        for key in _MARKS
                        if row[key]
                    },
                },
            )
            for row in rows
        ],
    )
    return len(rows)


def retention_marks_refresh(*, actor: Any, child: Child, today: date | None = None) -> bool:
    """After a change to `child`'s date of birth (sharing.services.children.child_update): clear its marks of
    leaving the scope if it is back within the retention version's scope (_marks_cleared), at once rather than
    at the next sweep, which would find it past the scope again on its new date and close it on the old
    closing date. Returns whether they were cleared."""
    version = retention_version()
    if version is None:
        return False
    day = today or timezone.localdate()
    rows = list(
        Child.objects.filter(_stale_marks(scope_of(version), day), pk=child.pk)
        .select_for_update(of=("self",))
        .values("pk", *_MARKS)
    )
    return bool(_marks_cleared(actor, version, rows, day))


@transaction.atomic
def retention_scope_sweep(*, today: date, limit: int = SWEEP_BATCH) -> SweepResult:
    """Flag, keep or close, in one bounded batch, the open children past the ordinary age scope of the retention
    version that are not flagged yet or were last checked before today (DESIGN 3.3: rows skipped when another
    sweep holds them; a repeated tick finds them checked today and does nothing).

    Weeks before (RETENTION_ADVANCE_NOTICE_DAYS) a child passes the scope, the lead professionals of its open
    involvements are told the day and what keeps the record, once (`scope_warned_on`; the notification key). A
    child newly past the scope is flagged once (`scope_flagged_on`) and the lead professionals of its open
    involvements told once each (the notification key). Each is kept, with the reason (an extending condition
    while it applies, or a live consent: Southampton 5, 11), or, with nothing to keep it by, given a closing date
    (`closes_on`, a grace period of working days later: grace_end) and its lead professionals told that date and
    what would keep the record; it is closed under the scope's rule on that date if nothing was recorded
    meanwhile (break11 finding 11: a consent asked for must be able to keep the record), its erasure due after the
    version's retention period (Southampton 8). A kept child is checked again each day, so a consent withdrawn or
    an extension run out gives it a closing date (and a notice) on the next day's sweep. Statements do not grow
    with the batch: one to claim, one to claim the children approaching the scope (and one to mark them told),
    two for consents, one for lead professionals, one insert of notifications, one update per outcome, one insert
    of audit events per kind."""
    version = retention_version()
    if version is None:
        return SweepResult()
    scope = scope_of(version)
    cutoff = rules.latest_birth_date_older_than(scope.age_max, today)
    # Back within the scope (a corrected date of birth, a version with a wider scope): the marks are cleared
    # first, so a child within the advance notice is told again below (break11c finding 3).
    actor = SystemActor(SWEEP_ACTOR_LABEL)
    reset = _marks_cleared(
        actor,
        version,
        list(
            Child.objects.filter(_stale_marks(scope, today))
            .select_for_update(of=("self",), skip_locked=True)
            .order_by("born_on", "pk")
            .values("pk", *_MARKS)[:limit]
        ),
        today,
    )
    approaching = _approaching(cutoff, today, scope.age_max, limit)
    rows = list(
        Child.objects.filter(born_on__lte=cutoff, closed_on__isnull=True, merged_into__isnull=True)
        .filter(Q(scope_flagged_on__isnull=True) | Q(retention_checked_on__lt=today))
        .select_for_update(of=("self",), skip_locked=True)
        .order_by("born_on", "pk")
        .values("pk", "born_on", "has_additional_needs", "is_care_leaver", "scope_flagged_on", "closes_on")[:limit]
    )
    if not rows and not approaching:
        return SweepResult(reset=reset)
    consenting = children_with_live_consent([row["pk"] for row in rows], today)
    newly_flagged: list[int] = []
    kept: dict[str, list[int]] = {KeptUnder.EXTENDING_CONDITION: [], KeptUnder.CONSENT: []}
    closing: dict[str, list[int]] = {}
    newly_pending: list[int] = []  # nothing keeps them: a closing date is set today, and their leads told
    extension_ending: list[tuple[int, date]] = []  # kept under an extending condition that ends within the notice
    waiting: list[int] = []  # their closing date is set and not reached
    for row in rows:
        outcome = rules.retention_on(
            scope,
            row["born_on"],
            today,
            additional_needs=row["has_additional_needs"],
            care_leaver=row["is_care_leaver"],
            live_consent=row["pk"] in consenting,
        )
        if outcome.in_scope:  # the cutoff says otherwise; only a clock moving backwards gets here
            continue
        if row["scope_flagged_on"] is None:
            newly_flagged.append(row["pk"])
        if outcome.kept is not None:
            kept[outcome.kept.value].append(row["pk"])
            if outcome.kept == rules.Keep.EXTENDING_CONDITION and row["pk"] not in consenting:
                ends_on = rules.extended_scope_ends_on(
                    scope,
                    row["born_on"],
                    additional_needs=row["has_additional_needs"],
                    care_leaver=row["is_care_leaver"],
                )
                if ends_on - today <= timedelta(days=settings.RETENTION_ADVANCE_NOTICE_DAYS):
                    extension_ending.append((row["pk"], ends_on))
        elif outcome.closed_under is not None:
            if row["closes_on"] is None:
                newly_pending.append(row["pk"])
            elif row["closes_on"] <= today:
                closing.setdefault(outcome.closed_under.value, []).append(row["pk"])
            else:
                waiting.append(row["pk"])
    now = timezone.now()
    if approaching:
        Child.objects.filter(pk__in=[pk for pk, _ in approaching]).update(scope_warned_on=today)
    if newly_flagged:
        Child.objects.filter(pk__in=newly_flagged).update(scope_flagged_on=today)
    for reason, ids in kept.items():
        if ids:
            Child.objects.filter(pk__in=ids).update(
                kept_under=reason, closes_on=None, retention_checked_on=today, updated_at=now
            )
    closes_on = grace_end(today)
    if newly_pending:
        Child.objects.filter(pk__in=newly_pending).update(
            kept_under="", closes_on=closes_on, retention_checked_on=today, updated_at=now
        )
    if waiting:
        Child.objects.filter(pk__in=waiting).update(retention_checked_on=today)
    due_on = rules.erasure_due_on(today, version.retention_months)
    for rule, ids in closing.items():
        Child.objects.filter(pk__in=ids).update(
            kept_under="",
            closes_on=None,
            retention_checked_on=today,
            closed_on=today,
            closed_under=rule,
            closed_version=version,
            erase_due_on=due_on,
            updated_at=now,
        )
    drafts = []
    flagged_set = set(newly_flagged)
    pending_set = set(newly_pending)
    told = _people_to_tell(
        sorted(flagged_set | pending_set | {pk for pk, _ in approaching} | {pk for pk, _ in extension_ending})
    )
    for child_id, born_on in approaching:
        leaves_on = rules.scope_ends_on(scope, born_on)
        for user_id, why in sorted(told.get(child_id, {}).items()):
            drafts.append(_advance_notice(user_id, child_id, leaves_on, version, why))
    for child_id, ends_on in extension_ending:
        for user_id, why in sorted(told.get(child_id, {}).items()):
            drafts.append(_extension_ending_notice(user_id, child_id, ends_on, version, why))
    for child_id in sorted(flagged_set | pending_set):
        if child_id in flagged_set:
            # The first notice, whatever the outcome (a child flagged and closed the same day cannot happen: a
            # closing date is always set first).
            # Keyed by the day it was flagged: a child back within the scope that passes it again is told again.
            key = f"child-scope-left:{today.isoformat()}:{child_id}"
            subject = f"Child {child_id} has passed the protocol's age scope"
            ending = f"has passed the age scope of {version}{version.cite('scope')}."
        else:  # kept until now: the extending condition ran out or the consent was withdrawn or expired
            key = f"child-scope-closing:{child_id}:{closes_on.isoformat()}"
            subject = f"The record of child {child_id} is to be closed"
            ending = (
                f"is past the age scope of {version}{version.cite('scope')} and nothing keeps their record any "
                "longer: no extending condition applies and no consent of the young person is live."
            )
        words = (
            _closing_words(closes_on)
            if child_id in pending_set
            else "Its record is kept while an extending condition applies or the young person's consent is live; "
            "you will be told before it is closed."
        )
        for user_id, why in sorted(told.get(child_id, {}).items()):
            # The index number, the recipient's own relation, the protocol version and dates: no service, no
            # other agency, no extending condition (see LEAD above: DESIGN 2.3, 3.2).
            body = f"Child {child_id}, {why}, {ending} {words}"
            drafts.append(NotificationDraft(user_id, key, subject, body, f"/children/{child_id}/"))
    notified = notify_many(drafts)
    _record_children(
        "child.scope_left",
        actor,
        [(child_id, {"protocol_version_id": version.pk, "age_max": scope.age_max}) for child_id in newly_flagged],
    )
    _record_children(
        "child.closing_set",
        actor,
        [
            (
                child_id,
                {
                    "closes_on": closes_on.isoformat(),
                    "grace_working_days": settings.RETENTION_GRACE_WORKING_DAYS,
                    "protocol_version_id": version.pk,
                },
            )
            for child_id in newly_pending
        ],
    )
    _record_children(
        "child.close",
        actor,
        [
            (
                child_id,
                {
                    "rule": rule,
                    "closed_on": today.isoformat(),
                    "erase_due_on": due_on.isoformat(),
                    "protocol_version_id": version.pk,
                    "retention_months": version.retention_months,
                },
            )
            for rule, ids in closing.items()
            for child_id in ids
        ],
    )
    return SweepResult(
        flagged=len(newly_flagged),
        kept=sum(len(ids) for ids in kept.values()),
        closed=sum(len(ids) for ids in closing.values()),
        pending=len(newly_pending) + len(waiting),
        notified=notified,
        reset=reset,
    )


def _record_children(kind: str, actor: Any, events: list[tuple[int, dict[str, Any]]]) -> None:
    """One audit event of `kind` per (child id, detail), each naming its child: a sweep's steps in bulk."""
    audit_record_many(
        kind=kind,
        actor=actor,
        events=[
            EventDraft("sharing.child", child_id, f"child {child_id}", detail, child_id) for child_id, detail in events
        ],
    )


@transaction.atomic
def child_close(*, actor: Any, child: Child, reason: str, today: date | None = None) -> Child:
    """A partnership admin closes a child's record that is no longer needed (Southampton 8: "not kept for any
    longer than is necessary"), with a reason. Its content is erased once the retention period of the version in
    force has run. Refused for a merged or already closed record, or when no protocol is in force (no retention
    period to apply)."""
    day = today or timezone.localdate()
    locked = Child.objects.select_for_update().get(pk=child.pk)
    require(actor, "close", locked)
    errors: dict[str, str] = {}
    cleaned = reason_cleaned(
        reason, errors, field="reason", missing="Say why this record is no longer needed: the reason is recorded."
    )
    version = retention_version()
    if version is None:
        errors.setdefault(
            "reason", "No protocol is in force, so there is no retention period to apply: this record stays open."
        )
    if errors:
        raise ValidationError(errors)
    assert version is not None
    due_on = rules.erasure_due_on(day, version.retention_months)
    now = timezone.now()
    Child.objects.filter(pk=locked.pk).update(
        closed_on=day,
        closed_under=ClosureRule.ADMIN,
        close_reason=cleaned,
        closed_by=actor if isinstance(actor, User) else None,
        closed_version=version,
        erase_due_on=due_on,
        kept_under="",
        closes_on=None,
        updated_at=now,
    )
    audit_record(
        kind="child.close",
        actor=actor,
        target=locked,
        child_id=locked.pk,
        detail={
            "rule": ClosureRule.ADMIN.value,
            "closed_on": day.isoformat(),
            "erase_due_on": due_on.isoformat(),
            "protocol_version_id": version.pk,
            "retention_months": version.retention_months,
        },
    )
    locked.refresh_from_db()
    return locked


REOPEN_KEY = "child-reopened:"


@transaction.atomic
def child_reopen(*, actor: Any, child: Child, reason: str, today: date | None = None) -> Child:
    """A partnership admin (whoever may close a record: sharing.policy) reopens a record closed in error, with a
    reason: a record closed on a wrong date of birth, or by mistake, would otherwise have its content erased at
    the end of the retention period while the partnership still works with the child (break11d finding 11;
    Southampton 8 asks that records are not kept longer than necessary, not that they are lost while needed).
    Only a closed record whose content is still there and that was not merged.

    The closing is undone (closed_on, closed_under, close_reason, closed_by, closed_version, erase_due_on) and the
    marks of leaving the scope are cleared (_marks_cleared: the flag, the notice, the closing date, the reason
    kept, the day last checked), so the next sweep judges the record afresh on its date of birth as it then is: a
    record still past the scope with nothing to keep it by is flagged again and given a new closing date, a grace
    period later, never closed the same day (retention_scope_sweep), and its lead professionals are told. Audited
    (child.reopen, with what was undone, the reopening's id and the reason's length, and child.scope_reset); the
    lead professionals of its open involvements
    (or the designated managers standing in: _people_to_tell) are told it was reopened, once per reopening. The
    reason is kept in a ChildReopening row, which the erasure blanks, never in the audit trail or a notice."""
    day = today or timezone.localdate()
    locked = Child.objects.select_for_update().get(pk=child.pk)
    require(actor, "reopen", locked)
    errors: dict[str, str] = {}
    cleaned = reason_cleaned(
        reason, errors, field="reason", missing="Say why this record is reopened: the reason is recorded."
    )
    if errors:
        raise ValidationError(errors)
    closed = {
        "closed_on": locked.closed_on.isoformat() if locked.closed_on else None,
        "closed_under": locked.closed_under,
        "erase_due_on": locked.erase_due_on.isoformat() if locked.erase_due_on else None,
        "protocol_version_id": locked.closed_version_id,
    }
    Child.objects.filter(pk=locked.pk).update(
        closed_on=None,
        closed_under="",
        close_reason="",
        closed_by=None,
        closed_version=None,
        erase_due_on=None,
        updated_at=timezone.now(),
    )
    version = retention_version() or locked.closed_version
    if version is not None:
        _marks_cleared(actor, version, [{"pk": locked.pk, **{key: getattr(locked, key) for key in _MARKS}}], day)
    else:  # no version to name: the marks are cleared all the same (nothing judges the record without one)
        Child.objects.filter(pk=locked.pk).update(
            scope_flagged_on=None, scope_warned_on=None, closes_on=None, kept_under="", retention_checked_on=None
        )
    # The reason is free text (who said so, where the child lives): it lives only in the reopening row, which the
    # erasure blanks (child_erase). The audit trail is append-only and outlives the erasure, so it records which
    # reopening was made and that a reason was given (its length), never the text; the notices say the record
    # was reopened and link to it, the reason read there (Southampton 6, 8; break11e findings 1, 2; as
    # consent.withdraw since break11b finding 3).
    reopening = ChildReopening.objects.create(
        child=locked, reopened_on=day, reason=cleaned, reopened_by=actor if isinstance(actor, User) else None
    )
    audit_record(
        kind="child.reopen",
        actor=actor,
        target=locked,
        child_id=locked.pk,
        detail={
            **closed,
            "reopening_id": reopening.pk,
            "reason_length": len(cleaned),
            "reopened_on": day.isoformat(),
        },
    )
    # The index number, the recipient's own relation and the dates: never the reason (break11e finding 2), a
    # service or another agency (see LEAD above: DESIGN 2.3, 3.2).
    notify_many(
        NotificationDraft(
            user_id,
            # Keyed by the reopening: a record reopened twice in a day is told twice (break11e note b).
            f"{REOPEN_KEY}{reopening.pk}",
            f"The record of child {locked.pk} has been reopened",
            f"Child {locked.pk}, {why}, was closed on {long_date(locked.closed_on or day)}; a partnership admin "
            f"reopened the record on {long_date(day)} (the reason given is kept with the record). It is open "
            "again. If the young person is past the protocol's age scope, it is kept only while an extending "
            "condition applies or with their consent; otherwise it is given a new closing date and you will be "
            "told it.",
            f"/children/{locked.pk}/",
        )
        for user_id, why in sorted(_people_to_tell([locked.pk]).get(locked.pk, {}).items())
    )
    locked.refresh_from_db()
    return locked


ERASED_REASON = "Erased."  # sharing/migrations/0006_child_retention.py: the trigger asks for exactly this
NOT_DUE = "This record is not due for erasure: it is erased when the retention period after its closing has run."


@transaction.atomic
def child_erase(*, actor: Any, child: Child, today: date | None = None) -> Child:
    """Erase the content of a closed record whose retention period has run (Southampton 8: "deleted/destroyed
    appropriately at the end of the retention period"; Southampton 6: "deleted beyond recovery").

    Erased: every name and alias (with its search keys), the address history, the phone number, the NHS number,
    the languages and the setting's name, the day and month of the date of birth (the year stays, so the record
    still says roughly whose it was to an auditor, not who), the reasons involvements ended, and every entry
    revision's text, structured fields and change reason. Kept: the ids, the categories, who recorded what and
    when, involvements' agencies and dates, the consent decisions and their scope and dates (their names, notes,
    reasons and evidence erased by consent's receiver of `child_erased`), the disclosure log, and the audit
    trail. An admin's closing reason, the reopening reasons and the reasons of the merges into or of it become
    ERASED_REASON. The entries merged into the child lose the same
    minimum data and are marked erased with it. The audit event lists the kinds of data erased with
    their counts, when, and under which rule, never the content. Only the portal itself erases (the sweep's
    SystemActor): no person's action does."""
    day = today or timezone.localdate()
    locked = Child.objects.select_for_update().get(pk=child.pk)
    if not isinstance(actor, SystemActor):
        require(actor, "erase", locked)
    if locked.erased_at is not None:
        return locked
    due = rules.record_erasure_due(closed_on=locked.closed_on, erase_due_on=locked.erase_due_on, today=day)
    if not due or locked.closed_on is None or locked.erase_due_on is None:  # (the dates' None spelled for the types)
        raise ValidationError({"child": NOT_DUE})
    revisions = EntryRevision.objects.filter(entry__child_id=locked.pk)
    with connection.cursor() as cursor:
        # The trigger's sanctioned exception (sharing/migrations/0006), for this transaction only.
        cursor.execute("SELECT set_config('isp_portal.erasing', 'on', true)")
    # A correction always has a reason (constraint entry_revision_change_has_reason): it becomes ERASED_REASON,
    # the only value the trigger accepts for it.
    erased_revisions = revisions.exclude(text="", fields={}, change_reason__in=["", ERASED_REASON]).update(
        text="", fields={}, change_reason=Case(When(number=1, then=Value("")), default=Value(ERASED_REASON))
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('isp_portal.erasing', '', true)")
    ChildNameKey.objects.filter(child_id=locked.pk).delete()
    names = ChildName.objects.filter(child_id=locked.pk).delete()[0]
    addresses = ChildAddress.objects.filter(child_id=locked.pk).delete()[0]
    end_reasons = Involvement.objects.filter(child_id=locked.pk).exclude(end_reason="").update(end_reason="")
    # The reasons given for reopening the record and for merging entries into it (or it into another) are free
    # text (who said so, what matched: names, dates of birth, addresses): erased like a closing reason. Kept: who
    # reopened or merged what, and when (break11e findings 1, 3). The entries merged into this one reach it in
    # one level (child_merge repoints them), and their own merges are erased with it.
    merged_ids = Child.objects.filter(merged_into_id=locked.pk).values("pk")
    merge_reasons = (
        ChildMerge.objects.filter(
            Q(kept_id=locked.pk) | Q(merged_id=locked.pk) | Q(kept_id__in=merged_ids) | Q(merged_id__in=merged_ids)
        )
        .exclude(reason=ERASED_REASON)
        .update(reason=ERASED_REASON)
    )
    # An entry reopened before it was merged into this one keeps its reopenings on its own row: erased with it.
    reopening_reasons = (
        ChildReopening.objects.filter(Q(child_id=locked.pk) | Q(child_id__in=merged_ids))
        .exclude(reason=ERASED_REASON)
        .update(reason=ERASED_REASON)
    )
    # The reasons given for correcting its name (free text, naming the misspelt name: break11h F8, b11k), of
    # this record and of the entries merged into it, as the reopenings'.
    name_correction_reasons = (
        ChildNameCorrection.objects.filter(Q(child_id=locked.pk) | Q(child_id__in=merged_ids))
        .exclude(reason=ERASED_REASON)
        .update(reason=ERASED_REASON)
    )
    erased: dict[str, int | bool] = {
        "names": names,
        "addresses": addresses,
        "entry_revisions": erased_revisions,
        "involvement_end_reasons": end_reasons,
        "merge_reasons": merge_reasons,
        "reopening_reasons": reopening_reasons,
        "name_correction_reasons": name_correction_reasons,
        "phone": bool(locked.phone),
        "nhs_number": locked.nhs_number is not None,
        "languages": bool(locked.languages),
        "setting_name": bool(locked.setting_name),
        "date_of_birth_day_and_month": True,
        # An admin's closing reason is free text (where the child went, with whom): erased like a correction's.
        "close_reason": bool(locked.close_reason) and locked.close_reason != ERASED_REASON,
    }
    # What the apps above sharing hold about the child (the consent records' names, notes and evidence), erased
    # by their own receivers, which return their counts (sharing.signals.child_erased).
    for _, their_counts in child_erased.send(sender=Child, child=locked, today=day):
        if isinstance(their_counts, dict):
            erased.update(their_counts)
    now = timezone.now()
    Child.objects.filter(pk=locked.pk).update(
        phone="",
        nhs_number=None,
        languages=[],
        setting=Setting.NONE,
        setting_name="",
        born_on=date(locked.born_on.year, 1, 1),
        close_reason=ERASED_REASON if locked.close_reason else "",
        erased_at=now,
        updated_at=now,
    )
    # The entries merged into this child (child_merge moved their names, addresses, involvements and entries here
    # but left each one's own minimum data on its row, which any index user may read by its id): erased with it,
    # and marked erased with its dates, so each says what its survivor says (Southampton 6, 8: deleted beyond
    # recovery at the end of the retention period; break10e finding 5). A merge repoints the entries merged
    # earlier to the survivor, so one level reaches them all.
    merged_away = Child.objects.filter(merged_into_id=locked.pk, erased_at__isnull=True)
    erased["merged_entries"] = merged_away.update(
        phone="",
        nhs_number=None,
        languages=[],
        setting=Setting.NONE,
        setting_name="",
        born_on=TruncYear("born_on"),
        closed_on=locked.closed_on,
        closed_under=locked.closed_under,
        close_reason=ERASED_REASON if locked.close_reason else "",
        erase_due_on=locked.erase_due_on,
        closes_on=None,
        kept_under="",
        scope_flagged_on=locked.scope_flagged_on,
        erased_at=now,
        updated_at=now,
    )
    audit_record(
        kind="child.erase",
        actor=actor,
        target=locked,
        child_id=locked.pk,
        detail={
            "rule": locked.closed_under,
            "closed_on": locked.closed_on.isoformat(),
            "erase_due_on": locked.erase_due_on.isoformat(),
            "protocol_version_id": locked.closed_version_id,
            "erased": erased,
        },
    )
    locked.refresh_from_db()
    return locked


def retention_erasure_sweep(*, today: date, limit: int = ERASE_BATCH) -> int:
    """Erase the closed records due (erase_due_on today or past), each in its own transaction, at most `limit`
    a tick; a record another worker holds is skipped (SKIP LOCKED) and one already erased is left alone, so a
    repeated tick erases nothing twice. Returns how many were erased."""
    actor = SystemActor(SWEEP_ACTOR_LABEL)
    due = list(
        Child.objects.filter(closed_on__isnull=False, erased_at__isnull=True, erase_due_on__lte=today)
        .order_by("erase_due_on", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    erased = 0
    for pk in due:
        with transaction.atomic():
            child = Child.objects.select_for_update(skip_locked=True).filter(pk=pk, erased_at__isnull=True).first()
            if child is None:
                continue
            try:
                with transaction.atomic():
                    child_erase(actor=actor, child=child, today=today)
            except ValidationError:
                # Reopened (or closed again) since the batch was read: no longer due. child_erase refused and wrote
                # nothing; the rest of the batch goes on (break11e note a).
                continue
            erased += 1
    return erased


def retention_sweep(*, today: date) -> SweepResult:
    """The whole retention sweep (Celery beat: sharing.retention_sweep): flag, keep or close one batch, then
    erase one batch of the records due."""
    scoped = retention_scope_sweep(today=today)
    erased = retention_erasure_sweep(today=today)
    return SweepResult(
        flagged=scoped.flagged,
        kept=scoped.kept,
        closed=scoped.closed,
        pending=scoped.pending,
        erased=erased,
        notified=scoped.notified,
        reset=scoped.reset,
    )
