"""Rows for the indemnity notice API (issue 14; Haringey 11.1), planted as in tests/cases/breach_indemnity.py. The
list is for members of an agency (no_role and API tokens: 403); sending for the people who speak for a partner (the
suspended agency's admin speaks for an agency that never signed the protocol: 400 on `protocol`); a notice out of
scope is a 404 (tokens too); answering it, 403 naming the rule for those who see it but are not the contributor."""

from __future__ import annotations

from typing import Any

from tests.cases.breach_indemnity import listed, sent, to_home
from tests.factories import World
from tests.matrix import Case, api_signed_in
from tests.protocol_fixtures import protocol_in_force

TOKENS_REFUSED = {"token": 403, "people_token": 403, "children_token": 403}
TOKENS_OUT = {"token": 404, "people_token": 404, "children_token": 404}
KEEPERS = {"partnership_admin": 200, "untrained_partnership_admin": 200, "auditor": 200}
HOME_SPEAKERS = {"designated_manager": 200, "agency_admin": 200}
REFUSED = {"partnership_admin": 403, "untrained_partnership_admin": 403, "auditor": 403}


def table(default: int, **overrides: int) -> dict[str, int]:
    overrides.setdefault("suspended", default)
    overrides.setdefault("untrained_partnership_admin", overrides.get("partnership_admin", default))
    return api_signed_in(default, **overrides)


def body(world: World) -> dict[str, Any]:
    return {
        "protocol": protocol_in_force(world).pk,
        "contributor_agency": world.other.pk,
        "details": "A claim arising from a record passed on without a lawful basis.",
    }


CASES = [
    Case(
        "api-indemnity-notice-list",
        table(200, no_role=403, **TOKENS_REFUSED),
        kwargs=listed,
        queries=2,
    ),
    Case(
        "api-indemnity-notice-list",
        table(403, designated_manager=201, agency_admin=201, suspended=400),
        method="post",
        data=body,
        json=True,
        note="home notifies the police",
        queries=14,
    ),
    Case(
        "api-indemnity-notice-detail",
        table(404, **HOME_SPEAKERS, **KEEPERS, **TOKENS_OUT),
        kwargs=sent,
        queries=3,
    ),
    Case(
        "api-indemnity-notice-respond",
        table(404, **HOME_SPEAKERS, **REFUSED, **TOKENS_REFUSED),
        method="post",
        kwargs=to_home,
        data=lambda world: {"response": "We accept that our officer passed the record on."},
        json=True,
        queries=16,
    ),
]
