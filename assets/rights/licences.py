"""Licence dates: approved versions whose Smint.io licence has ended expire, on a schedule."""

from datetime import datetime

from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from assets.models import LicenseTerm, Version, VersionState
from assets.services import version_expire
from govern.errors import Conflict


def lapsed(now: datetime | None = None) -> QuerySet[Version]:
    """Return approved versions whose licence has ended: every active term's valid_until has
    passed (one term still running, or without an end, keeps the licence alive), on their own
    purchase and on every other purchase that licenses them and is not cancelled."""
    moment = now or timezone.now()
    ended = LicenseTerm.objects.filter(active=True, valid_until__lt=moment).values("purchase_id")
    running = (
        LicenseTerm.objects.filter(active=True)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=moment))
        .exclude(purchase__state="cancelled")
        .values("purchase_id")
    )
    return (
        Version.objects.filter(state=VersionState.APPROVED, purchase_id__in=ended)
        .exclude(purchase_id__in=running)
        .exclude(licences__purchase_id__in=running)
        .annotate(
            licence_end=Max("purchase__terms__valid_until", filter=Q(purchase__terms__active=True))
        )
    )


def versions_expire() -> int:
    """Expire every lapsed version (flagging the templates that use it); return how many."""
    count = 0
    for version in lapsed():
        end = getattr(version, "licence_end", None)  # annotated by lapsed()
        ended = f"{end:%Y-%m-%d}" if end else "earlier"
        try:
            version_expire(version=version, reason=f"The licence ended on {ended}.")
        except Conflict:  # withdrawn or retired a moment ago: nothing left to expire
            continue
        count += 1
    return count
