"""Run every benchmark (`make bench`); figures are ratios to a baseline from the same run."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import (  # noqa: E402
    campaigns,
    exstream,
    framework,
    impact,
    partitions,
    preflight,
    review_queue,
    samples,
    usage,
)
from bench.harness import goals_table, workspace  # noqa: E402


def main() -> None:
    with workspace() as env:
        framework.run(env)
    with workspace() as env:
        review_queue.run(env)
    with workspace() as env:
        impact.run(env)
    with workspace() as env:
        preflight.run(env)
    with workspace() as env:
        campaigns.run(env)
    with workspace() as env:
        exstream.run(env, Path(env["MEDIA_ROOT"]).parent)
        exstream.run_das(env, Path(env["MEDIA_ROOT"]).parent)
        exstream.renditions(env)
    with workspace() as env:
        usage.run(env)
    with workspace() as env:
        partitions.run(env)
    with workspace() as env:
        samples.run(env)
    print("\nGoals (ratios to baselines measured in this run):")
    print(goals_table())


if __name__ == "__main__":
    main()
