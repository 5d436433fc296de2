"""Which campaign's version a template slot uses at an instant, in a context, and which
campaigns would meet: the rules pre-flight, the manifest and a campaign's approval share.

A campaign's window runs from its go-live (included) to its end (excluded; none: open). An
item targets one template slot, or an asset wherever a template binds it. Its selectors match
a context as a variant's do: empty is any, a language covers its more specific tags (de covers
de-CH). When several items match one slot, the one naming the slot beats the one naming the
asset, then the most specific selectors, then the latest go-live.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from assets.models import Version
from assets.resolution import Context, language_candidates
from govern.zones import local_text
from templates_app.models import (
    SCHEDULED_CAMPAIGN_STATES,
    Binding,
    Campaign,
    CampaignItem,
)

SELECTORS = ("region", "language", "segment", "channel")


def selectors_match(selectors: dict[str, str], context: Context) -> bool:
    """Say whether an item's selectors take in the context."""
    if selectors["language"] not in language_candidates(context.language):
        return False
    return all(
        not selectors[name] or selectors[name] == getattr(context, name)
        for name in ("region", "segment", "channel")
    )


def _languages_meet(one: str, other: str) -> bool:
    shorter, longer = sorted((one.lower(), other.lower()), key=len)
    return not shorter or longer == shorter or longer.startswith(shorter + "-")


def selectors_overlap(one: dict[str, str], other: dict[str, str]) -> bool:
    """Say whether some context matches both items' selectors."""
    if not _languages_meet(one["language"], other["language"]):
        return False
    return all(
        not one[name] or not other[name] or one[name] == other[name]
        for name in ("region", "segment", "channel")
    )


def describe_selectors(selectors: dict[str, str]) -> str:
    return ", ".join(f"{name} {selectors[name]}" for name in SELECTORS if selectors[name]) or "any"


def _precedence(item: CampaignItem) -> tuple[bool, int, int, datetime, int]:
    selectors = item.selectors()
    named = sum(bool(selectors[name]) for name in SELECTORS)
    return (
        item.template_id is not None,
        named,
        len(selectors["language"]),
        item.campaign.go_live_at,
        item.pk,
    )


class CampaignBook:
    """The items of scheduled campaigns whose window holds an instant, for a set of bindings,
    loaded in one query."""

    def __init__(self, bindings: Iterable[Binding], at: datetime) -> None:
        bindings = list(bindings)
        self.at = at
        self._by_slot: dict[tuple[int, str], list[CampaignItem]] = defaultdict(list)
        self._by_asset: dict[int, list[CampaignItem]] = defaultdict(list)
        if not bindings:
            return
        templates = {binding.template_id for binding in bindings}
        assets = {binding.asset_id for binding in bindings}
        items = (
            CampaignItem.objects.filter(
                Q(template_id__in=templates) | Q(asset_id__in=assets),
                campaign__state__in=SCHEDULED_CAMPAIGN_STATES,
                campaign__go_live_at__lte=at,
            )
            .filter(Q(campaign__ends_at__isnull=True) | Q(campaign__ends_at__gt=at))
            .select_related("campaign", "version__variant__asset")
        )
        for item in items:
            if item.template_id is not None:
                self._by_slot[(item.template_id, item.slot)].append(item)
            elif item.asset_id is not None:
                self._by_asset[item.asset_id].append(item)

    def touches(self, binding: Binding) -> bool:
        """Say whether any campaign in the window has an item for the slot, in any context."""
        key = (binding.template_id, binding.slot)
        return key in self._by_slot or binding.asset_id in self._by_asset

    def _matching(self, binding: Binding, context: Context) -> list[CampaignItem]:
        candidates = [
            *self._by_slot.get((binding.template_id, binding.slot), []),
            *self._by_asset.get(binding.asset_id, []),
        ]
        return [item for item in candidates if selectors_match(item.selectors(), context)]

    def item_for(self, binding: Binding, context: Context) -> CampaignItem | None:
        """Return the item a ready campaign puts into the slot in the context, if any."""
        ready = [item for item in self._matching(binding, context) if not item.campaign.blocked]
        return max(ready, key=_precedence, default=None)

    def blocking(self, binding: Binding, context: Context) -> list[Campaign]:
        """Return the blocked campaigns that should be in the slot in the context."""
        found = {item.campaign_id: item.campaign for item in self._matching(binding, context)}
        return [campaign for campaign in found.values() if campaign.blocked]

    def in_window(self, binding: Binding) -> list[CampaignItem]:
        """Return every ready item for the slot in any context (for a manifest of all)."""
        items = [
            *self._by_slot.get((binding.template_id, binding.slot), []),
            *self._by_asset.get(binding.asset_id, []),
        ]
        return [item for item in items if not item.campaign.blocked]

    def versions(self) -> list[Version]:
        every = [*self._by_slot.values(), *self._by_asset.values()]
        return [item.version for items in every for item in items]


def slots_of(items: Iterable[CampaignItem]) -> dict[int, set[tuple[int, str]]]:
    """Return, per item, the template slots it fills: its own, or every slot binding its asset
    (one query)."""
    items = list(items)
    assets = {item.asset_id for item in items if item.template_id is None}
    bound: dict[int, set[tuple[int, str]]] = defaultdict(set)
    for template_id, slot, asset_id in Binding.objects.filter(asset_id__in=assets).values_list(
        "template_id", "slot", "asset_id"
    ):
        bound[asset_id].add((template_id, slot))
    return {
        item.pk: {(item.template_id, item.slot)}
        if item.template_id is not None
        else bound[item.asset_id or 0]
        for item in items
    }


@dataclass(frozen=True)
class Clash:
    other: Campaign
    slot: str
    selectors: str

    def describe(self) -> str:
        other, zone_name = self.other, self.other.business_unit.time_zone
        until = local_text(other.ends_at, zone_name) if other.ends_at else "open end"
        return (
            f"{other.name} (campaign {other.pk}, {other.get_state_display().lower()}) also fills "
            f"{self.slot} for {self.selectors} from {local_text(other.go_live_at, zone_name)} "
            f"to {until}"
        )


def clashes(campaign: Campaign, states: Iterable[str] = SCHEDULED_CAMPAIGN_STATES) -> list[Clash]:
    """Return the campaigns in these states whose window, slots and contexts meet this one's."""
    mine = list(campaign.items.select_related("template", "asset"))
    meeting = (
        CampaignItem.objects.filter(
            campaign__business_unit_id=campaign.business_unit_id, campaign__state__in=states
        )
        .exclude(campaign_id=campaign.pk)
        .filter(Q(campaign__ends_at__isnull=True) | Q(campaign__ends_at__gt=campaign.go_live_at))
        .select_related("campaign__business_unit", "template", "asset")
    )
    if campaign.ends_at is not None:
        meeting = meeting.filter(campaign__go_live_at__lt=campaign.ends_at)
    others = list(meeting)
    slots = slots_of([*mine, *others])
    names = dict(
        ((binding.template_id, binding.slot), f"{binding.template.name}.{binding.slot}")
        for binding in Binding.objects.filter(
            template_id__in={pair[0] for pairs in slots.values() for pair in pairs}
        ).select_related("template")
    )
    found: dict[int, Clash] = {}
    for item in mine:
        for other in others:
            shared = slots[item.pk] & slots[other.pk]
            if other.campaign_id in found or not shared:
                continue
            if selectors_overlap(item.selectors(), other.selectors()):
                slot = min(names.get(pair, f"{pair[0]}.{pair[1]}") for pair in shared)
                contexts = _meeting(item.selectors(), other.selectors())
                found[other.campaign_id] = Clash(other.campaign, slot, contexts)
    return list(found.values())


def _meeting(one: dict[str, str], other: dict[str, str]) -> str:
    both = {}
    for name in SELECTORS:
        both[name] = max(one[name], other[name], key=len)
    return describe_selectors(both)
