"""`manage.py serve` runs the web app and a worker under honcho: one Ctrl-C stops them all."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.sandboxes.runner import free_port

ROOT = Path(__file__).resolve().parents[2]


def environment(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ENV_FILE": os.devnull,
        "DEBUG": "1",
        "SECRET_KEY": "serve-test-secret-key-serve-test-secret-key-0123456789",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "START_SANDBOXES": "0",
    }


def wait_for(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).close()  # noqa: S310 - loopback
            return True
        except urllib.error.HTTPError:
            return True  # it answers, if only with 503 while the worker starts
        except OSError:
            time.sleep(0.2)
    return False


def processes_with(marker: str) -> list[int]:
    """Return the ids of live processes whose environment holds the marker."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                status = (entry / "status").read_text()
                if "State:\tZ" not in status:
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table from /proc")
def test_one_interrupt_stops_the_web_app_and_the_worker(tmp_path: Path) -> None:
    env = environment(tmp_path)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], env=env, check=True, cwd=ROOT)  # noqa: S603
    port = free_port()
    serve = subprocess.Popen(  # noqa: S603
        [*manage, "serve", "--bind", f"127.0.0.1:{port}", "--no-sandboxes", "--web-workers", "1"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert wait_for(f"http://127.0.0.1:{port}/healthz", 60), "the web app never answered"
        marker = str(tmp_path / "serve.sqlite3")
        deadline = time.monotonic() + 30
        while len(processes_with(marker)) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)  # serve itself, gunicorn and the worker
        assert len(processes_with(marker)) >= 3
        serve.send_signal(signal.SIGINT)
        output, _ = serve.communicate(timeout=30)
    finally:
        if serve.poll() is None:
            serve.kill()
    assert serve.returncode == 0, "stopped as asked"
    assert b"web" in output and b"worker" in output, "honcho names each process's lines"
    deadline = time.monotonic() + 10
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_with(marker) == [], "a child outlived the interrupt"
    assert not wait_for(f"http://127.0.0.1:{port}/healthz", 1)


def test_the_exstream_sandbox_speaks_the_contract_and_domain_govern_is_set_for(
    settings: Any,
) -> None:
    from console.management.commands.serve import sandbox_commands

    settings.EXSTREAM_URL = "http://127.0.0.1:8101"
    settings.EXSTREAM_API, settings.EXSTREAM_DOMAIN = "das", "letters"
    das = sandbox_commands("manage.py", "127.0.0.1:8000")["exstream-sandbox"]
    settings.EXSTREAM_API, settings.EXSTREAM_DOMAIN = "proxy", None
    proxy = sandbox_commands("manage.py", "127.0.0.1:8000")["exstream-sandbox"]

    assert das[das.index("--api") + 1] == "das"
    assert das[das.index("--domain") + 1] == "letters"
    assert proxy[proxy.index("--api") + 1] == "proxy"
    assert "--domain" not in proxy
