"""Usage records by month on PostgreSQL: reconciling one month costs the same with one month or
ten months stored (10,000,000 records), as a ratio to the first in the same run."""

import os
import tempfile
from typing import Any

from bench.harness import Goal, figure, manage, measure, own_database

PER_MONTH = int(os.environ.get("BENCH_RECORDS_PER_MONTH", "1000000"))
MONTHS = 10


def _phase(env: dict[str, str], phase: str, *months: int) -> dict[str, Any]:
    return measure("bench.partitions_measure", env, phase, *map(str, months), str(PER_MONTH))


def run(env: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory(prefix="govern-bench-months-") as workdir:
        with own_database(env, workdir, "months") as here:
            if not here["DATABASE_URL"].startswith("postgres"):
                print("partitions: PostgreSQL's (set BENCH_DATABASE_URL); not measured")
                return
            manage(here, "migrate", "--no-input")
            _phase(here, "populate")
            _phase(here, "month", 1)
            alone = _phase(here, "reconcile", 1)
            _phase(here, "month", *range(2, MONTHS + 1))
            among = _phase(here, "reconcile", 1)
    figure("partitions.reconcile_month_1_month_stored", alone["ms"], "ms", alone["ms"])
    figure(
        f"partitions.reconcile_month_{MONTHS}_months_stored",
        among["ms"],
        "ms",
        alone["ms"],
        Goal(1.5),
    )
    figure("partitions.reconcile_queries", among["queries"], "queries", alone["queries"], Goal(1.0))
