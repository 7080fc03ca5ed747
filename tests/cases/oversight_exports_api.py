"""API rows for the audit trail's exports (issue 15), planted as in tests/cases/oversight_exports.py: the auditor
reads; everyone else, API tokens included, 403 naming the rule."""

from __future__ import annotations

from typing import Any

from tests.cases.oversight_exports import done_job, job
from tests.factories import World
from tests.matrix import Case, api_signed_in
from tests.oversight.export_fixtures import log_rows


def planted(world: World) -> dict[str, Any]:
    log_rows(2)
    return {}


def body(world: World) -> dict[str, Any]:
    return {"source": "disclosures", "format": "jsonl", "occurred_from": "2026-03-01"}


CASES = [
    Case("api-audit-disclosures-export", api_signed_in(403, auditor=200), kwargs=planted, queries=2),
    Case("api-audit-events-export", api_signed_in(403, auditor=200), kwargs=planted, queries=2),
    Case("api-audit-exports", api_signed_in(403, auditor=201), method="post", data=body, json=True, queries=5),
    Case("api-audit-export-job", api_signed_in(403, auditor=200), kwargs=job, queries=2),
    Case("api-audit-export-job-file", api_signed_in(403, auditor=200), kwargs=done_job, queries=3),
]
