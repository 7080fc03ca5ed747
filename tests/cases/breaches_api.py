"""Rows for the breaches API (issue 14; Haringey 6.1-6.2; UK GDPR art. 33). The breaches are planted as in
tests/cases/breaches.py: reported by home's designated manager against the police. Those who see it: its reporter,
home's speakers (designated manager, agency admin), the partnership admins and the partnership auditor; anyone else,
and every API token, meets a 404 on its id (a breach and its steps are people's decisions). The list answers every
signed-in caller (an empty list for most); reporting is for practitioners, designated managers and admins (the
auditor, people with no role and tokens: 403; the suspended agency signed no protocol: 400)."""

from __future__ import annotations

from typing import Any

from tests.cases.breaches import breach, lists, personal, reportable
from tests.factories import World
from tests.matrix import Case, api_signed_in
from tests.protocol_fixtures import protocol_in_force

TOKENS_OUT = {"token": 404, "people_token": 404, "children_token": 404}
SEES = {"designated_manager": 200, "agency_admin": 200, "partnership_admin": 200, "auditor": 200}
REFUSED = {"designated_manager": 403, "agency_admin": 403, "auditor": 403}


def table(default: int, **overrides: int) -> dict[str, int]:
    overrides.setdefault("suspended", default)
    return api_signed_in(default, **overrides)


def body(world: World) -> dict[str, Any]:
    return {
        "protocol": protocol_in_force(world).pk, "alleged_agency": world.other.pk, "occurred_on": "2026-08-20",
        "identified_on": "2026-08-21", "description": "Sent to the wrong school.",
    }  # fmt: skip


def told(world: World) -> dict[str, Any]:
    from datetime import timedelta

    from django.utils import timezone

    return {"notified_at": (timezone.now() - timedelta(minutes=30)).isoformat(), "reference": "ICO-1"}


CASES = [
    Case("api-breach-list", table(200), kwargs=lists, note="the breaches I may see", queries=2),
    Case(
        "api-breach-list",
        table(201, auditor=403, no_role=403, token=403, people_token=403, children_token=403, suspended=400),
        method="post",
        data=body,
        json=True,
        note="report one",
        queries=17,
    ),
    Case("api-breach-detail", table(404, **SEES, **TOKENS_OUT), kwargs=breach, queries=5),
    Case("api-breach-obligations", table(404, **SEES, **TOKENS_OUT), kwargs=breach, queries=3),
    Case(
        "api-breach-notify-partners",
        table(404, **{**SEES, "auditor": 403}, **TOKENS_OUT),
        method="post",
        kwargs=breach,
        data=lambda world: {"note": ""},
        json=True,
        queries=18,
    ),
    Case(
        "api-breach-report",
        table(404, **{**SEES, **REFUSED}, **TOKENS_OUT),
        method="post",
        kwargs=breach,
        data=lambda world: {"report": "Recalled the e-mail; retrained the officer."},
        json=True,
        queries=18,
    ),
    Case(
        "api-breach-ico-decision",
        table(404, **{**SEES, **REFUSED}, **TOKENS_OUT),
        method="post",
        kwargs=personal,
        data=lambda world: {"reportable": True, "reason": "Health data of a child."},
        json=True,
        queries=20,
    ),
    Case(
        "api-breach-ico-notification",
        table(404, **{**SEES, **REFUSED}, **TOKENS_OUT),
        method="post",
        kwargs=reportable,
        data=told,
        json=True,
        queries=17,
    ),
]
