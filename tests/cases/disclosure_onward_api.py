"""Rows for the onward-disclosure and lineage API (issue 13; Southampton 10-11; docs/after-disclosure-design.md 8,
10). The World of tests/disclosures/after_fixtures.py: home (children's social care) is the originator; each row
plants a new child whose case note home disclosed to Hill School, and the school's practitioner (not a principal)
asks to pass it on to the health visiting service. Home's designated manager decides (Southampton 10: the
information source provider agrees); home's practitioner sees it but may not decide; the auditor reads the metadata
and is refused every action; the requester alone withdraws and passes on, so every principal is refused those (403
for those who see it, 404 for anyone else). Tokens are refused for their scopes on lists and writes and meet a 404
on ids (design Q15)."""

from __future__ import annotations

from typing import Any

from disclosures.models import OnwardRequest
from tests.cases.disclosures_api import case, table
from tests.disclosures.after_fixtures import after_world, disclose, onward_submit
from tests.disclosures.fixtures import PURPOSE, submit
from tests.factories import World
from tests.matrix import Case

TOKENS_REFUSED = {"token": 403, "people_token": 403, "children_token": 403}
OUT = {"token": 404, "people_token": 404, "children_token": 404}
# Who sees an onward request of home's information: home's practitioner and designated manager, the auditor.
SEE = {"practitioner": 200, "designated_manager": 200, "auditor": 200}
SEE_REFUSED = {"practitioner": 403, "designated_manager": 403, "auditor": 403}


def planted_onward(world: World) -> OnwardRequest:
    """Home's case note about a new child, disclosed to the school; the school asks to pass it on."""
    after = after_world(world)
    made = case(world)
    parent = disclose(made, submit(made))
    return onward_submit(after, parent=parent, entries=[made.entry])


def onward(world: World) -> dict[str, Any]:
    return {"pk": planted_onward(world).pk}


def parent_of_onward(world: World) -> dict[str, Any]:
    return {"pk": planted_onward(world).parent_disclosure_id}


def entry_of_onward(world: World) -> dict[str, Any]:
    return {"pk": planted_onward(world).entries.get().entry_id}


def lists(world: World) -> dict[str, Any]:
    planted_onward(world)
    return {}


def agree_body(world: World) -> dict[str, Any]:
    return {"decision": "agree", "conditions": "Only the health visitor."}


def withdraw_body(world: World) -> dict[str, Any]:
    return {"reason": "No longer needed."}


def disclose_body(world: World) -> dict[str, Any]:
    after = after_world(world)
    return {
        "recipients": [after.user("health_visitor").pk], "subject_told": "not_safe",
        "subject_not_told_reason": "Telling the parent would put the child at risk.",
        "why_shared": "The health visitor must know.", "proportionality": "Only the case note.",
        "public_interest": "The child's safety.", "why_without_consent": "The parent refused.",
    }  # fmt: skip


def submit_body(world: World) -> dict[str, Any]:
    """Pass on what the school received: refused to every principal, none of whom was named to receive it (home's
    people see the disclosure but are not its recipients: 403; anyone else reads the parent as missing: 400)."""
    onward_request = planted_onward(world)
    after = after_world(world)
    return {
        "parent_disclosure": onward_request.parent_disclosure_id,
        "entries": [onward_request.entries.get().entry_id], "to_agency": after.health.pk, "purpose": PURPOSE,
        "tiers": ["sensitive"], "categories": ["case_note"], "need_to_know": "The weekly home visit.",
        "consent_basis": "refused", "override_ground": "significant_harm", "legal_basis": "significant_harm",
    }  # fmt: skip


CASES = [
    # The session and the principal; the onward requests, one statement.
    Case("api-onward-list", table(200, **TOKENS_REFUSED), kwargs=lists, note="raised", queries=3),
    Case(
        "api-onward-list",
        table(403, practitioner=403, designated_manager=403, other_agency=400, suspended=403, **TOKENS_REFUSED),
        method="post",
        data=submit_body,
        json=True,
        note="pass on (nobody here was named to receive it)",
    ),
    # The session and the principal; the onward request with its parties; its entries; its disclosure, if made.
    Case("api-onward-detail", table(404, **SEE, **OUT), kwargs=onward, queries=5),
    Case(
        "api-onward-decision",
        table(404, practitioner=403, designated_manager=200, auditor=403, **TOKENS_REFUSED),
        method="post",
        kwargs=onward,
        data=agree_body,
        json=True,
        note="agreed by the originator's designated manager",
        # The request read and locked with its parent; the parent's state; the restricted check; the update, the
        # audit event, the notification; the page read back (entries, disclosure).
        queries=15,
    ),
    Case(
        "api-onward-withdraw",
        table(404, **SEE_REFUSED, **TOKENS_REFUSED),
        method="post",
        kwargs=onward,
        data=withdraw_body,
        json=True,
        note="only the requester",
    ),
    Case(
        "api-onward-disclose",
        table(404, **SEE_REFUSED, **TOKENS_REFUSED),
        method="post",
        kwargs=onward,
        data=disclose_body,
        json=True,
        note="only the requester, and not before agreement",
    ),
    # Lineage is an action on disclosures no token scope reaches: refused for the token's scopes whatever the id.
    # The session and the principal; the disclosure through the policy (the entry's agency); the tree, one recursive
    # statement whatever its size (tests/disclosures/test_lineage.py grows it).
    Case("api-disclosure-lineage", table(404, **SEE, **TOKENS_REFUSED), kwargs=parent_of_onward, queries=4),
    Case("api-entry-lineage-detail", table(404, **SEE, **TOKENS_REFUSED), kwargs=entry_of_onward, queries=4),
]
