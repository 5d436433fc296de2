"""Two web processes and two workers on PostgreSQL, Redis and S3, as DESIGN's scale-out: an
approval on one web process is delivered by whichever worker takes it from Redis, rendered from
the bucket, and the other web process's pre-flight then says go."""

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from assets.models import Asset, Version
from govern.services import api_key_create
from templates_app.models import Delivery, DeliveryState, Template
from templates_app.services import binding_set
from tests.conftest import PASSWORD
from tests.s3 import object_names, s3_client, storage_environment
from tests.sandboxes.runner import PROJECT_ROOT, free_port

pytestmark = pytest.mark.postgres_only
REDIS = ("127.0.0.1", 6379)
SETTLE_SECONDS = 120


def redis_url() -> str:
    try:
        socket.create_connection(REDIS, timeout=2).close()
    except OSError as error:
        pytest.fail(f"Redis must listen on {REDIS[0]}:{REDIS[1]} for the scale-out test: {error}")
    return f"redis://{REDIS[0]}:{REDIS[1]}/0"


def environment(exstream: str, bucket: str, endpoint: str, media_root: Path) -> dict[str, str]:
    db = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "Q_BROKER_URL": redis_url(),
        "Q_CLUSTER_NAME": f"govern-test-{uuid.uuid4().hex[:8]}",  # its own queue in Redis
        "Q_WORKERS": "1",
        **storage_environment(endpoint, bucket),
        "MEDIA_ROOT": str(media_root),  # must stay empty
        "EXSTREAM_API": "proxy",
        "EXSTREAM_URL": exstream,
        "EXSTREAM_TOKEN_URL": f"{exstream}/otdsws/oauth2/token",
        "EXSTREAM_CLIENT_SECRET": "sandbox-secret",
        "ALLOWED_HOSTS": "127.0.0.1",
    }


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(  # noqa: S603
            argv, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )


def web(env: dict[str, str], log: Path) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "govern.wsgi", "--bind", f"127.0.0.1:{port}"]
    process = start([*argv, "--workers", "1", "--threads", "2"], env, log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/login/", timeout=1)
            return base, process
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"gunicorn did not start: {log.read_text()[-2000:]}")


@pytest.fixture
def cluster(
    transactional_db: None,
    exstream: str,
    s3_endpoint: str,
    tmp_path: Path,
) -> Iterator[dict[str, Any]]:
    bucket = f"govern-{uuid.uuid4().hex[:12]}"
    s3_client(s3_endpoint).create_bucket(Bucket=bucket)
    env = environment(exstream, bucket, s3_endpoint, tmp_path / "media")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        urls = []
        for n in (1, 2):
            url, process = web(env, tmp_path / f"web{n}.log")
            urls.append(url)
            processes.append(process)
        for n in (1, 2):
            worker = [sys.executable, "manage.py", "qcluster"]
            processes.append(start(worker, env, tmp_path / f"worker{n}.log"))
        yield {"webs": urls, "bucket": bucket, "env": env, "logs": tmp_path}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()


def logged_in(base: str, user: Any) -> httpx.Client:
    """Sign in over HTTP; the password is re-hashed with a hasher the servers know (the tests'
    own fast one is not among production's)."""
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])
    client = httpx.Client(base_url=base, timeout=30)
    client.get("/login/")
    answer = client.post(
        "/login/",
        data={
            "username": user.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": client.cookies["csrftoken"],
        },
    )
    assert answer.status_code == 302, answer.text[:500]
    return client


def wait_for_deliveries(version: Version, logs: Path) -> set[str]:
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        states = set(Delivery.objects.filter(version=version).values_list("state", flat=True))
        if states == {DeliveryState.DELIVERED}:
            return states
        time.sleep(0.5)
    worker_log = "\n".join((logs / f"worker{n}.log").read_text()[-1500:] for n in (1, 2))
    raise AssertionError(f"not delivered: {states}\n{worker_log}")


def test_approve_deliver_preflight_across_two_webs_and_two_workers(
    cluster: dict[str, Any],
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    designer: Any,
    make_template: Callable[..., Template],
    s3_endpoint: str,
    settings: Any,
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": settings.MEDIA_BACKENDS["s3"]["BACKEND"],
            "OPTIONS": {
                **settings.MEDIA_BACKENDS["s3"]["OPTIONS"],
                "bucket_name": cluster["bucket"],
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "addressing_style": "path",
            },
        },
    }
    letter = make_template("Policy letter", channels=["print", "email"])
    binding_set(template=letter, slot="logo", asset=logo, actor=designer)
    version = add_version(logo)  # stored in the bucket by this process
    first, second = cluster["webs"]

    officer = logged_in(first, compliance_officer)
    approved = officer.post(
        f"/api/v1/versions/{version.pk}/approve/",
        json={"comment": "Brand refresh, checked."},
        headers={"X-CSRFToken": officer.cookies["csrftoken"]},
    )
    assert approved.status_code == 200, approved.text
    wait_for_deliveries(version, cluster["logs"])  # taken from Redis by either worker

    stored = object_names(s3_endpoint, cluster["bucket"])
    renditions = [name for name in stored if name != version.file]
    assert version.file in stored and len(renditions) >= 2  # print and email, in the bucket
    assert not (Path(cluster["env"]["MEDIA_ROOT"])).exists()

    _key, raw_key = api_key_create(name="exstream-prod", units=[logo.business_unit], actor=None)
    answer = httpx.post(
        f"{second}/api/v1/templates/{letter.pk}/preflight/",
        json={"run_at": "2030-01-06T06:00:00Z", "contexts": [{"channel": "print"}]},
        headers={"Authorization": f"Bearer {raw_key}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["verdict"] == "go", answer.json()["reasons"]
