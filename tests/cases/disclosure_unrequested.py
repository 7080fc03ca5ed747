"""Rows for the pages of a disclosure without a request (issue 12: "Emergency disclosure", "Proactive sharing"),
started from a child's page: the form of each journey (the agency that receives it, then the answers, tried on the
service and rolled back) and its "check your answers".

Each row's child is new (tests.cases.sharing_api.planted_child: recorded by home's practitioner), with a case note
of home's; Hill School signed the same protocol (tests.disclosures.fixtures.school_world). Home's practitioner and
designated manager may share about the child; so may the police officer ("other_agency"), who uses the index too
(the entries offered are their own agency's: none here, so the answers naming home's case note are refused on the
form, 200). The partnership admin reaches the child (to merge duplicates) but shares nothing (403); everyone else
is out of scope (404). Without a purpose stated for the child, a GET asks it first (200). The check pages without
answers send back to the form (302). HTML pages send anonymous and token callers to sign in."""

from __future__ import annotations

from typing import Any

from sharing.services import entry_record
from tests.cases.consent import html
from tests.cases.sharing_api import planted_child
from tests.disclosures.fixtures import HARM, PURPOSE, school_of
from tests.factories import World
from tests.matrix import Case
from tests.sharing.fixtures import fresh


def child(world: World) -> dict[str, Any]:
    """A new child with a case note of home's; kept on the world for the row's answers."""
    school_of(world)
    kid = planted_child(world)
    world.objects["unrequested_entry"] = entry_record(
        actor=fresh(world.users["practitioner"]), child=kid, agency=world.home, category="case_note", fields={},
        text="Mother's partner threatened the child.", basis="fact",
    )  # fmt: skip
    return {"pk": kid.pk}


def _answers(world: World) -> dict[str, Any]:
    return {
        "to_agency": str(school_of(world).pk),
        "purpose": PURPOSE,
        "tiers": ["minimum", "sensitive"],
        "entries": [str(world.objects["unrequested_entry"].pk)],
        "recipients": [str(world.users["school"].pk)],
        "is_confidential": "yes",
        "why_without_consent": HARM.why_without_consent,
        "proportionality": HARM.proportionality,
        "public_interest": HARM.public_interest,
        "subject_told": "not_safe",
        "subject_not_told_reason": "Telling the parent would put the child at risk.",
    }


def emergency_data(world: World) -> dict[str, Any]:
    return {**_answers(world), "reason": "immediate_risk_of_harm", "legal_basis": "significant_harm"}


def refer_data(world: World) -> dict[str, Any]:
    return {
        **_answers(world),
        "why": "The child told us the partner threatened them.",
        "consent_basis": "refused",
        "override_ground": "significant_harm",
        "legal_basis": "significant_harm",
    }


# Who may share about the child: home's practising people and the police officer (index users); the partnership
# admin reaches the child but shares nothing.
SHARERS = {"practitioner": 200, "designated_manager": 200, "other_agency": 200, "partnership_admin": 403}
# A POST of the answers: home's people go on to "check your answers"; the officer's answers name an entry that is
# not theirs to share, refused on the form.
ANSWERED = {**SHARERS, "practitioner": 302, "designated_manager": 302}
BACK_TO_THE_FORM = {**SHARERS, "practitioner": 302, "designated_manager": 302, "other_agency": 302}

CASES: list[Case] = [
    Case(
        "disclosure-emergency",
        html(SHARERS, otherwise=404),
        kwargs=child,
        note="without a purpose: it is asked, since the form names the child",
        queries=3,
    ),
    Case(
        "disclosure-emergency",
        html(ANSWERED, otherwise=404),
        method="post",
        kwargs=child,
        data=emergency_data,
        note="the answers tried on the service (rolled back)",
        # Measured as the officer, whose answers the form refuses: the child, the principal and the index, the
        # partner agencies, the agencies chosen and the version they share, the entries and people offered, the
        # session.
        queries=9,
    ),
    Case(
        "disclosure-emergency-check",
        html(BACK_TO_THE_FORM, otherwise=404),
        kwargs=child,
        note="with nothing typed yet: back to the form",
        queries=3,
    ),
    Case(
        "disclosure-emergency-check",
        html(BACK_TO_THE_FORM, otherwise=404),
        method="post",
        kwargs=child,
        note="with nothing typed yet: back to the form, nothing shared",
        queries=3,
    ),
    Case(
        "disclosure-refer",
        html(SHARERS, otherwise=404),
        kwargs=child,
        note="without a purpose: it is asked, since the form names the child",
        queries=3,
    ),
    Case(
        "disclosure-refer",
        html(ANSWERED, otherwise=404),
        method="post",
        kwargs=child,
        data=refer_data,
        note="the answers tried on the service (rolled back)",
        # Measured as the officer, whose answers the form refuses: the child, the principal and the index, the
        # partner agencies, the agencies chosen and the version they share, the entries and people offered, the
        # session.
        queries=9,
    ),
    Case(
        "disclosure-refer-check",
        html(BACK_TO_THE_FORM, otherwise=404),
        kwargs=child,
        note="with nothing typed yet: back to the form",
        queries=3,
    ),
    Case(
        "disclosure-refer-check",
        html(BACK_TO_THE_FORM, otherwise=404),
        method="post",
        kwargs=child,
        note="with nothing typed yet: back to the form, nothing shared",
        queries=3,
    ),
]
