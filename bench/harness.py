"""Shared benchmark plumbing: a throwaway Govern database, gunicorn on loopback, figure lines."""

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bench_environment(workdir: str) -> dict[str, str]:
    """Return production-like settings on a SQLite file in workdir (workspace() gives each
    benchmark a database of its own, on PostgreSQL when BENCH_DATABASE_URL names a server)."""
    database = f"sqlite:///{workdir}/bench.sqlite3"
    return {
        **os.environ,
        "ENV_FILE": os.devnull,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database,
        "LOG_LEVEL": "WARNING",
        "MEDIA_ROOT": f"{workdir}/media",
        "STATIC_ROOT": f"{workdir}/static",
    }


def measure(module: str, env: dict[str, str], *args: str) -> dict[str, Any]:
    """Run one measuring phase in its own process (its peak memory its own); return the JSON
    object its last line prints."""
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", module, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"{module} {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


@contextmanager
def own_database(env: dict[str, str], workdir: str, name: str) -> Iterator[dict[str, str]]:
    """Yield the environment on a database of its own: made and dropped on the PostgreSQL
    server BENCH_DATABASE_URL (or DATABASE_URL) names, else a SQLite file in workdir."""
    server = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    if not server.startswith("postgres"):
        yield {**env, "DATABASE_URL": f"sqlite:///{workdir}/{name}.sqlite3"}
        return
    import psycopg

    database = f"govern_bench_{name}_{os.getpid()}"
    base, _, _old = server.rpartition("/")
    admin = f"{base}/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{database}"')
    try:
        yield {**env, "DATABASE_URL": f"{base}/{database}"}
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@contextmanager
def workspace() -> Iterator[dict[str, str]]:
    """A fresh Govern database (each benchmark its own) with its static files collected."""
    with tempfile.TemporaryDirectory(prefix="govern-bench-") as workdir:
        with own_database(bench_environment(workdir), workdir, "workspace") as env:
            manage(env, "migrate", "--no-input")
            manage(env, "collectstatic", "--no-input")
            yield env


@contextmanager
def gunicorn(app: str, env: dict[str, str], workers: int = 2, threads: int = 4) -> Iterator[int]:
    """Serve a WSGI app on a free loopback port until the block ends."""
    port = free_port()
    command = [
        *(sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}"),
        *("--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads)),
        *("--log-level", "warning", "--chdir", str(ROOT)),
    ]
    server = subprocess.Popen(command, env=env, cwd=ROOT)  # noqa: S603
    try:
        _wait_until_up(port)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=20)


def _wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)  # noqa: S310
            return
        except OSError as error:
            if getattr(error, "code", None):  # any HTTP answer means the server is up
                return
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not start on port {port}")


@dataclass(frozen=True)
class Goal:
    """What a figure must reach: its ratio to the baseline (or, with absolute, its value) at
    most or at least `limit`."""

    limit: float
    at_most: bool = True
    absolute: bool = False

    def met(self, value: float, ratio: float) -> bool:
        measured = value if self.absolute else ratio
        return measured <= self.limit if self.at_most else measured >= self.limit

    def __str__(self) -> str:
        return f"{'<=' if self.at_most else '>='} {self.limit:g}{'' if self.absolute else 'x'}"


@dataclass(frozen=True)
class Reached:
    name: str
    value: float
    unit: str
    baseline: float
    goal: Goal

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("nan")


GOALS: list[Reached] = []


def figure(name: str, value: float, unit: str, baseline: float, goal: Goal | None = None) -> None:
    """Print one figure as `name: value unit (ratio x vs baseline)`; remember it with its goal."""
    ratio = value / baseline if baseline else float("nan")
    print(f"{name}: {value:,.1f} {unit} ({ratio:.2f}x vs baseline)", flush=True)
    if goal is not None:
        GOALS.append(Reached(name, value, unit, baseline, goal))


def goals_table() -> str:
    """Return every goal of the run: figure, baseline, ratio, goal, met or missed."""
    header = ("goal", "figure", "baseline", "ratio", "wanted", "")
    rows = [
        (
            reached.name,
            f"{reached.value:,.1f} {reached.unit}",
            f"{reached.baseline:,.1f}",
            f"{reached.ratio:.2f}x",
            str(reached.goal),
            "met" if reached.goal.met(reached.value, reached.ratio) else "MISSED",
        )
        for reached in GOALS
    ]
    widths = [max(len(row[column]) for row in (header, *rows)) for column in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in (header, *rows)
    ]
    met = sum(reached.goal.met(reached.value, reached.ratio) for reached in GOALS)
    return "\n".join([*lines, f"{met} of {len(GOALS)} goals met"])


def analyze() -> None:
    """Give PostgreSQL the statistics autovacuum would have after bulk inserts (SQLite plans
    without them), so a benchmark measures the plans production runs."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
