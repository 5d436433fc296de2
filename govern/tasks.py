"""Platform tasks run by the django-q2 worker."""

from django.utils import timezone

from govern.export_jobs import export_job_build
from govern.models import WorkerHeartbeat


def heartbeat() -> None:
    """Record that a worker is alive and draining the queue."""
    WorkerHeartbeat.objects.update_or_create(name="worker", defaults={"beat_at": timezone.now()})


def export_build(job_id: int) -> str:
    """Write a queued export (the request queues it; safe to run twice)."""
    return export_job_build(job_id=job_id)
