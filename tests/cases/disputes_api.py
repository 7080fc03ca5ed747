"""Rows for the disputes API and the register (issue 13; Southampton 13; docs/after-disclosure-design.md 8, 10).

The world is issue 13's (tests/disclosures/after_fixtures.py): home = children's social care. Each row plants its
own dispute through the services. "Responding": the school asks home, home's practitioner declines, the school
disputes it - stage 1 goes to the school's line manager and to home's designated manager (the practitioner's line
manager, and home's head of service at stage 2). "Raising": home's practitioner asks the school, the school
declines, home disputes it. Home's agency admin, another agency's person and everyone outside meet a 404 on a
dispute's id (Southampton 13 keeps a dispute to its parties); partnership admins (the register's keepers) and the
partnership auditor see it, and may do nothing to it (403). API tokens do nothing here (design Q15): 403 on lists
and writes, 404 on a dispute's id."""

from __future__ import annotations

from typing import Any

from disclosures.services import request_answer_decline
from disclosures.services.disputes import dispute_open, dispute_position_record, dispute_withdraw
from tests.disclosures.after_fixtures import after_world
from tests.disclosures.dispute_fixtures import GROUNDS, advised, at_stage_two, declined, opened
from tests.disclosures.fixtures import submit
from tests.factories import World
from tests.matrix import Case, api_signed_in

TOKENS_REFUSED = {"token": 403, "people_token": 403, "children_token": 403}
OUT = {"token": 404, "people_token": 404, "children_token": 404}


def table(default: int, **overrides: int) -> dict[str, int]:
    overrides.setdefault("suspended", default)
    return api_signed_in(default, **overrides)


# Who sees a dispute home is party to: its practitioner and designated manager, the keepers and the auditor.
SEES = {"practitioner": 200, "designated_manager": 200, "partnership_admin": 200, "auditor": 200}
# In scope but not allowed: 403 naming the rule.
REFUSED = {"practitioner": 403, "designated_manager": 403, "partnership_admin": 403, "auditor": 403}


def responding(world: World) -> dict[str, Any]:
    return {"pk": opened(world)[1].pk}


def responding_differ(world: World) -> dict[str, Any]:
    """Stage 1 with the school's line manager for sharing: home's designated manager disagrees next."""
    after, dispute = opened(world)
    dispute_position_record(actor=after.user("school_manager"), dispute=dispute, position="share", note="Needed.")
    return {"pk": dispute.pk}


def positions_differ(world: World) -> dict[str, Any]:
    after, dispute = opened(world)
    dispute_position_record(actor=after.user("school_manager"), dispute=dispute, position="share", note="Needed.")
    dispute_position_record(
        actor=after.user("designated_manager"), dispute=dispute, position="not_share", note="Not proportionate."
    )
    return {"pk": dispute.pk}


def stage_two(world: World) -> dict[str, Any]:
    return {"pk": at_stage_two(world)[1].pk}


def ready_to_decide(world: World) -> dict[str, Any]:
    after, dispute = advised(world)
    dispute_position_record(actor=after.user("school_manager"), dispute=dispute, position="share", note="Needed.")
    return {"pk": dispute.pk}


def ended(world: World) -> dict[str, Any]:
    after, dispute = opened(world)
    dispute_withdraw(actor=after.user("school"), dispute=dispute, reason="Found another way.")
    return {"pk": dispute.pk}


def declined_by_school(world: World) -> Any:
    """Home's practitioner asks the school about the child's minimum data; the school declines."""
    after = after_world(world)
    request = submit(
        after.made, by="practitioner", holding_agency=after.school, tiers=["minimum"], categories=[],
        consent_basis="not_sought", override_ground="", not_sought_reason="significant_harm",
    )  # fmt: skip
    return request_answer_decline(actor=after.user("school"), request=request, reason="not_proportionate")


def raising(world: World) -> dict[str, Any]:
    after = after_world(world)
    dispute = dispute_open(actor=after.user("practitioner"), request=declined_by_school(world), grounds=GROUNDS)
    return {"pk": dispute.pk}


def dispute_body(world: World) -> dict[str, Any]:
    return {"request": declined_by_school(world).pk, "grounds": GROUNDS}


def answered_body(world: World) -> dict[str, Any]:
    """Bad input: the school's request answered in time and shared: nothing to dispute (400 for its parties)."""
    return {"request": after_world(world).request.pk, "grounds": GROUNDS}


def lists(world: World) -> dict[str, Any]:
    responding(world)
    return {}


def own_declined(world: World) -> dict[str, Any]:
    declined(after_world(world))
    return {}


CASES = [
    Case("api-dispute-list", table(200, **TOKENS_REFUSED), kwargs=lists, note="mine", queries=2),
    Case(
        "api-dispute-list",
        table(400, practitioner=201, designated_manager=201, **TOKENS_REFUSED),
        method="post",
        data=dispute_body,
        json=True,
        note="home raises one (anyone else: the request reads as not existing)",
        # The request read in scope and locked; the open-dispute check; the insert and its number; the events,
        # the assignees (line managers, designated managers), the audit event, the notices; the journey read back;
        # the child the record is now held as, locked first (b13g: disputes._child_now_held).
        queries=24,
    ),
    Case(
        "api-dispute-list",
        table(400, **TOKENS_REFUSED),
        method="post",
        data=answered_body,
        json=True,
        note="a request answered in time",
    ),
    # The dispute with its parties; its assignees, positions, advice and records in one statement; each list; names.
    Case("api-dispute-detail", table(404, **SEES, **OUT), kwargs=responding, queries=8),
    Case(
        "api-dispute-position",
        table(404, **{**REFUSED, "designated_manager": 200}, **TOKENS_REFUSED),
        method="post",
        kwargs=responding_differ,
        data=lambda world: {"position": "not_share", "note": "Not proportionate."},
        json=True,
        queries=19,
    ),
    Case(
        "api-dispute-escalate",
        table(404, **REFUSED, **TOKENS_REFUSED),
        method="post",
        kwargs=responding,
        data=lambda world: {"reason": ""},
        json=True,
        note="early: refused with stage 1's last day",
    ),
    Case(
        "api-dispute-escalate",
        table(404, **{**REFUSED, "designated_manager": 200}, **TOKENS_REFUSED),
        method="post",
        kwargs=positions_differ,
        data=lambda world: {"reason": "We disagree."},
        json=True,
        note="positions differ",
        queries=21,  # one UPDATE and one INSERT of all its events (disputes._escalate, shared with the sweep)
    ),
    Case(
        "api-dispute-advice",
        table(404, **REFUSED, **TOKENS_REFUSED),
        method="post",
        kwargs=stage_two,
        data=lambda world: {"advice": "Share."},
        json=True,
        note="only a Caldicott guardian or DPO",
    ),
    Case(
        "api-dispute-decision",
        table(404, **{**REFUSED, "designated_manager": 200}, **TOKENS_REFUSED),
        method="post",
        kwargs=ready_to_decide,
        data=lambda world: {"outcome": "not_share", "reason": "Not proportionate."},
        json=True,
        queries=20,
    ),
    Case(
        "api-dispute-record",
        table(404, **{**REFUSED, "designated_manager": 200}, **TOKENS_REFUSED),
        method="post",
        kwargs=ended,
        data=lambda world: {"process_followed": "Stage 1.", "reason": "Withdrawn.", "impact": "None."},
        json=True,
        queries=17,
    ),
    Case(
        "api-dispute-withdraw",
        table(404, **{**REFUSED, "practitioner": 200, "designated_manager": 200}, **TOKENS_REFUSED),
        method="post",
        kwargs=raising,
        data=lambda world: {"reason": "Resolved by phone."},
        json=True,
        queries=18,
    ),
    Case(
        "api-dispute-register",
        table(403, designated_manager=200, partnership_admin=200, auditor=200),
        kwargs=lists,
        # The session and principal; the counts by state; the page (one statement whatever its rows).
        queries=3,
    ),
]
