"""Whether a licensed version's terms cover a run: its dates, region, channel and language.

A version that did not come from a purchase needs no licence. A cancelled purchase covers
nothing. Otherwise one active term must cover the run: the run date within its dates, the
region among its allowed geographies and outside its restricted ones, the channel among the
channels its allowed usages map to, the language among the tags its allowed languages map to
(VocabularyMapping rows: data people edit). Unknown (null) lists and unmapped keys are not
judged: unknown is not false.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from assets.models import LicensePurchase, LicenseTerm, Version, Vocabulary, VocabularyMapping
from assets.resolution import Context

Mappings = dict[str, dict[str, list[str]]]


def load_mappings() -> Mappings:
    """Return every vocabulary key's meaning, by vocabulary (one query)."""
    mappings: Mappings = defaultdict(dict)
    for vocabulary, key, values in VocabularyMapping.objects.values_list(
        "vocabulary", "key", "values"
    ):
        mappings[vocabulary][key] = list(values)
    return mappings


def _mapped(keys: list[str] | None, table: dict[str, list[str]]) -> set[str] | None:
    """Map keys to Govern's values; None when nothing can be judged."""
    if keys is None:
        return None
    found = [table[key] for key in keys if key in table]
    return {value for values in found for value in values} if found else None


def _speaks(language: str, tags: set[str]) -> bool:
    """Say whether a run's language is one of the tags: de-CH is covered by de."""
    language = language.lower()
    return any(language == tag.lower() or language.startswith(f"{tag.lower()}-") for tag in tags)


def term_problem(
    term: LicenseTerm, context: Context, at: datetime, mappings: Mappings
) -> str | None:
    """Say why a term does not cover the run, or return None when it does."""
    if term.valid_from and at < term.valid_from:
        return f"valid only from {term.valid_from:%Y-%m-%d}"
    if term.valid_until and at > term.valid_until:
        return f"valid only until {term.valid_until:%Y-%m-%d}"
    places = mappings.get(Vocabulary.GEOGRAPHY, {})
    allowed, restricted = (
        _mapped(term.allowed_geographies, places),
        _mapped(term.restricted_geographies, places),
    )
    if context.region and restricted and (context.region in restricted or "*" in restricted):
        return f"not for region {context.region}"
    if context.region and allowed is not None and not ({"*", context.region} & allowed):
        return f"not for region {context.region}"
    uses = mappings.get(Vocabulary.USAGE, {})
    channels, barred = _mapped(term.allowed_usages, uses), _mapped(term.restricted_usages, uses)
    if context.channel and channels is not None and context.channel not in channels:
        return f"not for the {context.channel} channel"
    if context.channel and barred and context.channel in barred:
        return f"not for the {context.channel} channel"
    return _language_problem(term, context, mappings.get(Vocabulary.LANGUAGE, {}))


def _language_problem(
    term: LicenseTerm, context: Context, tongues: dict[str, list[str]]
) -> str | None:
    if not context.language:
        return None
    allowed = _mapped(term.allowed_languages, tongues)
    restricted = _mapped(term.restricted_languages, tongues)
    if restricted and _speaks(context.language, restricted):
        return f"not for language {context.language}"
    if allowed is not None and not _speaks(context.language, allowed):
        return f"not for language {context.language}"
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
        self._mappings: Mappings | None = None
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
        if self._mappings is None:
            self._mappings = load_mappings()
        problems = [term_problem(term, context, at, self._mappings) for term in held]
        if any(problem is None for problem in problems):
            return None
        return "its licence is " + "; ".join(sorted({p for p in problems if p}))
