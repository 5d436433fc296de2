"""Usage exports: every file delivered whole is an audit event with its filters and sha256."""

from collections.abc import Iterator
from typing import Any

from django.contrib.auth.models import User
from django.db import connection
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from audit.cells import FORMULA_STARTS
from govern.export_jobs import Table
from govern.exports import bytes_response, csv_lines, csv_response, export_recorder
from usage.filters import UsageFilterForm
from usage.models import UsageRecord

CHUNK = 2000
COPY_CHUNK = 1 << 20
# The version's internal id beside its number: the id finds it in Govern and its API, the number
# is what people call it ("brand.logo v3").
RECORD_HEADER = [
    *("record", "run", "template", "unit", "started_at", "asset", "version_id"),
    *("version_number", "reported", "sha256", "channel", "region", "language", "segment"),
    *("documents", "pages", "impressions"),
]
RECORD_VALUES = [
    *("pk", "run__run_id", "template__exstream_id", "business_unit__slug", "started_at"),
    *("asset__key", "version_id", "version__number", "reported", "sha256", "channel", "region"),
    *("language", "segment", "documents", "pages", "impressions"),
]


def record_rows(records: QuerySet[UsageRecord]) -> Iterator[tuple[Any, ...]]:
    """Yield the records as tuples, in chunks, whatever their number."""
    for row in records.values_list(*RECORD_VALUES).iterator(chunk_size=CHUNK):
        yield (*row[:4], row[4].isoformat(), *row[5:])


def records_csv(
    records: QuerySet[UsageRecord], filters: dict[str, Any], actor: User, unit_id: int | None
) -> StreamingHttpResponse:
    """Stream the records as CSV: through PostgreSQL's COPY where it runs, the same bytes."""
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    done = export_recorder("usage_records", "csv", filters, actor, unit_id)
    if connection.vendor == "postgresql":
        return bytes_response(f"usage-{stamp}.csv", copied_csv(records), done)
    return csv_response(f"usage-{stamp}.csv", RECORD_HEADER, record_rows(records), done)


# What safe_cell prefixes with ' (audit/cells.py), as first-character codes; PostgreSQL's text
# holds no NUL.
FORMULA = ", ".join(str(ord(start)) for start in FORMULA_STARTS if start != "\0")
# Cells of free text, then codes that may be empty (a sha256, region or language is checked on
# the way in: none starts with a formula sign).
FREE_TEXT = {"run__run_id", "template__exstream_id", "business_unit__slug", "asset__key", "segment"}
MAY_BE_EMPTY = {"sha256", "region", "language"}
QUOTE = "''''"  # a quote, as an SQL literal


def _cell(name: str, column: str) -> str:
    """The SQL of one cell as safe_cell and the csv module would write it."""
    if name == "started_at":  # as datetime.isoformat() writes a UTC time
        utc = f"{column} AT TIME ZONE 'UTC'"
        return (
            f"""to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS') || CASE WHEN """
            f"mod(date_part('microseconds', {column})::int, 1000000) = 0 THEN '' "
            f"ELSE to_char({utc}, '.US') END || '+00:00'"
        )
    # Empty as NULL: COPY writes it unquoted, as the csv module does.
    if name in FREE_TEXT:
        return (
            f"CASE WHEN ascii({column}) IN ({FORMULA}) THEN {QUOTE} || {column} "
            f"ELSE NULLIF({column}, '') END"
        )
    if name in MAY_BE_EMPTY:
        return f"NULLIF({column}, '')"
    return column


def copied_csv(records: QuerySet[UsageRecord]) -> Iterator[bytes]:
    """Yield the CSV the csv module would write of the records (header, cells made safe, CRLF)
    by COPY ... TO STDOUT of the queryset's own SQL, in chunks of about a megabyte."""
    sql, params = records.values_list(*RECORD_VALUES).query.sql_with_params()
    columns = [f"c{position}" for position in range(len(RECORD_VALUES))]
    names = ", ".join(columns)
    cells = ", ".join(map(_cell, RECORD_VALUES, columns))
    # The SQL is the queryset's own, its values bound by the driver; the rest is fixed names.
    statement = f"COPY (SELECT {cells} FROM ({sql}) AS records ({names})) TO STDOUT (FORMAT csv)"  # noqa: S608
    yield "".join(csv_lines(RECORD_HEADER, [])).encode()
    with connection.cursor() as cursor, cursor.copy(statement, params) as copy:
        buffer = bytearray()
        for row in copy:
            buffer += row
            if len(buffer) >= COPY_CHUNK:
                yield bytes(buffer).replace(b"\n", b"\r\n")  # cells hold no line breaks
                buffer.clear()
        yield bytes(buffer).replace(b"\n", b"\r\n")


def records_table(filters: dict[str, Any], unit_ids: set[int]) -> Table:
    """The usage records a filter selects in these units, as an export table."""
    form = UsageFilterForm(filters)
    if not form.is_valid():
        raise ValueError(form.errors.as_text())
    records = form.apply(UsageRecord.objects.filter(business_unit_id__in=unit_ids))
    return Table(RECORD_HEADER, records.count(), record_rows(records))
