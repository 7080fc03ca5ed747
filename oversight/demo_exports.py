"""One finished export job for the demo auditor (issue 15): the disclosure log as CSV, its file written to private
storage, so the export page shows a job ready to download. Idempotent: a demo auditor who has a finished job gets no
other."""

from __future__ import annotations

from isp_portal.demo_context import DemoContext
from oversight.filters import Source, TrailFilter
from oversight.models import ExportJob, ExportState
from oversight.services import export_job_run, export_job_start


def seed(demo: DemoContext) -> None:
    auditor = demo.objects.get("people", {}).get("auditor")
    if auditor is None:
        return
    if ExportJob.objects.filter(requester=auditor, state=ExportState.DONE).exists():
        return
    job = export_job_start(actor=auditor, source=Source.DISCLOSURES, fmt="csv", trail_filter=TrailFilter())
    done = export_job_run(job_id=job.pk, own_connection=False)
    rows = done.rows_written if done is not None else 0
    demo.summary["oversight"] = f"one finished export of the disclosure log ({rows} rows) for the auditor"
