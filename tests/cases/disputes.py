"""Rows for the dispute pages and the register (issue 13; Southampton 13; docs/after-disclosure-design.md 9, 10).

The disputes are planted as in tests/cases/disputes_api.py: "responding" (the school disputes home's decline:
home's designated manager is its practitioner's line manager and head of service) and "raising" (home disputes the
school's decline). A dispute is its parties', the register's keepers' (partnership admins) and the auditor's: anyone
else meets a 404. The register: partnership admins, auditors and designated managers (their agency's rows); its
CSV: partnership admins and partnership auditors. HTML pages send anonymous and token callers to sign in."""

from __future__ import annotations

from typing import Any

from disclosures.services.onward import onward_request_decline
from tests.cases.consent import html
from tests.cases.disclosure_onward_api import planted_onward
from tests.cases.disputes_api import (
    declined_by_school,
    ended,
    lists,
    positions_differ,
    raising,
    ready_to_decide,
    responding,
    responding_differ,
    stage_two,
)
from tests.disclosures.after_fixtures import after_world
from tests.disclosures.dispute_fixtures import GROUNDS
from tests.factories import World
from tests.matrix import Case, only

KEEPERS = {"partnership_admin": 200, "untrained_partnership_admin": 200, "auditor": 200}
SEES = {"practitioner": 200, "designated_manager": 200, **KEEPERS}
REFUSED = {"practitioner": 403, "designated_manager": 403, "partnership_admin": 403, "auditor": 403,
           "untrained_partnership_admin": 403}  # fmt: skip


def acting(status: int, *allowed: str) -> dict[str, int]:
    return html({**REFUSED, **dict.fromkeys(allowed, status)}, otherwise=404)


def subject(world: World) -> dict[str, Any]:
    return {"pk": declined_by_school(world).pk}


def onward_declined(world: World) -> dict[str, Any]:
    """The school's onward request, declined by home (the originator): the school's to dispute, and no principal
    here is the school's (home's people read it as missing: tests/disclosures/test_dispute_check_pages.py takes the
    school's path)."""
    onward = planted_onward(world)
    after = after_world(world)
    onward_request_decline(actor=after.user("designated_manager"), onward=onward, reason="not_proportionate")
    return {"pk": onward.pk}


def raise_body(world: World) -> dict[str, Any]:
    return {"grounds": GROUNDS, "impact_so_far": ""}


CASES = [
    Case("dispute-list", only({}, otherwise=200, anonymous=302, token=302), kwargs=lists, queries=2),
    # The dispute with its parties; its children in one statement; positions, advice, records, events; names.
    # 9: the child's record link is offered to index users (sharing.policy.index_agencies: the signed protocols).
    Case("dispute-detail", html(SEES, otherwise=404), kwargs=responding, queries=9),
    Case(
        "dispute-new", html({"practitioner": 200, "designated_manager": 200}, otherwise=404), kwargs=subject, queries=2
    ),
    Case(
        "dispute-new",
        html({"practitioner": 302, "designated_manager": 302}, otherwise=404),
        method="post",
        kwargs=subject,
        data=raise_body,
        note="checked: on to check your answers",
        # +1 (b13g): the child the record is now held as, locked before the request (disputes._child_now_held).
        queries=21,
    ),
    # No draft in the session: back to the form, before the service is asked.
    Case(
        "dispute-new-check",
        html({"practitioner": 302, "designated_manager": 302}, otherwise=404),
        kwargs=subject,
        queries=2,
    ),
    Case(
        "dispute-new-check",
        html({"practitioner": 302, "designated_manager": 302}, otherwise=404),
        method="post",
        kwargs=subject,
        data=lambda world: {"draft": "0" * 32},
        note="confirmed",
        queries=2,
    ),
    Case("onward-dispute-new", html({}, otherwise=404), kwargs=onward_declined, queries=0),
    Case(
        "onward-dispute-new",
        html({}, otherwise=404),
        method="post",
        kwargs=onward_declined,
        data=raise_body,
        note="checked",
        queries=0,
    ),
    Case("onward-dispute-check", html({}, otherwise=404), kwargs=onward_declined, queries=0),
    Case(
        "onward-dispute-check",
        html({}, otherwise=404),
        method="post",
        kwargs=onward_declined,
        data=lambda world: {"draft": "0" * 32},
        note="confirmed",
        queries=0,
    ),
    Case("dispute-position", acting(200, "designated_manager"), kwargs=responding_differ, queries=3),
    Case(
        "dispute-position",
        acting(302, "designated_manager"),
        method="post",
        kwargs=responding_differ,
        data=lambda world: {"position": "not_share", "note": "Not proportionate."},
        note="recorded",
        queries=12,
    ),
    Case("dispute-escalate", acting(403), kwargs=responding, note="early: refused with stage 1's last day", queries=0),
    Case(
        "dispute-escalate",
        acting(302, "designated_manager"),
        method="post",
        kwargs=positions_differ,
        data=lambda world: {"reason": ""},
        note="positions differ",
        queries=14,  # one UPDATE and one INSERT of all its events (disputes._escalate, shared with the sweep)
    ),
    Case("dispute-advise", acting(403), kwargs=stage_two, note="only a Caldicott guardian or DPO", queries=0),
    Case(
        "dispute-decide",
        acting(302, "designated_manager"),
        method="post",
        kwargs=ready_to_decide,
        data=lambda world: {"outcome": "not_share", "reason": "Not proportionate."},
        queries=13,
    ),
    Case(
        "dispute-record",
        acting(302, "designated_manager"),
        method="post",
        kwargs=ended,
        data=lambda world: {"process_followed": "Stage 1.", "reason": "Withdrawn.", "impact": "None."},
        queries=10,
    ),
    Case(
        "dispute-withdraw",
        acting(302, "practitioner", "designated_manager"),
        method="post",
        kwargs=raising,
        data=lambda world: {"reason": "Resolved by phone."},
        queries=11,
    ),
    # +1 each (breakt13g F7): the agencies the reader's register may be filtered by (register_agencies).
    Case("dispute-register", html({"designated_manager": 200, **KEEPERS}, otherwise=403), kwargs=lists, queries=4),
    # The export is audited before it streams; the rows are read as the response is consumed.
    Case("dispute-register-export", html(KEEPERS, otherwise=403), kwargs=lists, queries=4),
]
