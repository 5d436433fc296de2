"""Pushes per second to the Exstream sandbox at 20 ms latency with one and two workers, against a
bare httpx loop doing the same requests; time per rendition of a 24-megapixel image per profile."""

import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from bench.harness import ROOT, figure, free_port, manage
from sandboxes.exstream import DEFAULT_PREFIX

PUSHES = 100
LATENCY_MS = 20
API = DEFAULT_PREFIX  # the sandbox's and Govern's default EXSTREAM_API_PREFIX


def _sandbox(
    env: dict[str, str], workdir: Path, api: str = "proxy"
) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "manage.py",
            "sandbox",
            "exstream",
            *("--api", api),
            "--port",
            str(port),
            "--latency-ms",
            str(LATENCY_MS),
            "--state",
            str(workdir / f"exstream-{api}.sqlite3"),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(f"{url}/_sandbox/health", timeout=1)
            return url, process
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the sandbox did not start")


def bare_loop(url: str, count: int) -> float:
    """Push `count` images with plain httpx (lookup, upload, submit, approve); pushes per second."""
    with httpx.Client(base_url=url, timeout=10) as http:
        form = {
            "grant_type": "client_credentials",
            "client_id": "govern",
            "client_secret": "sandbox-secret",
        }
        token = http.post("/otdsws/oauth2/token", data=form).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        started = time.perf_counter()
        for n in range(count):
            key, name = uuid.uuid4().hex, f"bare.{n}/web/web"
            http.get(f"{API}/resources", params={"type": "image", "name": name}, headers=auth)
            made = http.post(
                f"{API}/resources/images",
                headers={**auth, "Idempotency-Key": key},
                data={"name": name, "properties": "{}"},
                files={"file": ("x.webp", b"x" * 4000, "image/webp")},
            ).json()
            base = f"{API}/resources/{made['resource']}/versions/{made['version']}"
            http.post(f"{base}/submit", headers={**auth, "Idempotency-Key": f"{key}:s"})
            http.post(f"{base}/approve", headers={**auth, "Idempotency-Key": f"{key}:a"})
        return count / (time.perf_counter() - started)


def _workers(env: dict[str, str], count: int) -> float:
    """Drain the outbox with `count` worker processes; return the slowest one's seconds."""
    processes = [
        subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "deliver", "--until-idle"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    outputs = [process.communicate()[0] for process in processes]
    return max(float(re.search(r"in ([0-9.]+) s", out).group(1)) for out in outputs)  # type: ignore[union-attr]


def run(env: dict[str, str], workdir: Path) -> None:
    url, sandbox = _sandbox(env, workdir)
    env = {
        **env,
        "EXSTREAM_API": "proxy",  # the bare loop speaks the proxy contract too
        "EXSTREAM_URL": url,
        "EXSTREAM_TOKEN_URL": f"{url}/otdsws/oauth2/token",
        "EXSTREAM_CLIENT_SECRET": "sandbox-secret",
    }
    try:
        baseline = bare_loop(url, PUSHES)
        subprocess.run(
            [sys.executable, "-m", "bench.exstream_populate", str(PUSHES)],  # noqa: S603
            env=env,
            cwd=ROOT,
            check=True,
        )
        one = PUSHES / _workers(env, 1)
        manage(env, "shell", "-c", REQUEUE)
        two = PUSHES / _workers(env, 2)
    finally:
        sandbox.terminate()
        sandbox.wait()
    figure("exstream.bare_httpx_pushes", baseline, "pushes/s", baseline)
    figure("exstream.one_worker_pushes", one, "pushes/s", baseline)
    figure("exstream.two_worker_pushes", two, "pushes/s", baseline)


DAS = "/design/api/v1"


def das_bare_loop(url: str, count: int) -> float:
    """Push `count` new images with plain httpx through the DAS calls a first push makes (list
    the images, create, REVIEW, APPROVED); pushes per second."""
    with httpx.Client(base_url=url, timeout=10) as http:
        form = {
            "grant_type": "client_credentials",
            "client_id": "govern",
            "client_secret": "sandbox-secret",
            "scope": "otds:groups",
        }
        token = http.post("/otdsws/otdstenant/govern/oauth2/token", data=form).json()
        auth = {"Authorization": f"Bearer {token['access_token']}"}
        listing = {"filter.types": "image", "filter.latestVersion": "true", "count": "500"}
        started = time.perf_counter()
        for n in range(count):
            http.get(f"{DAS}/resources/govern", params=listing, headers=auth)
            made = http.post(
                f"{DAS}/resources/govern/content",
                params={"name": f"bare.{n}/web/web", "type": "image"},
                headers=auth,
                files={"file": ("x.webp", b"x" * 4000, "image/webp")},
            ).json()["data"]
            for state in ("REVIEW", "APPROVED"):
                http.put(
                    f"{DAS}/resources/govern/{made['id']}/state",
                    json={"state": state, "auditedComment": "bench", "locked": False},
                    headers=auth,
                )
        return count / (time.perf_counter() - started)


def run_das(env: dict[str, str], workdir: Path) -> None:
    """The same pushes through OpenText's Design API: bare httpx against one and two workers,
    each starting from an empty sandbox so every push is a first one."""
    url, sandbox = _sandbox(env, workdir, api="das")
    env = {
        **env,
        "EXSTREAM_API": "das",
        "EXSTREAM_URL": url,
        "EXSTREAM_TOKEN_URL": f"{url}/otdsws/otdstenant/govern/oauth2/token",
        "EXSTREAM_CLIENT_SECRET": "sandbox-secret",
        "EXSTREAM_DOMAIN": "govern",
    }
    try:
        baseline = das_bare_loop(url, PUSHES)
        speeds = []
        for workers in (1, 2):
            httpx.post(f"{url}/_sandbox/reset", timeout=10)
            manage(env, "shell", "-c", REQUEUE)
            speeds.append(PUSHES / _workers(env, workers))
    finally:
        sandbox.terminate()
        sandbox.wait()
    figure("exstream.das_bare_httpx_pushes", baseline, "pushes/s", baseline)
    figure("exstream.das_one_worker_pushes", speeds[0], "pushes/s", baseline)
    figure("exstream.das_two_worker_pushes", speeds[1], "pushes/s", baseline)


# Send the same renditions again under new keys, as if they had never been delivered.
REQUEUE = (
    "import uuid; from templates_app.models import Delivery\n"
    "for d in Delivery.objects.all():\n"
    "    Delivery.objects.filter(pk=d.pk).update(state='pending', attempts=0, remote_reference='',"
    " idempotency_key=uuid.uuid4())"
)


def renditions(env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.rendition_measure"],  # noqa: S603
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    for line in result.stdout.strip().splitlines():
        print(line, flush=True)
