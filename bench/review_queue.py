"""The review queue page and the versions API with 10,000 versions in review across 50 units.

Baseline: /healthz in the same server. The lightest page of the product (the notices page,
empty) is measured too: the floor every page stands on (session, user, scope, navigation, the
layout), so the queue's own cost reads as the distance above it.
"""

import json
import statistics
import subprocess
import sys

from bench.harness import ROOT, Goal, figure, gunicorn, manage
from bench.loadgen import Load, sequential

UNITS, VERSIONS = 50, 10_000
REQUESTS = 60
PATHS = {
    "healthz": "/healthz",
    "lightest_page": "/notifications/",
    "review_page": "/assets/review/",
    "versions_api": "/api/v1/versions/?state=in_review",
}


def _populate(env: dict[str, str]) -> dict[str, object]:
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "bench.populate",
            str(UNITS),
            str(VERSIONS),
            *PATHS.values(),
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
    headers = {"Cookie": f"sessionid={data['session']}", "Host": "127.0.0.1"}
    with gunicorn("govern.wsgi", env, workers=1, threads=1) as port:
        loads = {name: sequential(port, path, headers, REQUESTS) for name, path in PATHS.items()}
    queries: dict[str, int] = data["queries"]  # type: ignore[assignment]
    base = loads["healthz"]
    base_median = statistics.median(base.latencies_ms)
    base_p95 = base.percentile(0.95)
    base_queries = queries[PATHS["healthz"]]
    for name in ("lightest_page", "review_page", "versions_api"):
        load: Load = loads[name]
        if load.errors:
            raise RuntimeError(f"{name}: {load.errors} failed requests")
        figure(f"queue.{name}_median", statistics.median(load.latencies_ms), "ms", base_median)
        figure(f"queue.{name}_p95", load.percentile(0.95), "ms", base_p95)
        figure(f"queue.{name}_queries", queries[PATHS[name]], "queries", base_queries)
    floor = statistics.median(loads["lightest_page"].latencies_ms)
    review = statistics.median(loads["review_page"].latencies_ms)
    figure("queue.review_page_over_lightest_page", review, "ms", floor, Goal(1.5))
