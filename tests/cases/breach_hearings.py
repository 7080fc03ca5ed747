"""Rows for the partners' meeting about a breach: its pages (issue 14; Haringey 6.3-6.6; breaches.hearing_policy).

Two breaches of the world's protocol (signed by home and other), each planted through the services: "partner" (by
other: home's designated manager and agency admin speak for a partner, so they see the deliberation) and "recused"
(by home: while withdrawn, home's speakers see the hearing page saying so, and are refused the deliberation with a
403 naming the rule, audited). Partnership admins run the meeting; the partnership auditor reads everything and runs
nothing (403); practitioners who did not report the breach, another agency's practitioner and everyone else meet a
404. HTML pages send anonymous and token callers to sign in. Each POST row plants a new breach for each request, so
every principal allowed records the step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.breaches.hearing_fixtures import advance, breach_of
from tests.cases.consent import html
from tests.factories import World
from tests.matrix import Case

SEES = {"designated_manager": 200, "agency_admin": 200, "partnership_admin": 200, "auditor": 200,
        "untrained_partnership_admin": 200}  # fmt: skip
RUNS = {"designated_manager": 403, "agency_admin": 403, "partnership_admin": 302, "auditor": 403,
        "untrained_partnership_admin": 302}  # fmt: skip
RUNS_PAGE = {**RUNS, "partnership_admin": 200, "untrained_partnership_admin": 200}


def at(
    stage: str | None, *, recused: bool = False, votes: bool = True, fresh: bool = False
) -> Callable[[World], dict[str, Any]]:
    """The breach (by home when `recused`, else by other) with its hearing advanced to `stage` (None: not on an
    agenda yet). `fresh`: a new breach for each request (a step's POST), so every principal allowed records it and
    a request measured twice (tests/test_query_counts.py) finds it at the same stage."""

    def kwargs(world: World) -> dict[str, Any]:
        agency = world.home if recused else world.other
        key = "recused" if recused else "partner"
        if fresh:
            world.objects["hearing_fresh"] = world.objects.get("hearing_fresh", 0) + 1
            key = f"{key}-{world.objects['hearing_fresh']}"
        breach = breach_of(world, agency, key=key)
        if stage is not None:
            advance(world, breach, stage, votes=votes)
        return {"pk": breach.pk}

    return kwargs


def step(name: str, stage: str | None, **options: Any) -> Callable[[World], dict[str, Any]]:
    build = at(stage, fresh=True, **options)
    return lambda world: {**build(world), "step": name}


def draft(*, fresh: bool = False) -> Callable[[World], dict[str, Any]]:
    """The "partner" breach in deliberation (a new one per request when `fresh`) and its draft sanction."""
    build = at("deliberating", fresh=fresh)

    def kwargs(world: World) -> dict[str, Any]:
        from breaches.models import SanctionDecision

        values = build(world)
        sanction = SanctionDecision.objects.filter(hearing__breach_id=values["pk"]).order_by("pk").first()
        assert sanction is not None
        return {**values, "sanction": sanction.pk}

    return kwargs


CASES = [
    Case("breach-hearing", html(SEES, otherwise=404), kwargs=at("deliberating"), queries=6),
    Case("breach-hearing", html(SEES, otherwise=404), kwargs=at("deliberating", recused=True),
         note="recused",
         queries=5),
    Case("breach-hearing", html(SEES, otherwise=404), kwargs=at(None),
         note="not on an agenda", queries=3),
    Case("breach-hearing-deliberation", html(SEES, otherwise=404), kwargs=at("deliberating"), queries=7),
    # Recusal (Haringey 6.5): the agency in breach's speakers are refused, audited.
    Case("breach-hearing-deliberation",
         html({**SEES, "designated_manager": 403, "agency_admin": 403}, otherwise=404),
         kwargs=at("deliberating", recused=True),
         note="recused", queries=7),
    Case("breach-hearing-deliberation",
         html({**SEES, "designated_manager": 403, "agency_admin": 403}, otherwise=404),
         kwargs=at("decided", recused=True),
         note="decided: the notes never", queries=7),
    Case("breach-hearing-step", html(RUNS_PAGE, otherwise=404),
         note="schedule", kwargs=step("schedule", None), queries=5),
    Case("breach-hearing-step", html(RUNS, otherwise=404), method="post", kwargs=step("schedule", None),
         data=lambda world: {"held_on_0": "", "held_on_1": "", "held_on_2": "", "title": "", "location": "",
                             "meeting": str(_meeting(world))},
         note="on an existing meeting", queries=18),
    Case("breach-hearing-step", html(RUNS_PAGE, otherwise=404),
         note="present", kwargs=step("present", "scheduled"), queries=4),
    Case("breach-hearing-step", html(RUNS, otherwise=404), method="post",
         note="present", kwargs=step("present", "scheduled"),
         data=lambda world: {}, queries=16),
    Case("breach-hearing-step", html(RUNS, otherwise=404), method="post",
         note="withdraw", kwargs=step("withdraw", "presented"),
         data=lambda world: {}, queries=11),
    Case("breach-hearing-step", html(RUNS, otherwise=404), method="post",
         note="notes", kwargs=step("notes", "deliberating"), data=lambda world: {"notes": "Careless, not deliberate."},
         queries=11),
    Case("breach-hearing-step", html(RUNS, otherwise=404), method="post",
         note="sanction", kwargs=step("sanction", "deliberating"),
         data=lambda world: {"kind": "formal_warning", "reason": "Serious.", "direction": "", "from_on_0": "",
                             "from_on_1": "", "from_on_2": "", "until_on_0": "", "until_on_1": "", "until_on_2": ""},
         queries=11),
    Case("breach-hearing-step",
         html({**RUNS, "designated_manager": 302, "agency_admin": 302}, otherwise=404),
         method="post", kwargs=step("vote", "deliberating", votes=False),
         data=lambda world: {"agency": str(world.home.pk), "choice": "for"},
         note="a partner's speaker votes",
         queries=14),
    Case("breach-hearing-step", html({**RUNS_PAGE, "designated_manager": 403, "agency_admin": 403}, otherwise=404),
         kwargs=step("vote", "deliberating", recused=True),
         note="the agency in breach never votes", queries=5),
    Case("breach-hearing-step", html(RUNS, otherwise=404), method="post",
         note="decide", kwargs=step("decide", "deliberating"),
         data=lambda world: {"decision": "A formal warning."}, queries=15),
    Case("breach-hearing-step", html(RUNS, otherwise=404), method="post",
         note="tell", kwargs=step("tell", "decided"),
         data=lambda world: {}, queries=13),
    # Removing a draft sanction in deliberation: a page to confirm, and its button.
    Case("breach-hearing-sanction-remove", html(RUNS_PAGE, otherwise=404), kwargs=draft(), queries=5),
    Case("breach-hearing-sanction-remove", html(RUNS, otherwise=404), method="post", kwargs=draft(fresh=True),
         data=lambda world: {}, queries=14),
    Case("breach-hearing-step", html(RUNS, otherwise=404), method="post",
         note="minutes", kwargs=step("minutes", "told"),
         data=lambda world: {"minutes": "Agreed: a formal warning."}, queries=33),
]  # fmt: skip


def _meeting(world: World) -> int:
    """A meeting arranged today, once per world."""
    if "hearing_meeting" not in world.objects:
        from django.utils import timezone

        from protocols.services.meetings import meeting_create

        world.objects["hearing_meeting"] = meeting_create(
            actor=world.users["partnership_admin"], title="Quarterly partners' meeting", held_on=timezone.localdate(),
            attendee_agencies=[world.home],
        )  # fmt: skip
    return int(world.objects["hearing_meeting"].pk)
