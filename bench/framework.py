"""The framework ceiling: /healthz and an authenticated API read, against a bare WSGI app."""

from bench.harness import figure, gunicorn, manage
from bench.loadgen import Load, run_load

SECONDS = 8.0
CONNECTIONS = 8


def _load(port: int, path: str, headers: dict[str, str] | None = None) -> Load:
    run_load(port, path, headers or {}, 1.0, CONNECTIONS)  # warm-up
    load = run_load(port, path, headers or {}, SECONDS, CONNECTIONS)
    if load.errors:
        raise RuntimeError(f"{path}: {load.errors} errors out of {load.requests} requests")
    return load


def run(env: dict[str, str]) -> None:
    manage(env, "seed_demo", "--password", "bench-password-1")
    api_key = manage(env, "create_api_key", "bench", "--unit", "insurance-de").split()[-1]
    manage(env, "shell", "-c", "from govern.tasks import heartbeat; heartbeat()")

    with gunicorn("bench.baseline_app", env) as port:
        baseline = _load(port, "/")
    with gunicorn("govern.wsgi", env) as port:
        healthz = _load(port, "/healthz")
        api = _load(port, "/api/v1/units/", {"Authorization": f"Bearer {api_key}"})

    base_rps, base_p99 = baseline.rps, baseline.percentile(0.99)
    figure("framework.baseline_wsgi_rps", base_rps, "req/s", base_rps)
    figure("framework.baseline_wsgi_p99", base_p99, "ms", base_p99)
    figure("framework.healthz_rps", healthz.rps, "req/s", base_rps)
    figure("framework.healthz_p99", healthz.percentile(0.99), "ms", base_p99)
    figure("framework.api_read_rps", api.rps, "req/s", base_rps)
    figure("framework.api_read_p99", api.percentile(0.99), "ms", base_p99)
