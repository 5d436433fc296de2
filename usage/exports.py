"""Usage exports: every file delivered whole is an audit event with its filters and sha256."""

from collections.abc import Iterator
from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from govern.export_jobs import Table
from govern.exports import csv_response, export_recorder
from usage.filters import UsageFilterForm
from usage.models import UsageRecord

CHUNK = 2000
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
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return csv_response(
        f"usage-{stamp}.csv",
        RECORD_HEADER,
        record_rows(records),
        export_recorder("usage_records", "csv", filters, actor, unit_id),
    )


def records_table(filters: dict[str, Any], unit_ids: set[int]) -> Table:
    """The usage records a filter selects in these units, as an export table."""
    form = UsageFilterForm(filters)
    if not form.is_valid():
        raise ValueError(form.errors.as_text())
    records = form.apply(UsageRecord.objects.filter(business_unit_id__in=unit_ids))
    return Table(RECORD_HEADER, records.count(), record_rows(records))
