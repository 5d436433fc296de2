"""Project-level pages: the home dashboard and the health check."""

import time
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from govern.access import acting_user
from govern.checks import broker_problem, icc_profile_problem, storage_problem
from govern.export_jobs import export_download
from govern.models import ExportJob, ExportState, SetupProblem, WorkerHeartbeat


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        return f"down: {error.__class__.__name__}"
    return "ok"


def _setup_problems() -> dict[str, str]:
    try:
        return dict(SetupProblem.objects.order_by("part").values_list("part", "detail"))
    except DatabaseError:
        return {}


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
    """Report each dependency: database, broker, storage, worker heartbeat, CMYK profile; 503
    when any is down. Setup problems a part met while working (Exstream's token, say) are listed
    under `setup` and make the status "degraded", still 200: Govern serves, that part waits.
    The database is asked every time; what changes slowly (the heartbeat is written once a
    minute) is looked at again after HEALTH_RECHECK_SECONDS."""
    database = _database_status()
    slow = _slow_parts() if database == "ok" else _SLOW_UNKNOWN
    parts = {
        "database": database,
        "broker": slow["broker"] if settings.Q_BROKER_URL else database,
        "storage": slow["storage"],
        "cmyk_profile": slow["cmyk_profile"],
    }
    worker, setup = slow["worker"], slow["setup"]
    healthy = worker["status"] == "ok" and all(value == "ok" for value in parts.values())
    status = ("degraded" if setup else "ok") if healthy else "down"
    body = {"status": status, **parts, "worker": worker, "setup": setup}
    return JsonResponse(body, status=200 if healthy else 503)


_SLOW_UNKNOWN: dict[str, Any] = {
    "broker": "unknown",
    "storage": "unknown",
    "cmyk_profile": "unknown",
    "worker": {"status": "unknown"},
    "setup": {},
}
_slow_seen: dict[str, Any] = {}


def _slow_parts() -> dict[str, Any]:
    """The broker, storage, profile and heartbeat, as seen at most HEALTH_RECHECK_SECONDS ago."""
    now = time.time()  # a clock set back also looks again
    if not _slow_seen or abs(now - _slow_seen["at"]) >= settings.HEALTH_RECHECK_SECONDS:
        _slow_seen.update(
            at=now,
            broker=broker_problem() or "ok",
            storage=storage_problem() or "ok",
            cmyk_profile=icc_profile_problem() or "ok",
            worker=_worker_status(),
            setup=_setup_problems(),
        )
    return _slow_seen


def _own_job(request: HttpRequest, pk: int) -> ExportJob:
    job = ExportJob.objects.filter(pk=pk, requested_by_id=request.user.pk).first()
    if job is None:
        raise Http404("No export job matches the query.")
    return job


@login_required
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show an export's progress (HTMX refreshes it) and its download once written."""
    job = _own_job(request, pk)
    partial = bool(getattr(request, "htmx", False))
    template = "export_progress.html" if partial else "export_detail.html"
    return render(request, template, {"job": job})


@login_required
def export_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Send a finished export to the person who asked for it."""
    job = _own_job(request, pk)
    if job.state != ExportState.DONE:
        return redirect("export-detail", pk=job.pk)
    return export_download(job=job, actor=acting_user(request))
