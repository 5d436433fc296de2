"""The framework ceiling: /healthz against a trivial Django view, an API-key read against a
trivial DRF view, all served by one gunicorn in the same run; the bare WSGI app is information."""

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
    key = {"Authorization": f"Bearer {api_key}"}

    with gunicorn("bench.baseline_app", env) as port:
        bare = _load(port, "/")
    with gunicorn("bench.wsgi", env) as port:
        django_view = _load(port, "/bench/django")
        healthz = _load(port, "/healthz")
        drf_view = _load(port, "/bench/drf", key)
        api = _load(port, "/api/v1/units/", key)

    figure("framework.bare_wsgi_rps", bare.rps, "req/s", bare.rps)
    _pair("trivial_django", django_view, django_view)
    _pair("healthz", healthz, django_view)
    _pair("trivial_drf", drf_view, drf_view)
    _pair("api_read", api, drf_view)
    figure("framework.trivial_django_vs_bare_wsgi", django_view.rps, "req/s", bare.rps)


def _pair(name: str, load: Load, baseline: Load) -> None:
    figure(f"framework.{name}_rps", load.rps, "req/s", baseline.rps)
    figure(f"framework.{name}_p99", load.percentile(0.99), "ms", baseline.percentile(0.99))
