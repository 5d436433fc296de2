"""Reviewers' comments pinned to a region of an image or a span of a text, threaded, carried to
the variant's later versions until someone resolves them: who may comment, where a pin may go,
and the threads of a version. Adding and resolving are services (assets/services.py)."""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet

from assets.models import Annotation, Version
from govern.access import user_can
from govern.roles import Capability

MAX_BODY = 5000
# Who comments on versions: compliance officers and brand managers of the unit.
ANNOTATORS = (Capability.DECIDE_VERSIONS, Capability.EDIT_ASSETS)


@dataclass(frozen=True)
class Pin:
    """Where a comment is pinned: a region (fractions) or a span (characters), or nowhere."""

    x: float | None = None
    y: float | None = None
    width: float | None = None
    height: float | None = None
    start: int | None = None
    end: int | None = None


def may_annotate(user: User, version: Version) -> None:
    unit_id = version.variant.asset.business_unit_id
    if not any(user_can(user, capability, unit_id) for capability in ANNOTATORS):
        raise PermissionDenied("Compliance officers and brand managers comment on versions.")


def checked_pin(version: Version, pin: Pin) -> dict[str, Any]:
    region = (pin.x, pin.y, pin.width, pin.height)
    span = (pin.start, pin.end)
    if any(v is not None for v in region) and any(v is not None for v in span):
        raise ValidationError({"pin": "Pin to a region of an image or a span of a text, not both."})
    if any(v is not None for v in region):
        return _region(version, region)
    if any(v is not None for v in span):
        return _span(version, span)
    return {}


def _region(version: Version, region: tuple[float | None, ...]) -> dict[str, Any]:
    if version.is_text:
        raise ValidationError({"pin": "A text is annotated by a span of characters, not a region."})
    if any(v is None for v in region):
        raise ValidationError({"pin": "A region needs x, y, width and height."})
    x, y, width, height = (float(v) for v in region)  # type: ignore[arg-type]
    inside = 0 <= x < 1 and 0 <= y < 1 and 0 < width <= 1 - x and 0 < height <= 1 - y
    if not inside:
        raise ValidationError(
            {
                "pin": "The region must lie inside the image: x and y from 0, width and height "
                "above 0, x + width and y + height at most 1 (fractions of the image)."
            }
        )
    return {"x": x, "y": y, "width": width, "height": height}


def _span(version: Version, span: tuple[int | None, int | None]) -> dict[str, Any]:
    if not version.is_text:
        raise ValidationError({"pin": "An image is annotated by a region, not a span."})
    start, end = span
    if start is None or end is None or not 0 <= start < end <= len(version.text):
        raise ValidationError(
            {"pin": f"The span must lie inside the text: 0 ≤ start < end ≤ {len(version.text)}."}
        )
    return {"start": start, "end": end}


def threads_for(version: Version) -> QuerySet[Annotation]:
    """The threads shown on a version: its own, and the open ones of the variant's earlier
    versions (carried forward), oldest first, replies prefetched."""
    own = Annotation.objects.filter(version=version, parent__isnull=True)
    carried = Annotation.objects.filter(
        version__variant_id=version.variant_id,
        version__number__lt=version.number,
        parent__isnull=True,
        resolved_at__isnull=True,
    )
    return (
        (own | carried)
        .select_related("author", "version", "resolved_by")
        .prefetch_related("replies__author")
        .order_by("created_at", "pk")
    )
