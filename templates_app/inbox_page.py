"""The designer's inbox: a page of unsettled reviews read as plain rows, as the review queue is.

Reviews are read as values, the versions on either side of the page's changes in one query,
and links are made by putting keys into a path reversed once: model instances, an include and
four {% url %} tags per review were most of the page's time.
"""

from typing import Any

from django.db.models import QuerySet

from assets.models import Version
from govern.links import key_path
from templates_app.models import ReplacementRequest, ReplacementState, Review

COLUMNS = (
    *("pk", "state", "action", "detail", "created_at", "asset_id", "asset__key"),
    *("template__name", "template__exstream_id", "actor__username"),
    *("old_version_id", "new_version_id"),
)


def values(reviews: QuerySet[Review]) -> Any:
    """The inbox's columns of these reviews, as dictionaries."""
    return reviews.values(*COLUMNS)


def cards(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the inbox shows for a page of `values` rows: each change's two sides, and whether
    the review waits for a replacement the designer asked for (then it cannot be ticked)."""
    keys = {row[side] for row in rows for side in ("old_version_id", "new_version_id")}
    found = Version.objects.filter(pk__in=keys - {None}).values(
        "pk", "number", "file", "text", "variant__asset__key"
    )
    versions = {version["pk"]: version for version in found}
    waiting = set(
        ReplacementRequest.objects.filter(
            review__in=[row["pk"] for row in rows],
            state__in=[ReplacementState.OPEN, ReplacementState.ANSWERED],
        ).values_list("review_id", flat=True)
    )
    links = {
        "asset": key_path("assets:asset-detail"),
        "preview": key_path("assets:version-preview"),
        "changes": key_path("templates:request-changes"),
    }
    return [_card(row, versions, waiting, links) for row in rows]


def _card(
    row: dict[str, Any], versions: dict[int, Any], waiting: set[int], links: dict[str, str]
) -> dict[str, Any]:
    return {
        "pk": row["pk"],
        "open": row["state"] == "open",
        "waiting": row["pk"] in waiting,
        "template": row["template__name"],
        "exstream_id": row["template__exstream_id"],
        "action": row["action"],
        "detail": row["detail"],
        "asset": row["asset__key"],
        "asset_url": links["asset"].format(row["asset_id"]),
        "changes_url": links["changes"].format(row["pk"]),
        "actor": row["actor__username"],
        "created_at": row["created_at"],
        "before": _side(versions.get(row["old_version_id"]), links["preview"]),
        "after": _side(versions.get(row["new_version_id"]), links["preview"]),
    }


def _side(version: dict[str, Any] | None, preview: str) -> dict[str, Any] | None:
    if version is None:
        return None
    is_text = not version["file"]
    return {
        "label": f"{version['variant__asset__key']} v{version['number']}",
        "text": version["text"] if is_text else None,
        "picture": "" if is_text else preview.format(version["pk"]),
    }
