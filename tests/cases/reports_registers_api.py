"""Rows for the partnership registers' API (issue 15; Southampton 13), planted as in tests/cases/reports_registers.py:
partnership admins and auditors read them; everyone else, API tokens included, 403 naming the rule."""

from __future__ import annotations

from tests.cases.reports_registers import registers_planted
from tests.matrix import Case, api_signed_in


def _readers() -> dict[str, int]:
    return api_signed_in(403, partnership_admin=200, untrained_partnership_admin=200, auditor=200)


CASES = [
    Case("api-registers-signatories", _readers(), kwargs=registers_planted, queries=2),
    Case("api-registers-reviews", _readers(), kwargs=registers_planted, queries=2),
    # The central register's half: its counts by month and by agency, and the page of rows.
    Case("api-registers-breaches", _readers(), kwargs=registers_planted, queries=4),
    Case("api-registers-disputes", _readers(), kwargs=registers_planted, queries=5),
]
