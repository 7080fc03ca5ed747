"""Leaving the age scope and retention (Southampton 5, 8 and 11; issue 11): the sweep that flags children past
the protocol's age scope (their lead professionals told once), keeps those with an extending condition or a live
consent, closes the rest, and erases the content of closed records once the retention period of the protocol
version they were closed under has run; a partnership admin's closing; and the erasure itself.

Erasure is the one sanctioned exception to the immutability of entry revisions (sharing/migrations/0002, 0006):
`child_erase` alone sets the transaction-local flag the trigger asks for, and the trigger lets through only an
update that blanks a closed child's content. What stays: the ids (of the child, its entries, revisions and
involvements), who recorded what and when, the categories, and everything the disclosure log and the audit
trail need; the audit event says which kinds of data were erased, when and under which rule, never the content.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from agencies.models import User
from audit.services import EventDraft, audit_record, audit_record_many
from consent.models import ConsentRecord
from consent.selectors import own_consent_live
from isp_portal.notifications import NotificationDraft, notify_many
from isp_portal.policy import SystemActor, require
from isp_portal.wording import long_date
from protocols.models import IN_FORCE_STATUSES, ProtocolKind, ProtocolVersion
from sharing import retention_rules as rules
from sharing.models import (
    Child,
    ChildAddress,
    ChildName,
    ChildNameKey,
    ClosureRule,
    EntryRevision,
    Involvement,
    KeptUnder,
    Setting,
)
from sharing.rules import AgeScope
from sharing.services.checks import reason_cleaned

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


def _lead_professionals(child_ids: list[int]) -> dict[int, set[int]]:
    """The users who are lead professionals of an open involvement of each child (active members only)."""
    leads: dict[int, set[int]] = {}
    for child_id, user_id in Involvement.objects.filter(
        child_id__in=child_ids,
        ended_on__isnull=True,
        lead_professional__isnull=False,
        lead_professional__is_active=True,
        lead_professional__user__is_active=True,
    ).values_list("child_id", "lead_professional__user_id"):
        leads.setdefault(child_id, set()).add(user_id)
    return leads


@dataclass(frozen=True)
class SweepResult:
    flagged: int = 0
    kept: int = 0
    closed: int = 0
    erased: int = 0
    notified: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "flagged": self.flagged,
            "kept": self.kept,
            "closed": self.closed,
            "erased": self.erased,
            "notified": self.notified,
        }


_CLOSED_WORDS = {
    rules.ClosedUnder.AGE_SCOPE: "it is past the protocol's age scope, with no extending condition or consent",
    rules.ClosedUnder.EXTENDED_AGE_SCOPE: "it is past the protocol's extended age scope, with no consent",
}


@transaction.atomic
def retention_scope_sweep(*, today: date, limit: int = SWEEP_BATCH) -> SweepResult:
    """Flag, keep or close, in one bounded batch, the open children past the ordinary age scope of the retention
    version that are not flagged yet or were last checked before today (DESIGN 3.3: rows skipped when another
    sweep holds them; a repeated tick finds them checked today and does nothing).

    A child newly past the scope is flagged once (`scope_flagged_on`) and the lead professionals of its open
    involvements told once each (the notification key). Then each is kept, with the reason (an extending
    condition while it applies, or a live consent: Southampton 5, 11), or closed under the scope's rule, its
    erasure due after the version's retention period (Southampton 8). A kept child is checked again each day, so a
    consent withdrawn or an extension run out closes it on the next day's sweep. Statements do not grow with the
    batch: one to claim, two for consents, one for lead professionals, one insert of notifications, one update
    per outcome, one insert of audit events."""
    version = retention_version()
    if version is None:
        return SweepResult()
    scope = scope_of(version)
    cutoff = rules.latest_birth_date_older_than(scope.age_max, today)
    rows = list(
        Child.objects.filter(born_on__lte=cutoff, closed_on__isnull=True, merged_into__isnull=True)
        .filter(Q(scope_flagged_on__isnull=True) | Q(retention_checked_on__lt=today))
        .select_for_update(of=("self",), skip_locked=True)
        .order_by("born_on", "pk")
        .values("pk", "born_on", "has_additional_needs", "is_care_leaver", "scope_flagged_on")[:limit]
    )
    if not rows:
        return SweepResult()
    consenting = children_with_live_consent([row["pk"] for row in rows], today)
    newly_flagged: list[int] = []
    kept: dict[str, list[int]] = {KeptUnder.EXTENDING_CONDITION: [], KeptUnder.CONSENT: []}
    closing: dict[str, list[int]] = {}
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
        elif outcome.closed_under is not None:
            closing.setdefault(outcome.closed_under.value, []).append(row["pk"])
    now = timezone.now()
    if newly_flagged:
        Child.objects.filter(pk__in=newly_flagged).update(scope_flagged_on=today)
    for reason, ids in kept.items():
        if ids:
            Child.objects.filter(pk__in=ids).update(kept_under=reason, retention_checked_on=today, updated_at=now)
    due_on = rules.erasure_due_on(today, version.retention_months)
    for rule, ids in closing.items():
        Child.objects.filter(pk__in=ids).update(
            kept_under="",
            retention_checked_on=today,
            closed_on=today,
            closed_under=rule,
            closed_version=version,
            erase_due_on=due_on,
            updated_at=now,
        )
    drafts = []
    leads = _lead_professionals(newly_flagged)
    closed_ids = {pk for ids in closing.values() for pk in ids}
    for child_id in newly_flagged:
        outcome_words = (
            f"Its record has been closed and its content will be erased on {long_date(due_on)}."
            if child_id in closed_ids
            else "Its record is kept while an extending condition applies or the young person's consent is live."
        )
        for user_id in sorted(leads.get(child_id, ())):
            drafts.append(
                NotificationDraft(
                    user_id,
                    f"child-scope-left:{child_id}",
                    f"Child {child_id} has passed the protocol's age scope",
                    # Southampton 8 and 11: records past the scope are kept only with an extending condition or
                    # the young person's consent.
                    f"Child {child_id}, of whom you are lead professional, has passed the age scope of "
                    f"{version}{version.cite('scope')}. {outcome_words} If the young person has additional needs "
                    "or has left care, record it; if they consent to their record being kept, record the consent.",
                    f"/children/{child_id}/",
                )
            )
    notified = notify_many(drafts)
    actor = SystemActor(SWEEP_ACTOR_LABEL)
    events = [
        EventDraft(
            "sharing.child",
            child_id,
            f"child {child_id}",
            {"protocol_version_id": version.pk, "age_max": scope.age_max},
            child_id,
        )
        for child_id in newly_flagged
    ]
    audit_record_many(kind="child.scope_left", actor=actor, events=events)
    audit_record_many(
        kind="child.close",
        actor=actor,
        events=[
            EventDraft(
                "sharing.child",
                child_id,
                f"child {child_id}",
                {
                    "rule": rule,
                    "closed_on": today.isoformat(),
                    "erase_due_on": due_on.isoformat(),
                    "protocol_version_id": version.pk,
                    "retention_months": version.retention_months,
                },
                child_id,
            )
            for rule, ids in closing.items()
            for child_id in ids
        ],
    )
    return SweepResult(
        flagged=len(newly_flagged),
        kept=sum(len(ids) for ids in kept.values()),
        closed=len(closed_ids),
        notified=notified,
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
    when, involvements' agencies and dates, consent and disclosure records (their own retention applies), and
    the audit trail. The audit event lists the kinds of data erased with their counts, when, and under which
    rule, never the content. Only the portal itself erases (the sweep's SystemActor): no person's action does."""
    day = today or timezone.localdate()
    locked = Child.objects.select_for_update().get(pk=child.pk)
    if not isinstance(actor, SystemActor):
        require(actor, "erase", locked)
    if locked.erased_at is not None:
        return locked
    if locked.closed_on is None or locked.erase_due_on is None or locked.erase_due_on > day:
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
    erased = {
        "names": names,
        "addresses": addresses,
        "entry_revisions": erased_revisions,
        "involvement_end_reasons": end_reasons,
        "phone": bool(locked.phone),
        "nhs_number": locked.nhs_number is not None,
        "languages": bool(locked.languages),
        "setting_name": bool(locked.setting_name),
        "date_of_birth_day_and_month": True,
    }
    now = timezone.now()
    Child.objects.filter(pk=locked.pk).update(
        phone="",
        nhs_number=None,
        languages=[],
        setting=Setting.NONE,
        setting_name="",
        born_on=date(locked.born_on.year, 1, 1),
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
            child_erase(actor=actor, child=child, today=today)
            erased += 1
    return erased


def retention_sweep(*, today: date) -> SweepResult:
    """The whole retention sweep (Celery beat: sharing.retention_sweep): flag, keep or close one batch, then
    erase one batch of the records due."""
    scoped = retention_scope_sweep(today=today)
    erased = retention_erasure_sweep(today=today)
    return SweepResult(
        flagged=scoped.flagged, kept=scoped.kept, closed=scoped.closed, erased=erased, notified=scoped.notified
    )
