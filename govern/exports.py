"""Exports people open in spreadsheets: streamed, hashed, audited once delivered whole; every
cell made safe by audit/cells.py (which verification reads back)."""

import csv
import hashlib
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import models
from django.http import StreamingHttpResponse

from audit.cells import safe_cell
from audit.services import audit_record


class _Line:
    """A file-like object whose write returns what was written (Django's streaming CSV idiom)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """Yield CSV lines, header first, every cell made safe."""
    writer = csv.writer(_Line())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])


def hashed(chunks: Iterable[bytes], done: Callable[[str, int], None]) -> Iterator[bytes]:
    """Yield byte chunks as they come; once the last is out, call done(sha256, byte count).

    A download broken off half-way never reaches done: only a file delivered whole is recorded.
    """
    digest, size = hashlib.sha256(), 0
    for data in chunks:
        digest.update(data)
        size += len(data)
        yield data
    done(digest.hexdigest(), size)


def utf8_batches(chunks: Iterable[str], lines: int = 500) -> Iterator[bytes]:
    """Yield text chunks as UTF-8, joined a few hundred at a time."""
    buffer: list[str] = []
    for chunk in chunks:
        buffer.append(chunk)
        if len(buffer) >= lines:
            yield "".join(buffer).encode()
            buffer.clear()
    yield "".join(buffer).encode()


def csv_response(
    filename: str,
    header: list[str],
    rows: Iterable[Iterable[Any]],
    done: Callable[[str, int], None],
) -> StreamingHttpResponse:
    """Stream a CSV download and report its sha256 when it has been sent whole."""
    return bytes_response(filename, utf8_batches(csv_lines(header, rows)), done)


def bytes_response(
    filename: str, chunks: Iterable[bytes], done: Callable[[str, int], None]
) -> StreamingHttpResponse:
    """Stream a CSV download already encoded (PostgreSQL's COPY writes one); report its sha256
    when it has been sent whole."""
    response = StreamingHttpResponse(hashed(chunks, done), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def single_unit(unit_ids: set[int]) -> int | None:
    """The unit an export belongs to when the reader reads just one, else none."""
    return next(iter(unit_ids)) if len(unit_ids) == 1 else None


def audit_delivery(
    kind: str,
    file_format: str,
    filters: dict[str, Any],
    actor: User,
    unit_id: int | None,
    sha256: str,
    size: int,
    *,
    target: models.Model | None = None,
    generated_at: datetime | None = None,
) -> None:
    """Record that an export was delivered whole: what, to whom, with which filters and hash
    (and, for a pack about one object, that object and the generation time printed in it)."""
    data: dict[str, Any] = {
        "kind": kind,
        "format": file_format,
        "filters": filters,
        "sha256": sha256,
        "bytes": size,
    }
    if generated_at is not None:
        data["generated_at"] = generated_at.isoformat()
    audit_record(action="export.delivered", actor=actor, target=target, unit_id=unit_id, data=data)


def export_recorder(
    kind: str, file_format: str, filters: dict[str, Any], actor: User, unit_id: int | None
) -> Callable[[str, int], None]:
    """Return the callback that audits a streamed export once it is sent whole."""

    def record(sha256: str, size: int) -> None:
        audit_delivery(kind, file_format, filters, actor, unit_id, sha256, size)

    return record
