"""What the campaign builder offers to pick: the slots (and assets) an item replaces, and the
unit's approved versions with their thumbnails, as radio lists whose labels wrap on a phone
where a select's option would be cut off."""

from dataclasses import dataclass
from itertools import groupby
from typing import Any

from django import forms
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from assets.models import Version, VersionState
from templates_app.models import Binding

# A unit with more is offered its first ones; the API takes any of them.
MAX_PICKS = 500
EVERY_TEMPLATE = "Wherever a template binds it"
ROW = (
    '<label class="pick" for="{id}_{index}"><input type="radio" name="{name}" value="{value}" '
    'id="{id}_{index}" required{checked}>{thumb}<span>{label} <span class="muted">{note}</span>'
    "</span></label>"
)


@dataclass(frozen=True)
class Pick:
    value: str
    label: str
    note: str = ""
    thumb: SafeString = SafeString("")
    group: str = ""


class PickList(forms.RadioSelect):
    """Radio buttons in groups, each with a thumbnail and a note, rendered in Python as the
    Select is (hundreds of options stay cheap), in a box that scrolls."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.picks: list[Pick] = []
        self.empty = "Nothing to pick yet."

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        if not self.picks:
            return format_html('<p class="muted">{}</p>', self.empty)
        base, chosen = (attrs or {}).get("id", f"id_{name}"), set(self.format_value(value))
        numbered = list(enumerate(self.picks))
        groups = format_html_join(
            "",
            "{}",
            (
                (_group(base, name, chosen, group, list(rows)),)
                for group, rows in groupby(numbered, key=lambda row: row[1].group)
            ),
        )
        listed = format_html('<div class="picks" id="{}">{}</div>', base, groups)
        if len(self.picks) < MAX_PICKS:
            return listed
        return format_html(
            '{}<p class="muted">The first {} are offered here; the API takes any.</p>',
            listed,
            MAX_PICKS,
        )


def _group(base: str, name: str, chosen: set[str], group: str, rows: list[Any]) -> SafeString:
    picks = format_html_join("", ROW, (_row(base, name, chosen, *row) for row in rows))
    if not group:
        return picks
    heading = f"{base}_group_{rows[0][0]}"
    return format_html(
        '<div class="pick-group" role="group" aria-labelledby="{}"><p id="{}">{}</p>{}</div>',
        heading,
        heading,
        group,
        picks,
    )


def _row(base: str, name: str, chosen: set[str], index: int, pick: Pick) -> dict[str, Any]:
    checked = " checked" if pick.value in chosen else ""
    return {
        "id": base,
        "index": index,
        "name": name,
        "value": pick.value,
        "checked": checked,
        "thumb": pick.thumb,
        "label": pick.label,
        "note": pick.note,
    }


def target_picks(unit_id: int) -> list[Pick]:
    """Every slot of the unit's templates, by template, then every asset they bind."""
    bindings = (
        Binding.objects.filter(template__business_unit_id=unit_id)
        .select_related("template", "asset")
        .order_by("template__name", "template_id", "slot")[:MAX_PICKS]
    )
    slots, assets = [], {}
    for binding in bindings:
        value = f"slot:{binding.template_id}:{binding.slot}"
        slots.append(
            Pick(value, binding.slot, f"now {binding.asset.key}", group=binding.template.name)
        )
        assets[binding.asset_id] = binding.asset.key
    wide = [
        Pick(f"asset:{pk}", key, "in every template", group=EVERY_TEMPLATE)
        for pk, key in sorted(assets.items(), key=lambda pair: pair[1])
    ]
    return (slots + wide)[:MAX_PICKS]


def version_picks(unit_id: int) -> list[Pick]:
    """The unit's approved versions (only those may go live in a campaign), with thumbnails."""
    versions = (
        Version.objects.filter(
            variant__asset__business_unit_id=unit_id, state=VersionState.APPROVED
        )
        .select_related("variant__asset")
        .order_by("variant__asset__key", "-number")[:MAX_PICKS]
    )
    return [Pick(str(v.pk), str(v), _context(v), _thumb(v)) for v in versions]


def _context(version: Version) -> str:
    label = version.variant.selector_label
    return "any context" if label == "any" else label


def _thumb(version: Version) -> SafeString:
    if version.is_text:
        return format_html('<span class="text-thumb">“{}”</span>', version.text[:40])
    url = reverse("assets:version-preview", args=[version.pk])
    return format_html(
        '<img class="slot-thumb" src="{}?size=row" alt="" width="48" height="48" loading="lazy">',
        url,
    )
