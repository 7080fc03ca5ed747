"""Rows for the corrections pages (issue 13; Southampton 9; docs/after-disclosure-design.md 9, 10), on the world
of tests/cases/disclosure_corrections_api.py: home disclosed a case note to Hill School and corrected it, so the
school holds a notice (no principal of the matrix is the school's). Home's people follow the notice and read the
correction, never acknowledge it (404: not theirs); the auditor reads the metadata and is refused acting (403);
everyone else meets a 404 on an id. The school's report: home's designated manager may decide not to correct it;
only the reporter withdraws it; only the receiving agency reports (home, the discloser, is refused: 403)."""

from __future__ import annotations

from typing import Any

from tests.cases.consent import html
from tests.cases.disclosure_corrections_api import (
    _disclosed,
    notices_planted,
    planted_correction,
    planted_notice,
    planted_report,
)
from tests.factories import World
from tests.matrix import Case

HOME = {"practitioner": 200, "designated_manager": 200}
SEES = {**HOME, "auditor": 200}


def disclosed_entry(world: World) -> dict[str, Any]:
    made, disclosure = _disclosed(world)
    return {"pk": disclosure.pk, "entry_pk": made.entry.pk}


CASES = [
    Case("correction-list", html({}, otherwise=200), kwargs=notices_planted, queries=4),
    Case("correction-detail", html(SEES, otherwise=404), kwargs=planted_correction, queries=7),
    Case("correction-notice-detail", html(SEES, otherwise=404), kwargs=planted_notice, queries=7),
    Case(
        "correction-notice-acknowledge",
        html({"auditor": 403}, otherwise=404),
        kwargs=planted_notice,
        note="the school's notice: never home's to acknowledge",
        queries=0,  # measured as a token, sent to sign in
    ),
    Case(
        "inaccuracy-report-new",
        html({"practitioner": 403, "designated_manager": 403, "auditor": 403}, otherwise=404),
        kwargs=disclosed_entry,
        note="only the agency the disclosure was made to reports",
        queries=0,  # measured as a token, sent to sign in
    ),
    # The report; whether the reader may correct the entry (the entry's policy) or decide not to.
    Case("inaccuracy-report-detail", html(SEES, otherwise=404), kwargs=planted_report, queries=8),
    # Agree and correct: home's people who may correct the entry (its practitioner and designated manager).
    Case(
        "inaccuracy-report-agree",
        html({**HOME, "auditor": 403}, otherwise=404),
        kwargs=planted_report,
        note="the form shows the entry's latest revision (entry.view with the purpose)",
        queries=6,
    ),
    Case(
        "inaccuracy-report-agree",
        html({"practitioner": 302, "designated_manager": 302, "auditor": 403}, otherwise=404),
        method="post",
        kwargs=planted_report,
        data=lambda world: {"text": "On Tuesday.", "basis": "fact", "reason": "Reported by the school: the day."},
        note="rehearsed: on to check your answers",
        queries=36,  # the rehearsal locks the entry to compare its latest revision with the one replaced (F8)
    ),
    # No draft in the session: back to the form.
    Case(
        "inaccuracy-report-agree-check",
        html({"practitioner": 302, "designated_manager": 302, "auditor": 403}, otherwise=404),
        kwargs=planted_report,
        queries=3,
    ),
    Case(
        "inaccuracy-report-agree-check",
        html({"practitioner": 302, "designated_manager": 302, "auditor": 403}, otherwise=404),
        method="post",
        kwargs=planted_report,
        data=lambda world: {"draft": "0" * 32},
        note="confirmed",
        queries=3,
    ),
    Case(
        "inaccuracy-report-reject",
        html({"practitioner": 403, "designated_manager": 200, "auditor": 403}, otherwise=404),
        kwargs=planted_report,
        queries=3,
    ),
    Case(
        "inaccuracy-report-withdraw",
        html({"practitioner": 403, "designated_manager": 403, "auditor": 403}, otherwise=404),
        kwargs=planted_report,
        note="only the reporter (the school's teacher)",
        queries=0,  # measured as a token, sent to sign in
    ),
]
