"""Project-level pages: the home dashboard and the health check."""

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from assets.models import BusinessUnit
from govern.access import scope_for
from govern.models import WorkerHeartbeat


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Show the user's roles per business unit and where their work is."""
    scope = scope_for(request)
    units = BusinessUnit.objects.filter(pk__in=scope.unit_ids)
    memberships = [
        {"unit": unit, "roles": sorted(role.label for role in scope.roles_by_unit[unit.pk])}
        for unit in units
    ]
    return render(request, "home.html", {"memberships": memberships})


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        return f"down: {error.__class__.__name__}"
    return "ok"


def _worker_status() -> dict[str, Any]:
    try:
        beat = WorkerHeartbeat.objects.filter(name="worker").first()
    except DatabaseError:
        return {"status": "unknown"}
    if beat is None:
        return {"status": "down", "last_seen": None}
    age = (timezone.now() - beat.beat_at).total_seconds()
    healthy = age <= settings.WORKER_HEARTBEAT_MAX_AGE
    return {"status": "ok" if healthy else "down", "last_seen": beat.beat_at.isoformat()}


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Report the database and the worker heartbeat; 503 when either is down."""
    database = _database_status()
    worker = _worker_status() if database == "ok" else {"status": "unknown"}
    healthy = database == "ok" and worker["status"] == "ok"
    body = {"status": "ok" if healthy else "down", "database": database, "worker": worker}
    return JsonResponse(body, status=200 if healthy else 503)
