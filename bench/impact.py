"""Approving a version used by 10,000 templates through three levels of components."""

import json
import subprocess
import sys

from bench.harness import ROOT, Goal, figure

TEMPLATES = 10_000


def run(env: dict[str, str]) -> None:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.impact_measure", str(TEMPLATES)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(result.stdout.strip().splitlines()[-1])
    approval_ms, approval_queries, approval_rows = data["approval"]
    baseline_ms, baseline_queries, baseline_rows = data["baseline"]
    if approval_rows != baseline_rows:
        raise RuntimeError(f"approval made {approval_rows} reviews, baseline {baseline_rows}")
    figure("impact.approval_10k_templates", approval_ms, "ms", baseline_ms, Goal(3.0))
    figure("impact.approval_queries", approval_queries, "queries", baseline_queries)
    figure("impact.reviews_opened", approval_rows, "rows", baseline_rows)
