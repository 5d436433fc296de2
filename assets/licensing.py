"""Whether a licensed version's terms cover a run: its dates, region and channel.

A version that did not come from a purchase needs no licence. A cancelled purchase covers
nothing. Otherwise one active term must cover the run: the run date within its dates, the
region among its allowed geographies and outside its restricted ones, the channel among the
channels its allowed usages map to (LICENCE_REGIONS, LICENCE_USAGE_CHANNELS in settings).
Unknown (null) lists and unmapped keys are not judged: unknown is not false.
"""

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings

from assets.models import LicensePurchase, LicenseTerm, Version
from assets.resolution import Context


def _regions(keys: list[str] | None) -> set[str] | None:
    """Map geography keys to ISO codes; None when nothing can be judged."""
    if keys is None:
        return None
    mapped = [settings.LICENCE_REGIONS[key] for key in keys if key in settings.LICENCE_REGIONS]
    return {code for codes in mapped for code in codes} if mapped else None


def _channels(keys: list[str] | None) -> set[str] | None:
    if keys is None:
        return None
    table = settings.LICENCE_USAGE_CHANNELS
    mapped = [table[key] for key in keys if key in table]
    return {channel for channels in mapped for channel in channels} if mapped else None


def term_problem(term: LicenseTerm, context: Context, at: datetime) -> str | None:
    """Say why a term does not cover the run, or return None when it does."""
    if term.valid_from and at < term.valid_from:
        return f"valid only from {term.valid_from:%Y-%m-%d}"
    if term.valid_until and at > term.valid_until:
        return f"valid only until {term.valid_until:%Y-%m-%d}"
    allowed, restricted = _regions(term.allowed_geographies), _regions(term.restricted_geographies)
    if context.region and restricted and (context.region in restricted or "*" in restricted):
        return f"not for region {context.region}"
    if context.region and allowed is not None and not ({"*", context.region} & allowed):
        return f"not for region {context.region}"
    channels = _channels(term.allowed_usages)
    if context.channel and channels is not None and context.channel not in channels:
        return f"not for the {context.channel} channel"
    barred = _channels(term.restricted_usages)
    if context.channel and barred and context.channel in barred:
        return f"not for the {context.channel} channel"
    return None


def in_force(term: LicenseTerm, known_at: datetime | None) -> bool:
    """Say whether Govern held this term at known_at (None: now, the active terms)."""
    if known_at is None:
        return term.active
    return term.created_at <= known_at and (
        term.deactivated_at is None or term.deactivated_at > known_at
    )


def cancelled(purchase: LicensePurchase, known_at: datetime | None) -> bool:
    if known_at is None:
        return purchase.cancelled
    return purchase.cancelled_at is not None and purchase.cancelled_at <= known_at


class LicenceBook:
    """Purchases and terms of the versions a check looks at, loaded once per purchase.

    known_at None judges by what Govern holds now (pre-flight); a time judges by the terms and
    cancellations Govern held then (reconciliation of a past run).
    """

    def __init__(self, purchase_ids: Iterable[int] = ()) -> None:
        self._terms: dict[int, tuple[LicensePurchase, list[LicenseTerm]]] = {}
        self._load(set(purchase_ids))

    def _load(self, purchase_ids: set[int]) -> None:
        missing = purchase_ids - set(self._terms)
        if not missing:
            return
        purchases: dict[int, tuple[LicensePurchase, list[LicenseTerm]]] = {
            p.pk: (p, []) for p in LicensePurchase.objects.filter(pk__in=missing)
        }
        for term in LicenseTerm.objects.filter(purchase_id__in=missing):
            purchases[term.purchase_id][1].append(term)
        self._terms.update(purchases)

    def problem(
        self, version: Version, context: Context, at: datetime, known_at: datetime | None = None
    ) -> str | None:
        """Say why the version's licence does not cover the run, or return None."""
        if version.purchase_id is None:
            return None
        self._load({version.purchase_id})
        purchase, terms = self._terms[version.purchase_id]
        if cancelled(purchase, known_at):
            return "its Smint.io purchase was cancelled"
        held = [term for term in terms if in_force(term, known_at)]
        if not held:
            return "its purchase carries no licence terms"
        problems = [term_problem(term, context, at) for term in held]
        if any(problem is None for problem in problems):
            return None
        return "its licence is " + "; ".join(sorted({p for p in problems if p}))
