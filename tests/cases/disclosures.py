"""Rows for the disclosures pages (issue 12).

Requests (the request journey, the inbox, a request's page, its withdrawal). The child of each row is new, recorded
by home (children's social care). The request journey is for people who use the child index: home's practitioner
and designated manager and the police officer ("other_agency", who sees the child in the index) get the form (its
first showing asks their purpose, since the form names the child); the partnership admin reaches the child (to merge
duplicates) but does not ask for information (403); everyone else is out of scope (404). The inbox is for
practitioners and designated managers (403 for everyone else signed in). A request is seen by the person who made it
and by the practitioners and managers of the agency it was sent to; another agency's request is out of scope (404);
withdrawing it is for the person who made it (403 for the holding agency). HTML pages send anonymous and token
callers to sign in."""

from __future__ import annotations

from typing import Any

from disclosures.models import InformationRequest
from disclosures.services import request_submit
from sharing.services import entry_record
from tests.cases.consent import html
from tests.cases.sharing_api import planted_child
from tests.disclosures.fixtures import Case as Made
from tests.disclosures.fixtures import school_world, submit
from tests.factories import World
from tests.matrix import Case
from tests.sharing.fixtures import PURPOSE, fresh


def child(world: World) -> dict[str, Any]:
    return {"pk": planted_child(world).pk}


def case(world: World) -> Made:
    """A new child recorded by home, with a case note (born on a day of its own: no likely match)."""
    school_world(world)
    kid = planted_child(world)
    entry = entry_record(
        actor=fresh(world.users["practitioner"]), child=kid, agency=world.home, category="case_note", fields={},
        text="Mother's partner threatened the child.", basis="fact",
    )  # fmt: skip
    return Made(world, kid, entry)


def school_request(world: World) -> dict[str, Any]:
    """Hill School asks home for a child's case notes (the parent refused consent; overridden on significant harm)."""
    return {"pk": submit(case(world)).pk}


def police_request(world: World) -> InformationRequest:
    """The police officer asks home for a child's minimum data, consent not sought (asking would place the child at
    risk of significant harm: Barnet)."""
    made = case(world)
    return request_submit(
        actor=fresh(world.users["other_agency"]), child=made.child, holding_agency=world.home, purpose=PURPOSE,
        tiers=["minimum"], need_to_know="A child was found alone at night.", consent_basis="not_sought",
        not_sought_reason="significant_harm",
    )  # fmt: skip


def police_request_pk(world: World) -> dict[str, Any]:
    return {"pk": police_request(world).pk}


def request_data(world: World) -> dict[str, Any]:
    """Home asks the police for the minimum data, consent not sought."""
    return {
        "holding_agency": str(world.other.pk),
        "purpose": PURPOSE,
        "tiers": ["minimum"],
        "need_to_know": "The child was seen with an adult the police know.",
        "urgency": "urgent",
        "consent_basis": "not_sought",
        "not_sought_reason": "significant_harm",
        "override_ground": "",
    }


def withdraw_data(world: World) -> dict[str, Any]:
    return {"reason": "No longer needed: the child is safe."}


HOME = {"practitioner": 200, "designated_manager": 200}
HOME_REDIRECTED = {"practitioner": 302, "designated_manager": 302}
# The journey: the people who use the index; the partnership admin reaches the child but does not ask.
ASKERS = {**HOME, "other_agency": 200, "partnership_admin": 403}
# The inbox: practitioners and designated managers.
PRACTISING = {**HOME, "other_agency": 200}

CASES: list[Case] = [
    Case(
        "request-new",
        html(ASKERS, otherwise=404),
        kwargs=child,
        note="without a purpose: it is asked, since the form names the child",
        queries=3,
    ),
    Case(
        "request-new",
        html({**ASKERS, **HOME_REDIRECTED}, otherwise=404),
        method="post",
        kwargs=child,
        data=request_data,
        note="tried on the service (rolled back) and kept for checking; the police ask themselves: an error",
        # Measured as the police officer (the first shown a page): the child and who may ask; the agencies and
        # purposes offered; the service's own trial (its checks, refused; both agencies read in one statement) and the
        # refusal recorded.
        queries=14,
    ),
    Case(
        "request-new-check",
        html({**ASKERS, **HOME_REDIRECTED, "other_agency": 302}, otherwise=404),
        kwargs=child,
        note="with nothing typed yet: back to the form",
        queries=3,
    ),
    Case("request-inbox", html(PRACTISING, otherwise=403), queries=2),
    Case(
        "request-detail",
        html(HOME, otherwise=404),
        kwargs=school_request,
        note="the school's request: home's people see it, it is out of everyone else's scope",
        # The request with its answer and its disclosure's id in one statement.
        queries=3,
    ),
    Case(
        "request-detail",
        html({**HOME, "other_agency": 200}, otherwise=404),
        kwargs=police_request_pk,
        note="the police officer's own request",
        queries=3,
    ),
    Case(
        "request-withdraw",
        html({"practitioner": 403, "designated_manager": 403, "other_agency": 200}, otherwise=404),
        kwargs=police_request_pk,
        queries=3,
    ),
    Case(
        "request-withdraw",
        html({"practitioner": 403, "designated_manager": 403, "other_agency": 302}, otherwise=404),
        method="post",
        kwargs=police_request_pk,
        data=withdraw_data,
        note="withdrawn by the person who made it",
        queries=8,
    ),
]
