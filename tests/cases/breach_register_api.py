"""Rows for the central register's API (issue 14; Southampton 13), planted as in tests/cases/breach_register.py:
partnership admins and auditors read it; everyone else, API tokens included, 403 naming the rule."""

from __future__ import annotations

from tests.cases.breach_register import planted
from tests.matrix import Case, api_signed_in

CASES = [
    Case(
        "api-register",
        api_signed_in(403, partnership_admin=200, untrained_partnership_admin=200, auditor=200),
        kwargs=planted,
        queries=7,
    ),
]
