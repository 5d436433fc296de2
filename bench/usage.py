"""Usage at volume: ingest, reconcile and export a million records, against PostgreSQL's COPY.

On PostgreSQL (BENCH_DATABASE_URL or DATABASE_URL naming one) the benchmark creates its own
database on that server and drops it afterwards; the baselines are COPY of the same file into an
unindexed table and COPY ... TO STDOUT of the same rows. On SQLite it runs without baselines.
Each phase runs in its own process, so the peak memory printed is that phase's alone.
"""

import os
import tempfile
from typing import Any

from bench.harness import Goal, figure, manage, measure, own_database

ROWS = int(os.environ.get("BENCH_USAGE_ROWS", "1000000"))


def _phase(env: dict[str, str], phase: str, workdir: str) -> dict[str, Any]:
    return measure("bench.usage_measure", env, phase, workdir, str(ROWS))


def run(env: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory(prefix="govern-bench-usage-") as workdir:
        with own_database(env, workdir, "usage") as here:
            manage(here, "migrate", "--no-input")
            _phase(here, "populate", workdir)
            ingest = _phase(here, "ingest", workdir)
            reconciled = _phase(here, "reconcile", workdir)
            exported = _phase(here, "csv", workdir)
            workbook = _phase(here, "xlsx", workdir)
    rate = ROWS / ingest["seconds"]
    copy_rate = ROWS / ingest["baseline"] if ingest["baseline"] else 0.0
    if copy_rate:
        figure("usage.copy_in_baseline_rows_per_s", copy_rate, "rows/s", copy_rate)
    figure(
        f"usage.ingest_{ROWS}_rows_per_s",
        rate,
        "rows/s",
        copy_rate or rate,
        Goal(0.5, at_most=False) if copy_rate else None,
    )
    figure("usage.ingest_peak_memory", ingest["peak_mb"], "MB", ingest["peak_mb"])
    figure("usage.reconcile_seconds", reconciled["seconds"], "s", reconciled["seconds"])
    figure("usage.reconcile_queries", reconciled["queries"], "queries", reconciled["queries"])
    export_rate = ROWS / exported["seconds"]
    copy_out = ROWS / exported["baseline"] if exported["baseline"] else 0.0
    if copy_out:
        figure("usage.copy_out_baseline_rows_per_s", copy_out, "rows/s", copy_out)
    figure(
        "usage.csv_export_rows_per_s",
        export_rate,
        "rows/s",
        copy_out or export_rate,
        Goal(0.5, at_most=False) if copy_out else None,
    )
    figure("usage.csv_export_peak_memory", exported["peak_mb"], "MB", 150.0, Goal(1.0))
    figure("usage.xlsx_100k_seconds", workbook["seconds"], "s", workbook["seconds"])
    figure("usage.xlsx_100k_peak_memory", workbook["peak_mb"], "MB", 150.0, Goal(1.0))
