"""Rows for the central register of breaches and disputes (issue 14; Southampton 13): its page and its CSV, for
partnership admins and auditors only (403 naming the rule for everyone else); HTML pages send anonymous and token
callers to sign in. Each request plants a breach and a dispute first, so that the query budgets are proven constant
as the register grows (tests/test_query_counts.py makes each request twice)."""

from __future__ import annotations

from typing import Any

from tests.breaches.fixtures import reported_breach
from tests.cases.consent import html
from tests.cases.disputes_api import lists
from tests.factories import World
from tests.matrix import Case

KEEPERS = {"partnership_admin": 200, "untrained_partnership_admin": 200, "auditor": 200}


def planted(world: World) -> dict[str, Any]:
    reported_breach(world, personal_data=True)
    lists(world)
    return {}


CASES = [
    # The session; the agencies offered; the counts (breaches by month and by agency, disputes by month and by each
    # side); the page of rows (one UNION statement whatever its rows).
    Case("breach-register", html(KEEPERS, otherwise=403), kwargs=planted, queries=8),
    # The export is audited (with its row count: two counts) before it streams; the rows are read as it is consumed.
    Case("breach-register-export", html(KEEPERS, otherwise=403), kwargs=planted, queries=5),
]
