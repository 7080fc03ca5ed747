"""Rows for the partnership registers (issue 15; Southampton 13): the page, each register's CSV and the ZIP of all
four, for partnership admins and auditors only (403 naming the rule for everyone else, agency admins included:
reports.registers_policy); HTML pages send anonymous and token callers to sign in. Each request plants a protocol in
force signed by two agencies, a breach and a dispute first, so that the query budgets are proven constant as the
registers grow (tests/test_query_counts.py makes each request twice)."""

from __future__ import annotations

from typing import Any

from tests.cases.breach_register import KEEPERS, planted
from tests.cases.consent import html
from tests.factories import World
from tests.matrix import Case
from tests.protocol_fixtures import protocol_in_force


def registers_planted(world: World) -> dict[str, Any]:
    protocol_in_force(world)
    return planted(world)


def csv_of(register: str) -> Any:
    def kwargs(world: World) -> dict[str, Any]:
        registers_planted(world)
        return {"register": register}

    return kwargs


CASES = [
    # The session; the signatories and the reviews registers (one statement each, read whole: the summary counts
    # them); the four counts of the central register's halves (all, and open); the signatories are shown.
    Case("partnership-registers", html(KEEPERS, otherwise=403), kwargs=registers_planted, queries=7),
    # The breaches: the same, and the central register's page of them (its counts by month and by agency, its rows).
    Case("partnership-registers", html(KEEPERS, otherwise=403), kwargs=registers_planted,
         data=lambda world: {"register": "breaches"}, note="breaches", queries=10),
    # Each register's CSV is audited (with its row count) before it streams; the rows are read as it is consumed.
    Case("partnership-register-export", html(KEEPERS, otherwise=403), kwargs=csv_of("signatories"),
         note="signatories", queries=3),
    Case("partnership-register-export", html(KEEPERS, otherwise=403), kwargs=csv_of("reviews"), note="reviews",
         queries=3),
    Case("partnership-register-export", html(KEEPERS, otherwise=403), kwargs=csv_of("breaches"), note="breaches",
         queries=3),
    Case("partnership-register-export", html(KEEPERS, otherwise=403), kwargs=csv_of("disputes"), note="disputes",
         queries=3),
    # The ZIP: the two registers read whole, the two halves counted, the audit event; the halves' rows as it streams.
    Case("partnership-registers-export", html(KEEPERS, otherwise=403), kwargs=registers_planted, queries=6),
]  # fmt: skip
