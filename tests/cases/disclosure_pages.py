"""Rows for the approvals and disclosure pages (issue 12: "Designated-manager approval", "Disclosures").

Each row builds its own objects through the services (tests.disclosures.fixtures): Hill School's practitioner asks
children's social care (home) for a case note about a child whose parent refused consent; home's practitioner
answers on significant harm, so it waits for a designated manager; home's designated manager approves it. An
emergency disclosure is made by home's practitioner to the school.

* The approvals page is a designated manager's: anyone else signed in is told only designated managers approve (403).
* A request's approval: home's designated manager decides (200, 302); home's practitioner answered it, so may not
  (403, with the rule); everyone else is out of scope (404: the request is not theirs to see).
* A disclosure's page: home (its discloser and manager) and auditors (metadata only) read it; the police officer
  and everyone else get 404. Review (of an emergency disclosure) and revocation: home's designated manager; home's
  practitioner and the auditor are in scope and refused (403).
* The lists of what an agency sent and what a person received are every signed-in person's own (possibly empty).
HTML pages send anonymous and token callers to sign in."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from disclosures.models import Disclosure, DisclosureEvent, InformationRequest
from disclosures.services import disclosure_emergency, request_approve
from tests.cases.consent import html
from tests.cases.sharing_api import _word
from tests.disclosures.fixtures import HARM, PURPOSE, answer, case, school_of, submit
from tests.disclosures.fixtures import Case as Made
from tests.factories import World
from tests.matrix import Case, only
from tests.sharing.fixtures import fresh

MANAGER = {"designated_manager": 200}
MANAGER_REDIRECTED = {"designated_manager": 302}
# In scope of a request waiting for approval: the practitioner who answered it, who may not approve it.
ANSWERER = {"practitioner": 403}
# A disclosure's readers: home (who made it) and the auditor (metadata).
READERS = {"practitioner": 200, "designated_manager": 200, "auditor": 200}
# A disclosure's follow-ups: home's designated manager; home's practitioner and the auditor see it, may not act.
FOLLOW_UP = {"practitioner": 403, "auditor": 403}


_serial = itertools.count(1)


def new_case(world: World) -> Made:
    """A child of its own (a name and birthday no other row's child has, so never a likely duplicate)."""
    number = next(_serial)
    return case(world, given="Approval", family=_word(number), born_on=date(2013, 6, 1) + timedelta(days=number))


def once(world: World, key: str, build: Any) -> dict[str, Any]:
    """The object a page row reads, built once per world: every principal asks for the same one."""
    if key not in world.objects:
        world.objects[key] = build(world)
    found: dict[str, Any] = world.objects[key]
    return found


def everyone_signed_in(status: int) -> dict[str, int]:
    return only({}, otherwise=status, anonymous=302, token=302)


def awaiting(world: World) -> dict[str, Any]:
    """A request answered by home's practitioner, waiting for a designated manager."""
    made = new_case(world)
    request = submit(made)
    answer(made, request)
    return {"pk": request.pk}


def approved(world: World) -> Disclosure:
    made = new_case(world)
    request = submit(made)
    answer(made, request)
    return request_approve(actor=made.user("designated_manager"), request=request, note="Proportionate.")


def disclosure(world: World) -> dict[str, Any]:
    return {"pk": approved(world).pk}


def emergency(world: World) -> dict[str, Any]:
    """An emergency disclosure by home's practitioner to the school, waiting for review."""
    made = new_case(world)
    made_now = disclosure_emergency(
        actor=made.user("practitioner"), child=made.child, to_agency=school_of(world),
        recipients=[made.user("school")], reason="immediate_risk_of_harm", legal_basis="significant_harm",
        decision=HARM, purpose=PURPOSE, tiers=["minimum", "sensitive"], categories=["case_note"],
        entries=[made.entry],
    )  # fmt: skip
    return {"pk": made_now.pk}


def unused(world: World, key: str, build: Any, *, used: Any) -> dict[str, Any]:
    """For a write: the object of `key` again until a write has used it, then a new one (so the rows build two,
    not one per principal)."""
    if key in world.objects and used(world.objects[key]["pk"]):
        del world.objects[key]
    return once(world, key, build)


def awaiting_unused(world: World) -> dict[str, Any]:
    return unused(
        world, "approval-post-request", awaiting,
        used=lambda pk: InformationRequest.objects.filter(pk=pk).exclude(state="awaiting_approval").exists(),
    )  # fmt: skip


def emergency_unused(world: World) -> dict[str, Any]:
    return unused(
        world, "approval-post-emergency", emergency,
        used=lambda pk: DisclosureEvent.objects.filter(disclosure_id=pk, kind="reviewed").exists(),
    )  # fmt: skip


def disclosure_unused(world: World) -> dict[str, Any]:
    return unused(
        world, "approval-post-disclosure", disclosure,
        used=lambda pk: DisclosureEvent.objects.filter(disclosure_id=pk, kind="revoked").exists(),
    )  # fmt: skip


def awaiting_once(world: World) -> dict[str, Any]:
    return once(world, "approval-page-request", awaiting)


def disclosure_once(world: World) -> dict[str, Any]:
    return once(world, "approval-page-disclosure", disclosure)


def emergency_once(world: World) -> dict[str, Any]:
    return once(world, "approval-page-emergency", emergency)


def approve_data(world: World) -> dict[str, Any]:
    return {"decision": "approve", "note": "Proportionate to the risk."}


def decline_data(world: World) -> dict[str, Any]:
    return {"decision": "decline", "note": "The school's concern can be met without the case note."}


def review_data(world: World) -> dict[str, Any]:
    return {"outcome": "endorsed", "note": ""}


def revoke_data(world: World) -> dict[str, Any]:
    return {"reason": "Sent to the wrong school."}


def _lists(world: World) -> dict[str, Any]:
    school_of(world)
    fresh(world.users["designated_manager"])
    return {}


CASES: list[Case] = [
    Case("approvals", html(MANAGER, otherwise=403), kwargs=_lists, queries=4),
    Case("request-approval", html({**MANAGER, **ANSWERER}, otherwise=404), kwargs=awaiting_once, queries=8),
    Case(
        "request-approval",
        html({**MANAGER_REDIRECTED, **ANSWERER}, otherwise=404),
        method="post",
        kwargs=awaiting_unused,
        data=approve_data,
        note="approved: the disclosure made",
        # The request through the policy and the decision read for the form; the service: the locked request (with its
        # answer, the child's legal name and the discloser's roles), its re-checks at this moment (both agencies'
        # sanctions in one statement, the signatures, the answered entries, the recipients with their memberships and
        # training), the disclosure, then its entries, recipients and snapshot in one statement, the grants, then every
        # audit event and the log row in one statement; the message kept in the session; whether the shield admits the
        # discloser's agency, one statement. Whether the answer shares a restricted entry (the approver's
        # authorisation) is read with the locked request.
        queries=22,
    ),
    Case(
        "request-approval",
        html({**MANAGER_REDIRECTED, **ANSWERER}, otherwise=404),
        method="post",
        kwargs=awaiting_unused,
        data=decline_data,
        note="declined with reasons",
        queries=15,
    ),
    Case("disclosures-sent", everyone_signed_in(200), kwargs=_lists, queries=3),
    Case("disclosures-received", everyone_signed_in(200), kwargs=_lists, queries=3),
    # Without a purpose stated for the child the page shows the metadata and asks why before the content (break12b
    # F11), so the content's entries are not read.
    Case("disclosure-detail", html(READERS, otherwise=404), kwargs=disclosure_once, queries=8),
    Case("disclosure-review", html({**MANAGER, **FOLLOW_UP}, otherwise=404), kwargs=emergency_once, queries=5),
    Case(
        "disclosure-review",
        html({**MANAGER_REDIRECTED, **FOLLOW_UP}, otherwise=404),
        method="post",
        kwargs=emergency_unused,
        data=review_data,
        note="endorsed",
        queries=15,
    ),
    Case("disclosure-revoke", html({**MANAGER, **FOLLOW_UP}, otherwise=404), kwargs=disclosure_once, queries=4),
    Case(
        "disclosure-revoke",
        html({**MANAGER_REDIRECTED, **FOLLOW_UP}, otherwise=404),
        method="post",
        kwargs=disclosure_unused,
        data=revoke_data,
        note="revoked",
        # +2 since issue 13: its live onward copies found (one recursive statement) and open onward requests lapsed.
        queries=23,
    ),
]
