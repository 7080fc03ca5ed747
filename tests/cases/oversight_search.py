"""Rows for the auditors' workspace search (issue 15): the access events and the disclosure log, as pages and through
the API. Those the policy lets read the audit trail (auditors; an agency's Caldicott guardian or DPO, none of the
matrix's principals) get them; everyone else 403 naming the rule, API tokens included; HTML pages send anonymous and
token callers to sign in. Each request plants events and a disclosure-log row first, so the budgets are proven
constant as the trail grows (tests/test_query_counts.py makes each request twice)."""

from __future__ import annotations

from typing import Any

from tests.cases.consent import html
from tests.factories import World
from tests.matrix import Case, api_signed_in
from tests.oversight.fixtures import event, log_row

READERS = {"auditor": 200}


def planted(world: World) -> dict[str, Any]:
    for _ in range(3):
        event(world.home)
        event(world.other, kind="access.denied", outcome="denied")
    log_row(world.home, world.other)
    return {}


CASES = [
    # The session; the agencies offered; the page of rows (one statement whatever its rows); the search's audit event.
    Case("audit-events", html(READERS, otherwise=403), kwargs=planted, queries=4),
    Case("audit-disclosures", html(READERS, otherwise=403), kwargs=planted, queries=4),
    # The API reads no agencies: the token or session, the page, the audit event.
    Case("api-audit-events", api_signed_in(403, auditor=200), kwargs=planted, queries=3),
    Case("api-audit-disclosures", api_signed_in(403, auditor=200), kwargs=planted, queries=3),
]
