"""Which approved version an asset resolves to in a context: the one rule pre-flight, the
manifest and the pages share.

Variants match when each of their selectors is empty or equal to the context's; among the
matches the most specific wins: language first (de-CH before de before any), then region,
segment and channels.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from assets.models import Asset, Variant, Version, VersionState


@dataclass(frozen=True)
class Context:
    region: str = ""
    language: str = ""
    segment: str = ""
    channel: str = ""
    at: datetime | None = None

    def describe(self) -> str:
        parts = {
            "language": self.language,
            "region": self.region,
            "segment": self.segment,
            "channel": self.channel,
        }
        return ", ".join(f"{name} {value}" for name, value in parts.items() if value) or "any"


@dataclass(frozen=True)
class Resolution:
    asset: Asset
    version: Version | None
    reason: str = ""


def language_candidates(language: str) -> list[str]:
    """Return the tags to try, most specific first: de-CH → de-CH, de, any."""
    parts = [part for part in language.split("-") if part]
    return ["-".join(parts[:length]) for length in range(len(parts), 0, -1)] + [""]


def specificity(variant: Variant, context: Context) -> tuple[int, int, int, int] | None:
    """Rank how closely a variant fits a context, or None when it does not fit."""
    languages = language_candidates(context.language)
    if variant.language not in languages:
        return None
    if variant.region and variant.region != context.region:
        return None
    if variant.segment and variant.segment != context.segment:
        return None
    if variant.channels and context.channel not in variant.channel_list:
        return None
    language_rank = len(languages) - languages.index(variant.language)
    return (language_rank, bool(variant.region), bool(variant.segment), bool(variant.channels))


class Catalogue:
    """Variants and approved versions of a set of assets, loaded in two queries."""

    def __init__(self, asset_ids: Iterable[int]) -> None:
        ids = set(asset_ids)
        self.variants: dict[int, list[Variant]] = defaultdict(list)
        for variant in Variant.objects.filter(asset_id__in=ids).select_related("asset"):
            self.variants[variant.asset_id].append(variant)
        self.approved: dict[int, Version] = {
            version.variant_id: version
            for version in Version.objects.filter(
                variant__asset_id__in=ids, state=VersionState.APPROVED
            ).select_related("variant__asset")
        }

    def resolve(self, asset: Asset, context: Context) -> Resolution:
        """Return the approved version of the best-fitting variant that has one, or why not."""
        ranked = sorted(
            (
                (rank, variant)
                for variant in self.variants.get(asset.pk, [])
                if (rank := specificity(variant, context)) is not None
            ),
            key=lambda pair: pair[0],
            reverse=True,
        )
        for _rank, variant in ranked:
            if variant.pk in self.approved:
                return Resolution(asset, self.approved[variant.pk])
        if not ranked:
            return Resolution(asset, None, f"No variant of {asset.key} fits {context.describe()}.")
        labels = ", ".join(variant.selector_label for _rank, variant in ranked)
        return Resolution(
            asset, None, f"Variants of {asset.key} fit ({labels}) but none has an approved version."
        )

    def version_ids(self) -> set[int]:
        """Return the ids of every approved version the catalogue holds."""
        return {version.pk for version in self.approved.values()}

    def approved_versions(self, asset_id: int) -> list[Version]:
        return [
            self.approved[variant.pk]
            for variant in self.variants.get(asset_id, [])
            if variant.pk in self.approved
        ]


def resolve(asset: Asset, context: Context) -> Resolution:
    """Resolve one asset in one context."""
    return Catalogue([asset.pk]).resolve(asset, context)
