"""Which approved version an asset resolves to in a context: the one rule pre-flight, the
manifest and the pages share.

Variants match when each of their selectors is empty or equal to the context's; among the
matches the most specific wins: language first (de-CH before de before any), then region,
segment and channels. Given a judge (the rights of a version for the use), resolution passes
over a variant whose version the judge keeps out and falls back to the next most specific one,
saying which it skipped and why.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from assets.models import Asset, Variant, Version, VersionState


@dataclass(frozen=True)
class Context:
    region: str = ""
    language: str = ""
    segment: str = ""
    channel: str = ""
    at: datetime | None = None

    def describe(self) -> str:
        return _described(self)


@lru_cache(maxsize=1024)
def _described(context: "Context") -> str:
    """How a context reads ("language de, region DE, channel print"), worked out once for the
    few contexts of a run that a check names thousands of times."""
    parts = {
        "language": context.language,
        "region": context.region,
        "segment": context.segment,
        "channel": context.channel,
    }
    return ", ".join(f"{name} {value}" for name, value in parts.items() if value) or "any"


@dataclass(frozen=True)
class Skipped:
    """A better-fitting variant's version resolution passed over, and why."""

    version: Version
    reason: str
    verdict: Any = None  # the judge's full answer (assets.rights.Rights)

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version.pk,
            "number": self.version.number,
            "variant": self.version.variant.selector_label,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Resolution:
    asset: Asset
    version: Version | None
    reason: str = ""
    skipped: tuple[Skipped, ...] = ()
    verdict: Any = None  # the judge's answer for the chosen version


# A judge says why a version may not be used (None when it may) and what it based that on.
Judge = Callable[[Version], tuple[str | None, Any]]


def language_candidates(language: str) -> tuple[str, ...]:
    """Return the tags to try, most specific first: de-CH → de-CH, de, any (a check asks of
    every slot in every context: the few languages of a run are worked out once)."""
    return _candidates(language)


@lru_cache(maxsize=1024)
def _candidates(language: str) -> tuple[str, ...]:
    parts = [part for part in language.split("-") if part]
    return (*("-".join(parts[:length]) for length in range(len(parts), 0, -1)), "")


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
        by_key = {}
        for variant in Variant.objects.filter(asset_id__in=ids).select_related("asset"):
            self.variants[variant.asset_id].append(variant)
            by_key[variant.pk] = variant
        approved = Version.objects.filter(variant__asset_id__in=ids, state=VersionState.APPROVED)
        self.approved: dict[int, Version] = {}
        for version in approved:
            version.variant = by_key[
                version.variant_id
            ]  # the variant read above, its asset with it
            self.approved[version.variant_id] = version

    def versions_of(self, asset: Asset) -> list[Version]:
        """The approved versions of the asset's variants: all a resolution of it may choose."""
        found = (self.approved.get(variant.pk) for variant in self.variants.get(asset.pk, []))
        return [version for version in found if version is not None]

    def resolve(self, asset: Asset, context: Context, judge: Judge | None = None) -> Resolution:
        """Return the approved version of the best-fitting variant that has one the judge lets
        through, or why there is none."""
        ranked = [
            (rank, variant)
            for variant in self.variants.get(asset.pk, [])
            if (rank := specificity(variant, context)) is not None
        ]
        if len(ranked) > 1:
            ranked.sort(key=lambda pair: pair[0], reverse=True)
        skipped: list[Skipped] = []
        for _rank, variant in ranked:
            version = self.approved.get(variant.pk)
            if version is None:
                continue
            problem, verdict = judge(version) if judge else (None, None)
            if problem is None:
                return Resolution(asset, version, skipped=tuple(skipped), verdict=verdict)
            skipped.append(Skipped(version, problem, verdict))
        if not ranked:
            return Resolution(asset, None, f"No variant of {asset.key} fits {context.describe()}.")
        if skipped:
            why = "; ".join(
                f"v{s.version.number} [{s.version.variant.selector_label}]: {s.reason}"
                for s in skipped
            )
            return Resolution(
                asset,
                None,
                f"No approved version of {asset.key} may be used for {context.describe()}: {why}.",
                tuple(skipped),
            )
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
