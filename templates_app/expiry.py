"""Warnings before licences end: once per threshold, to the unit's brand managers and the
owners of every template that uses the asset (through components too).

When a licence ends and by when its first use must start come from assets/rights/licences.py;
the first-use date matters only while no usage report shows a use. Smint.io pushes neither: a
daily schedule asks.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from assets.models import Version, VersionState
from assets.rights import usage_facts
from assets.rights.licences import licence_ends
from govern.models import BusinessUnitUserObjectPermission
from govern.notify import notify
from govern.roles import Role
from templates_app import graph
from templates_app.models import Template, TemplateUserObjectPermission


@dataclass(frozen=True)
class Ending:
    version: Version
    what: str  # "licence" or "first_use"
    at: datetime

    def days_left(self, now: datetime) -> int:
        return max(0, math.ceil((self.at - now) / timedelta(days=1)))

    def describe(self, now: datetime) -> str:
        days = self.days_left(now)
        when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
        if self.what == "licence":
            return f"licence ends {when} ({self.at:%Y-%m-%d})"
        return f"first use must start {when} ({self.at:%Y-%m-%d})"


def endings(now: datetime, horizon_days: int) -> list[Ending]:
    """Return the approved licensed versions whose licence, or first-use date, ends soon
    (assets/rights/licences.py says when a licence ends)."""
    horizon = now + timedelta(days=horizon_days)
    versions = Version.objects.filter(state=VersionState.APPROVED, purchase__isnull=False)
    ends = licence_ends(versions)
    facts = usage_facts({pk for end in ends.values() for pk in end.purchase_ids})
    found = []
    for version in versions.filter(pk__in=list(ends)).select_related("variant__asset"):
        end = ends[version.pk]
        if end.ends_at and now < end.ends_at <= horizon:
            found.append(Ending(version, "licence", end.ends_at))
        used = any(facts.get(pk) and facts[pk].first_use for pk in end.purchase_ids)
        if end.first_use_by and now < end.first_use_by <= horizon and not used:
            found.append(Ending(version, "first_use", end.first_use_by))
    return found


def _people(ending: Ending) -> list[User]:
    asset = ending.version.variant.asset
    templates = graph.users_of_asset(asset.pk)
    owners = TemplateUserObjectPermission.objects.filter(
        content_object_id__in=templates, permission__codename="own_template"
    ).values("user_id")
    managers = BusinessUnitUserObjectPermission.objects.filter(
        content_object_id=asset.business_unit_id, permission__codename=Role.BRAND_MANAGER.value
    ).values("user_id")
    return list(User.objects.filter(pk__in=owners) | User.objects.filter(pk__in=managers))


def expiry_warnings(now: datetime | None = None) -> int:
    """Notify about every licence ending within a threshold, once per threshold; return how
    many notices were new."""
    now = now or timezone.now()
    thresholds = settings.EXPIRY_WARNING_DAYS
    if not thresholds:
        return 0
    sent = 0
    for ending in endings(now, max(thresholds)):
        threshold = min(days for days in thresholds if days >= ending.days_left(now))
        version = ending.version
        asset = version.variant.asset
        templates = Template.objects.filter(pk__in=graph.users_of_asset(asset.pk))
        names = ", ".join(sorted(t.name for t in templates)) or "no template yet"
        sent += len(
            notify(
                users=_people(ending),
                key=f"expiry:{version.pk}:{ending.what}:{ending.at:%Y-%m-%d}:{threshold}",
                subject=f"{asset.key} v{version.number}: {ending.describe(now)}",
                body=f"{asset.title} ({version.variant.selector_label}) is used by: {names}. "
                "Replace it or renew the licence before then.",
                url=version.get_absolute_url(),
            )
        )
    return sent


def soonest_by_template(
    template_ids: set[int], now: datetime | None = None
) -> dict[int, tuple[Ending, str]]:
    """Return, per template, the soonest ending among the assets it uses, and how it reads."""
    now = now or timezone.now()
    soonest: dict[int, tuple[Ending, str]] = {}
    thresholds = settings.EXPIRY_WARNING_DAYS
    if not thresholds or not template_ids:
        return soonest
    for ending in sorted(endings(now, max(thresholds)), key=lambda e: e.at, reverse=True):
        asset = ending.version.variant.asset
        text = f"{asset.key}: {ending.describe(now)}"
        for template_id in graph.users_of_asset(asset.pk) & template_ids:
            soonest[template_id] = (ending, text)
    return soonest
