"""Manifest and pre-flight in a unit with 1,000 campaigns (50 overlapping the run date), as
ratios to the same calls before the campaigns existed, in the same run."""

import json
import subprocess
import sys

from bench.harness import ROOT, Goal, figure


def run(env: dict[str, str]) -> None:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.campaigns_measure"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(result.stdout.strip().splitlines()[-1])
    names = ("preflight_20x20", "manifest_all_contexts", "manifest_one_context")
    for name, (before_ms, before_q), (after_ms, after_q) in zip(
        names, data["before"], data["after"], strict=True
    ):
        figure(f"campaigns.{name}_with_1000_campaigns", after_ms, "ms", before_ms, Goal(1.5))
        figure(f"campaigns.{name}_queries", after_q, "queries", before_q)
