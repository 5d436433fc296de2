"""Review targets: how long a submitted version may wait for its decision (REVIEW_DUE_HOURS,
per kind), which versions are past it, and telling their officers once when they are."""

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from assets.models import Kind, Version, VersionState
from govern.access import holders
from govern.models import Notification
from govern.notify import notify
from govern.roles import Role


def due_hours(kind: str) -> int:
    hours: dict[str, int] = settings.REVIEW_DUE_HOURS
    return hours.get(kind, hours[""])


def overdue(now: datetime | None = None) -> Q:
    """Versions (by the version's fields) submitted longer ago than their kind's target."""
    now = now or timezone.now()
    late = Q()
    for kind in Kind.values:
        cutoff = now - timedelta(hours=due_hours(kind))
        late |= Q(variant__asset__kind=kind, submitted_at__lt=cutoff)
    return late


def escalate(now: datetime | None = None) -> int:
    """Tell each unit's compliance officers, once per version, of versions in review past
    their target; return how many notices were new."""
    now = now or timezone.now()
    late: QuerySet[Version] = (
        Version.objects.filter(overdue(now), state=VersionState.IN_REVIEW)
        .select_related("variant__asset__business_unit")
        .order_by("submitted_at", "pk")
    )
    told = 0
    for version in _not_told(late):
        asset = version.variant.asset
        own = [pk for pk in (version.created_by_id, version.submitted_by_id) if pk]
        hours = due_hours(asset.kind)
        told += len(
            notify(
                users=holders(Role.COMPLIANCE_OFFICER, asset.business_unit_id).exclude(pk__in=own),
                key=f"overdue:{version.pk}",
                subject=f"Overdue: {version} has waited over {hours} hours",
                body=f"{asset.title} in {asset.business_unit.name} was submitted "
                f"{version.submitted_at:%Y-%m-%d %H:%M} UTC; its target is {hours} hours.",
                url=version.get_absolute_url(),
                urgent=True,
            )
        )
    return told


def _not_told(versions: QuerySet[Version], batch: int = 500) -> Iterator[Version]:
    """The versions no one was told of yet, read a batch at a time."""
    chunk: list[Version] = []
    for version in versions.iterator(chunk_size=batch):
        chunk.append(version)
        if len(chunk) == batch:
            yield from _fresh(chunk)
            chunk = []
    yield from _fresh(chunk)


def _fresh(chunk: list[Version]) -> list[Version]:
    keys = {f"overdue:{version.pk}" for version in chunk}
    told = set(Notification.objects.filter(key__in=keys).values_list("key", flat=True))
    return [version for version in chunk if f"overdue:{version.pk}" not in told]
