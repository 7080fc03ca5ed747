"""Rows for the onward and lineage pages (issue 13; Southampton 10-11; docs/after-disclosure-design.md 9-10). The
World of tests/disclosures/after_fixtures.py; each row plants a new child whose case note home (the originator)
disclosed to Hill School, and the school's practitioner (not a principal) asks to pass it on (as
tests/cases/disclosure_onward_api.py). Home's designated manager decides; home's practitioner and the auditor see the
request and its lineage but may not decide; the requester alone withdraws (so every principal here is refused it:
403 for those who see it, 404 for anyone else)."""

from __future__ import annotations

from typing import Any

from tests.cases.consent import html
from tests.cases.disclosure_onward_api import (
    disclose_body,
    entry_of_onward,
    lists,
    onward,
    parent_of_onward,
    submit_body,
)
from tests.cases.disclosure_pages import everyone_signed_in
from tests.factories import World
from tests.matrix import Case

READERS = {"practitioner": 200, "designated_manager": 200, "auditor": 200}
# Home's people and the auditor see the disclosure and the onward request, but none of them received it or asked to
# pass it on: the policy's 403 with its sentence; anyone else 404. The measured principal is a token, sent to sign
# in before any statement (the pages tests/disclosures/test_onward_pages.py take the school's own path).
SEE_REFUSED = {"practitioner": 403, "designated_manager": 403, "auditor": 403}


def pass_on_data(world: World) -> dict[str, Any]:
    """What the pass-on form takes (the API's body: the same names)."""
    return submit_body(world)


def agree_data(world: World) -> dict[str, Any]:
    return {"decision": "agree", "conditions": "Only the health visitor."}


CASES = [
    Case("onward-list", everyone_signed_in(200), kwargs=lists, queries=3),
    Case("onward-detail", html(READERS, otherwise=404), kwargs=onward, queries=5),
    Case(
        "onward-decide",
        html({"designated_manager": 200, "practitioner": 403, "auditor": 403}, otherwise=404),
        kwargs=onward,
        queries=4,
    ),
    Case(
        "onward-decide",
        html({"designated_manager": 302, "practitioner": 403, "auditor": 403}, otherwise=404),
        method="post",
        kwargs=onward,
        data=agree_data,
        note="agreed",
        queries=12,
    ),
    Case(
        "onward-withdraw",
        html({"practitioner": 403, "designated_manager": 403, "auditor": 403}, otherwise=404),
        kwargs=onward,
        # Nobody here may withdraw it: the measured principal is sent to sign in (a token), before any statement.
        queries=0,
    ),
    # Passing on: only a named recipient of the disclosure (the school's practitioner, not a principal).
    Case("onward-pass-on", html(SEE_REFUSED, otherwise=404), kwargs=parent_of_onward, queries=0),
    Case(
        "onward-pass-on",
        html(SEE_REFUSED, otherwise=404),
        method="post",
        kwargs=parent_of_onward,
        data=pass_on_data,
        note="asked",
        queries=0,
    ),
    Case("onward-pass-on-check", html(SEE_REFUSED, otherwise=404), kwargs=parent_of_onward, queries=0),
    Case(
        "onward-pass-on-check",
        html(SEE_REFUSED, otherwise=404),
        method="post",
        kwargs=parent_of_onward,
        data=lambda world: {"draft": "0" * 32},
        note="confirmed",
        queries=0,
    ),
    # The onward disclosure: only the requester, once the originator agreed.
    Case("onward-disclose", html(SEE_REFUSED, otherwise=404), kwargs=onward, queries=0),
    Case(
        "onward-disclose",
        html(SEE_REFUSED, otherwise=404),
        method="post",
        kwargs=onward,
        data=disclose_body,
        note="passed on",
        queries=0,
    ),
    Case("onward-disclose-check", html(SEE_REFUSED, otherwise=404), kwargs=onward, queries=0),
    Case(
        "onward-disclose-check",
        html(SEE_REFUSED, otherwise=404),
        method="post",
        kwargs=onward,
        data=lambda world: {"draft": "0" * 32},
        note="confirmed",
        queries=0,
    ),
    Case("disclosure-lineage", html(READERS, otherwise=404), kwargs=parent_of_onward, queries=4),
    Case("entry-lineage", html(READERS, otherwise=404), kwargs=entry_of_onward, queries=4),
]
