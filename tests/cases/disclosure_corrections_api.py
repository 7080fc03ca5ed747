"""Rows for the corrections API (issue 13; Southampton 9; docs/after-disclosure-design.md 8, 10): corrections and
correction notices listed and read, a notice acknowledged; inaccuracy reports listed, made, read, agreed, rejected
and withdrawn.

The World of the disclosures tests: home (children's social care) is the originator; each row plants a new child
whose case note home disclosed to Hill School and then corrected, so the school holds a notice. The matrix has no
school principal: home's people follow the school's notice (and read the correction) but never acknowledge it (404:
it is not theirs to acknowledge), the auditor reads the metadata and is refused acting on it (403), everyone else
meets a 404 on an id. Reports are the school's: home's practitioner and designated manager may correct the entry,
only the designated manager may decide not to, and only the reporter withdraws. No token reaches any of it (design
Q15): refused for its scopes (403) on lists and writes, an id out of its scope (404) on reads."""

from __future__ import annotations

from typing import Any

from disclosures.models import CorrectionNotice
from disclosures.services import request_approve
from disclosures.services.corrections import inaccuracy_report_submit
from sharing.services import entry_revise
from tests.cases.disclosures_api import TOKENS_REFUSED, case, table
from tests.disclosures.fixtures import answer, disclosure_of, submit
from tests.factories import World
from tests.matrix import Case
from tests.sharing.fixtures import fresh

OUT = {"token": 404, "people_token": 404, "children_token": 404}
HOME = {"practitioner": 200, "designated_manager": 200}


def _disclosed(world: World) -> Any:
    made = case(world)
    request = submit(made)
    answer(made, request)
    request_approve(actor=made.user("designated_manager"), request=request, note="Proportionate.")
    return made, disclosure_of(request)


def planted_notice(world: World) -> dict[str, Any]:
    """A case note disclosed to the school, then corrected by home: the school's notice, pending."""
    made, _ = _disclosed(world)
    entry_revise(
        actor=made.user("practitioner"), entry=made.entry, fields={}, text="Corrected.", basis="fact",
        reason="The date of the incident was wrong.",
    )  # fmt: skip
    return {"pk": CorrectionNotice.objects.get(entry=made.entry).pk}


def planted_correction(world: World) -> dict[str, Any]:
    return {"pk": CorrectionNotice.objects.get(pk=planted_notice(world)["pk"]).correction_id}


def planted_report(world: World) -> dict[str, Any]:
    """The school reports that the case note it received is inaccurate."""
    made, disclosure = _disclosed(world)
    report = inaccuracy_report_submit(
        actor=fresh(world.users["school"]), disclosure=disclosure, entry=made.entry,
        what_is_wrong="The incident was on Tuesday, not Monday.",
    )  # fmt: skip
    return {"pk": report.pk}


def report_body(world: World) -> dict[str, Any]:
    made, disclosure = _disclosed(world)
    return {"disclosure": disclosure.pk, "entry": made.entry.pk, "what_is_wrong": "The day is wrong."}


def acknowledge_body(world: World) -> dict[str, Any]:
    return {"action_taken": "Updated the pastoral record."}


def revise_body(world: World) -> dict[str, Any]:
    return {"fields": {}, "text": "On Tuesday.", "basis": "fact", "reason": "Reported by the school: the day."}


def reject_body(world: World) -> dict[str, Any]:
    return {"reason": "Checked with the social worker: it was Monday."}


LISTS = table(200, **TOKENS_REFUSED)


def notices_planted(world: World) -> dict[str, Any]:
    """A list's rows: a correction and its notice (the URL takes no argument)."""
    planted_notice(world)
    return {}


def report_planted(world: World) -> dict[str, Any]:
    planted_report(world)
    return {}


CASES = [
    Case("api-correction-list", LISTS, kwargs=notices_planted, note="issued or told", queries=3),
    Case(
        "api-correction-detail",
        table(404, **HOME, auditor=200, **OUT),
        kwargs=planted_correction,
        note="the acknowledgement table",
        queries=4,
    ),
    Case("api-correction-notice-list", LISTS, kwargs=notices_planted, note="pending", queries=3),
    Case(
        "api-correction-notice-detail",
        table(404, **HOME, auditor=200, **OUT),
        kwargs=planted_notice,
        note="the originator follows the school's notice",
        queries=3,
    ),
    Case(
        "api-correction-notice-acknowledge",
        table(404, auditor=403, **TOKENS_REFUSED),
        method="post",
        kwargs=planted_notice,
        data=acknowledge_body,
        json=True,
        note="the school's notice: never home's to acknowledge",
    ),
    Case("api-inaccuracy-report-list", LISTS, kwargs=report_planted, queries=3),
    Case(
        "api-inaccuracy-report-list",
        table(400, practitioner=403, designated_manager=403, auditor=403, **TOKENS_REFUSED),
        method="post",
        data=report_body,
        json=True,
        note="only the agency the disclosure was made to reports (home discloses; others cannot see it)",
    ),
    Case(
        "api-inaccuracy-report-detail",
        table(404, **HOME, auditor=200, **OUT),
        kwargs=planted_report,
        queries=3,
    ),
    Case(
        "api-inaccuracy-report-agree",
        table(404, **HOME, auditor=403, **TOKENS_REFUSED),
        method="post",
        kwargs=planted_report,
        data=revise_body,
        json=True,
        note="home corrects its entry",
        # The report read and locked; the revise (its checks, the revision, the audit event); the correction, its
        # fan-out (one INSERT ... SELECT), the disclosures told through, the log rows and audit events, the
        # notices; the grants twinned; the report closed, audited, the reporter told; the report read back.
        queries=33,
    ),
    Case(
        "api-inaccuracy-report-reject",
        table(404, practitioner=403, designated_manager=200, auditor=403, **TOKENS_REFUSED),
        method="post",
        kwargs=planted_report,
        data=reject_body,
        json=True,
        queries=11,
    ),
    Case(
        "api-inaccuracy-report-withdraw",
        table(404, practitioner=403, designated_manager=403, auditor=403, **TOKENS_REFUSED),
        method="post",
        kwargs=planted_report,
        json=True,
        note="only the reporter (the school's teacher)",
    ),
]
