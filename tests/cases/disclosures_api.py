"""Rows for the disclosures API (issue 12; design12 section 8): requests listed, made, read, answered, approved and
withdrawn; the approvals queue; disclosures listed, referred, made in an emergency, read, reviewed and revoked.

The World of the disclosures tests (tests.disclosures.fixtures.school_world): home is children's social care,
holding the information, the other agency a police force, plus Hill School with its practitioner ("school", not a
principal here) who asks. Each row plants its own child and request (or disclosure), so every principal meets the
same state. Home's practitioner and designated manager answer; only the designated manager approves, reviews and
revokes; another agency's person, home's agency admin (who does not practise) and everyone outside meet a 404 on an
id; auditors read a disclosure's metadata. No token of the matrix holds requests:write: every token is refused for
its scopes (403) on lists and writes, and an id is out of its scope (404) on reads."""

from __future__ import annotations

from typing import Any

from disclosures.services import disclosure_emergency, request_approve
from sharing.services import entry_record
from tests.cases.sharing_api import READ, planted_child
from tests.disclosures.fixtures import (
    HARM,
    PURPOSE,
    answer,
    disclosure_of,
    school_of,
    school_world,
    submit,
)
from tests.disclosures.fixtures import (
    Case as Made,
)
from tests.factories import World
from tests.matrix import Case, api_signed_in
from tests.sharing.fixtures import fresh

TOKENS_REFUSED = {"token": 403, "people_token": 403, "children_token": 403}
OUT = {"token": 404, "people_token": 404, "children_token": 404}


def table(default: int, **overrides: int) -> dict[str, int]:
    overrides.setdefault("suspended", default)
    overrides.setdefault("untrained_partnership_admin", default)
    return api_signed_in(default, **overrides)


def case(world: World) -> Made:
    """A new child of its own (no likely match with another row's) recorded by home, with a case note."""
    school_world(world)
    child = planted_child(world)
    entry = entry_record(
        actor=fresh(world.users["practitioner"]), child=child, agency=world.home, category="case_note", fields={},
        text="Mother's partner threatened the child.", basis="fact",
    )  # fmt: skip
    return Made(world, child, entry)


def planted_request(world: World) -> dict[str, Any]:
    """The school asks home for a new child's case notes, the parent having refused consent."""
    return {"pk": submit(case(world)).pk}


def answered_request(world: World) -> dict[str, Any]:
    """Answered by home's practitioner on significant harm: it waits for a designated manager."""
    made = case(world)
    request = submit(made)
    answer(made, request)
    return {"pk": request.pk}


def own_request(world: World) -> dict[str, Any]:
    """Home's practitioner asks the school for a new child's minimum data (to withdraw it)."""
    made = case(world)
    return {"pk": submit(made, by="practitioner", holding_agency=school_of(world), tiers=["minimum"], categories=[]).pk}


def planted_disclosure(world: World) -> dict[str, Any]:
    """The school's request, answered and approved: a disclosure from home to the school."""
    made = case(world)
    request = submit(made)
    answer(made, request)
    request_approve(actor=made.user("designated_manager"), request=request, note="Proportionate.")
    return {"pk": disclosure_of(request).pk}


def emergency_disclosure(world: World) -> dict[str, Any]:
    """Home's practitioner discloses a new child's minimum data to the school in an emergency (to review)."""
    made = case(world)
    made_disclosure = disclosure_emergency(
        actor=made.user("practitioner"), child=made.child, to_agency=school_of(world),
        recipients=[made.user("school")], reason="immediate_risk_of_harm", legal_basis="significant_harm",
        decision=HARM, purpose=PURPOSE, tiers=["minimum"],
    )  # fmt: skip
    return {"pk": made_disclosure.pk}


def waiting(world: World) -> dict[str, Any]:
    answered_request(world)
    return {}


def lists(world: World) -> dict[str, Any]:
    planted_request(world)
    return {}


def request_body(world: World) -> dict[str, Any]:
    """Home's people ask the school about a new child of theirs (the police, who see the child, may too)."""
    made = case(world)
    return {
        "child": made.child.pk,
        "holding_agency": school_of(world).pk,
        "purpose": PURPOSE,
        "tiers": ["minimum"],
        "need_to_know": "The child has stopped attending; we need to know who to contact.",
        "consent_basis": "not_sought",
        "not_sought_reason": "significant_harm",
    }


def decline_body(world: World) -> dict[str, Any]:
    return {
        "outcome": "decline",
        "decline_reason": "nothing_held",
    }


def referral_body(world: World) -> dict[str, Any]:
    made = case(world)
    return {
        "child": made.child.pk,
        "to_agency": school_of(world).pk,
        "recipients": [world.users["school"].pk],
        "purpose": PURPOSE,
        "tiers": ["minimum"],
        "why": "The school must know who the child lives with now.",
        "consent_basis": "not_sought",
        "not_sought_reason": "significant_harm",
        "legal_basis": "significant_harm",
        "why_without_consent": "Asking would put the child at risk of significant harm.",
        "proportionality": "Only who the child lives with now is needed.",
        "public_interest": "The child's safety outweighs the parent's wish for confidentiality.",
        "subject_told": "not_safe",
        "subject_not_told_reason": "Telling the parent would put the child at risk.",
    }


def emergency_body(world: World) -> dict[str, Any]:
    made = case(world)
    return {
        "child": made.child.pk,
        "to_agency": school_of(world).pk,
        "recipients": [world.users["school"].pk],
        "reason": "immediate_risk_of_harm",
        "legal_basis": "significant_harm",
        "purpose": PURPOSE,
        "tiers": ["minimum"],
        "why_without_consent": "There was no time to ask.",
        "proportionality": "Only who the child is: the school must recognise them.",
        "public_interest": "The child's safety tonight outweighs the duty of confidence.",
    }


HOME = {"practitioner": 200, "designated_manager": 200}
EVERYONE = table(200, **TOKENS_REFUSED)

CASES = [
    Case(
        "api-request-list",
        EVERYONE,
        kwargs=lists,
        note="inbox and sent",
        # The session and the principal; the inbox and the requests sent, one statement each.
        queries=4,
    ),
    Case(
        "api-request-list",
        table(403, practitioner=201, designated_manager=201, other_agency=201, suspended=403, **TOKENS_REFUSED),
        method="post",
        data=request_body,
        json=True,
        note="ask the school",
        # The child read; the two agencies in one statement; the protocol version both signed; both agencies'
        # sanctions in one statement; the insert, the audit event; who is told and the telling in one statement; the
        # answer built from the request the service holds (nothing read back).
        queries=12,
    ),
    Case("api-request-detail", table(404, **HOME, **OUT), kwargs=planted_request, queries=3),
    Case(
        "api-request-answer",
        table(404, **HOME, **TOKENS_REFUSED),
        method="post",
        kwargs=planted_request,
        data=decline_body,
        json=True,
        note="declined",
        # The request read once, locked (with its parties and answer), then the policy (services.request_locked: the
        # service answers with that row); the consent check; the answer, the decline, the audit event, the
        # notification; nothing read back.
        queries=12,
    ),
    Case(
        "api-request-approval",
        table(404, practitioner=403, designated_manager=200, **TOKENS_REFUSED),
        method="post",
        kwargs=answered_request,
        data=lambda world: {"decision": "approve", "note": "Proportionate."},
        json=True,
        # Everything checked again at this moment (design12 F4), then the disclosure: its entries, recipients and
        # snapshot (one statement), grants, the audit events and the disclosure-log row (one statement),
        # notifications; nothing read back; whether the shield admits the discloser's agency, one statement. The
        # request is read once, locked, with its answer, what the snapshot and the log need and whether the answer
        # shares a restricted entry, then the policy (services.request_locked: the service approves with that row, in
        # that transaction).
        queries=16,
    ),
    Case(
        "api-request-withdraw",
        table(404, practitioner=200, **TOKENS_REFUSED),
        method="post",
        kwargs=own_request,
        data=lambda world: {"reason": "No longer needed."},
        json=True,
        queries=9,
    ),
    Case("api-approvals", EVERYONE, kwargs=waiting, queries=2),
    Case("api-disclosure-list", EVERYONE, kwargs=lists, queries=4),
    Case(
        "api-disclosure-list",
        table(403, practitioner=201, designated_manager=201, other_agency=201, suspended=403, **TOKENS_REFUSED),
        method="post",
        data=referral_body,
        json=True,
        note="a proactive referral",
        # The referral is a request made and answered at once (design12 F2), then the disclosure made (its
        # recipients and snapshot in one statement).
        queries=31,
    ),
    Case(
        "api-disclosure-emergency",
        table(403, practitioner=201, designated_manager=201, other_agency=201, suspended=403, **TOKENS_REFUSED),
        method="post",
        data=emergency_body,
        json=True,
        # As a referral, plus the review deadline and the designated managers told at once.
        queries=38,
    ),
    Case(
        "api-disclosure-detail",
        table(404, **HOME, auditor=200, **OUT),
        kwargs=planted_disclosure,
        headers=READ,
        # The disclosure with its parties, its recipients, events and snapshot (re-hashed), the content check, the
        # audit event of the showing.
        queries=9,
    ),
    Case(
        "api-disclosure-review",
        table(404, practitioner=403, designated_manager=200, auditor=403, **TOKENS_REFUSED),
        method="post",
        kwargs=emergency_disclosure,
        data=lambda world: {"outcome": "endorsed"},
        json=True,
        headers=READ,
        queries=22,
    ),
    Case(
        "api-disclosure-revoke",
        table(404, practitioner=403, designated_manager=200, auditor=403, **TOKENS_REFUSED),
        method="post",
        kwargs=planted_disclosure,
        data=lambda world: {"reason": "Shared with the wrong school."},
        json=True,
        headers=READ,
        # The revocation ends the recipients' grants, writes its event, log row and audit event, tells them; since
        # issue 13 it also finds its live onward copies (one recursive statement) and lapses open onward requests.
        queries=30,
    ),
]
