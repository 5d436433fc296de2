"""200 approvals while Exstream fails 30% of requests and times out 10%, and a worker is killed
mid-drain: every approved rendition ends up in Exstream exactly once, none lost, none doubled."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from django.contrib.auth.models import User
from django.db import connection

from assets.selectors import clean_selectors
from assets.services import asset_create, version_approve, version_create, version_submit
from assets.uploads import inspect_bytes
from govern.models import BusinessUnit
from govern.roles import Role
from govern.services import role_grant
from templates_app.models import Delivery
from tests import images
from tests.sandboxes.runner import PROJECT_ROOT, set_faults, write_log

APPROVALS = 200
SETTLE_SECONDS = 240


def database_url() -> str:
    """Name the test database so a worker process opens the same one."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user, host, port = db["USER"] or "postgres", db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


def worker(exstream: str, media_root: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(media_root),
        "EXSTREAM_API": "proxy",
        "EXSTREAM_URL": exstream,
        "EXSTREAM_TOKEN_URL": f"{exstream}/otdsws/oauth2/token",
        "EXSTREAM_CLIENT_SECRET": "sandbox-secret",
        "EXSTREAM_READ_TIMEOUT": "0.1",
        "EXSTREAM_RETRIES": "4",
        "EXSTREAM_BACKOFF_SECONDS": "0.01",
        "DELIVERY_BACKOFF_SECONDS": "0.05",
        "DELIVERY_MAX_ATTEMPTS": "1000",
        "DELIVERY_LEASE_SECONDS": "3",
    }
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "deliver", "--until-idle"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def approve_many(unit: BusinessUnit) -> None:
    manager, officer = User.objects.create(username="m"), User.objects.create(username="o")
    role_grant(user=manager, role=Role.BRAND_MANAGER, unit=unit, actor=None)
    role_grant(user=officer, role=Role.COMPLIANCE_OFFICER, unit=unit, actor=None)
    for n in range(APPROVALS):
        asset = asset_create(
            key=f"logo.{n}", title=f"Logo {n}", kind="logo", unit=unit, actor=manager
        )
        version = version_create(
            asset=asset,
            selectors=clean_selectors(channels=["web"]),
            content=inspect_bytes(images.png(8 + n, 8)),
            actor=manager,
        )
        version_approve(version=version_submit(version=version, actor=manager), actor=officer)


def delivered() -> int:
    return Delivery.objects.filter(state="delivered").count()


def test_faults_and_a_killed_worker_lose_nothing_and_double_nothing(
    transactional_db: None, roles: None, exstream: str, media_root: Path
) -> None:
    approve_many(BusinessUnit.objects.create(name="Unit", slug="unit"))
    set_faults(exstream, error_rate=0.3, timeout_rate=0.1, timeout_seconds=0.3)
    first = worker(exstream, media_root)
    deadline = time.monotonic() + SETTLE_SECONDS
    while delivered() < APPROVALS // 4 and time.monotonic() < deadline:
        time.sleep(0.2)
    first.send_signal(signal.SIGKILL)  # mid-drain: leased rows and half-pushed images remain
    first.wait()
    assert 0 < delivered() < APPROVALS, "the worker died in the middle of the drain"
    while delivered() < APPROVALS and time.monotonic() < deadline:
        worker(exstream, media_root).wait()  # a restarted worker; leases of the dead one expire
    states = Counter(Delivery.objects.values_list("state", flat=True))
    assert states == {"delivered": APPROVALS}

    landed = Counter(
        entry["idempotency_key"].rsplit(":", 1)[0]
        for entry in write_log(exstream)
        if entry["path"] == "/design/das/v1/resources/images"
        and entry["outcome"] in {"applied", "timeout", "dropped"}
    )
    keys = {str(key) for key in Delivery.objects.values_list("idempotency_key", flat=True)}
    assert set(landed) == keys, "every rendition landed"
    assert set(landed.values()) == {1}, "none landed twice"
    faults = Counter(entry["outcome"] for entry in write_log(exstream))
    assert faults["failed"] > 0 and faults["timeout"] > 0, "the faults really happened"
