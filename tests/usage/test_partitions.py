"""Usage records by month on PostgreSQL: partitions made ahead and on demand, read by period."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from assets.models import Version
from templates_app.models import Template
from tests.usage.test_file_import import line, write_csv
from usage import partitions, tasks
from usage.importer import import_file
from usage.models import ProductionRun, UsageRecord
from usage.reconcile import reconcile

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="records are partitioned on PostgreSQL"
)


def partition_of(record: UsageRecord) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT tableoid::regclass::text FROM {partitions.TABLE} WHERE id = %s",  # noqa: S608
            [record.pk],
        )
        return str(cursor.fetchone()[0])


def test_the_records_table_is_partitioned_and_the_schedule_makes_months_ahead(
    clock: Any, db: Any
) -> None:
    assert partitions.partitioned()
    clock.move_to(datetime(2031, 12, 20, tzinfo=UTC))
    made = tasks.make_partitions()
    assert made == [
        "usage_usagerecord_y2031m12",
        "usage_usagerecord_y2032m01",
        "usage_usagerecord_y2032m02",
        "usage_usagerecord_y2032m03",
    ]
    assert set(made) <= partitions.attached()
    assert tasks.make_partitions() == []  # the next day's run finds them made


def test_an_ingest_makes_the_month_it_needs_and_its_records_land_there(
    approved_logo: Version, letter: Template, tmp_path: Path
) -> None:
    rows = [
        line(
            approved_logo,
            started_at="2025-01-31T23:30:00-02:00",
            finished_at="2025-02-01T03:00:00Z",
        )
    ]
    assert "usage_usagerecord_y2025m02" not in partitions.attached()
    import_file(write_csv(tmp_path / "usage.csv", rows), "csv")
    record = UsageRecord.objects.get()
    assert partition_of(record) == "usage_usagerecord_y2025m02"  # 01:30 UTC on 1 February


def test_reconciling_a_run_reads_only_the_partition_of_its_month(
    approved_logo: Version, letter: Template, tmp_path: Path
) -> None:
    rows = [
        line(approved_logo),
        line(approved_logo, run_id="F2", started_at="2026-09-03T06:00:00Z"),
    ]
    import_file(write_csv(tmp_path / "usage.csv", rows), "csv")
    plans: list[str] = []

    def explain(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if "usage_usagerecord" in sql and sql.lstrip().startswith("SELECT"):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN " + sql, params)
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(explain):
        reconcile(ProductionRun.objects.filter(run_id="F1"))
    assert plans and all("y2026m11" in plan for plan in plans if "usage_usagerecord_y" in plan)
    assert not any("y2026m09" in plan for plan in plans)
