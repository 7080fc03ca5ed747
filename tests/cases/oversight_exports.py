"""Rows for the audit trail's exports (issue 15): the streamed downloads and the export jobs, for auditors (the
World's auditor is the partnership's), Caldicott guardians and DPOs; 403 naming the rule for everyone else (API
tokens included); HTML pages send anonymous and token callers to sign in. A job's pages are its requester's alone:
the job is the auditor's, so any other reader who may read the trail would get 404 (tests/oversight)."""

from __future__ import annotations

from typing import Any

from oversight import services
from oversight.filters import Source, TrailFilter
from oversight.models import ExportJob
from tests.cases.consent import html
from tests.factories import World
from tests.matrix import Case
from tests.oversight.export_fixtures import log_rows

AUDITORS = {"auditor": 200}


def planted(world: World) -> dict[str, Any]:
    log_rows(2)
    return {"fmt": "csv"}


def job(world: World) -> dict[str, Any]:
    """A finished job of the auditor's (its file written under the test's private storage)."""
    if "export_job" not in world.objects:
        log_rows(2)
        made = services.export_job_start(actor=world.users["auditor"], source=Source.DISCLOSURES, fmt="csv",
                                         trail_filter=TrailFilter())  # fmt: skip
        world.objects["export_job"] = made
    return {"job_id": world.objects["export_job"].pk}


def done_job(world: World) -> dict[str, Any]:
    kwargs = job(world)
    path = services.export_dir() / "0123456789abcdef0123456789abcdef.csv"
    path.write_bytes(b"id\r\n")
    ExportJob.objects.filter(pk=kwargs["job_id"]).update(
        state="done", stored_name=path.name, sha256="a" * 64, started_at=world.objects["export_job"].created_at,
        finished_at=world.objects["export_job"].created_at, expires_at=world.objects["export_job"].created_at,
    )  # fmt: skip
    return kwargs


CASES = [
    # The session (with its user), the start event; the rows are read as the response is consumed.
    Case("audit-disclosures-export", html(AUDITORS, otherwise=403), kwargs=planted, queries=2),
    Case("audit-events-export", html(AUDITORS, otherwise=403), kwargs=planted, queries=2),
    Case("audit-exports", html(AUDITORS, otherwise=403), queries=2),
    Case("audit-export-job", html(AUDITORS, otherwise=403), kwargs=job, queries=2),
    Case("audit-export-job-file", html(AUDITORS, otherwise=403), kwargs=done_job, queries=3),
]
