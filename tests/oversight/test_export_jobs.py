"""Export jobs (issue 15: "large exports show their progress ... the file is kept for a limited time and only its
requester can fetch it"): started by an auditor, written by the worker to private storage with its progress, shown
and fetched by the requester alone (others 404), deleted by the sweep after EXPORT_KEEP_HOURS, and failed by the
sweep when the worker died. The worker copies on a connection of its own, so these tests commit (transaction=True)."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from agencies.models import Role
from audit.models import AuditEvent
from isp_portal.models import Notification
from oversight import exports, services
from oversight.filters import Source, TrailFilter
from oversight.models import ExportJob, ExportState
from tests.factories import World, build_world, make_user, sign_in
from tests.oversight.export_fixtures import log_rows

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def private(settings: Any, tmp_path: Path) -> Path:
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    settings.EXPORT_PROGRESS_ROWS = 10
    return tmp_path


@pytest.fixture
def tworld(private: Path) -> World:
    return build_world()


def start(world: World, **values: Any) -> ExportJob:
    return services.export_job_start(actor=world.users["auditor"], source=Source.DISCLOSURES, fmt="csv",
                                     trail_filter=TrailFilter(**values))  # fmt: skip


def test_a_job_is_written_shown_and_fetched_by_its_requester_only(tworld: World, private: Path) -> None:
    log_rows(35)
    client = sign_in(Client(), tworld.users["auditor"])
    response = client.post("/audit/exports/", {"source": "disclosures", "format": "csv", "occurred_from": "2026-03-01"})
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert job.state == ExportState.QUEUED and job.filters == {"occurred_from": "2026-03-01"}
    page = client.get(f"/audit/exports/{job.pk}/")
    assert page.status_code == 200 and page["Refresh"] and "Waiting to start" in page.content.decode()
    done = services.export_job_run(job_id=job.pk)
    assert done is not None and done.state == ExportState.DONE and done.rows_written == 35
    assert services.export_job_run(job_id=job.pk) is None  # a repeated delivery does nothing
    stored = private / "audit-exports" / done.stored_name
    data = stored.read_bytes()
    assert hashlib.sha256(data).hexdigest() == done.sha256 and done.bytes_written == len(data)
    assert len(list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))) == 36
    assert done.expires_at == done.finished_at + timedelta(hours=24)
    page = client.get(f"/audit/exports/{job.pk}/")
    assert "Refresh" not in page and "Ready to download" in page.content.decode()
    fetched = client.get(f"/audit/exports/{job.pk}/file")
    assert fetched.status_code == 200 and b"".join(fetched.streaming_content) == data
    api = client.get(f"/api/v1/audit/exports/{job.pk}/")
    assert api.json()["state"] == "done" and api.json()["sha256"] == done.sha256
    assert AuditEvent.objects.filter(kind="audit.export.finished", detail__rows=35).exists()
    assert AuditEvent.objects.filter(kind="audit.export.download", object_id=str(job.pk)).exists()
    assert Notification.objects.filter(recipient=tworld.users["auditor"], key=f"audit-export-{job.pk}-done").exists()
    # Another auditor (their own agency's) gets a 404 for someone else's job, its file, and through the API.
    other = sign_in(Client(), make_user(name="Aggie Agency", agency=tworld.home, roles=[Role.AUDITOR]))
    for url in (f"/audit/exports/{job.pk}/", f"/audit/exports/{job.pk}/file", f"/api/v1/audit/exports/{job.pk}/",
                f"/api/v1/audit/exports/{job.pk}/file"):  # fmt: skip
        assert other.get(url).status_code == 404, url


def test_progress_is_written_while_the_job_runs(tworld: World, monkeypatch: Any) -> None:
    monkeypatch.setattr(exports, "CHUNK_BYTES", 256)
    log_rows(40)
    job = start(tworld)
    seen: list[int] = []
    original = ExportJob.objects.filter

    def spy(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("state") == ExportState.RUNNING and "pk" in kwargs:
            seen.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(ExportJob.objects, "filter", spy)
    done = services.export_job_run(job_id=job.pk)
    assert done is not None and done.rows_written == 40 and len(seen) >= 3  # progress writes, then done


def test_a_failed_job_keeps_no_file_and_says_why(tworld: World, private: Path, monkeypatch: Any) -> None:
    log_rows(30)
    job = start(tworld)
    original = exports._Pipe.write

    def failing(self: Any, data: bytes) -> int:
        if self.rows == 12:
            raise ConnectionError("terminating connection due to administrator command")
        return original(self, data)

    monkeypatch.setattr(exports._Pipe, "write", failing)
    failed = services.export_job_run(job_id=job.pk)
    assert failed is not None and failed.state == ExportState.FAILED and failed.stored_name == ""
    assert "administrator command" in failed.error and "after 12 rows" in failed.error
    assert list((private / "audit-exports").iterdir()) == []
    client = sign_in(Client(), tworld.users["auditor"])
    assert "administrator command" in client.get(f"/audit/exports/{job.pk}/").content.decode()
    assert client.get(f"/audit/exports/{job.pk}/file").status_code == 404
    assert AuditEvent.objects.filter(kind="audit.export.failed", outcome="failed").count() == 1


def test_the_sweep_deletes_expired_files_and_fails_dead_jobs(tworld: World, private: Path) -> None:
    log_rows(5)
    done = services.export_job_run(job_id=start(tworld).pk)
    assert done is not None
    running = start(tworld)
    lost = start(tworld)
    long_ago = timezone.now() - timedelta(hours=1)
    ExportJob.objects.filter(pk=running.pk).update(state="running", started_at=long_ago, progress_at=long_ago,
                                                   created_at=long_ago)  # fmt: skip
    ExportJob.objects.filter(pk=lost.pk).update(created_at=long_ago)
    assert services.export_jobs_sweep(now=timezone.now()) == {"expired": 0, "died": 1, "lost": 1}
    later = done.expires_at + timedelta(seconds=1)  # type: ignore[operator]
    assert services.export_jobs_sweep(now=later)["expired"] == 1
    assert services.export_jobs_sweep(now=later) == {"expired": 0, "died": 0, "lost": 0}  # idempotent
    assert ExportJob.objects.get(pk=done.pk).state == ExportState.EXPIRED
    assert not (private / "audit-exports" / done.stored_name).exists()
    assert ExportJob.objects.get(pk=running.pk).error == services.WORKER_DIED
    assert ExportJob.objects.get(pk=lost.pk).error == services.NEVER_STARTED
    assert AuditEvent.objects.filter(kind="audit.export.expired").count() == 1
    assert AuditEvent.objects.filter(kind="audit.export.failed").count() == 2
    assert Notification.objects.filter(key=f"audit-export-{running.pk}-failed").exists()
    client = sign_in(Client(), tworld.users["auditor"])
    assert client.get(f"/audit/exports/{done.pk}/file").status_code == 404


def test_the_api_starts_a_job_and_refuses_bad_input(tworld: World) -> None:
    client = sign_in(Client(), tworld.users["auditor"])
    made = client.post("/api/v1/audit/exports/", {"source": "events", "format": "jsonl", "action": "child."},
                       content_type="application/json")  # fmt: skip
    assert made.status_code == 201 and made.json()["state"] == "queued" and made.json()["file"] is None
    reversed_range = client.post(
        "/api/v1/audit/exports/",
        {"source": "events", "format": "csv", "occurred_from": "2026-03-10", "occurred_to": "2026-03-01"},
        content_type="application/json",
    )
    assert reversed_range.status_code == 400 and "occurred_to" in reversed_range.json()["error"]["fields"]
    unknown = client.post("/api/v1/audit/exports/", {"source": "events", "format": "csv", "colour": "red"},
                          content_type="application/json")  # fmt: skip
    assert unknown.status_code == 400 and "colour" in unknown.json()["error"]["fields"]
    page = client.post("/audit/exports/", {"source": "events", "format": "csv", "legal_basis": "consent"})
    assert page.status_code == 400 and "legal_basis" in page.content.decode()
    assert ExportJob.objects.count() == 1


@pytest.mark.parametrize(
    "values",
    [
        {"state": "done"},  # no file, no hash
        {"state": "failed"},  # no error
        {"rows_written": -1},
        {"sha256": "not-hex"},
        {"state": "bogus"},
    ],
)
def test_the_database_refuses_impossible_jobs(tworld: World, values: dict[str, Any]) -> None:
    job = start(tworld)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExportJob.objects.filter(pk=job.pk).update(**values)
