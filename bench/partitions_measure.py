"""One phase of the partition benchmark, in its own process.

    python -m bench.partitions_measure populate|month|reconcile MONTH... RECORDS_PER_MONTH

`populate` makes the unit, template and versions; `month M` stores RECORDS_PER_MONTH records in
ten runs of month M of 2026 with one INSERT ... SELECT; `reconcile M` reconciles the runs of
month M inside a transaction it rolls back (so every measurement judges the same state) and
prints its median milliseconds and its queries.
"""

import json
import statistics
import sys
import time
from typing import Any

# isort: off
import bench.django_setup  # noqa: F401  (before anything that needs settings)

# isort: on
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from assets.models import Asset, Variant, Version
from bench.harness import analyze
from govern.models import BusinessUnit
from templates_app.models import Template
from usage.models import ProductionRun
from usage.partitions import months_ensure
from usage.reconcile import reconcile

RUNS_PER_MONTH, VERSIONS, REGIONS = 10, 10, 20
REPEATS = 3


def populate(_months: list[int], _per_month: int) -> dict[str, Any]:
    call_command("bootstrap", verbosity=0)
    unit = BusinessUnit.objects.create(name="Bench", slug="bench")
    Template.objects.create(
        exstream_id="BENCH-LETTER", name="Letter", kind="communication", business_unit=unit
    )
    asset = Asset.objects.create(key="bench.logo", title="Logo", kind="logo", business_unit=unit)
    for n in range(VERSIONS):
        Version.objects.create(
            variant=Variant.objects.create(asset=asset, segment=f"v{n}"),
            number=1,
            state="approved",
            sha256=f"{n:064x}",
            media_type="image/png",
            size=1,
        )
    return {}


def month(months: list[int], per_month: int) -> dict[str, Any]:
    """Store the runs and records of these months of 2026, in SQL."""
    from datetime import UTC, date, datetime

    months_ensure(date(2026, number, 1) for number in months)
    template = Template.objects.get()
    per_run = per_month // RUNS_PER_MONTH
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for number in months:
            runs = [
                ProductionRun.objects.create(
                    run_id=f"M{number:02}-R{run:02}",
                    source="file",
                    template=template,
                    business_unit_id=template.business_unit_id,
                    started_at=datetime(2026, number, 1 + run, 6, tzinfo=UTC),
                    finished_at=datetime(2026, number, 1 + run, 7, tzinfo=UTC),
                    content_hash="bench",
                    record_count=per_run,
                )
                for run in range(RUNS_PER_MONTH)
            ]
            cursor.execute(RECORDS, [per_run - 1, [run.pk for run in runs]])
    analyze()
    return {"seconds": time.perf_counter() - started}


# Each run: every version in every region, in per_run / 200 segments, all distinct.
RECORDS = f"""
INSERT INTO usage_usagerecord (run_id, template_id, business_unit_id, started_at, reported,
    asset_id, version_id, sha256, channel, region, language, segment, documents, pages,
    impressions)
SELECT run.id, run.template_id, run.business_unit_id, run.started_at,
       'version:' || version.id, variant.asset_id, version.id, version.sha256, 'print',
       'R' || chr(65 + (line / {VERSIONS}) %% {REGIONS}), 'de',
       's' || (line / {VERSIONS * REGIONS}), 1000 + line %% 97, 2000, 1000
FROM usage_productionrun run
CROSS JOIN generate_series(0, %s) AS line
JOIN (SELECT id, sha256, variant_id, row_number() OVER (ORDER BY id) - 1 AS position
      FROM assets_version) version ON version.position = line %% {VERSIONS}
JOIN assets_variant variant ON variant.id = version.variant_id
WHERE run.id = ANY(%s)
"""  # noqa: S608 - fixed names and numbers


def reconcile_month(months: list[int], _per_month: int) -> dict[str, Any]:
    runs = ProductionRun.objects.filter(run_id__startswith=f"M{months[0]:02}-")
    times, queries = [], 0
    for _ in range(REPEATS):
        with transaction.atomic(), CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            reconcile(runs)
            times.append((time.perf_counter() - began) * 1000)
            queries = len(captured)
            transaction.set_rollback(True)
    return {"ms": statistics.median(times), "queries": queries}


PHASES = {"populate": populate, "month": month, "reconcile": reconcile_month}

if __name__ == "__main__":
    phase, *numbers, per_month = sys.argv[1:]
    print(json.dumps(PHASES[phase]([int(n) for n in numbers], int(per_month))))
