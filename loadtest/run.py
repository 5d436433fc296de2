"""`make loadtest`: fifty people at once against `manage.py serve` on PostgreSQL with the Redis
broker and two workers, for a bounded time; prints requests per second, p50/p95/p99 per action,
errors, and whether the deliveries the approvals queued were drained within the run.

Needs PostgreSQL (LOAD_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres: a
database is made beside it and dropped after) and Redis (LOAD_REDIS_URL, default
redis://127.0.0.1:6379/0). LOAD_USERS (50) and LOAD_SECONDS (120) bound the run. Exits non-zero
when any request failed or deliveries were left.
"""

import csv
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import bench_environment, free_port  # noqa: E402

LOCUST = ROOT / ".venv-load" / "bin" / "locust"
USERS = int(os.environ.get("LOAD_USERS", "50"))
SECONDS = int(os.environ.get("LOAD_SECONDS", "120"))
DRAIN_SECONDS = 60


@contextmanager
def database() -> Iterator[str]:
    server = os.environ.get("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    base, _, _ = server.rpartition("/")
    name = f"govern_load_{os.getpid()}"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], env=env, cwd=ROOT, check=True)  # noqa: S603


def environment(workdir: str, database_url: str, port: int, sandbox: int) -> dict[str, str]:
    broker = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/0")
    redis.Redis.from_url(broker).ping()
    return {
        **bench_environment(workdir),
        "DATABASE_URL": database_url,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "Q_BROKER_URL": broker,
        "Q_CLUSTER_NAME": f"govern-load-{secrets.token_hex(4)}",
        "Q_WORKERS": "2",
        "EXSTREAM_API": "das",
        "EXSTREAM_URL": f"http://127.0.0.1:{sandbox}",
        "EXSTREAM_OTDS_TENANT": "govern",
        "EXSTREAM_DOMAIN": "govern",
        "EXSTREAM_CLIENT_SECRET": "sandbox-secret",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "START_SANDBOXES": "0",
    }


@contextmanager
def running(env: dict[str, str], port: int, sandbox: int, workdir: str) -> Iterator[None]:
    """Serve Govern (gunicorn, a qcluster of two workers) and the Exstream sandbox; what they
    say goes to serve.log in the working folder."""
    log = open(f"{workdir}/serve.log", "w")  # noqa: SIM115 - closed with the children
    children = [
        subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "sandbox", "exstream", "--port", str(sandbox),
             "--api", "das", "--domain", "govern", "--otds-tenant", "govern",
             "--state", f"{workdir}/exstream.sqlite3"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "serve", "--bind", f"127.0.0.1:{port}", "--no-sandboxes"],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        ),
    ]  # fmt: skip
    try:
        _wait_for(f"http://127.0.0.1:{port}/login/")
        yield
    finally:
        sandbox_process, server = children
        os.killpg(server.pid, signal.SIGTERM)  # honcho and every child it started
        sandbox_process.terminate()
        for child in children:
            child.wait(timeout=30)
        log.close()


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer")


def pending(database_url: str) -> int:
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM templates_app_delivery WHERE state IN ('pending', 'sending')"
        ).fetchone()
    return int(row[0]) if row else 0


def delivered(database_url: str) -> int:
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM templates_app_delivery WHERE state = 'delivered'"
        ).fetchone()
    return int(row[0]) if row else 0


def locust(port: int, state: Path, workdir: str) -> Path:
    prefix = Path(workdir) / "load"
    done = subprocess.run(  # noqa: S603
        [
            str(LOCUST), "-f", str(ROOT / "loadtest" / "locustfile.py"), "--headless",
            "--users", str(USERS), "--spawn-rate", "10", "--run-time", f"{SECONDS}s",
            "--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--only-summary",
            "--loglevel", "WARNING", "--stop-timeout", "10",
        ],
        env={**os.environ, "LOAD_STATE": str(state)}, cwd=ROOT, check=False,
    )  # fmt: skip
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists():  # Locust itself failed (it said why above)
        raise SystemExit(f"Locust made no report (exit {done.returncode}).")
    return stats


def report(stats: Path, left: int, drained_after: float | None, sent: int) -> int:
    rows = list(csv.DictReader(stats.open()))
    print(
        f"\n{USERS} people for {SECONDS} s against manage.py serve (PostgreSQL, Redis, 2 workers)"
    )
    print(
        f"{'action':34} {'requests':>9} {'errors':>7} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6}"
    )
    errors = 0
    for row in rows:
        name = "all" if row["Name"] == "Aggregated" else row["Name"]
        errors += int(row["Failure Count"]) if name != "all" else 0
        print(
            f"{name:34} {row['Request Count']:>9} {row['Failure Count']:>7} "
            f"{float(row['Requests/s']):>7.1f} {row['50%']:>6} {row['95%']:>6} {row['99%']:>6}"
        )
    drained = (
        f"drained {drained_after:.0f} s after the run"
        if drained_after is not None
        else (f"{left} NOT drained {DRAIN_SECONDS} s after the run")
    )
    failures = stats.with_name(stats.name.replace("_stats.csv", "_failures.csv"))
    for failure in csv.DictReader(failures.open()) if failures.exists() else []:
        print(f"  failed {failure['Occurrences']}x {failure['Name']}: {failure['Error'][:200]}")
    print(f"deliveries: {sent} delivered to the Exstream sandbox; {drained}")
    print("milliseconds; errors: any answer but 2xx/3xx, or a request that failed")
    return 1 if errors or left else 0


def main() -> int:
    if not LOCUST.exists():
        raise SystemExit("Locust is missing: run `make loadtest`, which installs it.")
    keep = os.environ.get("LOAD_KEEP_DIR")  # keep serve.log and Locust's files to read after
    with tempfile.TemporaryDirectory(prefix="govern-load-") as workdir, database() as url:
        workdir = keep or workdir
        port, sandbox = free_port(), free_port()
        env = environment(workdir, url, port, sandbox)
        manage(env, "migrate", "--no-input", "--verbosity", "0")
        manage(env, "collectstatic", "--no-input", "--verbosity", "0")
        state = Path(workdir) / "state.json"
        populate = [sys.executable, "-m", "loadtest.populate", str(state)]
        subprocess.run(populate, env=env, cwd=ROOT, check=True)  # noqa: S603
        with running(env, port, sandbox, workdir):
            stats = locust(port, state, workdir)
            left, waited = pending(url), 0.0
            while left and waited < DRAIN_SECONDS:
                time.sleep(2)
                waited += 2
                left = pending(url)
            sent = delivered(url)
        return report(stats, left, waited if not left else None, sent)


if __name__ == "__main__":
    sys.exit(main())
