"""Rows for the decision journey (issue 12 "Answering"): answering a request, "check your answers", declining.

Each row's request is new (tests.disclosures.fixtures: Hill School asks children's social care - the World's home
agency - for a child's case notes, the parent having refused consent), so every principal meets a request waiting for
an answer. Home's practitioner and designated manager answer it (the requester, a school practitioner, is not one of
the principals; tests/disclosures/test_answer_pages.py has their 403). Everyone else is outside the request's scope:
404, whether or not they use the index (the police officer), and whatever their role (auditors read the disclosure
log, not requests). HTML pages send anonymous and token callers to sign in."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from tests.cases.consent import html
from tests.disclosures.fixtures import case, submit
from tests.factories import World
from tests.matrix import Case

HOME = {"practitioner": 200, "designated_manager": 200}
HOME_REDIRECTED = {"practitioner": 302, "designated_manager": 302}


# One child per principal, each a different person (the index refuses a likely duplicate).
FAMILIES = (
    "Ashdown", "Birchwood", "Carver", "Dunmore", "Ellery", "Fairlie", "Garrow", "Hollins", "Ingram", "Jessop",
    "Kettle", "Lowther", "Marlow", "Norcott", "Oakes", "Penrose",
)  # fmt: skip


def request(world: World) -> dict[str, Any]:
    number = world.objects.get("answer_children", 0)
    world.objects["answer_children"] = number + 1
    made = case(
        world,
        given="Rowan",
        family=FAMILIES[number % len(FAMILIES)],
        born_on=date(2014, 1, 1) + timedelta(days=41 * number),
    )
    world.objects["answer_case"] = made
    return {"pk": submit(made).pk}


def answer_data(world: World) -> dict[str, Any]:
    """A share on significant harm of the case note to the requester (kept as the draft, then checked)."""
    made = world.objects["answer_case"]
    end = timezone.localdate() + timedelta(days=90)
    return {
        "is_confidential": "yes",
        "legal_basis": "significant_harm",
        "why_without_consent": "The parent refused; the child is at risk of significant harm.",
        "proportionality": "Only the case note about the harm at home is needed.",
        "public_interest": "The child's safety outweighs the parent's wish for confidentiality.",
        "entries": [made.entry.pk],
        "recipients": [world.users["school"].pk],
        "subject_told": "not_safe",
        "subject_not_told_reason": "Telling the parent would put the child at risk.",
        "retain_until_day": str(end.day),
        "retain_until_month": str(end.month),
        "retain_until_year": str(end.year),
    }


def decline_data(world: World) -> dict[str, Any]:
    return {"reason": "nothing_held", "detail": ""}


CASES: list[Case] = [
    Case(
        "disclosures-answer",
        html(HOME, otherwise=404),
        kwargs=request,
        note="the flowchart's sections with the consent check now and the entries to choose",
        # The session and who asks; the request through the policy; the entries and their latest revisions, the consent
        # check now (the child's consents, read once for every tier; the signatures), the requesting agency's people;
        # the read audited.
        queries=8,
    ),
    Case(
        "disclosures-answer",
        html(HOME_REDIRECTED, otherwise=404),
        method="post",
        kwargs=request,
        data=answer_data,
        note="the answers kept as the draft for checking",
        # As the page, then the draft kept in the session.
        queries=9,
    ),
    Case(
        "disclosures-answer-check",
        html(HOME_REDIRECTED, otherwise=404),
        kwargs=request,
        note="with nothing typed yet: back to the form",
        queries=3,
    ),
    Case(
        "disclosures-answer-check",
        html(HOME_REDIRECTED, otherwise=404),
        method="post",
        kwargs=request,
        note="confirming with nothing typed yet: back to the form, nothing written",
        queries=3,
    ),
    Case("disclosures-decline", html(HOME, otherwise=404), kwargs=request, queries=3),
    Case(
        "disclosures-decline",
        html(HOME_REDIRECTED, otherwise=404),
        method="post",
        kwargs=request,
        data=decline_data,
        note="declined with its reason, the requester told (Buckinghamshire 5)",
        # The request through the policy, then the service: the locked request, the decision record, the request's
        # new state, the audit event and the requester's notice; the message kept in the session.
        queries=13,
    ),
]
