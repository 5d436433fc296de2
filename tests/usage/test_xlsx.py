"""XLSX exports: parsed back equal to the data, formulas stay text, large sets go to a worker."""

import hashlib
import io
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from assets.models import Version
from audit.models import AuditEvent
from govern import export_jobs
from govern.export_jobs import export_job_build
from govern.models import ExportJob
from govern.services import installation_auditor_grant
from templates_app.models import Template
from tests.usage.conftest import RUN_START, report

URL = "/api/v1/usage/records/export?format=xlsx"


def rows_of(data: bytes) -> list[tuple[Any, ...]]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def usage(approved_logo: Version, letter: Template) -> None:
    report("R1", [{"version": approved_logo.pk, "region": "DE", "documents": 7}])
    later = RUN_START + timedelta(hours=1)
    report(
        "R2",
        [{"version": approved_logo.pk, "region": "AT", "documents": 9, "segment": "=1+1"}],
        started=later,
    )


def test_a_small_export_is_the_file_itself_and_reads_back(
    usage: None, approved_logo: Version, auditor: Any, client_for: Any
) -> None:
    response = client_for(auditor).get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == export_jobs.XLSX_TYPE
    rows = rows_of(response.content)
    assert rows[0][:3] == ("record", "run", "template")
    by_run = {row[1]: row for row in rows[1:]}
    assert set(by_run) == {"R1", "R2"}
    assert by_run["R1"][14] == 7 and by_run["R2"][11] == "AT"
    assert by_run["R2"][13] == "'=1+1"
    assert rows[0][6:8] == ("version_id", "version_number")
    assert by_run["R1"][6:8] == (approved_logo.pk, 1), "the version's id beside its number"
    event = AuditEvent.objects.get(action="export.delivered")
    assert event.data["format"] == "xlsx"
    assert event.data["sha256"] == hashlib.sha256(response.content).hexdigest()
    assert response["X-Content-SHA256"] == event.data["sha256"]


def test_a_large_export_is_written_by_a_worker_with_progress(
    usage: None,
    auditor: Any,
    client_for: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    monkeypatch.setattr(export_jobs, "INLINE_ROWS", 0)
    monkeypatch.setattr(export_jobs, "PROGRESS_EVERY", 1)
    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr(export_jobs, "async_task", lambda *args: queued.append(args))
    client = client_for(auditor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(URL + "&region=AT")
    assert response.status_code == 202
    job = ExportJob.objects.get()
    assert response.json()["state"] == "queued"
    assert response["Location"].endswith(f"/api/v1/exports/{job.pk}/")
    assert client.get(f"/api/v1/exports/{job.pk}/download").status_code == 409
    assert queued == [("govern.tasks.export_build", job.pk)]
    assert export_job_build(job_id=job.pk) == "1 rows"
    assert export_job_build(job_id=job.pk) == "taken or finished already"
    status = client.get(f"/api/v1/exports/{job.pk}/").json()
    assert (status["state"], status["rows_done"], status["percent"]) == ("done", 1, 100)
    download = client.get(f"/api/v1/exports/{job.pk}/download")
    data = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    rows = rows_of(data)
    assert [row[1] for row in rows[1:]] == ["R2"]
    delivered = AuditEvent.objects.get(action="export.delivered")
    assert delivered.data["sha256"] == hashlib.sha256(data).hexdigest()
    assert download["X-Content-SHA256"] == delivered.data["sha256"]
    page = client.get(f"/exports/{job.pk}/").content.decode()
    assert "Download XLSX" in page and status["sha256"] in page


def test_someone_elses_export_job_is_not_found(
    usage: None,
    auditor: Any,
    compliance_officer: Any,
    client_for: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(export_jobs, "INLINE_ROWS", 0)
    monkeypatch.setattr(export_jobs, "async_task", lambda *args: None)
    client_for(auditor).get(URL)
    job = ExportJob.objects.get()
    other = client_for(compliance_officer)
    assert other.get(f"/api/v1/exports/{job.pk}/").status_code == 404
    assert other.get(f"/exports/{job.pk}/").status_code == 404


def test_a_job_whose_worker_died_is_taken_over(
    usage: None, auditor: Any, client_for: Any, monkeypatch: pytest.MonkeyPatch, clock: Any
) -> None:
    monkeypatch.setattr(export_jobs, "INLINE_ROWS", 0)
    monkeypatch.setattr(export_jobs, "async_task", lambda *args: None)
    client_for(auditor).get(URL)
    job = ExportJob.objects.get()
    ExportJob.objects.filter(pk=job.pk).update(state="running", started_at=timezone.now())
    assert export_job_build(job_id=job.pk) == "taken or finished already"
    clock.shift(timedelta(minutes=5))
    assert export_job_build(job_id=job.pk) == "2 rows"


def test_the_audit_trail_exports_as_xlsx_with_its_hashes(
    usage: None, auditor: Any, client_for: Any
) -> None:
    installation_auditor_grant(user=auditor, actor=None)  # every event, units' and none
    response = client_for(auditor).get("/api/v1/audit-events/export?format=xlsx")
    rows = rows_of(response.content)
    assert rows[0][-2:] == ("prev_hash", "hash")
    hashes = {row[-1] for row in rows[1:]}
    assert (
        set(AuditEvent.objects.exclude(action="export.delivered").values_list("hash", flat=True))
        <= hashes
    )


def test_the_page_links_download_xlsx_through_the_ui(
    usage: None, auditor: Any, client_for: Any
) -> None:
    client: Client = client_for(auditor)
    response = client.get("/usage/export.xlsx?region=DE")
    assert response.status_code == 200
    assert [row[1] for row in rows_of(response.content)[1:]] == ["R1"]
    assert client.get("/audit/export.xlsx").status_code == 200
