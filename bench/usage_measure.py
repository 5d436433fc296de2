"""One phase of the usage benchmark, in its own process so its peak memory is its own.

    python -m bench.usage_measure populate|ingest|reconcile|csv|xlsx WORKDIR ROWS

Prints one JSON line: seconds, queries, peak resident memory (MB) and the baseline's seconds
where the phase has one (PostgreSQL COPY into an unindexed table, COPY ... TO STDOUT).
"""

import csv
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

# isort: off
import bench.django_setup  # noqa: F401  (before anything that needs settings)

# isort: on
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext

from assets.models import Asset, Variant, Version
from govern.export_jobs import Table, write_xlsx
from govern.models import BusinessUnit
from templates_app.models import Template
from usage.exports import RECORD_HEADER, record_rows, records_csv
from usage.importer import COLUMNS, import_file
from usage.models import ProductionRun, UsageRecord
from usage.reconcile import reconcile

VERSIONS, REGIONS, SEGMENTS = 10, 20, 50
PER_RUN = VERSIONS * REGIONS * SEGMENTS
XLSX_ROWS = 100_000


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def populate(workdir: Path, rows: int) -> dict[str, Any]:
    call_command("bootstrap", verbosity=0)
    unit = BusinessUnit.objects.create(name="Bench", slug="bench")
    Template.objects.create(
        exstream_id="BENCH-LETTER", name="Letter", kind="communication", business_unit=unit
    )
    asset = Asset.objects.create(key="bench.logo", title="Logo", kind="logo", business_unit=unit)
    ids = [
        Version.objects.create(
            variant=Variant.objects.create(asset=asset, segment=f"v{n}"),
            number=1,
            state="approved",
            sha256=f"{n:064x}",
            media_type="image/png",
            size=1,
        ).pk
        for n in range(1, VERSIONS + 1)
    ]
    path = workdir / "usage.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for line in range(rows):
            run, within = divmod(line, PER_RUN)
            version, rest = divmod(within, REGIONS * SEGMENTS)
            region, segment = divmod(rest, SEGMENTS)
            writer.writerow(
                [
                    f"RUN-{run:05}",
                    "BENCH-LETTER",
                    f"2026-11-{1 + run % 28:02}T06:00:00+00:00",
                    f"2026-11-{1 + run % 28:02}T07:00:00+00:00",
                    "",
                    ids[version],
                    "",
                    "print",
                    f"R{chr(65 + region)}",
                    "de",
                    f"s{segment}",
                    1000 + line % 97,
                    2000,
                    1000,
                ]
            )
    return {"file_mb": path.stat().st_size / 1e6}


def _copy_baseline(path: Path) -> float:
    columns = ", ".join(f"{name} text" for name in COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE UNLOGGED TABLE IF NOT EXISTS bench_copy ({columns})")
        started = time.perf_counter()
        with cursor.copy("COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_copy")
    return elapsed


def ingest(workdir: Path, rows: int) -> dict[str, Any]:
    path = workdir / "usage.csv"
    baseline = _copy_baseline(path) if connection.vendor == "postgresql" else None
    started = time.perf_counter()
    result = import_file(path, "csv")
    elapsed = time.perf_counter() - started
    assert result.records == rows, result
    return {"seconds": elapsed, "baseline": baseline, "peak_mb": peak_mb()}


def reconcile_all(workdir: Path, rows: int) -> dict[str, Any]:
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        reconcile(ProductionRun.objects.all())
        elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "queries": len(captured), "peak_mb": peak_mb()}


def _copy_out_baseline() -> float | None:
    if connection.vendor != "postgresql":
        return None
    query = (
        "COPY (SELECT r.id, run.run_id, r.template_id, r.business_unit_id, r.started_at, "
        "r.asset_id, r.version_id, r.reported, r.sha256, r.channel, r.region, r.language, "
        "r.segment, r.documents, r.pages, r.impressions FROM usage_usagerecord r "
        "JOIN usage_productionrun run ON run.id = r.run_id) TO STDOUT WITH (FORMAT csv)"
    )
    started = time.perf_counter()
    with connection.cursor() as cursor, cursor.copy(query) as copy:
        for _chunk in copy:
            pass
    return time.perf_counter() - started


def csv_export(workdir: Path, rows: int) -> dict[str, Any]:
    baseline = _copy_out_baseline()
    user = User.objects.create(username="bench-auditor")
    connection.force_debug_cursor = False
    started = time.perf_counter()
    response = records_csv(UsageRecord.objects.order_by(), {}, user, None)
    size = 0
    for chunk in response.streaming_content:  # type: ignore[union-attr]
        size += len(chunk)
    elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "baseline": baseline, "peak_mb": peak_mb(), "bytes": size}


def xlsx_export(workdir: Path, rows: int) -> dict[str, Any]:
    records = UsageRecord.objects.order_by("pk")[:XLSX_ROWS]
    table = Table(RECORD_HEADER, XLSX_ROWS, record_rows(records))
    started = time.perf_counter()
    written = write_xlsx(workdir / "export.xlsx", table)
    elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "rows": written, "peak_mb": peak_mb()}


PHASES = {
    "populate": populate,
    "ingest": ingest,
    "reconcile": reconcile_all,
    "csv": csv_export,
    "xlsx": xlsx_export,
}

if __name__ == "__main__":
    phase, workdir, count = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    reset_queries()
    print(json.dumps(PHASES[phase](workdir, count)))
