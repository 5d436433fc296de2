"""The pages people decide on, at volume: the review queue and the versions API with 10,000
versions in review across 50 units, a version's review page among them, and the inbox of a
designer whose 2,000 templates each have an open review.

Baseline: /healthz in the same server. The lightest page of the product (the notices page,
empty) is measured too: the floor every page stands on (session, user, scope, navigation, the
layout), so each page's own cost reads as the distance above it.
"""

import json
import statistics
import subprocess
import sys

from bench.harness import ROOT, Goal, figure, gunicorn, manage
from bench.loadgen import Load, sequential

UNITS, VERSIONS, TEMPLATES = 50, 10_000, 2_000
REQUESTS = 60
# name: (who asks, path); "{version}" is the oldest version in review.
PATHS = {
    "healthz": ("officer", "/healthz"),
    "lightest_page": ("officer", "/notifications/"),
    "review_page": ("officer", "/assets/review/"),
    "version_page": ("officer", "/assets/versions/{version}/"),
    "designer_inbox": ("designer", "/templates/inbox/"),
    "versions_api": ("officer", "/api/v1/versions/?state=in_review"),
}
# The pages held to the floor: at most 1.5x the lightest page.
AT_THE_FLOOR = ("review_page", "version_page", "designer_inbox")


def _populate(env: dict[str, str]) -> dict[str, object]:
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "bench.populate",
            *(str(UNITS), str(VERSIONS), str(TEMPLATES)),
            *(f"{who}={path}" for who, path in PATHS.values()),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(env: dict[str, str]) -> None:
    data = _populate(env)
    manage(env, "shell", "-c", "from govern.tasks import heartbeat; heartbeat()")  # fresh again
    sessions: dict[str, str] = data["sessions"]  # type: ignore[assignment]
    paths = {name: path.format(version=data["version"]) for name, (_who, path) in PATHS.items()}
    with gunicorn("govern.wsgi", env, workers=1, threads=1) as port:
        loads = {
            name: sequential(port, paths[name], _headers(sessions[who]), REQUESTS)
            for name, (who, _path) in PATHS.items()
        }
    queries: dict[str, int] = data["queries"]  # type: ignore[assignment]
    base = loads["healthz"]
    base_median = statistics.median(base.latencies_ms)
    base_p95 = base.percentile(0.95)
    base_queries = queries[paths["healthz"]]
    for name in [name for name in PATHS if name != "healthz"]:
        load: Load = loads[name]
        if load.errors:
            raise RuntimeError(f"{name}: {load.errors} failed requests")
        figure(f"queue.{name}_median", statistics.median(load.latencies_ms), "ms", base_median)
        figure(f"queue.{name}_p95", load.percentile(0.95), "ms", base_p95)
        figure(f"queue.{name}_queries", queries[paths[name]], "queries", base_queries)
    floor = statistics.median(loads["lightest_page"].latencies_ms)
    for name in AT_THE_FLOOR:
        median = statistics.median(loads[name].latencies_ms)
        figure(f"queue.{name}_over_lightest_page", median, "ms", floor, Goal(1.5))


def _headers(session: str) -> dict[str, str]:
    return {"Cookie": f"sessionid={session}", "Host": "127.0.0.1"}
