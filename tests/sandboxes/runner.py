"""Start a sandbox as a real process and talk to it over HTTP with urllib; reusable by any test."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 30
STOP_SECONDS = 10
NO_FAULTS = {
    "error_rate": 0.0,
    "timeout_rate": 0.0,
    "drop_rate": 0.0,
    "latency_ms": 0,
    "timeout_seconds": 5.0,
}
# No proxy from the environment: the sandbox is on 127.0.0.1, the only host tests may reach.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Response:
    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def start_exstream_sandbox(tmp_dir: Path, **options: object) -> tuple[str, subprocess.Popen[bytes]]:
    """Start `manage.py sandbox exstream` on a free port and return its URL once it is healthy.

    `options` are the command's options by their Python names (error_rate=1.0, token_ttl=1,
    seed=7, ...). It speaks Govern's proxy contract unless api="das" (the command's own
    default). State goes to tmp_dir/exstream.sqlite3, output to tmp_dir/exstream.log. The URL
    has no trailing slash: add paths such as "/_sandbox/health" to it.
    """
    return start_sandbox("exstream", tmp_dir, **{"api": "proxy", **options})


def start_smintio_sandbox(tmp_dir: Path, **options: object) -> tuple[str, subprocess.Popen[bytes]]:
    """Start `manage.py sandbox smintio` on a free port and return its URL once it is healthy.

    Like start_exstream_sandbox, with state in tmp_dir/smintio.sqlite3 and output in
    tmp_dir/smintio.log; its own options include url_ttl, refresh_token and hook_url.
    """
    return start_sandbox("smintio", tmp_dir, **options)


def start_sandbox(
    system: str, tmp_dir: Path, *, environment: object = None, **options: object
) -> tuple[str, subprocess.Popen[bytes]]:
    """Start `manage.py sandbox SYSTEM` on a free port and return its URL once it is healthy.

    An option given a list is repeated (domain=["govern", "quick:simple"]). `environment` adds
    variables to the process's (GOVERN_API_KEY for production runs).
    """
    port = free_port()
    argv = [sys.executable, "manage.py", "sandbox", system, "--port", str(port)]
    argv += ["--state", str(tmp_dir / f"{system}.sqlite3")]
    for name, value in options.items():
        for each in value if isinstance(value, list | tuple) else [value]:  # a list repeats
            argv += [f"--{name.replace('_', '-')}", str(each)]
    log_path = tmp_dir / f"{system}.log"
    with log_path.open("wb") as log:  # the child keeps its own copy of the file descriptor
        process = subprocess.Popen(  # noqa: S603
            argv,
            cwd=PROJECT_ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **dict(environment or {})},  # type: ignore[call-overload]
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base_url, process, log_path)
    except BaseException:
        stop(process)
        raise
    return base_url, process


def _wait_until_healthy(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log_path.read_text(errors="replace")
            raise RuntimeError(f"the sandbox exited with {process.returncode}:\n{output}")
        try:
            if call("GET", f"{base_url}/_sandbox/health", timeout=1).status == 200:
                return
        except OSError:  # not listening yet
            time.sleep(0.05)
    raise RuntimeError(f"the sandbox did not answer {base_url} within {START_SECONDS} s")


def stop(process: subprocess.Popen[bytes]) -> int:
    """Stop a sandbox with SIGTERM, killing it if it hangs, and return its exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            return process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def call(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 5.0,
) -> Response:
    """Send one request; 4xx and 5xx answers are returned, network failures raise."""
    request = urllib.request.Request(  # noqa: S310 - tests build only http://127.0.0.1 URLs
        url, data=body, headers=dict(headers or {}), method=method
    )
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            return Response(answer.status, answer.headers, answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return Response(error.code, error.headers, error.read())


def post_json(url: str, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
    encoded = json.dumps(payload).encode()
    return call(
        "POST", url, body=encoded, headers={"Content-Type": "application/json", **(headers or {})}
    )


def reset(base_url: str) -> None:
    """Return a sandbox to its seeded state, with an empty write log and every fault off."""
    # Rates beyond the common ones (Smint.io's rate_limit_rate) are switched off as well.
    current = call("GET", f"{base_url}/_sandbox/faults").json()
    rates = {name: 0.0 for name in current if name.endswith("_rate")}
    for answer in (
        call("POST", f"{base_url}/_sandbox/reset"),
        set_faults(base_url, **(rates | NO_FAULTS)),
    ):
        assert answer.status == 200, answer.body


def set_faults(base_url: str, **faults: float) -> Response:
    return post_json(f"{base_url}/_sandbox/faults", faults)


def write_log(base_url: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = call("GET", f"{base_url}/_sandbox/writes").json()["items"]
    return items
