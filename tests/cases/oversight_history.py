"""Rows for a child's access history and a record's change history (issue 15), pages and API.

Access history (oversight.history_policy): the partnership auditor and the designated manager of the agency holding
records on the child (home) read it; whoever reaches the child in the index but may not read its history is refused
(403: the home practitioner, the other agency's officer, the partnership admin); whoever cannot reach the child is
told nothing (404). Change history of the home agency: partnership admins, the home agency's admin and the auditor;
others who see the agency 403."""

from __future__ import annotations

from typing import Any

from tests.cases.consent import html
from tests.cases.sharing import child
from tests.factories import World
from tests.matrix import Case, api_signed_in

HISTORY = {
    "designated_manager": 200,
    "auditor": 200,
    "practitioner": 403,
    "other_agency": 403,
    "partnership_admin": 403,
}
CHANGES = {"partnership_admin": 200, "agency_admin": 200, "auditor": 200}


def home_agency(world: World) -> dict[str, Any]:
    return {"label": "agencies.agency", "pk": world.home.pk}


def home_agency_query(world: World) -> dict[str, Any]:
    return {"model": "agencies.agency", "id": world.home.pk}


CASES = [
    # The child with its merged duplicates and holders; the page (one UNION); the audit event; the session.
    Case("child-access-history", html(HISTORY, otherwise=404), kwargs=child, queries=5),
    Case(
        "api-child-access-history",
        api_signed_in(404, **HISTORY, children_token=403, suspended=404, untrained_partnership_admin=404),
        kwargs=child,
        queries=5,
    ),
    # Somebody without a role sees no agency (404); the untrained partnership admin is a partnership admin.
    Case(
        "record-change-history",
        html({**CHANGES, "no_role": 404, "untrained_partnership_admin": 200}, otherwise=403),
        kwargs=home_agency,
        queries=4,
    ),
    Case(
        "api-change-history",
        api_signed_in(403, **CHANGES, no_role=404),
        data=home_agency_query,
        queries=4,
    ),
]
