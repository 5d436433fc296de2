"""What waits for a person, by the roles they hold: counts, the oldest, what is overdue, links.

Each line is one question a role asks first thing ("what must I decide?"), answered with a
count and the age of the oldest item, so the home page is where work starts.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Min, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from assets import due, queue
from assets.models import Version, VersionState
from govern.access import acting_user, scope_for
from govern.roles import Capability
from templates_app.models import (
    UNSETTLED_REVIEW_STATES,
    Campaign,
    CampaignState,
    Delivery,
    DeliveryState,
    ExstreamGap,
    ReplacementRequest,
    ReplacementState,
    Review,
)
from usage.models import ExceptionState, UsageException

COUNT_CAP = 1000  # counted up to this many ("1,000+")


@dataclass(frozen=True)
class Waiting:
    label: str
    count: int
    oldest: datetime | None
    url: str
    overdue: int = 0

    @property
    def count_label(self) -> str:
        return f"{COUNT_CAP:,}+" if self.count > COUNT_CAP else f"{self.count:,}"

    @property
    def age(self) -> str:
        if self.oldest is None:
            return ""
        return queue.age((timezone.now() - self.oldest).total_seconds())


def waiting_for(request: HttpRequest) -> list[Waiting]:
    """The lines of work the person's roles give them, in the order they are usually done."""
    scope = scope_for(request)
    lines: list[Waiting] = []
    if units := scope.unit_ids_for(Capability.DECIDE_VERSIONS):
        lines.append(_versions_to_decide(request))
        lines.append(_campaigns_to_decide(request, units))
    if units := scope.unit_ids_for(Capability.REVIEW_TEMPLATES):
        lines.append(_reviews_to_acknowledge(request))
        lines.append(_exstream_gaps(units))
    if units := scope.unit_ids_for(Capability.EDIT_ASSETS):
        lines.append(_replacements_to_answer(units))
        lines.append(_drafts_to_submit(units))
    if units := scope.unit_ids_for(Capability.READ_USAGE):
        lines.append(_exceptions_open(units))
    if units := scope.unit_ids_for(Capability.RETRY_DELIVERIES):
        lines.append(_dead_deliveries(units))
    return lines


def _line(label: str, rows: QuerySet[Any], field: str, url: str, late: int = 0) -> Waiting:
    count = rows.order_by()[: COUNT_CAP + 1].count()
    oldest = rows.aggregate(oldest=Min(field))["oldest"] if count else None
    return Waiting(label, count, oldest, url, late)


def _campaigns_to_decide(request: HttpRequest, units: set[int]) -> Waiting:
    """Campaigns in review in the officer's units that someone else made."""
    me = acting_user(request).pk
    campaigns = (
        Campaign.objects.filter(business_unit_id__in=units, state=CampaignState.IN_REVIEW)
        .exclude(created_by_id=me)
        .exclude(submitted_by_id=me)
        .exclude(decisions__actor_id=me)
    )
    url = reverse("templates:campaign-list") + "?state=in_review"
    return _line("Campaigns waiting for your decision", campaigns, "submitted_at", url)


def _versions_to_decide(request: HttpRequest) -> Waiting:
    versions = queue.awaiting(request)
    late = versions.filter(due.overdue()).order_by()[: COUNT_CAP + 1].count()
    url = reverse("assets:review-queue")
    return _line("Versions waiting for your decision", versions, "submitted_at", url, late)


def _reviews_to_acknowledge(request: HttpRequest) -> Waiting:
    reviews = Review.objects.filter(
        template__templateuserobjectpermission__user=acting_user(request),
        template__business_unit_id__in=scope_for(request).unit_ids_for(Capability.REVIEW_TEMPLATES),
        state__in=UNSETTLED_REVIEW_STATES,
    )
    return _line(
        "Template reviews waiting for you", reviews, "created_at", reverse("templates:inbox")
    )


def _exstream_gaps(units: set[int]) -> Waiting:
    """Communications Exstream uses an asset in that Govern's bindings do not know of."""
    gaps = ExstreamGap.objects.filter(asset__business_unit_id__in=units)
    first = gaps.order_by("found_at", "pk").values_list("asset_id", flat=True).first()
    url = reverse("assets:asset-detail", args=[first]) if first else reverse("assets:library")
    label = "Communications using an asset Govern does not know of (by Exstream's links)"
    return _line(label, gaps, "found_at", url)


def _replacements_to_answer(units: set[int]) -> Waiting:
    asked = ReplacementRequest.objects.filter(
        asset__business_unit_id__in=units, state=ReplacementState.OPEN
    )
    url = reverse("templates:replacements")
    return _line("Replacement requests to answer", asked, "created_at", url)


def _drafts_to_submit(units: set[int]) -> Waiting:
    drafts = Version.objects.filter(
        variant__asset__business_unit_id__in=units, state=VersionState.DRAFT
    )
    url = f"{reverse('assets:library')}?state=draft"
    return _line("Drafts not yet submitted", drafts, "created_at", url)


def _exceptions_open(units: set[int]) -> Waiting:
    found = UsageException.objects.filter(business_unit_id__in=units, state=ExceptionState.OPEN)
    url = reverse("usage:exceptions")
    return _line("Usage exceptions not yet explained", found, "created_at", url)


def _dead_deliveries(units: set[int]) -> Waiting:
    dead = Delivery.objects.filter(
        version__variant__asset__business_unit_id__in=units,
        version__state=VersionState.APPROVED,
        state=DeliveryState.DEAD,
    )
    url = reverse("templates:deliveries")
    return _line("Deliveries to Exstream that failed", dead, "created_at", url)
