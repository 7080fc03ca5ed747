"""Rows for the partners' meeting about a breach through the API (issue 14; Haringey 6.3-6.6;
breaches.hearing_policy). The breaches are tests/cases/breach_hearings.py's: "partner" (by other) and "recused" (by
home). Reading the hearing: whoever may see the breach; the deliberation notes (`?notes=1`) are refused to the agency
in breach (403 naming the rule, audited). Every step: partnership admins (each POST row on a new breach per
request); the partnership auditor and the partners' speakers 403; anyone else 404. API tokens: the
breach is out of their scope (404 reading), and a step is refused by their scopes (403)."""

from __future__ import annotations

from typing import Any

from tests.cases.breach_hearings import _meeting, at, draft
from tests.matrix import Case, api_signed_in

OUT = {"token": 404, "people_token": 404, "children_token": 404}
TOKENS_REFUSED = {"token": 403, "people_token": 403, "children_token": 403}
SEES = {"designated_manager": 200, "agency_admin": 200, "partnership_admin": 200, "auditor": 200,
        "untrained_partnership_admin": 200}  # fmt: skip


def sees(**overrides: int) -> dict[str, int]:
    return api_signed_in(404, **{**SEES, **OUT, "suspended": 404, **overrides})


def runs(ok: int = 200, **overrides: int) -> dict[str, int]:
    return api_signed_in(404, **{"designated_manager": 403, "agency_admin": 403, "partnership_admin": ok,
                                 "auditor": 403, "untrained_partnership_admin": ok, **TOKENS_REFUSED,
                                 "suspended": 404, **overrides})  # fmt: skip


def post(
    route: str, stage: str | None, body: dict[str, Any] | Any, expect: dict[str, int], queries: int, **options: Any
) -> Case:
    data = body if callable(body) else (lambda world: body)
    return Case(route, expect, method="post", kwargs=at(stage, fresh=True, **options), data=data, json=True,
                queries=queries)  # fmt: skip


CASES = [
    Case("api-breach-hearing", sees(), kwargs=at("deliberating"), queries=6),
    Case("api-breach-hearing", sees(), kwargs=at("deliberating", recused=True), note="recused: withdrawn",
         queries=5),
    Case("api-breach-hearing", sees(), kwargs=at("deliberating"), data=lambda world: {"notes": "1"},
         note="with the notes", queries=7),
    Case("api-breach-hearing", sees(designated_manager=403, agency_admin=403), kwargs=at("deliberating", recused=True),
         data=lambda world: {"notes": "1"}, note="recused: the notes refused", queries=7),
    post("api-breach-hearing-schedule", None, lambda world: {"meeting": _meeting(world)}, runs(201), 21),
    post("api-breach-hearing-present", "scheduled", {}, runs(), 20),
    post("api-breach-hearing-withdraw", "presented", {}, runs(), 15),
    post("api-breach-hearing-notes", "deliberating", {"notes": "Careless."}, runs(), 16),
    post("api-breach-hearing-sanctions", "deliberating", {"kind": "formal_warning", "reason": "Serious."},
         runs(), 16),
    post("api-breach-hearing-votes", "deliberating", lambda world: {"agency": world.other.pk, "choice": "for"},
         runs(designated_manager=403, agency_admin=403, partnership_admin=200), 19, recused=True, votes=False),
    Case("api-breach-hearing-sanction", runs(), method="delete", kwargs=draft(fresh=True), json=True,
         note="remove a draft", queries=18),
    post("api-breach-hearing-decide", "deliberating", {"decision": "A formal warning."}, runs(), 20),
    post("api-breach-hearing-tell", "decided", {}, runs(), 18),
    post("api-breach-hearing-minutes", "told", {"minutes": "Agreed: a formal warning."}, runs(), 38),
]  # fmt: skip
