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


@pytest.mark.django_db
def test_worker_without_a_heartbeat_is_down_with_503() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "down",
        "database": "ok",
        "worker": {"status": "down", "last_seen": None},
        "cmyk_profile": "ok",
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
