"""Corrections: recording a correction of a disclosed entry, fanning it out to every agency that received the entry,
acknowledgements, inaccuracy reports, and the sweep (issue 13; Southampton 9; docs/after-disclosure-design.md 6.2).

Southampton 9: a recipient finding information inaccurate advises the originator; "the originator must decide what
corrective action is needed including advising appropriate agencies". A correction is a new revision of a disclosed
entry (sharing.services.entries.entry_revise): that service sends `entry_revised`, and the receiver here records the
Correction and tells - in one statement, whatever the number of hops - every agency other than the originator that
holds a disclosure of the entry at an older revision (each onward disclosure carries the entry itself, so a join
reaches every hop without recursion). The database allows a notice only for an agency that received the entry at
an older revision (composite foreign keys, trigger correction_notice_older_revision), and one per correction and
agency (UNIQUE), so the fan-out, its catch-up after a disclosure made meanwhile and the sweep's catch-up may all
run: each agency is told once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from agencies.models import Membership, User
from agencies.selectors import designated_managers_of
from audit.services import (
    DisclosureLogDraft,
    EventDraft,
    audit_record,
    audit_record_many,
    disclosure_log_record_many,
    disclosure_log_sha256,
)
from disclosures import rules
from disclosures.correction_policy import reporter_refusal
from disclosures.models import (
    AnswerEntry,
    Correction,
    CorrectionNotice,
    Disclosure,
    DisclosureEntry,
    DisclosureRecipient,
    InaccuracyReport,
)
from disclosures.services import checks
from disclosures.services.disclosures import FOLLOW_UP_PREFETCH, follow_up_draft
from isp_portal import bounds
from isp_portal.notifications import NotificationDraft, notify_many
from isp_portal.policy import NotPermitted, SystemActor, require
from isp_portal.wording import long_date
from sharing.models import EntryRevision, RecordEntry
from sharing.services.checks import reason_cleaned
from sharing.services.entries import entry_revise
from sharing.services.grants_corrected import entry_grants_extend_to_revision

SWEEP_ACTOR_LABEL = "corrections sweep"
# Rows one tick handles per step; the rest wait for the next tick (DESIGN 3.3).
BATCH = 500

# One notice per correction and agency that holds a live (retention not ended: design Q6; a revoked disclosure
# still counts, copies may exist) disclosure of the entry at an older revision than the correction's, through the
# latest such disclosure. `%(only)s` limits it to one disclosure (the catch-up after a disclosure is made).
_FAN_OUT = """
INSERT INTO disclosures_correctionnotice
    (correction_id, entry_id, agency_id, via_disclosure_id, received_revision_id, ack_due_on, acknowledged_by_id,
     acknowledged_at, action_taken, chased_at, escalated_at)
SELECT DISTINCT ON (c.id, d.to_agency_id)
    c.id, c.entry_id, d.to_agency_id, d.id, de.revision_id, GREATEST(c.ack_due_on, %(due)s), NULL, NULL, '', NULL, NULL
FROM disclosures_correction c
JOIN sharing_entryrevision corrected ON corrected.id = c.revision_id
JOIN disclosures_disclosureentry de ON de.entry_id = c.entry_id
JOIN sharing_entryrevision received ON received.id = de.revision_id
JOIN disclosures_disclosure d ON d.id = de.disclosure_id
WHERE c.id = ANY(%(corrections)s) AND received.number < corrected.number AND d.retain_until > %(now)s
  AND d.to_agency_id <> c.originator_agency_id AND (%(only)s::bigint IS NULL OR d.id = %(only)s::bigint)
  AND NOT EXISTS (
      SELECT 1 FROM disclosures_correctionnotice n WHERE n.correction_id = c.id AND n.agency_id = d.to_agency_id
  )
ORDER BY c.id, d.to_agency_id, d.made_at DESC, d.id DESC
ON CONFLICT (correction_id, agency_id) DO NOTHING
RETURNING id
"""


def _actor() -> SystemActor:
    return SystemActor(SWEEP_ACTOR_LABEL)


def _person_of(actor: Any) -> User | None:
    return actor if isinstance(actor, User) and not actor.is_system else None


def _refused(action: str, target: Any, reason: str) -> NotPermitted:
    return NotPermitted(action=action, target_type=target._meta.label_lower, target_id=str(target.pk), reason=reason)


# --- Recording and fanning out ------------------------------------------------------------------------------------


def correction_record_for_revision(*, actor: Any, entry: RecordEntry, revision: EntryRevision) -> Correction | None:
    """Record the correction `revision` makes of `entry` when any agency was disclosed an older revision of it, or an
    answer waiting for approval holds one (one EXISTS; otherwise there is nobody to tell and nothing is written),
    tell every agency holding a live disclosure of it at an older revision, any number of hops from the originator
    (one INSERT ... SELECT), and open the corrected revision to the live recipients (design Q5:
    sharing.services.grants_corrected). Inside the revise's transaction (the entry row is locked). Audit:
    correction.issue; correction.notify per notice, with a disclosure-log row (kind corrected) for each disclosure a
    notice went through."""
    older = DisclosureEntry.objects.filter(entry_id=entry.pk, revision__number__lt=revision.number)
    # An answer waiting for approval at an older revision will disclose it (the approval discloses what was answered
    # and weighed): the correction is recorded now so the approval's disclosure_make catches its recipient up
    # (Southampton 9: the originator advises every agency the information reaches; break13 F2).
    waiting = AnswerEntry.objects.filter(
        entry_id=entry.pk, revision__number__lt=revision.number, answer__request__state=rules.State.AWAITING_APPROVAL
    )
    if not RecordEntry.objects.filter(pk=entry.pk).filter(Exists(older) | Exists(waiting)).exists():
        return None
    today = timezone.localdate()
    correction = Correction.objects.create(
        entry_id=entry.pk,
        revision=revision,
        originator_agency_id=entry.agency_id,
        issued_by=_person_of(actor),
        issued_at=timezone.now(),
        summary=bounds.truncated(revision.change_reason or "Corrected.", bounds.REASON),
        ack_due_on=rules.correction_ack_due_on(today, nation=checks.nation()),
    )
    audit_record(
        kind="correction.issue", actor=actor, target=correction, child_id=entry.child_id,
        detail={"entry_id": entry.pk, "revision": revision.number, "revision_id": revision.pk},
    )  # fmt: skip
    _fan_out(actor, [correction.pk], today=today)
    entry_grants_extend_to_revision(actor=actor, entry=entry, revision=revision)
    return correction


def correction_notices_catch_up(*, entry_ids: Collection[int], disclosure_id: int | None = None) -> int:
    """Issue the notices a correction of `entry_ids` owes to agencies that received an older revision (only through
    `disclosure_id`, when given): so a correction issued while a disclosure was being made still reaches its
    recipient, and opens them the corrected revision. Returns how many notices were created. Called by
    disclosure_make when a disclosed revision was overtaken (an onward disclosure carries the revision agreed, an
    approval the revision answered) and by the sweep."""
    ids = list(Correction.objects.filter(entry_id__in=list(entry_ids)).values_list("pk", flat=True))
    if not ids:
        return 0
    caught = _caught_up(_actor(), _fan_out(_actor(), ids, today=timezone.localdate(), only=disclosure_id))
    if disclosure_id is not None:
        _open_corrected(entry_ids, disclosure_id)
    return caught


def _open_corrected(entry_ids: Collection[int], disclosure_id: int) -> None:
    """Open the latest corrected revision of each entry to the recipients of `disclosure_id`, whether or not its
    agency was told of the correction before (through another disclosure): a correction is never lost for a
    recipient that received the entry (Southampton 9; break13e F12: the agency's notice already existed, so the
    catch-up made none and opened nothing). Idempotent: a grant already at that revision is not given again."""
    latest = (
        Correction.objects.filter(entry_id__in=list(entry_ids))
        .select_related("entry", "revision")
        .order_by("entry_id", "-revision__number")
        .distinct("entry_id")
    )
    for correction in latest:
        entry_grants_extend_to_revision(
            actor=_actor(), entry=correction.entry, revision=correction.revision, disclosure_id=disclosure_id
        )


def _caught_up(actor: Any, notice_ids: Sequence[int]) -> int:
    """A late notice opens the corrected revision too, as the correction did for those it reached when it was
    recorded (design Q5; Southampton 9: told of a correction, the agency reads it rather than keep the wrong text;
    break13 F5). Returns how many notices there were."""
    if notice_ids:
        owed = Correction.objects.filter(notices__pk__in=notice_ids).select_related("entry", "revision").distinct()
        for correction in owed.order_by("pk"):
            entry_grants_extend_to_revision(actor=actor, entry=correction.entry, revision=correction.revision)
    return len(notice_ids)


def _fan_out(actor: Any, correction_ids: Sequence[int], *, today: date, only: int | None = None) -> list[int]:
    """The notices `correction_ids` still owe (one statement), each told to its agency: the named recipients of the
    disclosure it went through, else the agency's designated managers (key correction-<id>-<agency>-<user>); audit
    correction.notify and a disclosure-log row (kind corrected) per notice. A fixed number of statements whatever
    the number of agencies and hops. Returns the new notices' ids."""
    now = timezone.now()
    due = rules.correction_ack_due_on(today, nation=checks.nation())
    with connection.cursor() as cursor:
        cursor.execute(_FAN_OUT, {"corrections": list(correction_ids), "due": due, "now": now, "only": only})
        ids = sorted(row[0] for row in cursor.fetchall())
    if not ids:
        return []
    notices = list(
        CorrectionNotice.objects.filter(pk__in=ids)
        .select_related("correction__originator_agency", "entry")
        .order_by("pk")
    )
    via = {
        disclosure.pk: disclosure
        for disclosure in Disclosure.objects.filter(pk__in={notice.via_disclosure_id for notice in notices})
        .select_related("from_agency", "to_agency", "discloser", "requester", "approver", "protocol_version__protocol")
        .prefetch_related(*FOLLOW_UP_PREFETCH)
    }
    drafts = [_log_draft(via[notice.via_disclosure_id], now, actor) for notice in notices]
    event_ids = audit_record_many(
        kind="correction.notify",
        actor=actor,
        occurred_at=now,
        events=[
            EventDraft.of(
                notice,
                detail={
                    "correction_id": notice.correction_id, "agency_id": notice.agency_id,
                    "disclosure_id": notice.via_disclosure_id, "hop": via[notice.via_disclosure_id].hop,
                    "received_revision_id": notice.received_revision_id, "log_sha256": disclosure_log_sha256(draft),
                },
                child_id=notice.entry.child_id,
            )
            for notice, draft in zip(notices, drafts, strict=True)
        ],
    )  # fmt: skip
    disclosure_log_record_many(
        drafts=[replace(draft, event_id=event_id) for draft, event_id in zip(drafts, event_ids, strict=True)]
    )
    _tell_notices(notices, via)
    return ids


def _log_draft(disclosure: Disclosure, now: datetime, actor: Any) -> DisclosureLogDraft:
    """The disclosure-log row (kind corrected) of a disclosure a notice went through, naming an onward disclosure's
    parent and onward request (the log's lineage shape)."""
    draft = follow_up_draft(disclosure, kind="corrected", occurred_at=now, actor=_person_of(actor))
    return replace(draft, parent_disclosure_id=disclosure.parent_id, onward_request_id=disclosure.onward_request_id)


def _recipients_still_there(disclosure_ids: Collection[int]) -> dict[int, list[int]]:
    """The named recipients of each disclosure who are still active members of the agency it went to (the agency a
    correction's notice through it is for), by disclosure id: one who has left is not told, nor chased, about what
    their old agency received (breakt13g F8). One query."""
    member = Membership.objects.filter(
        user_id=OuterRef("user_id"), agency_id=OuterRef("disclosure__to_agency_id"), is_active=True,
        user__is_active=True,
    )  # fmt: skip
    found: dict[int, list[int]] = {}
    for disclosure_id, user_id in (
        DisclosureRecipient.objects.filter(disclosure_id__in=disclosure_ids)
        .filter(Exists(member))
        .values_list("disclosure_id", "user_id")
    ):
        found.setdefault(disclosure_id, []).append(user_id)
    return found


def _tell_notices(notices: Sequence[CorrectionNotice], via: dict[int, Disclosure]) -> int:
    """Each notice's agency told: the named recipients of the disclosure it went through who are still there
    (_recipients_still_there), else its designated managers (one query each)."""
    still_there = _recipients_still_there(set(via))
    told = {notice.pk: still_there.get(notice.via_disclosure_id, []) for notice in notices}
    managers: dict[int, list[int]] = {}
    lacking = {notice.agency_id for notice in notices if not told[notice.pk]}
    for agency_id, user_id in designated_managers_of(lacking).values_list("agency_id", "user_id"):
        managers.setdefault(agency_id, []).append(user_id)
    drafts: list[NotificationDraft] = []
    for notice in notices:
        people = told[notice.pk] or managers.get(notice.agency_id, [])
        originator = notice.correction.originator_agency
        for user_id in sorted(set(people)):
            drafts.append(
                NotificationDraft(
                    user_id,
                    f"correction-{notice.correction_id}-{notice.agency_id}-{user_id}",
                    f"{originator} corrected information you received",
                    f"{originator} corrected information disclosed to your agency. Read the correction, update your "
                    f"records and acknowledge it by {long_date(notice.ack_due_on)}.",
                    f"/corrections/notices/{notice.pk}/",
                )
            )
    return notify_many(drafts)


# --- Acknowledging ------------------------------------------------------------------------------------------------


@transaction.atomic
def correction_notice_acknowledge(*, actor: Any, notice: CorrectionNotice, action_taken: str) -> CorrectionNotice:
    """A practitioner or designated manager of the notice's agency acknowledges a correction, saying what it did
    (Southampton 9: the corrective action). The notice row is locked and asked again, so a second acknowledgement
    (a moment later, by a colleague) is refused naming the first, with nothing written. The same agency's older
    pending notices of the same entry are acknowledged with it (the newer correction supersedes them). When the
    correction's last notice is acknowledged the originator is told. Once the child's record is erased a notice is
    still acknowledged (so it is not chased for ever), what was done stored as erased (checks.text_about: breakt13g
    F3). Audit: correction.acknowledge."""
    notice = (
        CorrectionNotice.objects.select_for_update(of=("self",))
        .select_related("correction__revision", "entry__child", "acknowledged_by")
        .get(pk=notice.pk)
    )
    require(actor, "acknowledge", notice)
    if not _person_of(actor):  # the policy refuses tokens; the database trigger wants a member
        raise _refused("acknowledge", notice, "Only a person can acknowledge a correction.")
    errors: dict[str, str] = {}
    action_taken = _text(
        action_taken, errors, field="action_taken",
        missing="Say what your agency did about the correction (for example, updated the case record).",
    )  # fmt: skip
    if errors:
        raise ValidationError(errors)
    action_taken = checks.text_about(notice.entry.child, action_taken, field="action_taken", closes=True)
    now = timezone.now()
    notice.acknowledged_by = actor
    notice.acknowledged_at = now
    notice.action_taken = action_taken
    notice.save(update_fields=["acknowledged_by", "acknowledged_at", "action_taken"])
    number = notice.correction.revision.number
    older = list(
        CorrectionNotice.objects.filter(
            agency_id=notice.agency_id, entry_id=notice.entry_id, acknowledged_at__isnull=True,
            correction__revision__number__lt=number,
        ).values_list("pk", flat=True)
    )  # fmt: skip
    if older:
        CorrectionNotice.objects.filter(pk__in=older, acknowledged_at__isnull=True).update(
            acknowledged_by=actor,
            acknowledged_at=now,
            action_taken=bounds.truncated(f"Acknowledged with correction {notice.correction_id}.", bounds.REASON),
        )
    audit_record(
        kind="correction.acknowledge", actor=actor, target=notice, child_id=notice.entry.child_id,
        detail={"correction_id": notice.correction_id, "agency_id": notice.agency_id, "also_acknowledged": older},
    )  # fmt: skip
    correction = notice.correction
    if not CorrectionNotice.objects.filter(correction_id=correction.pk, acknowledged_at__isnull=True).exists():
        told = (
            [correction.issued_by_id]
            if correction.issued_by_id
            else checks.designated_managers(correction.originator_agency_id)
        )
        checks.tell(
            told, key=f"correction-acknowledged-{correction.pk}",
            subject="Every agency acknowledged your correction",
            body="Every agency told of your correction has acknowledged it and said what it did.",
            link=f"/corrections/{correction.pk}/", email=False,
        )  # fmt: skip
    return notice


def _text(value: Any, errors: dict[str, str], *, field: str, missing: str) -> str:
    """A required free-text answer, bounded (bounds.REASON): a field error, never a 500, for bad input."""
    return reason_cleaned(value if isinstance(value, str) else "", errors, field=field, missing=missing)


# --- Inaccuracy reports (Southampton 9: the recipient advises the originator) --------------------------------------


@transaction.atomic
def inaccuracy_report_submit(
    *, actor: Any, disclosure: Disclosure, entry: RecordEntry, what_is_wrong: str, suggested_correction: str = ""
) -> InaccuracyReport:
    """A recipient who may read what was disclosed tells the originator that an entry of it is inaccurate. The
    entry must be one the disclosure carried (at the revision carried: the database's composite foreign keys hold
    it too). Due back within the protocol version's response time. Audit: inaccuracy.submit; the originator's
    designated managers are told."""
    require(actor, "read_content", disclosure)
    refused = reporter_refusal(actor, disclosure.to_agency_id)
    if refused:
        raise _refused("report", disclosure, refused)
    user = actor
    errors: dict[str, str] = {}
    carried = (
        DisclosureEntry.objects.filter(disclosure_id=disclosure.pk, entry_id=getattr(entry, "pk", None))
        .select_related("entry__child")
        .first()
    )
    if carried is None:
        errors["entry"] = "Choose an entry this disclosure carried."
    what_is_wrong = _text(what_is_wrong, errors, field="what_is_wrong", missing="Say what is inaccurate.")
    suggested = suggested_correction.strip() if isinstance(suggested_correction, str) else ""
    if len(suggested) > bounds.REASON or bounds.has_nul(suggested):
        errors["suggested_correction"] = f"Enter at most {bounds.REASON} characters."
    if errors:
        raise ValidationError(errors)
    assert carried is not None
    checks.text_about(carried.entry.child, what_is_wrong, field="what_is_wrong")  # breakt13g F2
    today = timezone.localdate()
    days = disclosure.protocol_version.response_working_days
    report = InaccuracyReport.objects.create(
        entry_id=carried.entry_id, via_disclosure=disclosure, received_revision_id=carried.revision_id,
        reporter=user, reporter_agency_id=disclosure.to_agency_id, originator_agency_id=carried.entry.agency_id,
        what_is_wrong=what_is_wrong, suggested_correction=suggested, submitted_at=timezone.now(),
        due_on=rules.request_due_on(today, days, nation=checks.nation()),
    )  # fmt: skip
    audit_record(
        kind="inaccuracy.submit", actor=actor, target=report, child_id=carried.entry.child_id,
        detail={"entry_id": carried.entry_id, "disclosure_id": disclosure.pk},
    )  # fmt: skip
    checks.tell(
        checks.designated_managers(report.originator_agency_id), key=f"inaccuracy-{report.pk}",
        subject=f"{disclosure.to_agency} reports that information you disclosed is inaccurate",
        body=f"Decide whether to correct it by {long_date(report.due_on)}.", link=f"/inaccuracy-reports/{report.pk}/",
    )  # fmt: skip
    return report


def _locked_report(report: InaccuracyReport) -> InaccuracyReport:
    return (
        InaccuracyReport.objects.select_for_update(of=("self",))
        .select_related("entry__child", "reporter_agency", "originator_agency")
        .get(pk=report.pk)
    )


def _report_decided(actor: Any, report: InaccuracyReport, *, kind: str, subject: str, body: str) -> None:
    audit_record(
        kind=kind, actor=actor, target=report, child_id=report.entry.child_id,
        detail={"state": report.state, "correction_id": report.correction_id},
    )  # fmt: skip
    checks.tell(
        [report.reporter_id], key=f"inaccuracy-{report.pk}-{report.state}", subject=subject, body=body,
        link=f"/inaccuracy-reports/{report.pk}/",
    )  # fmt: skip


@transaction.atomic
def inaccuracy_report_agree(
    *,
    actor: Any,
    report: InaccuracyReport,
    fields: Any,
    text: str = "",
    basis: str,
    reason: str,
    restricted: bool | None = None,
    replaces: int | None = None,
) -> Correction:
    """The originator agrees and corrects the entry (sharing.services.entries.entry_revise): the correction it
    records reaches every agency that received the entry, the reporter's included; the report is closed as
    corrected and linked to it. `replaces`: the revision the correction was written over (the latest when the agree
    page was sent); when the entry has been revised since, ValidationError and nothing is written, so a colleague's
    newer correction is never silently undone (Southampton 9; break13e F8). Audit: inaccuracy.agree (and what the
    revise records)."""
    report = _locked_report(report)
    require(actor, "agree", report)
    if replaces is not None:
        # Locked as entry_revise locks it, so no revision slips in between this check and the new revision.
        latest = (
            RecordEntry.objects.select_for_update().filter(pk=report.entry_id).values_list("revision_count", flat=True)
        )
        current = latest.first()
        if current != replaces:
            raise ValidationError(
                f"The entry was corrected again (it is now at revision {current}) after you wrote this correction, "
                "so nothing was saved: go back to the form, which starts from its latest revision."
            )
    revision = entry_revise(
        actor=actor, entry=report.entry, fields=fields, text=text, basis=basis, reason=reason, restricted=restricted
    )
    correction = Correction.objects.get(revision=revision)  # the entry_revised receiver recorded it
    report.state = rules.InaccuracyState.CORRECTED
    report.correction = correction
    report.decided_by = actor
    report.decided_at = timezone.now()
    report.save(update_fields=["state", "correction", "decided_by", "decided_at"])
    _report_decided(
        actor, report, kind="inaccuracy.agree", subject=f"{report.originator_agency} corrected the entry you reported",
        body="The entry you reported was corrected: read the correction and acknowledge it.",
    )  # fmt: skip
    return correction


@transaction.atomic
def inaccuracy_report_reject(*, actor: Any, report: InaccuracyReport, reason: str) -> InaccuracyReport:
    """A designated manager of the originator decides not to correct the entry, saying why (once the child's record
    is erased the report may still be closed so, its reason stored as erased: checks.text_about). Audit:
    inaccuracy.reject; the reporter is told."""
    report = _locked_report(report)
    require(actor, "reject", report)
    errors: dict[str, str] = {}
    reason = _text(reason, errors, field="reason", missing="Say why the entry is not corrected.")
    if errors:
        raise ValidationError(errors)
    reason = checks.text_about(report.entry.child, reason, field="reason", closes=True)
    report.state = rules.InaccuracyState.REJECTED
    report.reject_reason = reason
    report.decided_by = actor
    report.decided_at = timezone.now()
    report.save(update_fields=["state", "reject_reason", "decided_by", "decided_at"])
    _report_decided(
        actor, report, kind="inaccuracy.reject",
        subject=f"{report.originator_agency} decided not to correct the entry you reported",
        body="The agency that recorded the entry decided not to correct it, and said why.",
    )  # fmt: skip
    return report


@transaction.atomic
def inaccuracy_report_withdraw(*, actor: Any, report: InaccuracyReport) -> InaccuracyReport:
    """The reporter withdraws an open report. Audit: inaccuracy.withdraw."""
    report = _locked_report(report)
    require(actor, "withdraw", report)
    report.state = rules.InaccuracyState.WITHDRAWN
    report.withdrawn_at = timezone.now()
    report.save(update_fields=["state", "withdrawn_at"])
    audit_record(
        kind="inaccuracy.withdraw", actor=actor, target=report, child_id=report.entry.child_id,
        detail={"state": report.state},
    )  # fmt: skip
    return report


# --- The sweep ----------------------------------------------------------------------------------------------------


_OWING = """
SELECT DISTINCT c.id FROM disclosures_correction c
JOIN sharing_entryrevision corrected ON corrected.id = c.revision_id
JOIN disclosures_disclosureentry de ON de.entry_id = c.entry_id
JOIN sharing_entryrevision received ON received.id = de.revision_id
JOIN disclosures_disclosure d ON d.id = de.disclosure_id
WHERE received.number < corrected.number AND d.retain_until > %s AND d.to_agency_id <> c.originator_agency_id
  AND NOT EXISTS (
      SELECT 1 FROM disclosures_correctionnotice n WHERE n.correction_id = c.id AND n.agency_id = d.to_agency_id
  )
ORDER BY c.id LIMIT %s
"""


def _catch_up(now: datetime, today: date, limit: int) -> int:
    """Corrections still owing a notice to an agency (a disclosure at an older revision made after they were issued,
    or a fan-out that raced one): fanned out again, a batch at a time. Returns the notices created."""
    with connection.cursor() as cursor:
        cursor.execute(_OWING, [now, limit])
        owing = [row[0] for row in cursor.fetchall()]
    if not owing:
        return 0
    return _caught_up(_actor(), _fan_out(_actor(), owing, today=today))


def _chase(now: datetime, today: date, limit: int) -> tuple[int, int]:
    """Notices past their acknowledgement date, each chased once (a guarded UPDATE of chased_at): the via
    disclosure's recipients still active members of the notice's agency, and the agency's designated managers (key
    correction-chase-<notice>-<user>)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE disclosures_correctionnotice SET chased_at = %s WHERE id IN (SELECT id FROM "
            "disclosures_correctionnotice WHERE acknowledged_at IS NULL AND chased_at IS NULL AND ack_due_on < %s "
            "ORDER BY ack_due_on, id LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING id",
            [now, today, limit],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
    if not ids:
        return 0, 0
    notices = list(CorrectionNotice.objects.filter(pk__in=ids).select_related("correction__originator_agency"))
    # The agency's designated managers are chased always, its named recipients only while still there.
    recipients = _recipients_still_there({n.via_disclosure_id for n in notices})
    managers = _by_agency(designated_managers_of({n.agency_id for n in notices}).values_list("agency_id", "user_id"))
    drafts = [
        NotificationDraft(
            user_id, f"correction-chase-{notice.pk}-{user_id}", "A correction is waiting for your acknowledgement",
            f"{notice.correction.originator_agency} corrected information your agency received. It was to be "
            f"acknowledged by {long_date(notice.ack_due_on)}: acknowledge it now.",
            f"/corrections/notices/{notice.pk}/",
        )
        for notice in notices
        for user_id in sorted(
            set(recipients.get(notice.via_disclosure_id, [])) | set(managers.get(notice.agency_id, []))
        )
    ]  # fmt: skip
    audit_record_many(
        kind="correction.chase", actor=_actor(), occurred_at=now,
        events=[EventDraft.of(notice, detail={"correction_id": notice.correction_id}) for notice in notices],
    )  # fmt: skip
    return len(notices), notify_many(drafts)


def _by_agency(rows: Iterable[tuple[int, int]]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for agency_id, user_id in rows:
        found.setdefault(agency_id, []).append(user_id)
    return found


def _escalate(now: datetime, today: date, limit: int) -> tuple[int, int]:
    """Notices still unacknowledged after rules.notice_escalate_on, each escalated once (a guarded UPDATE of
    escalated_at): the agency's designated managers and its Caldicott guardians or DPOs (key
    correction-escalate-<notice>-<user>). Audit correction.escalate."""
    nation = checks.nation()
    candidates = list(
        CorrectionNotice.objects.filter(acknowledged_at__isnull=True, escalated_at__isnull=True, ack_due_on__lt=today)
        .order_by("ack_due_on", "pk")
        .values_list("pk", "ack_due_on")[: limit * 2]
    )
    due = [pk for pk, ack_due_on in candidates if today > rules.notice_escalate_on(ack_due_on, nation=nation)][:limit]
    if not due:
        return 0, 0
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE disclosures_correctionnotice SET escalated_at = %s WHERE id = ANY(%s) AND acknowledged_at IS NULL "
            "AND escalated_at IS NULL RETURNING id",
            [now, due],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
    if not ids:
        return 0, 0
    notices = list(CorrectionNotice.objects.filter(pk__in=ids).select_related("correction__originator_agency"))
    agencies = {n.agency_id for n in notices}
    managers = _by_agency(designated_managers_of(agencies).values_list("agency_id", "user_id"))
    guardians = _by_agency(
        Membership.objects.filter(
            Q(is_caldicott_guardian=True) | Q(is_data_protection_officer=True), agency_id__in=agencies,
            is_active=True, user__is_active=True, user__is_system=False,
        ).values_list("agency_id", "user_id")
    )  # fmt: skip
    drafts = [
        NotificationDraft(
            user_id, f"correction-escalate-{notice.pk}-{user_id}", "A correction has not been acknowledged",
            f"{notice.correction.originator_agency} corrected information your agency received, and nobody has "
            f"acknowledged it since {long_date(notice.ack_due_on)}. Make sure your records are corrected.",
            f"/corrections/notices/{notice.pk}/",
        )
        for notice in notices
        for user_id in sorted(set(managers.get(notice.agency_id, [])) | set(guardians.get(notice.agency_id, [])))
    ]  # fmt: skip
    audit_record_many(
        kind="correction.escalate", actor=_actor(), occurred_at=now,
        events=[EventDraft.of(notice, detail={"correction_id": notice.correction_id}) for notice in notices],
    )  # fmt: skip
    return len(notices), notify_many(drafts)


def _reports_overdue(now: datetime, today: date, limit: int) -> int:
    """Open inaccuracy reports past due, each reminded once (a guarded UPDATE of reminded_at, as _chase does with
    chased_at, so each run moves on to the next batch: breakt13g F4): the originator's designated managers told
    (key inaccuracy-overdue-<id>-<user>)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE disclosures_inaccuracyreport SET reminded_at = %s WHERE id IN (SELECT id FROM "
            "disclosures_inaccuracyreport WHERE state = %s AND reminded_at IS NULL AND due_on < %s "
            "ORDER BY due_on, id LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING id",
            [now, rules.InaccuracyState.OPEN.value, today, limit],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return 0
    reports = list(
        InaccuracyReport.objects.filter(pk__in=ids).select_related("reporter_agency").order_by("due_on", "pk")
    )
    managers = _by_agency(
        designated_managers_of({r.originator_agency_id for r in reports}).values_list("agency_id", "user_id")
    )
    return notify_many(
        NotificationDraft(
            user_id, f"inaccuracy-overdue-{report.pk}-{user_id}", "A report of inaccurate information is overdue",
            f"{report.reporter_agency} reported that information you disclosed is inaccurate. A decision was due by "
            f"{long_date(report.due_on)}.",
            f"/inaccuracy-reports/{report.pk}/",
        )
        for report in reports
        for user_id in sorted(set(managers.get(report.originator_agency_id, [])))
    )  # fmt: skip


def corrections_sweep(*, now: datetime, today: date) -> tuple[int, int]:
    """Catch-up fan-out, chasing and escalating unacknowledged notices, overdue reports: (rows changed, people
    notified). Each notice is chased once and escalated once however often it runs (guarded UPDATEs), each notice
    told once (UNIQUE(correction, agency)), each notification once (its key)."""
    caught = _catch_up(now, today, BATCH)
    chased, told_chase = _chase(now, today, BATCH)
    escalated, told_escalate = _escalate(now, today, BATCH)
    told_reports = _reports_overdue(now, today, BATCH)
    return caught + chased + escalated, told_chase + told_escalate + told_reports
