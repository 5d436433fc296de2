"""XLSX exports: small ones written at once, large ones by a worker with visible progress.

A table comes from the room that owns the data (each registers its builder at start-up with
register_table, in its apps.py); the workbook is
written with XlsxWriter's constant_memory mode, row by row to a temporary file, so memory stays
flat however many rows there are. Every cell is made safe (audit.cells.safe_cell) and
written as a string or a number, never as a formula.
"""

import hashlib
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import xlsxwriter
from django.contrib.auth.models import User
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, HttpResponse
from django.utils import timezone
from django_q.tasks import async_task

from audit.cells import safe_cell
from audit.services import audit_record
from govern.exports import audit_delivery
from govern.models import ExportJob, ExportState

TableBuilder = Callable[[dict[str, Any], set[int]], "Table"]
# kind -> builder, filled at start-up by the rooms that show the data: console/apps.py
# ("audit_events", the audit log's pages live there) and usage/apps.py ("usage_records").
TABLES: dict[str, TableBuilder] = {}
# Up to this many rows a download is written at once; beyond, a worker writes it.
INLINE_ROWS = 5_000
XLSX_MAX_ROWS = 1_048_575  # Excel's limit, below the header row
PROGRESS_EVERY = 5_000
# A job running longer than the worker's task timeout belongs to a worker that died.
STALE_AFTER = timedelta(seconds=150)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A file sent whole names its own sha256 (hex) in this header; a streamed CSV cannot, as its
# hash is known only once the last byte is out (its audit event records it then).
SHA256_HEADER = "X-Content-SHA256"


@dataclass
class Table:
    header: list[str]
    total: int
    rows: Iterable[Iterable[Any]]


def register_table(kind: str, builder: TableBuilder) -> None:
    """Let a room offer one kind of export table (the other end: table_for)."""
    TABLES[kind] = builder


def table_for(kind: str, filters: dict[str, Any], unit_ids: set[int]) -> Table:
    return TABLES[kind](filters, unit_ids)


def write_xlsx(path: Path, table: Table, progress: Callable[[int], None] | None = None) -> int:
    """Write the table as one sheet in constant memory; return the rows written."""
    workbook = xlsxwriter.Workbook(
        str(path), {"constant_memory": True, "strings_to_formulas": False}
    )
    sheet = workbook.add_worksheet("export")
    bold = workbook.add_format({"bold": True})
    for column, name in enumerate(table.header):
        sheet.write_string(0, column, name, bold)
    written = 0
    for written, row in enumerate(table.rows, start=1):
        if written > XLSX_MAX_ROWS:
            break
        for column, value in enumerate(row):
            _cell(sheet, written, column, value)
        if progress is not None and written % PROGRESS_EVERY == 0:
            progress(written)
    workbook.close()
    return min(written, XLSX_MAX_ROWS)


def _cell(sheet: Any, row: int, column: int, value: Any) -> None:
    cell = safe_cell(value)
    if isinstance(cell, bool):
        sheet.write_boolean(row, column, cell)
    elif isinstance(cell, int | float) and abs(cell) < 2**53:
        sheet.write_number(row, column, cell)
    else:
        sheet.write_string(row, column, str(cell))


def file_hash(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def export_job_create(
    *, kind: str, filters: dict[str, Any], unit_ids: set[int], unit_id: int | None, actor: User
) -> ExportJob:
    """Queue a large export for a worker; the requester follows it on its page."""
    with transaction.atomic():
        job = ExportJob.objects.create(
            kind=kind,
            file_format="xlsx",
            filters=filters,
            unit_ids=sorted(unit_ids),
            business_unit_id=unit_id,
            requested_by=actor,
        )
        audit_record(
            action="export.requested",
            actor=actor,
            target=job,
            unit_id=unit_id,
            data={"kind": kind, "format": "xlsx", "filters": filters},
        )
        transaction.on_commit(lambda: async_task("govern.tasks.export_build", job.pk))
    return job


def _claim(job_id: int) -> bool:
    """Take the job if it waits, or if the worker that took it died; True when taken."""
    stale = timezone.now() - STALE_AFTER
    waiting = Q(state=ExportState.QUEUED) | Q(state=ExportState.RUNNING, started_at__lt=stale)
    claimed = ExportJob.objects.filter(waiting, pk=job_id).update(
        state=ExportState.RUNNING, started_at=timezone.now(), rows_done=0
    )
    return bool(claimed)


def export_job_build(*, job_id: int) -> str:
    """Write a queued export to storage, noting progress; safe to run twice."""
    if not _claim(job_id):
        return "taken or finished already"
    job = ExportJob.objects.get(pk=job_id)
    table = table_for(job.kind, job.filters, set(job.unit_ids))
    ExportJob.objects.filter(pk=job.pk).update(rows_total=min(table.total, XLSX_MAX_ROWS))

    def progress(done: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(rows_done=done)

    with tempfile.TemporaryDirectory(prefix="govern-export-") as folder:
        path = Path(folder) / "export.xlsx"
        try:
            rows = write_xlsx(path, table, progress)
        except Exception as error:  # recorded for the requester, then raised for the log
            ExportJob.objects.filter(pk=job.pk).update(
                state=ExportState.FAILED, error=str(error)[:2000], finished_at=timezone.now()
            )
            raise
        name = f"exports/{job.pk}-{job.kind}.xlsx"
        with path.open("rb") as handle:
            stored = default_storage.save(name, File(handle))
        ExportJob.objects.filter(pk=job.pk).update(
            state=ExportState.DONE,
            rows_done=rows,
            file=stored,
            sha256=file_hash(path),
            size=path.stat().st_size,
            finished_at=timezone.now(),
        )
    return f"{rows} rows"


def xlsx_now_or_later(
    *,
    kind: str,
    filters: dict[str, Any],
    unit_ids: set[int],
    unit_id: int | None,
    actor: User,
    filename: str,
) -> HttpResponse | ExportJob:
    """Return a small export as a download at once; queue a large one and return its job."""
    table = table_for(kind, filters, unit_ids)
    if table.total > INLINE_ROWS:
        return export_job_create(
            kind=kind, filters=filters, unit_ids=unit_ids, unit_id=unit_id, actor=actor
        )
    with tempfile.TemporaryDirectory(prefix="govern-export-") as folder:
        path = Path(folder) / "export.xlsx"
        write_xlsx(path, table)
        data = path.read_bytes()
    audit_delivery(
        kind, "xlsx", filters, actor, unit_id, hashlib.sha256(data).hexdigest(), len(data)
    )
    return attachment(data, XLSX_TYPE, filename)


def attachment(data: bytes, content_type: str, filename: str) -> HttpResponse:
    """Send a file whole, its sha256 in the SHA256_HEADER (the one its audit event records)."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    response[SHA256_HEADER] = hashlib.sha256(data).hexdigest()
    return response


def export_download(*, job: ExportJob, actor: User) -> FileResponse:
    """Send a finished export to its requester and audit the delivery."""
    audit_delivery(
        job.kind, job.file_format, job.filters, actor, job.business_unit_id, job.sha256, job.size
    )
    # Streamed from storage in chunks: a large workbook is never held in memory whole.
    response = FileResponse(
        default_storage.open(job.file, "rb"),
        as_attachment=True,
        filename=f"{job.kind}-{job.pk}.xlsx",
        content_type=XLSX_TYPE,
    )
    response["Cache-Control"] = "no-store"
    response[SHA256_HEADER] = job.sha256
    return response
