"""Platform tasks run by the django-q2 worker."""

from django.utils import timezone

from govern.models import WorkerHeartbeat


def heartbeat() -> None:
    """Record that a worker is alive and draining the queue."""
    WorkerHeartbeat.objects.update_or_create(name="worker", defaults={"beat_at": timezone.now()})
