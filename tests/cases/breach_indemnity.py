"""Rows for the indemnity notice pages (issue 14; Haringey 11.1). The World's protocol is signed by home (a local
authority: the Council) and the other agency (the police). "Sent": home's designated manager notifies the police;
"to home": the police's designated manager notifies home. A notice is seen by the people who speak for its parties
and the Council (designated managers, agency admins, Caldicott guardians, DPOs), partnership admins and auditors;
anyone else meets a 404. Only the contributor's speakers answer (403 naming the rule for the others who see it).
Sending: the people who speak for a partner agency. HTML pages send anonymous and token callers to sign in."""

from __future__ import annotations

from typing import Any

from tests.breaches.indemnity_fixtures import notice_to_home, sent_notice
from tests.cases.consent import html
from tests.factories import World
from tests.matrix import Case
from tests.protocol_fixtures import protocol_in_force

KEEPERS = {"partnership_admin": 200, "untrained_partnership_admin": 200, "auditor": 200}
HOME_SPEAKERS = {"designated_manager": 200, "agency_admin": 200}
# Every signed-in person with a membership opens the list (theirs may be empty); no_role is refused.
# They see a notice to home but do not speak for it: 403 naming the rule.
RESPOND_REFUSED = {"partnership_admin": 403, "untrained_partnership_admin": 403, "auditor": 403}
MEMBERS = {"practitioner": 200, "other_agency": 200, "suspended": 200, **HOME_SPEAKERS, **KEEPERS}


def sent(world: World) -> dict[str, Any]:
    return {"pk": sent_notice(world).pk}


def to_home(world: World) -> dict[str, Any]:
    return {"pk": notice_to_home(world).pk}


def listed(world: World) -> dict[str, Any]:
    sent_notice(world)
    notice_to_home(world)
    return {}


def signed(world: World) -> dict[str, Any]:
    protocol_in_force(world)
    return {}


def new_notice(world: World) -> dict[str, Any]:
    return {
        "protocol": str(protocol_in_force(world).pk),
        "contributor_agency": str(world.other.pk),
        "details": "A claim arising from a record passed on without a lawful basis.",
    }


CASES = [
    # The session; the notices with their agencies; their obligations (prefetched).
    Case("indemnity-list", html(MEMBERS, otherwise=403), kwargs=listed, queries=2),
    Case(
        "indemnity-new",
        html({**HOME_SPEAKERS, "suspended": 200}, otherwise=403),
        kwargs=signed,
        # The session; the form's choices: protocols signed, their titles, the signatories, the breaches offered.
        queries=5,
    ),
    Case(
        "indemnity-new",
        html({"designated_manager": 302, "agency_admin": 302, "suspended": 200}, otherwise=403),
        method="post",
        data=new_notice,
        note="continue to check your answers (another agency's speaker: the protocol is not offered to it)",
        queries=3,
    ),
    Case(
        "indemnity-new-check",
        html({"designated_manager": 302, "agency_admin": 302, "suspended": 302}, otherwise=403),
        note="no draft: back to the form",
        queries=1,
    ),
    Case(
        "indemnity-detail",
        html({**HOME_SPEAKERS, **KEEPERS}, otherwise=404),
        kwargs=sent,
        queries=3,
    ),
    Case(
        "indemnity-respond",
        html(
            {**HOME_SPEAKERS, "partnership_admin": 403, "untrained_partnership_admin": 403, "auditor": 403},
            otherwise=404,
        ),
        kwargs=to_home,
        queries=4,
    ),
    Case(
        "indemnity-respond",
        html(
            {
                "designated_manager": 302,
                "agency_admin": 302,
                "partnership_admin": 403,
                "untrained_partnership_admin": 403,
                "auditor": 403,
            },
            otherwise=404,
        ),
        method="post",
        kwargs=to_home,
        data=lambda world: {"response": "We accept that our officer passed the record on."},
        note="the contributor answers",
        # The notice read and locked, the obligation locked, the writes, two audit events, the notices sent.
        queries=15,
    ),
]
