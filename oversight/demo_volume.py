"""The demo partnership's past year in its audit store (issue 15: "enough events and disclosures that the workspace,
exports and charts look real"): thousands of access events (sign-ins, searches, views of children, denials, failed
sign-ins) by the demo's people across agencies and the last twelve months, and some hundreds of disclosure-log rows
over the same months, so the auditors' workspace, its exports and the aggregate charts have a history to show.

Why direct inserts: the services stamp everything with the time they run, and the demo's domain records begin today
(its protocols were signed today, its disclosures made today), so the past cannot be replayed through them. The
history is written only through the audit store's own writers (audit.services.audit_record and
disclosure_log_record), each event with the time it happened, and sealed into the chain (audit_seal) at the end, so
`manage.py audit_verify` passes. It names the demo's real people, agencies, children and protocol version; each
historical disclosure's log row copies the facts of one of the demo's own disclosures (its tiers, consent basis,
recipients) with its own child, agencies, people, legal basis and date, and has a disclosure and request id in a range
no domain row has (HISTORY_IDS onwards): the log is denormalised and reads no domain table, so these rows are whole on
their own; a link from one to its disclosure's page finds none, as for a disclosure whose records were erased.

Idempotent: a second run finds the marker event and adds nothing."""

from __future__ import annotations

import dataclasses
import hashlib
import random
import uuid
from datetime import datetime, timedelta

from django.utils import timezone

from agencies.models import Membership
from audit.context import RequestContext, bound
from audit.models import AuditEvent, Outcome
from audit.services import (
    ANONYMOUS,
    ActorIdentity,
    audit_record,
    audit_seal,
    disclosure_log_record,
    disclosure_log_sha256,
)
from disclosures.models import Disclosure, LegalBasis
from disclosures.services.disclosures import FOLLOW_UP_PREFETCH, follow_up_draft
from isp_portal.demo_context import DemoContext
from sharing.models.children import Child

MARKER = "demo.history_seeded"
MONTHS = 12
SESSIONS = 700  # sign-ins over the year; each searches and views a few children (about 4,000 events in all)
FAILED_SIGN_INS = 150
HISTORY_DISCLOSURES = 360
HISTORY_IDS = 900_000_000
PURPOSES = (
    "Ensure that children and young people are adequately safeguarded",
    "Assess the needs of a child referred to early help",
    "Prepare for a strategy discussion",
    "Check attendance concerns raised by the school",
)
LEGAL_BASES = (
    LegalBasis.EXPLICIT_CONSENT, LegalBasis.EXPLICIT_CONSENT, LegalBasis.IMPLIED_CONSENT,
    LegalBasis.SIGNIFICANT_HARM, LegalBasis.CRIME_PREVENTION,
)  # fmt: skip


def _moment(rng: random.Random, now: datetime) -> datetime:
    """A moment in working hours on a weekday of the last MONTHS months (a little busier recently)."""
    while True:
        days = int(rng.triangular(1, MONTHS * 30.4, 1))
        day = now - timedelta(days=days)
        if day.weekday() < 5:
            return day.replace(hour=rng.randint(8, 17), minute=rng.randint(0, 59), second=rng.randint(0, 59))


def _ip(rng: random.Random, agency_id: int | None) -> str:
    # Each agency reaches the portal from its own network (documentation range 198.51.100.0/24 and 203.0.113.0/24).
    return f"{'198.51.100' if (agency_id or 0) % 2 else '203.0.113'}.{(agency_id or 0) % 200 + rng.randint(1, 50)}"


def _session(rng: random.Random, identity: ActorIdentity, children: list[int], at: datetime) -> int:
    """One working session: sign in, search for a child or two, look at what was found, perhaps be refused once,
    sign out. Returns the number of events."""
    written = 0
    context = RequestContext(request_id=uuid.UUID(int=rng.getrandbits(128)), ip=_ip(rng, identity.agency_id), path="")
    with bound(context):
        audit_record(kind="auth.sign_in", actor=identity, occurred_at=at, detail={"two_factor": True})
        written += 1
        for _search in range(rng.randint(1, 3)):
            at += timedelta(seconds=rng.randint(20, 400))
            found = rng.sample(children, k=min(len(children), rng.randint(0, 3)))
            why = rng.choice(PURPOSES)
            audit_record(
                kind="child.search", actor=identity, occurred_at=at, purpose=why, object_type="sharing.child",
                detail={"criteria": ["family_name", "born_on"], "result_count": len(found), "more": False,
                        "child_ids": found},
            )  # fmt: skip
            written += 1
            for child_id in found[: rng.randint(0, len(found))]:
                at += timedelta(seconds=rng.randint(10, 200))
                audit_record(
                    kind="child.view", actor=identity, occurred_at=at, purpose=why, object_type="sharing.child",
                    object_id=child_id, object_label=f"child {child_id}", child_id=child_id,
                )  # fmt: skip
                written += 1
        if rng.random() < 0.12:
            at += timedelta(seconds=rng.randint(10, 200))
            child_id = rng.choice(children)
            audit_record(
                kind="access.denied", actor=identity, outcome=Outcome.DENIED, occurred_at=at,
                object_type="sharing.child", object_id=child_id, child_id=child_id,
                detail={"status": 404, "action": "view", "reason": "out of scope"},
            )  # fmt: skip
            written += 1
        at += timedelta(seconds=rng.randint(30, 600))
        audit_record(kind="auth.sign_out", actor=identity, occurred_at=at)
    return written + 1


def _history_disclosures(rng: random.Random, now: datetime, people: list[ActorIdentity], children: list[int]) -> int:
    """HISTORY_DISCLOSURES disclosure-log rows over the months, each with its audit event; none when the demo made no
    disclosure to copy the facts of."""
    template = (
        Disclosure.objects.exclude(kind="onward")
        .select_related("from_agency", "to_agency", "discloser", "requester", "approver", "protocol_version__protocol")
        .prefetch_related(*FOLLOW_UP_PREFETCH)
        .order_by("pk")
        .first()
    )
    if template is None:
        return 0
    base = follow_up_draft(template, kind="made", occurred_at=now, actor=None)
    retention = template.retain_until - template.made_at
    with_agency = [person for person in people if person.agency_id is not None]
    for n in range(HISTORY_DISCLOSURES):
        at = _moment(rng, now)
        discloser, requester = rng.choice(with_agency), rng.choice(with_agency)
        if discloser.agency_id == requester.agency_id:  # a disclosure goes to another agency
            requester = next((p for p in with_agency if p.agency_id != discloser.agency_id), requester)
        assert discloser.agency_id and discloser.user_id and requester.agency_id and requester.user_id
        sha = hashlib.sha256(f"demo-history-{n}".encode()).hexdigest()
        draft = dataclasses.replace(
            base, occurred_at=at, made_at=at, retain_until=at + retention, disclosure_id=HISTORY_IDS + n,
            request_id=HISTORY_IDS + n, child_id=rng.choice(children), from_agency_id=discloser.agency_id,
            from_agency_label=discloser.agency_label, discloser_id=discloser.user_id, discloser_label=discloser.label,
            discloser_role=discloser.role, requester_id=requester.user_id, requester_label=requester.label,
            to_agency_id=requester.agency_id, to_agency_label=requester.agency_label, purpose=rng.choice(PURPOSES),
            legal_basis=str(rng.choice(LEGAL_BASES)), snapshot_sha256=sha, approver_id=None, approver_label="",
        )  # fmt: skip
        context = RequestContext(request_id=uuid.UUID(int=rng.getrandbits(128)), ip=_ip(rng, discloser.agency_id),
                                 path="")  # fmt: skip
        with bound(context):
            event_id = audit_record(
                kind="disclosure.make", actor=discloser, occurred_at=at, object_type="disclosures.disclosure",
                object_id=draft.disclosure_id, object_label=f"disclosure {draft.disclosure_id}",
                child_id=draft.child_id, purpose=draft.purpose,
                detail={"to_agency_id": draft.to_agency_id, "legal_basis": draft.legal_basis,
                        "snapshot_sha256": sha, "log_sha256": disclosure_log_sha256(draft), "history": True},
            )  # fmt: skip
            disclosure_log_record(draft=dataclasses.replace(draft, event_id=event_id))
    return HISTORY_DISCLOSURES


def seed(demo: DemoContext) -> None:
    if AuditEvent.objects.filter(kind=MARKER).exists():
        demo.summary["oversight"] = "the audit store's history is already there"
        return
    rng = random.Random(15)  # noqa: S311 - the same made-up history on every machine, no secret
    now = timezone.now()
    members = list(
        Membership.objects.filter(is_active=True, agency__isnull=False, user__is_active=True)
        .select_related("user", "agency")
        .order_by("pk")
    )
    # Each person once (someone with two memberships acts as audit_identity says).
    people = list({member.user_id: member.user.audit_identity() for member in members}.values())
    children = list(Child.objects.order_by("pk").values_list("pk", flat=True)[:400])
    if not people or not children:
        demo.summary["oversight"] = "no history: the demo has no people or no children"
        return
    events = 0
    for _session_number in range(SESSIONS):
        events += _session(rng, rng.choice(people), children, _moment(rng, now))
    for _failure in range(FAILED_SIGN_INS):
        at = _moment(rng, now)
        with bound(RequestContext(request_id=uuid.UUID(int=rng.getrandbits(128)), ip=_ip(rng, None), path="")):
            audit_record(kind="auth.sign_in_failed", actor=ANONYMOUS, outcome=Outcome.FAILED, occurred_at=at,
                         detail={"reason": "wrong password or code"})  # fmt: skip
        events += 1
    logged = _history_disclosures(rng, now, people, children)
    audit_record(kind=MARKER, actor=demo.actor, detail={"events": events, "disclosure_log_rows": logged})
    # Chain what was written (inside seed_demo's transaction the sealer takes what is final; the rest is sealed by
    # beat, or by audit_verify and every export, which seal first).
    audit_seal()
    demo.summary["oversight"] = f"{events} past access events and {logged} past disclosures over {MONTHS} months"
