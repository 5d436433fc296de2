"""Pre-flight of a template with 200 bindings in 20 contexts, every version licensed."""

import json
import subprocess
import sys

from bench.harness import ROOT, Goal, figure

BINDINGS = 200


def run(env: dict[str, str]) -> None:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.preflight_measure", str(BINDINGS)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(result.stdout.strip().splitlines()[-1])
    (large_ms, large_queries), (small_ms, small_queries) = data["large"], data["small"]
    health_ms, _health_queries = data["healthz"]
    figure(
        "preflight.200_bindings_20_contexts",
        large_ms,
        "ms",
        health_ms,
        Goal(150, absolute=True),
    )
    figure("preflight.20_bindings_20_contexts", small_ms, "ms", health_ms)
    figure(
        "preflight.queries_200_vs_20_bindings", large_queries, "queries", small_queries, Goal(1.0)
    )
