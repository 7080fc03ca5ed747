"""Verifying the chain and anchoring its head outside the database (issue 15; DESIGN 2.6).

Each run (`manage.py audit_verify`, and the daily run in beat) seals what is pending, recomputes the whole
chain (audit.verify.chain_verify), checks that the chain still holds every earlier anchor's (sequence number,
hash) pair, writes an anchor row (audit.models.AuditAnchor) and mails the head to the partnership's auditors.
Someone able to rewrite the chain *and* its seals consistently (a database owner) produces a chain that verifies
on its own; it no longer holds the pairs anchored before the rewrite, which are in the auditors' mailboxes
as well as in the anchor table (`audit_verify --anchor SEQ:HASH` checks a mailed one).

A broken chain alerts every auditor at once, one notification per break (its key is the break's own), so the
daily run finding the same break again tells nobody twice; /healthz and the auditors' dashboard show the last
run's state (chain_state).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.utils import timezone

from audit.alerts import AuditorAlert, active_auditors, alert
from audit.models import AnchorTrigger, AuditAnchor, Outcome
from audit.services import ActorIdentity, audit_record, audit_seal
from audit.verify import VerifyReport, chain_verify
from isp_portal import bounds

logger = logging.getLogger(__name__)

# Only one verification at a time (a daily run and a command started by hand would walk the chain twice).
VERIFY_LOCK_KEY = 0x15A0D18

SYSTEM = ActorIdentity(user_id=None, label="audit chain verification")


@dataclass(frozen=True)
class AnchorPair:
    """An anchored head: the chain must still have this hash at this sequence number."""

    seq: int
    hash: str


def anchors_check(*, mailed: Sequence[AnchorPair] = ()) -> tuple[int, str, int | None]:
    """Whether the chain still holds every anchored (sequence number, hash) pair: the anchor rows and any
    `mailed` pairs (from the auditors' mail). Returns (how many were checked, the first problem or "", its
    sequence number). One statement for the rows, one per mailed pair."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), (array_agg(a.head_seq ORDER BY a.head_seq) FILTER (WHERE l.hash IS DISTINCT FROM "
            "a.head_hash))[1] FROM audit_anchor a LEFT JOIN audit_chain_link l ON l.seq = a.head_seq "
            "WHERE a.head_seq > 0"
        )
        row = cursor.fetchone()
    assert row is not None
    checked, bad_seq = int(row[0]), row[1]
    if bad_seq is not None:
        return checked, f"link #{bad_seq} no longer has the hash anchored for it: the history was rewritten", bad_seq
    for pair in mailed:
        checked += 1
        with connection.cursor() as cursor:
            cursor.execute("SELECT hash FROM audit_chain_link WHERE seq = %s", [pair.seq])
            found = cursor.fetchone()
        if found is None or found[0] != pair.hash:
            problem = f"link #{pair.seq} does not have the hash of the anchor given: the history was rewritten"
            return checked, problem, pair.seq
    return checked, "", None


def chain_anchor(
    *,
    actor: object = SYSTEM,
    trigger: str = AnchorTrigger.COMMAND,
    seal: bool = True,
    mailed: Sequence[AnchorPair] = (),
) -> AuditAnchor:
    """Verify the whole chain and anchor its head: the anchor row, its audit event and (on a break) the
    auditors' alert commit together; the anchor is mailed once they have. Run outside a transaction, as beat
    and manage.py run it (the walk takes its own repeatable-read snapshot)."""
    started = timezone.now()
    if seal:
        audit_seal()
    report = chain_verify()
    anchors_checked, problem, bad_seq = 0, report.problem, report.bad_seq
    if report.ok:
        anchors_checked, problem, bad_seq = anchors_check(mailed=mailed)
    recipients = anchor_recipients()
    with transaction.atomic():
        anchor = AuditAnchor.objects.create(
            started_at=started,
            finished_at=timezone.now(),
            trigger=trigger,
            ok=not problem,
            head_seq=report.head_seq,
            head_hash=report.head_hash,
            links_checked=report.links_checked,
            anchors_checked=anchors_checked,
            problem=bounds.truncated(problem, bounds.REASON),
            bad_seq=bad_seq,
            bad_event_id=report.bad_event_id,
            mailed_to=len(recipients),
        )
        audit_record(
            kind="audit.verify",
            actor=actor,
            outcome=Outcome.SUCCESS if anchor.ok else Outcome.FAILED,
            target=anchor,
            object_label=f"anchor #{anchor.head_seq}",
            detail={
                "links": report.links_checked,
                "anchors_checked": anchors_checked,
                "head_seq": report.head_seq,
                "head_hash": report.head_hash,
                "problem": problem,
                "mailed_to": len(recipients),
            },
        )
        if not anchor.ok:
            _alert_auditors(anchor, report)
        transaction.on_commit(lambda: _mail(anchor, recipients))
    return anchor


def chain_anchor_daily(*, now: datetime | None = None) -> AuditAnchor | None:
    """Beat's entry: the first tick of each day verifies and anchors; the others find today's anchor and do
    nothing (so a missed tick, or beat down at the usual hour, only delays the day's run). None when there was
    nothing to do, or another verification is running."""
    today = timezone.localtime(now or timezone.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    if AuditAnchor.objects.filter(trigger=AnchorTrigger.BEAT, started_at__gte=today).exists():
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [VERIFY_LOCK_KEY])
        acquired = cursor.fetchone()
    if not acquired or not acquired[0]:
        return None
    try:
        if AuditAnchor.objects.filter(trigger=AnchorTrigger.BEAT, started_at__gte=today).exists():
            return None  # another worker finished today's run while this one waited for the lock
        return chain_anchor(trigger=AnchorTrigger.BEAT)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [VERIFY_LOCK_KEY])


def chain_state() -> AuditAnchor | None:
    """The last verification's anchor (one statement): what /healthz and the dashboard show."""
    return AuditAnchor.objects.order_by("-finished_at", "-pk").first()


def anchor_recipients() -> list[str]:
    """Where anchors are mailed: AUDIT_ANCHOR_RECIPIENTS when it names addresses (a mailbox outside the portal's
    reach is best), else every active auditor's address."""
    configured = [address for address in getattr(settings, "AUDIT_ANCHOR_RECIPIENTS", []) if address]
    if configured:
        return sorted(set(configured))
    return sorted({auditor.email for auditor in active_auditors() if auditor.email})


def break_key(problem: str) -> str:
    """A break's notification key: the same break found by later runs has the same key, so it is told once."""
    return "audit-chain-broken-" + hashlib.sha256(problem.encode("utf-8")).hexdigest()[:24]


def _alert_auditors(anchor: AuditAnchor, report: VerifyReport) -> int:
    body = (
        f"The daily verification of the audit trail found that its chain is broken: {anchor.problem}\n\n"
        f"The last link that verified is #{anchor.head_seq} ({anchor.head_hash}). Someone may have changed the "
        "audit trail in the database. Compare it with the anchors mailed to you, and follow the partnership's "
        "procedure for a security incident."
    )
    alerts = [
        AuditorAlert(
            recipient_id=auditor.user_id,
            key=break_key(anchor.problem),
            subject="The audit trail's chain is broken",
            body=body,
            link="/",
        )
        for auditor in active_auditors()
    ]
    told = alert(alerts)
    logger.error("AUDIT CHAIN BROKEN: %s (%d auditors told)", anchor.problem, told)
    return told


def anchor_message(anchor: AuditAnchor, recipients: Sequence[str]) -> EmailMessage:
    state = "intact" if anchor.ok else "BROKEN"
    lines = [
        "The audit trail's chain was verified. Keep this message: it anchors the chain outside the portal.",
        "",
        f"Result: {state}" + ("" if anchor.ok else f": {anchor.problem}"),
        f"Head sequence number: {anchor.head_seq}",
        f"Head hash: {anchor.head_hash}",
        f"Links checked: {anchor.links_checked}",
        f"Earlier anchors checked: {anchor.anchors_checked}",
        f"Started: {anchor.started_at.isoformat()}",
        f"Finished: {anchor.finished_at.isoformat()}",
        "",
        "To check later that the chain still holds this head (a rewritten history does not):",
        f"    manage.py audit_verify --anchor {anchor.head_seq}:{anchor.head_hash}",
    ]
    return EmailMessage(
        subject=f"Audit chain anchor #{anchor.head_seq} ({state})",
        body="\n".join(lines),
        to=list(recipients),
        headers={"Message-ID": f"<audit-anchor-{anchor.pk}@{_mail_domain()}>"},
    )


def _mail_domain() -> str:
    sender = str(settings.DEFAULT_FROM_EMAIL)
    return sender.rsplit("@", 1)[-1].rstrip(">").strip() or "isp-portal.invalid"


def _mail(anchor: AuditAnchor, recipients: Sequence[str]) -> None:
    """Send the anchor (once per run). A failure is recorded as an audit event, never raised: the run's
    verdict is already committed, and the next run mails a newer head."""
    if not recipients:
        logger.warning("audit anchor #%d not mailed: no AUDIT_ANCHOR_RECIPIENTS and no active auditor", anchor.head_seq)
        return
    try:
        anchor_message(anchor, recipients).send()
    except Exception as error:
        logger.exception("audit anchor #%d could not be mailed", anchor.head_seq)
        audit_record(
            kind="audit.anchor_mail",
            actor=SYSTEM,
            outcome=Outcome.FAILED,
            target=anchor,
            detail={"error": type(error).__name__},
        )
