"""The review queue: the versions a compliance officer may still decide, read as plain rows.

A queue page is read as values, not models: building six model instances per row and
resolving their attributes in the template was half of the page's time. A row's link is the
version page's path with its key put in (one URL reversal per page, not per row), and its age
is said in its largest unit ("3 days"), as a queue is scanned.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from assets.models import Kind, Version, selector_label
from govern.access import scope_for
from govern.roles import Capability

# What a queue row shows; the rest of a version (its text, metadata, criteria) stays unread.
COLUMNS = (
    *("pk", "number", "submitted_at", "required_approvals", "approval_count"),
    *("variant__language", "variant__region", "variant__segment", "variant__channels"),
    *("variant__asset__key", "variant__asset__title", "variant__asset__kind"),
    *("variant__asset__regulated", "variant__asset__business_unit__name"),
    "submitted_by__username",
)
KIND_LABELS = dict(Kind.choices)
_KEY = 2_147_483_647  # reversed once, then replaced by each row's key
AGES = ((86_400, "day"), (3_600, "hour"), (60, "minute"))


def awaiting(request: HttpRequest) -> QuerySet[Version]:
    """The versions awaiting this compliance officer, oldest submission first."""
    unit_ids = scope_for(request).unit_ids_for(Capability.DECIDE_VERSIONS)
    return (
        Version.objects.awaiting_review_by(request.user, unit_ids)
        .with_context()
        .order_by("submitted_at", "pk")
    )


def values(versions: QuerySet[Version]) -> Any:
    """The queue's columns of these versions, as dictionaries."""
    return versions.values(*COLUMNS)


def rows(values_page: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the queue's table shows for a page of `values` rows."""
    now = timezone.now()
    url = reverse("assets:version-review", args=[_KEY]).replace(str(_KEY), "{}")
    return [_row(value, now, url) for value in values_page]


def age(seconds: float) -> str:
    """How long something has waited, in its largest whole unit: "3 days", "1 hour"."""
    for size, unit in AGES:
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "under a minute"


def _row(value: dict[str, Any], now: datetime, url: str) -> dict[str, Any]:
    variant = selector_label(
        value["variant__language"],
        value["variant__region"],
        value["variant__segment"],
        value["variant__channels"],
    )
    return {
        "url": url.format(value["pk"]),
        "key": value["variant__asset__key"],
        "title": value["variant__asset__title"],
        "kind": KIND_LABELS.get(value["variant__asset__kind"], value["variant__asset__kind"]),
        "regulated": value["variant__asset__regulated"],
        "unit": value["variant__asset__business_unit__name"],
        "variant": variant,
        "number": value["number"],
        "submitted_by": value["submitted_by__username"] or "—",
        "waiting": age((now - value["submitted_at"]).total_seconds())
        if value["submitted_at"]
        else "—",
        "approvals": value["approval_count"],
        "required": value["required_approvals"],
    }
