"""The review queue: the versions a compliance officer may still decide, read as plain rows.

A queue page is read as values, not models: building six model instances per row and
resolving their attributes in the template was half of the page's time. A row's link is the
version page's path with its key put in (one URL reversal per page, not per row), and its age
is said in its largest unit ("3 days"), as a queue is scanned.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, QueryDict
from django.utils import timezone

from assets.due import due_hours
from assets.forms import QueueFilterForm
from assets.models import Kind, Version, selector_label
from assets.rights.standing import NO_LICENCE, standings
from govern.access import scope_for, scoped
from govern.links import key_path
from govern.models import BusinessUnit
from govern.roles import Capability

# What a queue row shows; the rest of a version (its text, metadata, criteria) stays unread.
COLUMNS = (
    *("pk", "number", "submitted_at", "required_approvals", "approval_count", "media_type"),
    *("variant__language", "variant__region", "variant__segment", "variant__channels"),
    *("variant__asset__key", "variant__asset__title", "variant__asset__kind"),
    *("variant__asset__regulated", "variant__asset__business_unit_id"),
    "submitted_by__username",
    "purchase_id",
)
KIND_LABELS = dict(Kind.choices)
AGES = ((86_400, "day"), (3_600, "hour"), (60, "minute"))


def awaiting(request: HttpRequest) -> QuerySet[Version]:
    """The versions awaiting this compliance officer, oldest submission first."""
    unit_ids = scope_for(request).unit_ids_for(Capability.DECIDE_VERSIONS)
    return (
        Version.objects.awaiting_review_by(request.user, unit_ids)
        .with_context()
        .order_by("submitted_at", "pk")
    )


def filtered(request: HttpRequest, params: QueryDict) -> tuple[QueueFilterForm, Any]:
    """The queue's filter form for these parameters, and the versions it lets through in its
    order (none when a parameter is invalid: the form says which)."""
    unit_ids = scope_for(request).unit_ids_for(Capability.DECIDE_VERSIONS)
    data = _own(params)
    form = QueueFilterForm(data or None, units=BusinessUnit.objects.filter(pk__in=unit_ids))
    versions = awaiting(request)
    if form.is_bound:
        versions = form.apply(versions) if form.is_valid() else versions.none()
    return form, versions


def _own(params: QueryDict) -> dict[str, str]:
    """The queue's own parameters, those given; anything else is dropped."""
    return {name: str(params[name]) for name in QueueFilterForm.base_fields if params.get(name)}


def parameters(raw: str) -> QueryDict:
    """The queue's own parameters from a carried query string."""
    kept = QueryDict(mutable=True)
    kept.update(_own(QueryDict(raw)))
    return kept


def query(form: QueueFilterForm) -> str:
    """The form's parameters as a query string, to carry the queue from page to page."""
    return urlencode(form.data) if form.is_bound else ""


@dataclass(frozen=True)
class Position:
    """Where a version stands in its filtered queue: "3 of 14", and its neighbours."""

    number: int
    total: int
    capped: bool
    previous: int | None
    next: int | None

    @property
    def total_label(self) -> str:
        return f"{self.total - 1:,}+" if self.capped else f"{self.total:,}"


def keys(versions: QuerySet[Version], cap: int) -> list[int]:
    """The keys of the first `cap` + 1 versions, in the queue's order."""
    return list(versions.values_list("pk", flat=True)[: cap + 1])


def position(versions: QuerySet[Version], pk: int, cap: int) -> Position | None:
    """The version's place among the first `cap` of the queue (None when it is not there)."""
    ordered = keys(versions, cap)
    if pk not in ordered[:cap]:
        return None
    index = ordered.index(pk)
    return Position(
        number=index + 1,
        total=len(ordered),
        capped=len(ordered) > cap,
        previous=ordered[index - 1] if index > 0 else None,
        next=ordered[index + 1] if index + 1 < len(ordered) else None,
    )


def chosen(request: HttpRequest, keys: list[int]) -> list[Version]:
    """The versions with these keys, in the caller's units; a key outside them is a 404 for
    the whole choice, as one version outside them would be."""
    versions = scoped(request, Version.objects.with_context(), "variant__asset__business_unit")
    found = versions.in_bulk(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        raise Http404(f"No version {missing[0]} in your business units.")
    return [found[key] for key in dict.fromkeys(keys)]


def values(versions: QuerySet[Version]) -> Any:
    """The queue's columns of these versions, as dictionaries."""
    return versions.values(*COLUMNS)


def rows(
    values_page: Iterable[dict[str, Any]], unit_names: dict[int, str], carried: str = ""
) -> list[dict[str, Any]]:
    """What the queue's table shows for a page of `values` rows, units named from the form's
    (every row is in one of them: no join to name them); links carry the query."""
    now = timezone.now()
    url = key_path("assets:version-review")
    url += f"?{carried}" if carried else ""
    picture = key_path("assets:version-preview") + "?size=row"
    shown = [_row(value, now, url, picture) for value in values_page]
    for row in shown:
        row["unit"] = unit_names.get(row.pop("unit_id"), "")
    licensed = [row["pk"] for row in shown if row["licensed"]]
    found = (
        standings(list(Version.objects.select_related("variant__asset").filter(pk__in=licensed)))
        if licensed
        else {}
    )
    for row in shown:
        row["rights"] = found.get(row["pk"], NO_LICENCE)
        row["together"] = not row["regulated"] and row["rights"].one_click
    return shown


@dataclass(frozen=True)
class Together:
    """What "all in the filter" decides together, and what it leaves to be decided one by one."""

    versions: list[Version]
    regulated: int
    held: int


def together(request: HttpRequest, params: QueryDict, limit: int) -> Together:
    """The versions of the filtered queue that may be decided together: not regulated, and
    licensed only if their licence covers them. More than `limit` is refused, naming it."""
    versions = filtered(request, params)[1]
    regulated = versions.filter(variant__asset__regulated=True).count()
    keys = list(
        versions.filter(variant__asset__regulated=False).values_list("pk", flat=True)[: limit + 1]
    )
    if len(keys) > limit:
        raise ValidationError(
            f"The filter matches more than {limit} versions that could be decided together; "
            f"at most {limit} are decided at once: narrow the filter."
        )
    chosen = list(Version.objects.with_context().filter(pk__in=keys).order_by("submitted_at", "pk"))
    found = standings(chosen)
    kept = [version for version in chosen if found[version.pk].one_click]
    return Together(kept, regulated, len(chosen) - len(kept))


def age(seconds: float) -> str:
    """How long something has waited, in its largest whole unit: "3 days", "1 hour"."""
    for size, unit in AGES:
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "under a minute"


def _row(value: dict[str, Any], now: datetime, url: str, picture: str) -> dict[str, Any]:
    submitted = value["submitted_at"]
    waited = (now - submitted).total_seconds() if submitted else None
    variant = selector_label(
        value["variant__language"],
        value["variant__region"],
        value["variant__segment"],
        value["variant__channels"],
    )
    return {
        "pk": value["pk"],
        "url": url.format(value["pk"]),
        "picture": picture.format(value["pk"]) if value["media_type"].startswith("image/") else "",
        "key": value["variant__asset__key"],
        "title": value["variant__asset__title"],
        "kind": KIND_LABELS.get(value["variant__asset__kind"], value["variant__asset__kind"]),
        "regulated": value["variant__asset__regulated"],
        "unit_id": value["variant__asset__business_unit_id"],
        "variant": variant,
        "number": value["number"],
        "submitted_by": value["submitted_by__username"] or "—",
        "waiting": age(waited) if waited is not None else "—",
        "overdue": waited is not None and waited > due_hours(value["variant__asset__kind"]) * 3600,
        "approvals": value["approval_count"],
        "required": value["required_approvals"],
        "licensed": value["purchase_id"] is not None,
    }
