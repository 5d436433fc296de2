"""/healthz reports the database and the worker heartbeat."""

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.db import DatabaseError
from django.test import Client
from django.utils import timezone

from govern.models import WorkerHeartbeat
from govern.tasks import heartbeat


@pytest.fixture(autouse=True)
def look_every_time(settings: Any) -> None:
    settings.HEALTH_RECHECK_SECONDS = 0


@pytest.mark.django_db
def test_worker_without_a_heartbeat_is_down_with_503() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "down",
        "database": "ok",
        "broker": "ok",
        "storage": "ok",
        "worker": {"status": "down", "last_seen": None},
        "cmyk_profile": "ok",
        "setup": {},
    }


@pytest.mark.django_db
def test_recent_heartbeat_makes_the_service_healthy() -> None:
    heartbeat()
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"], body["worker"]["status"]) == ("ok", "ok", "ok")
    assert response.headers["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_stale_heartbeat_reports_the_worker_down() -> None:
    with time_machine.travel(timezone.now() - timedelta(minutes=10)):
        heartbeat()
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["worker"]["status"] == "down"


@pytest.mark.django_db
def test_heartbeat_is_safe_to_run_twice() -> None:
    heartbeat()
    heartbeat()
    assert WorkerHeartbeat.objects.count() == 1


@pytest.mark.django_db
def test_database_failure_gives_503() -> None:
    with mock.patch("govern.views.connection.cursor", side_effect=DatabaseError("gone")):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "down: DatabaseError"
    assert response.json()["worker"] == {"status": "unknown"}


@pytest.mark.django_db
def test_a_missing_cmyk_profile_is_reported_and_a_system_check_error(
    settings: Any, tmp_path: Any
) -> None:
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    heartbeat()
    settings.RENDITION_CMYK_ICC = tmp_path / "missing.icc"
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert "missing.icc is missing" in response.json()["cmyk_profile"]
    with pytest.raises(SystemCheckError, match="govern.E001"):
        call_command("check")


@pytest.mark.django_db
def test_an_unreachable_broker_or_unwritable_media_is_named(settings: Any, tmp_path: Any) -> None:
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    heartbeat()
    settings.Q_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    settings.MEDIA_ROOT = blocked / "media"
    body = Client().get("/healthz").json()
    assert body["status"] == "down"
    assert body["broker"].startswith("The task broker Q_BROKER_URL cannot be reached")
    assert body["storage"].startswith(f"MEDIA_ROOT {blocked / 'media'} cannot be written")
    with pytest.raises(SystemCheckError) as failed:
        call_command("check")
    assert "govern.E002" in str(failed.value) and "govern.E003" in str(failed.value)


@pytest.mark.django_db
def test_a_reachable_redis_broker_is_ok(settings: Any) -> None:
    heartbeat()
    settings.Q_BROKER_URL = "redis://127.0.0.1:6379/0"
    assert Client().get("/healthz").json()["broker"] == "ok"


def _closed_port() -> int:
    from tests.sandboxes.runner import free_port

    return free_port()


@pytest.mark.django_db
def test_slow_parts_are_looked_at_again_only_after_the_recheck_time(settings: Any) -> None:
    settings.HEALTH_RECHECK_SECONDS = 60
    heartbeat()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert Client().get("/healthz").json()["worker"]["status"] == "ok"
        WorkerHeartbeat.objects.all().delete()
        assert Client().get("/healthz").json()["worker"]["status"] == "ok"  # seen 0 s ago
        traveller.shift(61)
        assert Client().get("/healthz").json()["worker"]["status"] == "down"
    with mock.patch("govern.views.connection.cursor", side_effect=DatabaseError("gone")):
        assert Client().get("/healthz").json()["database"] == "down: DatabaseError"  # at once


@pytest.mark.django_db
def test_a_setup_problem_makes_the_service_degraded_but_still_serving() -> None:
    from govern.services import setup_problem_clear, setup_problem_report

    heartbeat()
    setup_problem_report(part="exstream", detail="OTDS answered without an access_token.")
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["setup"] == {"exstream": "OTDS answered without an access_token."}
    setup_problem_clear(part="exstream")
    assert Client().get("/healthz").json()["status"] == "ok"
